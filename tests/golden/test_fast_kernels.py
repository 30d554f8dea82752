"""The fast kernel variants (``features=()``: portable C loops, ``features=("dsp",)``: the DSP
SIMD algorithm through the portable model of its instructions, ``features=("dsp", "mve")``:
the Helium algorithm through the portable model of its intrinsics) are bit-exact with TFLM.

* every golden, third-party and fixture model, generated for both feature sets;
* the selection: on the MLPerf-Tiny-style models every CONV_2D, DEPTHWISE_CONV_2D,
  FULLY_CONNECTED and ADD gets its fast function, and ``features=None`` none;
* a seeded fuzz aimed at the fast paths' edges (odd channel counts and sizes, padding on
  every side, strides, dilations, depth multipliers 1-3, per-tensor / per-channel weights,
  requantization multipliers on both sides of 1, zero points -128 and 127, extreme weights,
  biases at the 2^30 accumulator bound), each case bit-exact for both feature sets and the
  generator's choice (fast variant or reference fallback) checked against the documented
  conditions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from edgeq.codegen.native.emit import generate, plan_model
from edgeq.harness.runners import host
from edgeq.model.reader import read_model
from edgeq.ops._common import out_size
from golden_helpers import (
    FIXTURE_MODELS, FIXTURES, GOLDEN_MODELS, THIRD_PARTY_MODELS, assert_bit_exact, private_build_cache,
    tflm_outputs,
)
from tflite_builder import OneOp, T, build

__all__ = ["private_build_cache"]  # the autouse fixture, imported

FEATURE_SETS = ((), ("dsp",), ("dsp", "mve"))
FAST = {"CONV_2D": "edgeq_conv_2d_s8_fast", "DEPTHWISE_CONV_2D": "edgeq_depthwise_conv_2d_s8_fast",
        "FULLY_CONNECTED": "edgeq_fully_connected_s8_fast", "ADD": "edgeq_add_s8_fast"}
REFERENCE = {"CONV_2D": "edgeq_conv_2d_s8", "DEPTHWISE_CONV_2D": "edgeq_depthwise_conv_2d_s8",
             "FULLY_CONNECTED": "edgeq_fully_connected_s8", "ADD": "edgeq_add_s8"}
# on a core with Helium: its variants, where their conditions hold (else the fast ones)
MVE = {"CONV_2D": "edgeq_conv_2d_s8_mve", "DEPTHWISE_CONV_2D": "edgeq_depthwise_conv_2d_s8_mve",
       "FULLY_CONNECTED": "edgeq_fully_connected_s8_mve", "ADD": "edgeq_add_s8_mve"}
MVE_FILE = {"CONV_2D": "conv_2d_mve.h", "DEPTHWISE_CONV_2D": "depthwise_conv_2d_mve.h",
            "FULLY_CONNECTED": "fully_connected_mve.h", "ADD": "add_mve.h"}
FAST_FILE = {"CONV_2D": "conv_2d_fast.h", "DEPTHWISE_CONV_2D": "depthwise_conv_2d_fast.h",
             "FULLY_CONNECTED": "fully_connected_fast.h", "ADD": "add_fast.h"}
ACC_LIMIT = 1 << 30
MAX_TAPS = 64


def _prebuild(sources) -> None:
    """Compile the host programs of several generated sources on both cores at once (into the
    build cache, where host.run then finds them)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(host.build, sources))


def _both(model):
    """The model generated for a core without DSP, one with it and one with Helium too, compiled."""
    srcs = {f: generate(model, features=f) for f in FEATURE_SETS}
    _prebuild(list(srcs.values()))
    for f, s in srcs.items():
        assert f"#define EDGEQ_DSP {int('dsp' in f)}" in s.files["edgeq_config.h"], f
        assert f"#define EDGEQ_MVE {int('mve' in f)}" in s.files["edgeq_config.h"], f
    return srcs


def _label(f) -> str:
    return f"features={f!r}"


# ---- 1. every model, both feature sets ----------------------------------------------------

def _samples(path: Path) -> int:
    if path.parent == GOLDEN_MODELS:
        return 100
    if path.name == "hello_world_int8.tflite":
        return 100
    if path.name == "micro_speech_quantized.tflite":
        return 40
    return 16  # tests/models and person_detect: big compiles, slow-ish TFLM


MODELS = (
    sorted(GOLDEN_MODELS.glob("*.tflite"))
    + sorted(THIRD_PARTY_MODELS.glob("*.tflite"))
    + [FIXTURES / m for m in FIXTURE_MODELS]
)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_model_bit_exact_with_fast_kernels(path: Path):
    if not path.is_file():
        pytest.fail(f"model not found: {path} (set EDGEQ_FIXTURES)")
    srcs = _both(read_model(path))
    for f, s in srcs.items():
        assert_bit_exact(path, s, seed=sum(map(ord, path.stem)) + 7, samples=_samples(path), varied=True,
                         context=_label(f))


# ---- 2. which kernel each op gets ----------------------------------------------------------

SELECTION_MODELS = ("ds_cnn_kws", "mobilenet_v1_vww", "resnet8_cifar10", "fc_autoencoder")


@pytest.mark.parametrize("name", SELECTION_MODELS)
def test_fast_variant_selected_for_every_eligible_op(name):
    model = read_model(THIRD_PARTY_MODELS / f"{name}.tflite")
    ops = {op.index: op.name for op in model.main.operators}
    for feats in (frozenset(("dsp",)), frozenset()):
        calls = plan_model(model, features=feats).calls
        got = {i: c.function for i, _n, c in calls}
        covered = [i for i, n in ops.items() if n in FAST]
        assert covered, f"{name} has none of {sorted(FAST)}"
        for i in covered:
            assert got.get(i) == FAST[ops[i]], (
                f"{name}: op #{i} {ops[i]} got {got.get(i)!r}, not {FAST[ops[i]]!r} (features {sorted(feats)})")
    # with Helium: every conv, FC and (channels a multiple of 4, dilation 1) depthwise op
    got = {i: c.function for i, _n, c in plan_model(model, features=frozenset(("dsp", "mve"))).calls}
    for i, n in ops.items():
        if n in MVE:
            assert got.get(i) == MVE[n], f"{name}: op #{i} {n} got {got.get(i)!r} with mve, not {MVE[n]!r}"
    ref = plan_model(model, features=None).calls
    assert not [c.function for _i, _n, c in ref if c.function.endswith("_fast")]
    for i, n, c in ref:
        if n in REFERENCE:
            assert c.function == REFERENCE[n], (i, n, c.function)
    files = generate(model).files
    assert not [f for f in files if "fast" in f or "mve" in f
                or f in ("edgeq_simd.h", "edgeq_gemm.h", "edgeq_config.h")]


# ---- 3. fuzz at the fast paths' edges -----------------------------------------------------

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
FUZZ_SAMPLES = 60  # random inputs a case (plus the extreme ones below)


def _f32(v) -> float:
    return float(np.float32(v))


def _pick(rng, options, p=None):
    return options[int(rng.choice(len(options), p=p))]


def _dim(rng) -> int:
    """A height / width: mostly odd."""
    return int(_pick(rng, [1, 3, 5, 7, 9, 11])) if rng.random() < 0.7 else int(rng.integers(2, 11))


def _channels(rng) -> int:
    """A channel count: mostly 1..9 and not a multiple of 2 or 4; some larger."""
    r = rng.random()
    if r < 0.65:
        return int(_pick(rng, [1, 3, 5, 7, 9]))
    if r < 0.9:
        return int(_pick(rng, [2, 4, 6, 8]))
    return int(rng.integers(10, 20))


def _zero_point(rng) -> int:
    r = rng.random()
    if r < 0.25:
        return -128
    if r < 0.45:
        return 127
    if r < 0.55:
        return 0
    return int(rng.integers(-128, 128))


def _effective(rng) -> float:
    """The largest effective requantization scale s_in * s_w / s_out of a case: mostly a
    right shift (below 0.5), some at the shift -1 / 0 border, some above 1 (left shifts)."""
    r = rng.random()
    if r < 0.08:
        return 10 ** rng.uniform(np.log10(0.42), np.log10(0.6))
    if r < 0.16:
        return 10 ** rng.uniform(-0.25, 0.5)
    return 10 ** rng.uniform(-4, np.log10(0.45))


def _weights(rng, shape, mode: str) -> np.ndarray:
    if mode == "extreme":
        return rng.choice(np.array([-127, 127], np.int8), shape)
    if mode == "positive":
        return rng.integers(1, 128, shape, dtype=np.int8)
    if mode == "negative":
        return -rng.integers(1, 128, shape, dtype=np.int8)
    w = rng.integers(-127, 128, shape, dtype=np.int8)
    if rng.random() < 0.5:  # sprinkle the extremes
        hit = rng.random(shape) < 0.15
        w[hit] = rng.choice(np.array([-127, 127], np.int8), int(hit.sum()))
    return w


def _bias(rng, n: int) -> np.ndarray:
    r = rng.random()
    if r < 0.65:
        return rng.integers(-30000, 30001, n).astype(np.int32)
    if r < 0.8:
        return rng.choice(np.array([-30000, 30000], np.int32), n)
    return rng.integers(-(1 << 21), (1 << 21) + 1, n).astype(np.int32)


def _edge_bias(rng, sums: np.ndarray, sign: int) -> tuple[np.ndarray, bool]:
    """Biases putting the largest accumulator (input 127 everywhere, zero point -128, weights
    of one sign: sign * (|bias| + 255 * sum |w|)) right at the fast kernels' bound: 2^30 - 1
    (still fast) or 2^30 and above (the reference). Returns the biases and whether the bound
    is kept."""
    d = int(_pick(rng, [1, 1, 1, 2, 0, -1], None))
    b = ACC_LIMIT - 255 * sums.astype(np.int64) - d
    # some channels at the bound, the others a little below
    at = rng.random(len(sums)) < 0.5
    at[int(rng.integers(0, len(sums)))] = True
    b = np.where(at, b, b - rng.integers(1, 1 << 20, len(sums)))
    return (sign * b).astype(np.int32), d >= 1


def _geometry(rng, h, w, kh, kw, sh, sw, dh, dw):
    pad = "SAME" if rng.random() < 0.55 else "VALID"
    oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    if oh < 1 or ow < 1:
        pad = "SAME"
        oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    return pad, oh, ow


def _kernel(rng) -> tuple[int, int]:
    r = rng.random()
    if r < 0.25:
        return 3, 3
    if r < 0.4:
        return 1, 1
    return int(rng.integers(1, 6)), int(rng.integers(1, 6))


def _quant_for(rng, n_out: int, per_channel: bool, edge: bool):
    """(s_in, zp_in, weight scales, s_out, zp_out)."""
    s_in = _f32(10 ** rng.uniform(-2.5, -0.5))
    zp_in = -128 if edge else _zero_point(rng)
    w_scales = tuple(_f32(10 ** rng.uniform(-3, -1.3)) for _ in range(n_out if per_channel else 1))
    # at the accumulator bound: a scale that maps 2^30 into the int8 range (right shift ~24)
    eff = 10 ** rng.uniform(-7.3, -6.9) if edge else _effective(rng)
    s_out = _f32(s_in * max(w_scales) / eff)
    zp_out = -128 if edge and rng.random() < 0.5 else _zero_point(rng)
    return s_in, zp_in, w_scales, s_out, zp_out


def conv_fast_case(rng, depthwise: bool, helium: bool = False) -> OneOp:
    """A conv or depthwise case; ``helium``: a depthwise case inside the Helium variant's
    shapes (channels a multiple of 4, 4..64 -- one group, several, a partial 16-byte band
    load --, depth multiplier 1, horizontal dilation 1)."""
    h, w = _dim(rng), _dim(rng)
    kh, kw = _kernel(rng)
    if depthwise and rng.random() < 0.06:  # around MAX_TAPS: 64 taps fast, more the reference
        kh, kw = _pick(rng, [(8, 8), (9, 8), (7, 10), (1, 65), (5, 13)])
    sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dh, dw = (int(_pick(rng, [1, 1, 2])) for _ in range(2))
    if helium:
        dw = 1
    pad, oh, ow = _geometry(rng, h, w, kh, kw, sh, sw, dh, dw)
    cin = int(_pick(rng, [4, 8, 12, 16, 20, 24, 32, 36, 48, 64])) if helium else _channels(rng)
    groups = 1
    mult = 1
    if depthwise:
        if not helium and rng.random() < 0.2:  # the fast variant's tap-list path (portable C on every core)
            mult = int(rng.integers(2, 4))
        cout = cin * mult
    else:
        cout = _channels(rng)
        if rng.random() < 0.05:  # a grouped convolution: the reference kernel
            groups = int(_pick(rng, [2, 3]))
            cin, cout = cin * groups, cout * groups
    edge = rng.random() < 0.1
    mode = _pick(rng, ["positive", "negative"]) if edge else _pick(rng, ["random", "random", "random", "extreme"])
    per_channel = bool(rng.integers(0, 2))
    s_in, zp_in, w_scales, s_out, zp_out = _quant_for(rng, cout, per_channel, edge)
    n_scales = len(w_scales)
    wshape = (1, kh, kw, cout) if depthwise else (cout, kh, kw, cin // groups)
    weights = _weights(rng, wshape, mode)
    tensors = [
        T((1, h, w, cin), "INT8", (s_in,), (zp_in,)),
        T(wshape, "INT8", w_scales, (0,) * n_scales, 3 if depthwise else 0, weights),
        T((1, oh, ow, cout), "INT8", (s_out,), (zp_out,)),
    ]
    inputs = [0, 1, -1]
    # TFLM's DEPTHWISE_CONV_2D needs a bias tensor (it crashes in Prepare without one)
    if depthwise or edge or rng.random() < 0.85:
        if edge:
            per_out = np.abs(weights.astype(np.int64)).reshape(-1, cout).sum(axis=0) if depthwise else \
                np.abs(weights.astype(np.int64)).reshape(cout, -1).sum(axis=1)
            bias, _ = _edge_bias(rng, per_out, 1 if mode == "positive" else -1)
        else:
            bias = _bias(rng, cout)
        tensors.append(T((cout,), "INT32", tuple(_f32(s_in * s) for s in w_scales), (0,) * n_scales, 0, bias))
        inputs[2] = 3
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw,
            "act": _pick(rng, ACTS), "depth_multiplier": mult}
    return OneOp("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", tensors, inputs, [2], [0], [2], opts)


def fc_fast_case(rng) -> OneOp:
    b = int(rng.integers(1, 4))
    n = int(rng.integers(1, 80))
    if rng.random() < 0.75:
        while n % 4 == 0:
            n = int(rng.integers(1, 80))
    units = int(rng.integers(1, 14))
    if rng.random() < 0.75:
        while units % 4 == 0:
            units = int(rng.integers(1, 14))
    edge = rng.random() < 0.1
    mode = _pick(rng, ["positive", "negative"]) if edge else _pick(rng, ["random", "random", "random", "extreme"])
    per_channel = bool(rng.integers(0, 2))
    s_in, zp_in, w_scales, s_out, zp_out = _quant_for(rng, units, per_channel, edge)
    k = len(w_scales)
    weights = _weights(rng, (units, n), mode)
    tensors = [
        T((b, n), "INT8", (s_in,), (zp_in,)),
        T((units, n), "INT8", w_scales, (0,) * k, 0, weights),
        T((b, units), "INT8", (s_out,), (zp_out,)),
    ]
    inputs = [0, 1, -1]
    if edge or rng.random() < 0.75:
        if edge:
            bias, _ = _edge_bias(rng, np.abs(weights.astype(np.int64)).sum(axis=1), 1 if mode == "positive" else -1)
        else:
            bias = _bias(rng, units)
        tensors.append(T((units,), "INT32", tuple(_f32(s_in * s) for s in w_scales), (0,) * k, 0, bias))
        inputs[2] = 3
    return OneOp("FULLY_CONNECTED", tensors, inputs, [2], [0], [2], {"act": _pick(rng, ACTS)})


def add_fast_case(rng) -> OneOp:
    rank = int(rng.integers(1, 5))
    a = tuple(_pick(rng, [1, 3, 5, 7, 9]) if rng.random() < 0.7 else int(rng.integers(1, 10)) for _ in range(rank))
    b = a
    if rng.random() < 0.1:  # broadcast: the reference kernel
        b = tuple(d if rng.random() < 0.5 else 1 for d in a)
        if b == a:
            b = (1,) * rank
        if rng.random() < 0.5:
            a, b = b, a
    out = tuple(np.broadcast_shapes(a, b))
    s1 = _f32(10 ** rng.uniform(-2.5, -0.5))
    r = rng.random()
    s2 = _f32(s1 * 10 ** (rng.uniform(-4, 4) if r < 0.15 else rng.uniform(-1, 1)))
    big = max(s1, s2)
    r = rng.random()
    if r < 0.12:  # output multiplier in [0.5, 1): shift 0, the largest the fast variant takes
        so = _f32(2 * big / ((1 << 20) * rng.uniform(0.5, 0.95)))
    elif r < 0.2:  # a fine output scale: large right shifts
        so = _f32(big * 10 ** rng.uniform(-4, -2))
    else:
        so = _f32(big * 10 ** rng.uniform(-1, 1.5))
    tensors = [T(a, "INT8", (s1,), (_zero_point(rng),)), T(b, "INT8", (s2,), (_zero_point(rng),)),
               T(out, "INT8", (so,), (_zero_point(rng),))]
    return OneOp("ADD", tensors, [0, 1], [2], [0, 1], [2], {"act": _pick(rng, ACTS)})


FUZZ_MAKERS = {
    "conv": lambda r: conv_fast_case(r, False),
    "dwconv": lambda r: conv_fast_case(r, True),
    "dwconv_mve": lambda r: conv_fast_case(r, True, helium=True),
    "fc": fc_fast_case,
    "add": add_fast_case,
}
FUZZ_COUNTS = {"conv": 110, "dwconv": 100, "dwconv_mve": 30, "fc": 80, "add": 60}
FUZZ_SEED = {"conv": 710_000, "dwconv": 720_000, "dwconv_mve": 760_000, "fc": 730_000, "add": 740_000}
FUZZ_CASES = [(k, i) for k, n in FUZZ_COUNTS.items() for i in range(n)]


def _fuzz_model(kind: str, i: int) -> bytes:
    return build(FUZZ_MAKERS[kind](np.random.default_rng(FUZZ_SEED[kind] + i)))


def _expected(model) -> tuple[str, bool, bool]:
    """(op name, must the fast variant be chosen, may it be) from the documented conditions,
    on the reference plan's requantization (TFLM's Prepare) and the constant tensors.
    ``must``: int8, one group / multiplier 1 / <= 64 taps / no broadcast, every shift a
    right shift (-31..-1; ADD -31..0) and |bias| + 255 * sum |w| < 2^30 (depthwise: any depth
    multiplier, since the fast variant took multipliers above 1). ``may``: the same
    with the exact bound max|x + input_offset| in place of 255 (what an accumulator can
    reach): the fast variant outside it could overflow its requantization."""
    sg = model.main
    (op,) = sg.operators
    (_i, _n, call) = plan_model(model, features=None).calls[0]
    f = dict(call.fields)
    arrays = {n: v for n, _t, v in call.arrays}
    if op.name == "ADD":
        a, b = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1])
        ok = (tuple(a.shape) == tuple(b.shape) and int(f["left_shift"]) == 20
              and all(-31 <= int(f[k]) <= 0 for k in ("input1_shift", "input2_shift", "output_shift")))
        return op.name, ok, ok
    x, w = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    wv = w.numpy().astype(np.int64)
    if op.name == "DEPTHWISE_CONV_2D":
        sums = np.abs(wv).reshape(-1, wv.shape[3]).sum(axis=0)
        shape_ok = wv.shape[1] * wv.shape[2] <= MAX_TAPS
    elif op.name == "CONV_2D":
        sums = np.abs(wv).reshape(wv.shape[0], -1).sum(axis=1)
        shape_ok = wv.shape[3] == x.shape[3]
    else:
        sums = np.abs(wv).reshape(wv.shape[0], -1).sum(axis=1)
        shape_ok = all(z == 0 for z in w.quant.zero_point)
    shift_ok = all(-31 <= int(s) <= -1 for s in arrays["shift"])
    bias = np.abs(b.numpy().astype(np.int64)) if b is not None else 0
    off = -int(x.quant.zero_point[0])
    xmax = max(abs(-128 + off), abs(127 + off))
    must = shape_ok and shift_ok and bool(np.all(bias + 255 * sums < ACC_LIMIT))
    may = shape_ok and shift_ok and bool(np.all(bias + xmax * sums < ACC_LIMIT))
    return op.name, must, may


def _chosen(model, feats) -> str:
    (_i, _n, call) = plan_model(model, features=frozenset(feats)).calls[0]
    return call.function


def _extreme_inputs(specs) -> list[np.ndarray]:
    """Inputs that drive the accumulators to their ends: all -128, all 127, alternating,
    and random mixes of only -128 / 127."""
    rng = np.random.default_rng(99)
    out = []
    for spec in specs:
        shape = tuple(spec.shape[1:]) if spec.shape and spec.shape[0] == 1 else tuple(spec.shape)
        n = int(np.prod(shape))
        rows = [np.full(n, -128), np.full(n, 127), np.resize([-128, 127], n), np.resize([127, -128], n)]
        rows += [rng.choice([-128, 127], n) for _ in range(4)]
        out.append(np.stack(rows).astype(np.int8).reshape((len(rows), *shape)))
    return out


def _assert_extremes_exact(path: Path, sources, context: str) -> None:
    inputs = _extreme_inputs(sources.inputs)
    got = host.run(sources, inputs)
    want = tflm_outputs(path, sources.inputs, sources.outputs, inputs)
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == w.dtype
        n = len(g)
        bad = np.flatnonzero(np.any(g.reshape(n, -1) != w.reshape(n, -1), axis=1))
        assert not bad.size, (f"output {k}: extreme inputs {bad.tolist()} (0: all -128, 1: all 127, 2-3: "
                              f"alternating, 4+: random -128/127) differ from TFLM ({context})")


@pytest.mark.parametrize("kind, i", FUZZ_CASES, ids=[f"{k}{i}" for k, i in FUZZ_CASES])
def test_fuzz_fast_kernel_bit_exact(kind, i, tmp_path):
    path = tmp_path / f"{kind}{i}.tflite"
    path.write_bytes(_fuzz_model(kind, i))
    model = read_model(path)
    name, must, may = _expected(model)
    chosen = {f: _chosen(model, f) for f in FEATURE_SETS}
    repro = f"{kind}{i}: seed {FUZZ_SEED[kind] + i}"
    assert chosen[()] == chosen[("dsp",)], (repro, chosen)
    fast = chosen[()] == FAST[name]
    assert fast or chosen[()] == REFERENCE[name], (repro, chosen)
    if must:
        assert fast, f"{repro}: the conditions of {FAST[name]} hold but {chosen[()]} was chosen"
    if fast:
        assert may, f"{repro}: {FAST[name]} chosen outside its conditions (shift or accumulator bound)"
    if fast:  # with Helium: its variant, or the fast one where the Helium conditions fail
        assert chosen[("dsp", "mve")] in (MVE[name], FAST[name]), (repro, chosen)
    else:
        assert chosen[("dsp", "mve")] == REFERENCE[name], (repro, chosen)
    srcs = _both(model)
    for f, s in srcs.items():
        file = MVE_FILE[name] if chosen[f] == MVE[name] else FAST_FILE[name]
        assert (file in s.files) == fast, (repro, f, sorted(s.files))
        ctx = f"{repro}, {_label(f)}, {'fast' if fast else 'reference'} kernel"
        assert_bit_exact(path, s, seed=i, samples=FUZZ_SAMPLES, context=ctx)
        _assert_extremes_exact(path, s, ctx)


def test_fuzz_exercises_fast_variants_and_fallbacks():
    """The fuzz above mostly runs the fast variants (>= 70% of conv / depthwise / FC cases,
    >= 60% of each kind), depthwise cases with depth multipliers 2-3 among them, and each
    kind also falls back to the reference for some cases, for each of the reasons the
    generator has (left shift, accumulator bound, grouped conv, too many taps, broadcast);
    the Helium depthwise slice takes the Helium variant in >= 60% of its cases."""
    stats: dict[str, list[bool]] = {k: [] for k in FUZZ_COUNTS}
    reasons: set[str] = set()
    dw_mult = {True: 0, False: 0}  # depth multiplier > 1: fast / reference
    for kind, i in FUZZ_CASES:
        model = read_model(_fuzz_model(kind, i))
        name, must, may = _expected(model)
        fast = _chosen(model, ("dsp",)) == FAST[name]
        stats[kind].append(fast)
        sg = model.main
        (op,) = sg.operators
        x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
        if name == "DEPTHWISE_CONV_2D" and y.shape[3] != x.shape[3]:
            dw_mult[fast] += 1
        if fast:
            continue
        (_i, _n, call) = plan_model(model, features=None).calls[0]
        f = dict(call.fields)
        arrays = {n: v for n, _t, v in call.arrays}
        if name == "ADD":
            reasons.add("broadcast" if f["broadcast"] != "0" else "add-shift")
            continue
        w = sg.tensor(op.inputs[1])
        if name == "CONV_2D" and w.shape[3] != x.shape[3]:
            reasons.add("groups")
        elif name == "DEPTHWISE_CONV_2D" and w.shape[1] * w.shape[2] > MAX_TAPS:
            reasons.add("taps")
        elif any(int(s) >= 0 for s in arrays["shift"]):
            reasons.add("left-shift")
        elif not may:
            reasons.add("bound")
        else:
            reasons.add("other")
    share = {k: round(sum(v) / len(v), 3) for k, v in stats.items()}
    nn = [v for k in ("conv", "dwconv", "fc") for v in stats[k]]
    assert sum(nn) / len(nn) >= 0.7, share
    for k, v in stats.items():
        assert sum(v) / len(v) >= 0.6, (k, share)
        if k != "dwconv_mve":
            assert not all(v), f"no {k} case fell back to the reference kernel: {share}"
    helium = [_chosen(read_model(_fuzz_model("dwconv_mve", i)), ("dsp", "mve")) == MVE["DEPTHWISE_CONV_2D"]
              for i in range(FUZZ_COUNTS["dwconv_mve"])]
    assert sum(helium) / len(helium) >= 0.6, helium
    assert {"broadcast", "groups", "taps", "left-shift", "bound"} <= reasons, sorted(reasons)
    assert dw_mult[True] >= 5, dw_mult


# ---- pools: the 4-channel fast variants and the Helium ones (MAX_POOL_2D always, AVERAGE_POOL_2D
# up to 256 taps) ----

POOL_FAST = {"MAX_POOL_2D": "edgeq_max_pool_2d_s8_fast", "AVERAGE_POOL_2D": "edgeq_average_pool_2d_s8_fast"}
POOL_MVE = {"MAX_POOL_2D": "edgeq_max_pool_2d_s8_mve", "AVERAGE_POOL_2D": "edgeq_average_pool_2d_s8_mve"}
POOL_CASES = [(op, i) for op in POOL_FAST for i in range(16)]


def pool_fast_case(rng, op: str) -> OneOp:
    """Channel counts 1..9 (groups of 4 and tails), windows up to 17x17 (some above 256 taps:
    the average pool's reference fallback), padding on every side, every activation clamp,
    zero points at both ends."""
    h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
    c = int(rng.integers(1, 10))
    big = op == "AVERAGE_POOL_2D" and rng.random() < 0.2
    fh, fw = ((int(rng.integers(16, 18)), int(rng.integers(16, 18))) if big
              else tuple(int(v) for v in rng.integers(1, 6, 2)))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    pad = "SAME" if big else str(rng.choice(["SAME", "VALID"]))
    if big:
        h, w = max(h, fh), max(w, fw)
    oh, ow = out_size(pad, h, fh, sh), out_size(pad, w, fw, sw)
    if oh < 1 or ow < 1:
        pad = "SAME"
        oh, ow = out_size(pad, h, fh, sh), out_size(pad, w, fw, sw)
    s = _f32(10 ** rng.uniform(-2.5, -0.5))
    zp = int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))
    tensors = [T((1, h, w, c), "INT8", (s,), (zp,)), T((1, oh, ow, c), "INT8", (s,), (zp,))]
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "filter_h": fh, "filter_w": fw,
            "act": str(rng.choice(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]))}
    return OneOp(op, tensors, [0], [1], [0], [1], opts)


@pytest.mark.parametrize("op, i", POOL_CASES, ids=[f"{o.lower()}{i}" for o, i in POOL_CASES])
def test_fuzz_fast_pools_bit_exact(op, i, tmp_path):
    rng = np.random.default_rng(750000 + 100 * list(POOL_FAST).index(op) + i)
    path = tmp_path / f"{op}{i}.tflite"
    path.write_bytes(build(pool_fast_case(rng, op)))
    model = read_model(path)
    x = model.main.tensors[model.main.operators[0].inputs[0]]
    o = model.main.operators[0].options
    taps = o.get("filter_height", 1) * o.get("filter_width", 1)
    want_fast = op == "MAX_POOL_2D" or taps <= 256
    for f, s in _both(model).items():
        chosen = _chosen(model, f)
        assert (chosen == (POOL_MVE if "mve" in f else POOL_FAST)[op]) == want_fast, (op, i, taps, chosen)
        ctx = f"{op.lower()}{i} ({x.shape}, {taps} taps), {_label(f)}"
        assert_bit_exact(path, s, seed=i, samples=60, context=ctx)
        _assert_extremes_exact(path, s, ctx)
