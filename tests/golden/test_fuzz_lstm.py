"""UNIDIRECTIONAL_SEQUENCE_LSTM (issue 18): random single-op int8 and int16x8 LSTMs built
without TensorFlow, bit-exact with TFLM over 100 invocations with the state carried from one
to the next (the hidden and cell state are variable tensors, as the converter writes them),
and with the state cleared before each; the TFLM example's mnist_lstm over its samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeq.codegen.native.emit import generate
from edgeq.harness.hostrun import run_tflm
from edgeq.harness.runners import host
from edgeq.model.reader import read_model
from edgeq.ops import native_support
from golden_helpers import FIXTURES, LSTM_FIXTURE, assert_bit_exact, private_build_cache, random_inputs
from tflite_builder import OneOp, T, build

__all__ = ["private_build_cache"]  # the autouse fixture, imported


def _s(rng, lo, hi) -> float:
    return float(np.float32(10 ** rng.uniform(lo, hi)))


def lstm_case(rng, int16: bool = False, **over) -> OneOp:
    """A random LSTM: batch 1-3, 1-8 steps, 1-12 inputs and units, time major or not, with
    or without cell clipping; scales that keep the gates off saturation most of the time
    (sums of a few real units), random zero points (int8), a cell scale of 2^-10..2^-13 or
    not a power of two."""
    b, steps, n_in, units = (int(rng.integers(1, 4)), int(rng.integers(1, 9)), int(rng.integers(1, 13)),
                             int(rng.integers(1, 13)))
    major = bool(rng.integers(0, 2))
    b, steps, n_in, units, major = (over.get(k, v) for k, v in
                                    (("b", b), ("steps", steps), ("n_in", n_in), ("units", units), ("major", major)))
    act, qmax = ("INT16", 32767) if int16 else ("INT8", 127)
    zp = (lambda: 0) if int16 else (lambda: int(rng.integers(-40, 41)))
    sx, zx = _s(rng, -1.5, 0.3) / qmax, zp()
    sh, zh = float(np.float32(rng.uniform(0.8, 1.3) / qmax)), zp()
    cell_scale = float(np.float32(2.0 ** -int(rng.integers(10, 14)) * (1.0 if rng.integers(0, 3) else rng.uniform(0.8, 1.2))))
    tensors = [T((steps, b, n_in) if major else (b, steps, n_in), act, (sx,), (zx,))]
    slots = {0: 0}
    scales = []
    for k in range(8):  # input-to-gate, then recurrent-to-gate weights
        depth, s_in = (n_in, sx) if k < 4 else (units, sh)
        # a sum of `depth` products of about one real unit each, over sqrt(depth)
        ws = float(np.float32(10 ** rng.uniform(-0.5, 0.4) / (s_in * qmax * 60 * np.sqrt(depth))))
        scales.append(ws)
        slots[1 + k] = len(tensors)
        tensors.append(T((units, depth), "INT8", (ws,), (0,), data=rng.integers(-127, 128, (units, depth), dtype=np.int8)))
    btype, bnp = ("INT64", np.int64) if int16 else ("INT32", np.int32)
    for k in range(4):  # biases of up to 1.5 real units, on the input layer's accumulator scale
        slots[12 + k] = len(tensors)
        bias = np.round(rng.uniform(-1.5, 1.5, units) / (sx * scales[k]))
        tensors.append(T((units,), btype, (sx * scales[k],), (0,), data=bias.astype(bnp)))
    slots[18] = len(tensors)
    tensors.append(T((b, units), act, (sh,), (zh,), variable=True))
    slots[19] = len(tensors)
    tensors.append(T((b, units), "INT16", (cell_scale,), (0,), variable=True))
    out = len(tensors)
    tensors.append(T((steps, b, units) if major else (b, steps, units), act, (sh,), (zh,)))
    clip = float(rng.choice([0.0, 0.0, rng.uniform(1.0, 6.0)]))
    return OneOp("UNIDIRECTIONAL_SEQUENCE_LSTM", tensors, [slots.get(i, -1) for i in range(24)], [out], [0], [out],
                 {"cell_clip": clip, "time_major": major})


CASES = [("int8", i) for i in range(12)] + [("int16", i) for i in range(4)]


def _model(tmp_path: Path, kind: str, i: int, **over) -> Path:
    path = tmp_path / f"lstm_{kind}{i}.tflite"
    path.write_bytes(build(lstm_case(np.random.default_rng(7000 + 100 * (kind == "int16") + i), kind == "int16",
                                     **over)))
    return path


@pytest.mark.parametrize("kind, i", CASES, ids=[f"{k}_{i}" for k, i in CASES])
def test_lstm_bit_exact_with_state_carried(kind, i, tmp_path):
    """100 invocations in a row, each starting from the state the previous one left."""
    path = _model(tmp_path, kind, i)
    sources = generate(read_model(path))
    assert sources.state_bytes > 0
    assert_bit_exact(path, sources, seed=i, varied=True)


@pytest.mark.parametrize("i", range(12))
def test_fast_lstm_bit_exact(i, tmp_path):
    """The int8 fast variant (lstm_fast.h, the portable C form of edgeq_gemm.h) on the same
    cases: the same bytes as TFLM."""
    path = _model(tmp_path, "int8", i)
    sources = generate(read_model(path), features=())
    assert "lstm_fast.h" in sources.files and "edgeq_lstm.h" in sources.files
    assert_bit_exact(path, sources, seed=i, varied=True)


@pytest.mark.parametrize("kind, i", [("int8", 20), ("int8", 21), ("int16", 20)])
def test_lstm_state_reset_before_each_sample(kind, i, tmp_path):
    """With the state cleared before each sample, both runtimes agree again, and the outputs
    differ from the carried run: the state really carries (and is really cleared)."""
    path = _model(tmp_path, kind, i, b=2, steps=3, units=6)
    sources = generate(read_model(path))
    xs = random_inputs(sources.inputs, 40, seed=i)
    fresh = host.run(sources, xs, reset_state=True)[0]
    assert np.array_equal(fresh, run_tflm(path, sources.inputs, sources.outputs, xs, reset_state=True)[0])
    carried = host.run(sources, xs)[0]
    assert np.array_equal(fresh[0], carried[0])  # the first sample starts from the cleared state either way
    assert not np.array_equal(fresh[1:], carried[1:])
    # the same input twice from a cleared state: the same output
    twice = host.run(sources, [np.repeat(xs[0][:1], 2, axis=0)], reset_state=True)[0]
    assert np.array_equal(twice[0], twice[1])


def test_mnist_lstm_fixture_classifies_its_samples():
    """TFLM's example model over its 10 samples (digit i in sample i), each from a cleared
    state as the example's evaluate.py runs them: the same bytes as TFLM, and the digits."""
    from PIL import Image

    from edgeq.harness.oracle import quantize_input

    path = FIXTURES / LSTM_FIXTURE
    sources = generate(read_model(path))
    pixels = np.stack([np.asarray(Image.open(FIXTURES / "mnist_lstm" / "samples" / f"sample{i}.png"), np.float32)
                       for i in range(10)])
    spec = sources.inputs[0]
    x = quantize_input(pixels / 255.0, np.int8, spec.scale, spec.zero_point)
    got = host.run(sources, [x], reset_state=True)[0]
    want = run_tflm(path, sources.inputs, sources.outputs, [x], reset_state=True)[0]
    assert np.array_equal(got, want)
    assert (got.argmax(axis=1) == np.arange(10)).sum() >= 9
    assert_bit_exact(path, sources, seed=3)  # and 100 random images, state carried


def _variant(tmp_path: Path, change) -> str | None:
    m = lstm_case(np.random.default_rng(1), b=1, steps=2, units=3)
    change(m)
    path = tmp_path / "v.tflite"
    path.write_bytes(build(m))
    sg = read_model(path).main
    return native_support(sg.operators[0], sg)


def test_lstm_variants_tflm_does_not_run_are_refused(tmp_path):
    def peephole(m):
        m.tensors.append(T((3,), "INT16", (1e-3,), (0,), data=np.ones(3, np.int16)))
        m.inputs[9] = len(m.tensors) - 1

    def cifg(m):
        m.inputs[1] = -1

    def int8_cell(m):
        m.tensors[m.inputs[19]].dtype = "INT8"

    def not_variable(m):
        m.tensors[m.inputs[18]].variable = False

    assert "peephole" in _variant(tmp_path, peephole)
    assert "CIFG" in _variant(tmp_path, cifg)
    assert "cell state INT8" in _variant(tmp_path, int8_cell)
    assert "variable" in _variant(tmp_path, not_variable)
    assert _variant(tmp_path, lambda m: None) is None
