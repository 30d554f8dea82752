"""Concatenation by placement is bit-exact: producers write straight into their slice of a
CONCATENATION's output (contiguous slices: any producer; interleaved channel slices:
CONV_2D at an output pixel stride) and the concatenation copies only what is not in place.

The converter-made models in tests/golden/models/concat_*.tflite (run vs TFLM by
test_golden.py) must be placed as designed; random builder-made graphs mix what placement
must refuse or handle (inputs read again after the concatenation, nested concatenations,
graph inputs and duplicated inputs among the concatenated ones, a concatenation that is the
graph output, requantized branches that may run in place) and run vs TFLM, int8 and int16x8.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgeq.codegen.native.emit import generate, plan_model
from edgeq.model.reader import read_model
from golden_helpers import GOLDEN_MODELS, assert_bit_exact, private_build_cache
from tflite_builder import Op, T, build_graph

__all__ = ["private_build_cache"]  # the autouse fixture, imported

SAMPLES = 100


def _plan(name: str, **kw):
    return plan_model(read_model(GOLDEN_MODELS / f"{name}.tflite"), **kw)


def _concats(mp):
    """Call position -> (op index, inputs placed by it, number of inputs) of each concatenation."""
    out = {}
    for k, (index, name, _call) in enumerate(mp.calls):
        if name == "CONCATENATION":
            op = mp.plan_ops[k]
            placed = [t for t in op.inputs if (p := mp.mem.placed.get(mp.mem.roots[t])) is not None and p.op == k]
            out[k] = (index, placed, len(op.inputs))
    return out


# name -> (concatenations with every input placed, with some, with none)
EXPECTED = {
    "concat_dense_branches": (1, 0, 0),
    "concat_second_consumer": (2, 0, 0),  # nested, and an input read again afterwards
    "concat_nested_mul": (2, 0, 0),
    "concat_graph_output": (1, 0, 0),     # placed in the caller's output buffer
    "concat_flatten_conv": (1, 0, 0),     # views (RESHAPE) of the placed convolution outputs
    "concat_fire_module": (2, 0, 0),      # channel slices written at a pixel stride
    "i16_concat_dense_branches": (1, 0, 0),
    "i16_concat_fire_module": (0, 2, 0),  # a requantized branch (QUANTIZE) is copied
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_concatenations_are_placed(name):
    mp = _plan(name)
    flat = _plan(name, placement=False)
    concats = _concats(mp).values()
    full = sum(1 for _i, placed, n in concats if len(placed) == n)
    some = sum(1 for _i, placed, n in concats if 0 < len(placed) < n)
    assert (full, some, len(concats) - full - some) == EXPECTED[name]
    assert mp.no_kernel == {k for k, (_i, placed, n) in _concats(mp).items() if len(placed) == n}
    assert mp.mem.arena_size < flat.mem.arena_size, "placement should shrink these arenas"
    assert not flat.mem.placed and not flat.no_kernel
    sources = generate(read_model(GOLDEN_MODELS / f"{name}.tflite"))
    calls = sources.files["edgeq_model.c"].count("edgeq_concatenation_s8(&")
    assert calls == len(concats) - full


def test_channel_slices_are_written_at_the_concatenation_pixel_stride():
    mp = _plan("concat_fire_module")
    strides = {index: dict(call.fields)["out_stride"] for index, name, call in mp.calls if name == "CONV_2D"}
    # the expand convolutions (6 + 7 and 5 + 6 channels) write at the concatenated depth
    assert [strides[i] for i in (2, 3, 7, 8)] == ["13", "13", "11", "11"]
    assert strides[0] == "8" and strides[1] == "4"  # the others keep their own depth


def test_graph_output_concatenation_writes_into_the_caller_buffer():
    src = generate(read_model(GOLDEN_MODELS / "concat_graph_output.tflite")).files["edgeq_model.c"]
    assert "(int8_t *)(void *)out[0]);" in src and "((uint8_t *)out[0] + 6)" in src
    assert "edgeq_concatenation_s8(&" not in src


def test_variants_place_only_aligned_slices_and_never_interleave():
    model = read_model(GOLDEN_MODELS / "concat_fire_module.tflite")
    mp = plan_model(model, variants={"CONV_2D": "conv_2d.c"})
    assert all(p.offset % 16 == 0 for p in mp.mem.placed.values())
    assert all(dict(call.fields)["out_stride"] == dict(call.fields)["out_c"]
               for _i, name, call in mp.calls if name == "CONV_2D")


# ---- random graphs built with the schema module ------------------------------------------------

def _scale(rng, lo, hi) -> float:
    return float(np.float32(10 ** rng.uniform(lo, hi)))


class _Graph:
    """Tensors and ops of a graph under construction, all activations of one type."""

    def __init__(self, rng, int16: bool):
        self.rng, self.int16 = rng, int16
        self.dtype = "INT16" if int16 else "INT8"
        self.tensors: list[T] = []
        self.ops: list[Op] = []

    def act(self, shape, scale=None, zp=None) -> int:
        scale = scale if scale is not None else _scale(self.rng, -2.5, -0.5) / (256 if self.int16 else 1)
        zp = 0 if self.int16 else (zp if zp is not None else int(self.rng.integers(-100, 100)))
        self.tensors.append(T(tuple(shape or ()), self.dtype, (scale,), (zp,)))
        return len(self.tensors) - 1

    def const(self, data, scales=None, qdim=0) -> int:
        dtype = {np.int8: "INT8", np.int32: "INT32", np.int64: "INT64"}[data.dtype.type]
        self.tensors.append(T(data.shape, dtype, scales, (0,) * len(scales) if scales else None, qdim, data))
        return len(self.tensors) - 1

    def _weighted(self, x, out, wshape, k):
        """Weights, bias and the output quantization that keeps outputs in range."""
        rng, xs = self.rng, self.tensors[x].scale[0]
        n = wshape[0]
        ws = tuple(_scale(rng, -2.5, -1.5) for _ in range(n))
        w = self.const(rng.integers(-127, 128, wshape, dtype=np.int8), ws)
        if self.int16:
            bias = self.const(rng.integers(-2 ** 20, 2 ** 20, n).astype(np.int64), tuple(xs * s for s in ws))
        else:
            bias = self.const(rng.integers(-3000, 3000, n, dtype=np.int32), tuple(xs * s for s in ws))
        if out is None:  # a graph output: its own scale
            spread = np.sqrt(k) * (32768 if self.int16 else 128) * 127 / 3
            out = self.act(None, float(np.float32(xs * np.mean(ws) * spread / (6000 if self.int16 else 60))))
        return w, bias, out

    def conv(self, x, cout, k, out=None) -> int:
        _, h, wd, cin = self.tensors[x].shape
        w, b, out = self._weighted(x, out, (cout, k, k, cin), k * k * cin)
        self.tensors[out].shape = (1, h, wd, cout)
        self.ops.append(Op("CONV_2D", [x, w, b], [out], {
            "padding": "SAME", "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
            "act": str(self.rng.choice(["NONE", "RELU"]))}))
        return out

    def fc(self, x, units, out=None) -> int:
        n = self.tensors[x].shape[-1]
        w, b, out = self._weighted(x, out, (units, n), n)
        self.tensors[out].shape = (1, units)
        self.ops.append(Op("FULLY_CONNECTED", [x, w, b], [out], {"act": str(self.rng.choice(["NONE", "RELU"]))}))
        return out


def placement_case(rng, int16: bool) -> tuple[bytes, dict]:
    """Branches (convolutions concatenated on channels, or fully connected layers on axis 1)
    written into one output scale, and around them what placement must handle."""
    g = _Graph(rng, int16)
    channels = bool(rng.integers(0, 2))
    cscale = _scale(rng, -1.5, -0.5) / (256 if int16 else 1)
    czp = int(rng.integers(-50, 50))
    h, w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    feats = dict(channels=channels, shared_input=rng.random() < 0.25, duplicate=rng.random() < 0.2,
                 second_reader=rng.random() < 0.4, nested=rng.random() < 0.3, output=rng.random() < 0.3,
                 requantize=rng.random() < 0.3)
    # the graph input is quantized like the concatenation when it is concatenated itself
    shape = (1, h, w, int(rng.integers(1, 5))) if channels else (1, int(rng.integers(4, 30)))
    x = g.act(shape, cscale if feats["shared_input"] else None, czp)

    def branch() -> int:
        size = int(rng.integers(1, 7)) if channels else int(rng.integers(1, 24))
        out = g.act(None, cscale, czp)
        if feats["requantize"] and rng.random() < 0.5:  # another scale, then QUANTIZE into the shared one
            y = g.conv(x, size, int(rng.choice([1, 3]))) if channels else g.fc(x, size)
            g.tensors[out].shape = g.tensors[y].shape
            g.ops.append(Op("QUANTIZE", [y], [out]))
            return out
        return g.conv(x, size, int(rng.choice([1, 3])), out) if channels else g.fc(x, size, out)

    axis = 3 if channels else 1
    ins = [branch() for _ in range(int(rng.integers(2, 4)))]
    if feats["shared_input"]:
        ins.insert(int(rng.integers(0, len(ins) + 1)), x)
    if feats["duplicate"]:
        ins.append(ins[0])

    def concat(parts) -> int:
        y = g.act(None, cscale, czp)
        shape = list(g.tensors[parts[0]].shape)
        shape[axis] = sum(g.tensors[p].shape[axis] for p in parts)
        g.tensors[y].shape = tuple(shape)
        g.ops.append(Op("CONCATENATION", parts, [y], {"axis": axis if rng.random() < 0.5 else axis - len(shape)}))
        return y

    y = concat(ins)
    if feats["nested"]:
        y = concat([branch(), y] if rng.random() < 0.5 else [y, branch()])
    outputs = [y] if feats["output"] else [g.conv(y, 3, 1) if channels else g.fc(y, 5)]
    if feats["second_reader"]:  # a concatenated branch read again after the concatenation
        a = ins[-1] if ins[-1] != x else ins[0]
        outputs.append(g.conv(a, 2, 1) if channels else g.fc(a, 4))
    return build_graph(g.tensors, g.ops, [x], outputs), feats


CASES = [(int16, i) for int16 in (False, True) for i in range(24 if not int16 else 12)]


@pytest.mark.parametrize("int16, i", CASES, ids=[f"{'i16' if a else 'i8'}_{i}" for a, i in CASES])
def test_random_placement_is_bit_exact(int16, i, tmp_path):
    rng = np.random.default_rng(9000 + 100 * int16 + i)
    data, feats = placement_case(rng, int16)
    path = tmp_path / f"placement{i}.tflite"
    path.write_bytes(data)
    model = read_model(path)
    mp, flat = plan_model(model), plan_model(model, placement=False)
    assert mp.mem.arena_size <= flat.mem.arena_size
    assert_bit_exact(path, generate(model), seed=i, varied=True, context=feats)


def test_random_cases_place_most_concatenations(tmp_path):
    """The random graphs are not all refusals: most concatenations place an input, and
    interleaved (channel) placement happens too."""
    placed = channel = 0
    for int16, i in CASES:
        rng = np.random.default_rng(9000 + 100 * int16 + i)
        data, feats = placement_case(rng, int16)
        p = tmp_path / "m.tflite"
        p.write_bytes(data)
        mp = plan_model(read_model(p))
        placed += bool(mp.mem.placed)
        channel += bool(mp.mem.placed) and feats["channels"]
    assert placed >= 0.6 * len(CASES) and channel >= 0.2 * len(CASES), (placed, channel)
