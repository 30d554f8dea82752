"""Fuzz: single-op int8 SVDF models with random shapes, ranks, memory sizes and scales, built
without TensorFlow, bit-exact vs TFLM over 100 invokes with the activation state carried
from one invoke to the next (and with it reset before each one).

TFLM's Prepare crashes without a bias tensor, so bias-free models are checked against TFLM
running the same model with a zero bias.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from edgeq.codegen.native.emit import generate
from edgeq.errors import UnsupportedOpError
from edgeq.harness.hostrun import run_tflm
from edgeq.harness.runners import host
from edgeq.model.reader import read_model
from edgeq.ops import native_support
from edgeq.ops.svdf import _multipliers
from golden_helpers import assert_bit_exact, private_build_cache, random_inputs
from tflite_builder import OneOp, T, build

__all__ = ["private_build_cache"]  # the autouse fixture, imported

SAMPLES = 100
CASES = 16


def _scale(rng, lo, hi) -> float:
    return float(np.float32(10 ** rng.uniform(lo, hi)))


def svdf_case(rng, *, allow_no_bias: bool = False, time_dtype: str | None = None,
              min_memory: int = 1) -> OneOp:
    """An int8 SVDF: batch 1..3, input size 1..12, 1..6 units, rank 1..3, memory 1..10 (at
    least ``min_memory``); int16 or int8 (``time_dtype``, else random) time weights and
    state, the state's zero point sometimes nonzero; random input and output zero points;
    effective scales from well below 1 to above 1 (state and output scales set around the
    typical accumulator, times a random factor); act NONE / RELU / RELU6 (TFLM's integer
    SVDF ignores it). Every case runs in TFLM (it has a bias) unless ``allow_no_bias``:
    then about a third have none (input 3 is -1; see :func:`zero_bias_twin`)."""
    batch, n_in = int(rng.integers(1, 4)), int(rng.integers(1, 13))
    units, rank = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    memory = 1 if (min_memory <= 1 and rng.random() < 0.15) else int(rng.integers(max(min_memory, 2), 11))
    filters = units * rank
    wide = (time_dtype or ("INT16" if rng.random() < 0.7 else "INT8")) == "INT16"
    s_lim = 32767 if wide else 127
    s_in, zp_in = _scale(rng, -2.5, -0.5), int(rng.integers(-128, 128))
    s_wf = _scale(rng, -3, -1.3)
    wf = rng.integers(-127, 128, (filters, n_in), dtype=np.int8)
    # state scale: effective scale 1 puts a typical feature sum at a random fraction of the
    # state's range (from ~1/100 to saturating); tiny sums give multipliers above 1
    acc1 = np.sqrt(n_in) * 73.0 * 74.0
    spread1 = 10 ** rng.uniform(-2.0, 1.0)
    s_st = float(np.float32(s_in * s_wf / (s_lim / (3 * acc1) * spread1)))
    zp_st = (int(rng.integers(-128, 128)) if not wide else
             (int(rng.integers(-2000, 2001)) if rng.random() < 0.3 else 0))
    amp = min(s_lim, int(10 ** rng.uniform(0.0, 4.6 if wide else 2.2)))
    wt = rng.integers(-amp, amp + 1, (filters, memory)).astype(np.int16 if wide else np.int8)
    s_wt = _scale(rng, -4, -2)
    s_bias = float(np.float32(np.float32(s_st) * np.float32(s_wt)))
    # output scale: the same for the typical time sum (the state's typical size from above)
    acc2 = np.sqrt(rank * memory) * min(s_lim, s_lim / 3 * spread1) * (amp / 1.7) + 1.0
    bias = rng.integers(-int(acc2), int(acc2) + 1, units).astype(np.int32)
    s_out = float(np.float32(s_st * s_wt / (128 / (3 * acc2) * 10 ** rng.uniform(-1.3, 0.8))))
    zp_out = int(rng.integers(-128, 128))
    act = str(rng.choice(["NONE", "RELU", "RELU6"]))
    drop_bias = bool(rng.random() < 0.35)
    wdt = "INT16" if wide else "INT8"
    tensors = [
        T((batch, n_in), "INT8", (s_in,), (zp_in,)),                                  # 0 input
        T((filters, n_in), "INT8", (s_wf,), (0,), data=wf),                           # 1 weights_feature
        T((filters, memory), wdt, (s_wt,), (0,), data=wt),                            # 2 weights_time
        T((units,), "INT32", (s_bias,), (0,), data=bias),                             # 3 bias
        T((batch, memory * filters), wdt, (s_st,), (zp_st,), variable=True),          # 4 state
        T((batch, units), "INT8", (s_out,), (zp_out,)),                               # 5 output
    ]
    inputs = [0, 1, 2, -1 if (allow_no_bias and drop_bias) else 3, 4]
    return OneOp("SVDF", tensors, inputs, [5], [0], [5], {"rank": rank, "act": act})


def zero_bias_twin(m: OneOp) -> OneOp:
    """The model TFLM can run for a bias-free ``m``: the same with an all-zero bias."""
    twin = copy.deepcopy(m)
    if twin.inputs[3] < 0:
        twin.inputs[3] = 3
        twin.tensors[3].data = np.zeros_like(twin.tensors[3].data)
    return twin


def _write(tmp_path, name: str, m: OneOp):
    """(edgeq's model path, TFLM's model path): different only for a bias-free model."""
    ours = tmp_path / f"{name}.tflite"
    ours.write_bytes(build(m))
    if m.inputs[3] >= 0:
        return ours, ours
    theirs = tmp_path / f"{name}_zero_bias.tflite"
    theirs.write_bytes(build(zero_bias_twin(m)))
    return ours, theirs


def _case(i: int) -> OneOp:
    """Case i of the parametrized test: every fourth one with int8 time weights and state."""
    return svdf_case(np.random.default_rng(4200 + i), allow_no_bias=True, time_dtype="INT8" if i % 4 == 3 else None)


@pytest.mark.parametrize("i", range(CASES))
def test_random_svdf_is_bit_exact(i, tmp_path):
    """100 invokes in one process against 100 invokes of one TFLM interpreter: the state
    carries in both, so every output after the first depends on the whole history."""
    m = _case(i)
    ours, theirs = _write(tmp_path, f"svdf{i}", m)
    assert_bit_exact(theirs, generate(read_model(ours)), seed=i, varied=True,
                     context=f"{m.tensors[2].dtype} time weights, rank {m.options['rank']}, "
                             f"bias {'yes' if m.inputs[3] >= 0 else 'no'}")


def test_cases_cover_the_variants(tmp_path):
    """The parametrized cases above include both state types, bias-free models, every rank,
    batches > 1, memory sizes > 1 and multipliers above 1 and well below."""
    seen = set()
    for i in range(CASES):
        m = _case(i)
        path = tmp_path / f"c{i}.tflite"
        path.write_bytes(build(m))
        sg = read_model(path).main
        (_, s1), (_, s2) = _multipliers(sg.operators[0], sg)
        seen |= {m.tensors[2].dtype, "bias" if m.inputs[3] >= 0 else "nobias", f"rank{m.options['rank']}",
                 "batch>1" if m.tensors[0].shape[0] > 1 else "batch1", "mem>1" if m.tensors[2].shape[1] > 1 else "mem1"}
        seen |= {f"shift{k}>0" for k, s in ((1, s1), (2, s2)) if s > 0}
        seen |= {f"shift{k}<-10" for k, s in ((1, s1), (2, s2)) if s < -10}
    want = {"INT16", "INT8", "bias", "nobias", "rank1", "rank2", "rank3", "batch>1", "mem>1",
            "shift1>0", "shift1<-10", "shift2<-10"}
    assert want <= seen, sorted(want - seen)


def test_svdf_prepare_scales_are_doubles(tmp_path):
    """The oracle computes the effective scales in double from the float scales. Here scale 1
    is exactly 0.5 in float arithmetic but a little above 0.5 in double, so the negative odd
    feature sums (ties) round away from zero only with the double multiplier."""
    rng = np.random.default_rng(21)
    m = svdf_case(rng, time_dtype="INT16", min_memory=4)
    x, st = np.float32(m.tensors[0].scale[0]), np.float32(m.tensors[4].scale[0])
    wf = np.float32(st / x * 0.5)
    while not (float(x * wf / st) == 0.5 and float(x) * float(wf) / float(st) != 0.5):
        wf = np.nextafter(wf, np.float32(1))
    m.tensors[1].scale = (float(wf),)
    m.tensors[4].zero_point = (0,)
    ours, theirs = _write(tmp_path, "svdf_double", m)
    sg = read_model(ours).main
    assert _multipliers(sg.operators[0], sg)[0] != (1 << 30, 0)  # not the float path's 0.5
    assert_bit_exact(theirs, generate(read_model(ours)), seed=4, varied=True)


def test_svdf_int32_sums_wrap(tmp_path):
    """Full-scale int16 time weights over a saturated int16 history (memory 10, rank 3): the
    time sums pass 2^31 and wrap, as TFLM's int32 arithmetic does; the state's zero point
    pushes the saturated feature values past int16 too (a wrapping store)."""
    rng = np.random.default_rng(11)
    m = svdf_case(rng, time_dtype="INT16", min_memory=10)
    m.options["rank"] = 3
    units, n_in = 2, 6
    filters = units * 3
    m.tensors[0].shape = (1, n_in)
    m.tensors[1].shape, m.tensors[1].data = (filters, n_in), rng.integers(-127, 128, (filters, n_in), dtype=np.int8)
    m.tensors[1].scale = (float(np.float32(m.tensors[4].scale[0] / m.tensors[0].scale[0] * 0.5)),)  # saturates
    m.tensors[2].shape = (filters, 10)
    m.tensors[2].data = np.where(rng.random((filters, 10)) < 0.9, 32767, -32768).astype(np.int16)
    m.tensors[3].shape, m.tensors[3].data = (units,), rng.integers(-2**30, 2**30, units, dtype=np.int32)
    m.tensors[4].shape, m.tensors[4].zero_point = (1, 10 * filters), (-1500,)
    m.tensors[5].shape = (1, units)
    m.tensors[5].scale = (float(np.float32(m.tensors[3].scale[0] * 2**24)),)
    ours, theirs = _write(tmp_path, "svdf_wrap", m)
    want = assert_bit_exact(theirs, generate(read_model(ours)), seed=3, varied=True)
    assert len(np.unique(want)) > 20


@pytest.mark.parametrize("time_dtype", ["INT16", "INT8"])
def test_svdf_state_reset_before_each_sample(time_dtype, tmp_path):
    """edgeq_reset() before each sample equals TFLM's reset() before each invoke (the int8
    state resets to its zero point, the int16 one to 0), and differs from the carried run:
    the state really carries over between invokes."""
    rng = np.random.default_rng(77 if time_dtype == "INT16" else 78)
    m = svdf_case(rng, time_dtype=time_dtype, min_memory=3)
    if time_dtype == "INT8":
        m.tensors[4].zero_point = (int(rng.integers(20, 100)),)  # a nonzero reset value
    ours, theirs = _write(tmp_path, "svdf_reset", m)
    sources = generate(read_model(ours))
    inputs = random_inputs(sources.inputs, SAMPLES, seed=5)
    got_reset = host.run(sources, inputs, reset_state=True)[0]
    want_reset = run_tflm(theirs, sources.inputs, sources.outputs, inputs, reset_state=True)[0]
    assert np.array_equal(got_reset, want_reset)
    got_carried = host.run(sources, inputs)[0]
    want_carried = run_tflm(theirs, sources.inputs, sources.outputs, inputs)[0]
    assert np.array_equal(got_carried, want_carried)
    assert np.array_equal(got_reset[0], got_carried[0])  # the first invoke starts from a reset state
    assert not np.array_equal(got_reset, got_carried), "the state does not carry between invokes"
    assert len(np.unique(got_reset.reshape(SAMPLES, -1), axis=0)) > 1


def _float_svdf() -> OneOp:
    rng = np.random.default_rng(3)
    tensors = [T((1, 4), "FLOAT32"), T((6, 4), "FLOAT32", data=rng.standard_normal((6, 4)).astype(np.float32)),
               T((6, 5), "FLOAT32", data=rng.standard_normal((6, 5)).astype(np.float32)),
               T((3,), "FLOAT32", data=np.zeros(3, np.float32)), T((1, 30), "FLOAT32", variable=True),
               T((1, 3), "FLOAT32")]
    return OneOp("SVDF", tensors, [0, 1, 2, 3, 4], [5], [0], [5], {"rank": 2, "act": "NONE"})


def _refused(tmp_path, m: OneOp) -> str | None:
    path = tmp_path / "refused.tflite"
    path.write_bytes(build(m))
    model = read_model(path)
    reason = native_support(model.main.operators[0], model.main)
    if reason is not None:
        with pytest.raises(UnsupportedOpError):
            generate(model)
    return reason


def test_unsupported_svdf_variants_are_refused(tmp_path):
    assert _refused(tmp_path, _float_svdf()) == "float SVDF (edgeq-micro runs int8 only)"
    m = svdf_case(np.random.default_rng(1), time_dtype="INT8")
    m.tensors[4].dtype = "INT16"  # TFLM would read this int16 state as int8
    assert "activation state INT16 with INT8 time weights" in _refused(tmp_path, m)
    m = svdf_case(np.random.default_rng(1))
    m.tensors[3].scale = (m.tensors[3].scale[0] * 2 + 1e-4,)  # TFLM's Prepare refuses it
    assert "bias scale" in _refused(tmp_path, m)
    m = svdf_case(np.random.default_rng(1))
    m.tensors[4].variable = False
    assert _refused(tmp_path, m) == "activation state is not a variable tensor"
    assert _refused(tmp_path, svdf_case(np.random.default_rng(1))) is None
