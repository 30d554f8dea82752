"""Fuzz: single-op models with random parameters, built without TensorFlow, bit-exact vs TFLM.

Covers parameter corners the Keras converter rarely produces: requantization multipliers
above 1 (left shifts), extreme zero points, large strides and dilations together, tiny
inputs, multi-input ADD with broadcasting, softmax with various betas and input scales.
Each case is compiled once and run on seeded random inputs in one process.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgeq.codegen.native.emit import generate
from edgeq.harness.hostrun import run_tflm
from edgeq.harness.runners import host
from edgeq.model.reader import read_model
from edgeq.ops._common import out_size
from golden_helpers import private_build_cache, random_inputs
from tflite_builder import OneOp, T, build

__all__ = ["private_build_cache"]  # the autouse fixture, imported

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
SAMPLES = 40


def _scale(rng, lo, hi) -> float:
    return float(np.float32(10 ** rng.uniform(lo, hi)))


def _geometry(rng, h, w, kh, kw, sh, sw, dh=1, dw=1):
    pad = str(rng.choice(["SAME", "VALID"]))
    oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    if oh < 1 or ow < 1:
        pad = "SAME"
        oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    return pad, oh, ow


def _act_in(rng):
    return _scale(rng, -2.5, -0.5), int(rng.integers(-128, 128))


def conv_case(rng, depthwise: bool) -> OneOp:
    h, w = (int(v) for v in rng.integers(1, 11, 2))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2))
    pad, oh, ow = _geometry(rng, h, w, kh, kw, sh, sw, dh, dw)
    cin = int(rng.integers(1, 6))
    mult = int(rng.integers(1, 4)) if depthwise else 1
    cout = cin * mult if depthwise else int(rng.integers(1, 7))
    s_in, zp_in = _act_in(rng)
    per_channel = bool(rng.integers(0, 2))
    n_scales = cout if per_channel else 1
    w_scales = tuple(_scale(rng, -3, -1.3) for _ in range(n_scales))
    # output scale spans effective multipliers from ~0.001 to ~3 (left shifts included)
    s_out = float(np.float32(s_in * np.mean(w_scales) * 10 ** rng.uniform(-0.5, 2.8)))
    wshape = (1, kh, kw, cout) if depthwise else (cout, kh, kw, cin)
    weights = rng.integers(-127, 128, wshape, dtype=np.int8)
    tensors = [
        T((1, h, w, cin), "INT8", (s_in,), (zp_in,)),
        T(wshape, "INT8", w_scales, (0,) * n_scales, 3 if depthwise else 0, weights),
        T((1, oh, ow, cout), "INT8", (s_out,), (int(rng.integers(-128, 128)),)),
    ]
    inputs = [0, 1, -1]
    # TFLM's DEPTHWISE_CONV_2D crashes the interpreter (segfault in Prepare) without a bias
    # tensor, so the oracle cannot check that case: depthwise cases always carry one
    if depthwise or rng.random() < 0.8:
        bias = rng.integers(-30000, 30000, cout, dtype=np.int32)
        tensors.append(T((cout,), "INT32", tuple(s_in * s for s in w_scales), (0,) * n_scales, 0, bias))
        inputs[2] = 3
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw,
            "act": str(rng.choice(ACTS)), "depth_multiplier": mult}
    return OneOp("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", tensors, inputs, [2], [0], [2], opts)


def fc_case(rng) -> OneOp:
    b, n, units = int(rng.integers(1, 4)), int(rng.integers(1, 41)), int(rng.integers(1, 13))
    s_in, zp_in = _act_in(rng)
    per_channel = bool(rng.integers(0, 2))
    k = units if per_channel else 1
    w_scales = tuple(_scale(rng, -3, -1.3) for _ in range(k))
    s_out = float(np.float32(s_in * np.mean(w_scales) * 10 ** rng.uniform(-0.5, 2.5)))
    tensors = [
        T((b, n), "INT8", (s_in,), (zp_in,)),
        T((units, n), "INT8", w_scales, (0,) * k, 0, rng.integers(-127, 128, (units, n), dtype=np.int8)),
        T((b, units), "INT8", (s_out,), (int(rng.integers(-128, 128)),)),
    ]
    inputs = [0, 1, -1]
    if rng.random() < 0.7:
        tensors.append(T((units,), "INT32", tuple(s_in * s for s in w_scales), (0,) * k, 0,
                         rng.integers(-20000, 20000, units, dtype=np.int32)))
        inputs[2] = 3
    return OneOp("FULLY_CONNECTED", tensors, inputs, [2], [0], [2], {"act": str(rng.choice(ACTS))})


def pool_case(rng, op: str) -> OneOp:
    h, w, c = int(rng.integers(1, 11)), int(rng.integers(1, 11)), int(rng.integers(1, 6))
    fh, fw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    pad, oh, ow = _geometry(rng, h, w, fh, fw, sh, sw)
    s, zp = _act_in(rng)
    tensors = [T((1, h, w, c), "INT8", (s,), (zp,)), T((1, oh, ow, c), "INT8", (s,), (zp,))]
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "filter_h": fh, "filter_w": fw,
            "act": str(rng.choice(ACTS))}
    return OneOp(op, tensors, [0], [1], [0], [1], opts)


def add_case(rng) -> OneOp:
    rank = int(rng.integers(1, 5))
    a = tuple(int(v) for v in rng.integers(1, 6, rank))
    b = tuple(d if rng.random() < 0.5 else 1 for d in a)
    if rng.random() < 0.3:
        b = b[int(rng.integers(0, rank)):] or (1,)
    if rng.random() < 0.5:
        a, b = b, a
    out = tuple(np.broadcast_shapes(a, b))
    (s1, z1), (s2, z2), (so, zo) = _act_in(rng), _act_in(rng), _act_in(rng)
    tensors = [T(a, "INT8", (s1,), (z1,)), T(b, "INT8", (s2,), (z2,)), T(out, "INT8", (so,), (zo,))]
    return OneOp("ADD", tensors, [0, 1], [2], [0, 1], [2], {"act": str(rng.choice(ACTS))})


def softmax_case(rng) -> OneOp:
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 21)))
    s, zp = _scale(rng, -2, -0.3), int(rng.integers(-128, 128))
    tensors = [T(shape, "INT8", (s,), (zp,)), T(shape, "INT8", (1 / 256,), (-128,))]
    return OneOp("SOFTMAX", tensors, [0], [1], [0], [1], {"beta": float(rng.uniform(0.3, 2.0))})


def quantize_case(rng) -> OneOp:
    shape = (1, int(rng.integers(1, 30)))
    s1, z1 = _act_in(rng)
    s2 = float(np.float32(s1 * 10 ** rng.uniform(-1.5, 1.5)))
    z2 = int(rng.integers(-128, 128))
    if rng.random() < 0.5:
        tensors = [T(shape, "INT8", (s1,), (z1,)), T(shape, "INT8", (s2,), (z2,))]
        return OneOp("QUANTIZE", tensors, [0], [1], [0], [1])
    if rng.random() < 0.5:
        tensors = [T(shape, "FLOAT32"), T(shape, "INT8", (s2,), (z2,))]
        return OneOp("QUANTIZE", tensors, [0], [1], [0], [1])
    tensors = [T(shape, "INT8", (s1,), (z1,)), T(shape, "FLOAT32")]
    return OneOp("DEQUANTIZE", tensors, [0], [1], [0], [1])


def concat_case(rng) -> OneOp:
    rank = int(rng.integers(1, 5))
    base = [int(v) for v in rng.integers(1, 5, rank)]
    axis = int(rng.integers(0, rank))
    n = int(rng.integers(2, 4))
    s, zp = _act_in(rng)
    tensors = []
    total = 0
    for _ in range(n):
        shp = list(base)
        shp[axis] = int(rng.integers(1, 4))
        total += shp[axis]
        tensors.append(T(tuple(shp), "INT8", (s,), (zp,)))
    out = list(base)
    out[axis] = total
    tensors.append(T(tuple(out), "INT8", (s,), (zp,)))
    axis_opt = axis - rank if rng.random() < 0.3 else axis
    return OneOp("CONCATENATION", tensors, list(range(n)), [n], list(range(n)), [n], {"axis": axis_opt})


CASES = (
    [("conv", i) for i in range(10)] + [("dwconv", i) for i in range(8)] + [("fc", i) for i in range(8)]
    + [("avgpool", i) for i in range(6)] + [("maxpool", i) for i in range(5)] + [("add", i) for i in range(8)]
    + [("softmax", i) for i in range(6)] + [("quantize", i) for i in range(6)] + [("concat", i) for i in range(3)]
)
MAKERS = {
    "conv": lambda r: conv_case(r, False), "dwconv": lambda r: conv_case(r, True), "fc": fc_case,
    "avgpool": lambda r: pool_case(r, "AVERAGE_POOL_2D"), "maxpool": lambda r: pool_case(r, "MAX_POOL_2D"),
    "add": add_case, "softmax": softmax_case, "quantize": quantize_case, "concat": concat_case,
}


@pytest.mark.parametrize("kind, i", CASES, ids=[f"{k}{i}" for k, i in CASES])
def test_random_single_op_model_is_bit_exact(kind, i, tmp_path):
    rng = np.random.default_rng(1000 * list(MAKERS).index(kind) + i)
    data = build(MAKERS[kind](rng))
    path = tmp_path / f"{kind}{i}.tflite"
    path.write_bytes(data)
    sources = generate(read_model(path))
    inputs = random_inputs(sources.inputs, SAMPLES, seed=i)
    got = host.run(sources, inputs)
    want = run_tflm(path, sources.inputs, sources.outputs, inputs)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        diff = np.any(g.reshape(SAMPLES, -1).view(np.uint8) != w.reshape(SAMPLES, -1).view(np.uint8), axis=1)
        assert not diff.any(), f"{int(diff.sum())}/{SAMPLES} samples differ from TFLM"


def test_depthwise_without_bias(tmp_path):
    """TFLM segfaults on a bias-less DEPTHWISE_CONV_2D; edgeq-micro runs it, and it equals TFLM
    on the same model with an explicit zero bias. `edgeq run --runtime tflm` fails cleanly."""
    import subprocess
    import sys

    rng = np.random.default_rng(7)
    m = conv_case(rng, True)
    zero_bias = build(m)
    m.tensors[3].data = np.zeros_like(m.tensors[3].data)
    zero_bias = build(m)
    m.inputs[2] = -1
    no_bias = build(m)
    (tmp_path / "zb.tflite").write_bytes(zero_bias)
    (tmp_path / "nb.tflite").write_bytes(no_bias)
    sources = generate(read_model(tmp_path / "nb.tflite"))
    inputs = random_inputs(sources.inputs, SAMPLES, seed=7)
    got = host.run(sources, inputs)[0]
    want = run_tflm(tmp_path / "zb.tflite", sources.inputs, sources.outputs, inputs)[0]
    assert np.array_equal(got, want)
    np.savez(tmp_path / "x.npz", x=inputs[0])
    exe = [sys.executable, "-m", "edgeq.cli"]
    r = subprocess.run([*exe, "run", str(tmp_path / "nb.tflite"), "--target", "host", "--runtime", "tflm",
                        "--input", str(tmp_path / "x.npz"), "-o", str(tmp_path / "o.npz")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
