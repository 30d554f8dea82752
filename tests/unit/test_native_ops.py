"""Host-side quantization maths and support checks of the native op modules."""

from __future__ import annotations

import numpy as np
import pytest

from edgeq.model.ir import Operator, QuantParams, Subgraph, Tensor
from edgeq.ops import REGISTRY, native_support
from edgeq.ops._common import activation_range, pad_before, quantize_multiplier, round_half_away


def test_quantize_multiplier_matches_tflite_definition():
    assert quantize_multiplier(0.0) == (0, 0)
    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(1.0) == (1 << 30, 1)
    assert quantize_multiplier(0.75) == (3 << 29, 0)
    # rounds up to 2^31: renormalized
    assert quantize_multiplier(1.0 - 2.0 ** -40) == (1 << 30, 1)
    # below 2^-32: flushed to zero like TFLite
    assert quantize_multiplier(2.0 ** -40) == (0, 0)
    for real in (0.0123, 3.7e-5, 0.999, 12.5):
        m, s = quantize_multiplier(real)
        assert (1 << 30) <= m < (1 << 31)
        assert abs(m * 2.0 ** (s - 31) - real) <= real * 2.0 ** -30


def test_round_half_away_from_zero():
    assert [round_half_away(v) for v in (0.5, 1.5, 2.5, -0.5, -1.5, 0.49)] == [1, 2, 3, -1, -2, 0]


def _t(i, shape, dtype="INT8", scale=0.05, zp=0, data=None, channels=None):
    q = None
    if dtype in ("INT8", "INT16", "INT32"):
        q = QuantParams((scale,) * (channels or 1), (zp,) * (channels or 1), 0)
    if data is not None:
        data = np.zeros(shape, dtype={"INT8": np.int8, "INT32": np.int32, "FLOAT32": np.float32}[dtype]).tobytes()
    return Tensor(i, f"t{i}", tuple(shape), dtype, q, data)


def _conv(act="NONE", in_type="INT8", w_type="INT8"):
    tensors = (
        _t(0, (1, 8, 8, 3), in_type, zp=-3),
        _t(1, (4, 3, 3, 3), w_type, data=True, channels=4),
        _t(2, (4,), "INT32", data=True, channels=4),
        _t(3, (1, 8, 8, 4), in_type, scale=0.1, zp=5),
    )
    op = Operator(0, "CONV_2D", 3, (0, 1, 2), (3,),
                  {"padding": "SAME", "stride_h": 1, "stride_w": 1, "fused_activation_function": act,
                   "dilation_h_factor": 1, "dilation_w_factor": 1})
    return op, Subgraph("main", tensors, (op,), (0,), (3,))


def test_int8_conv_is_supported_and_prepared():
    op, sg = _conv("RELU6")
    assert native_support(op, sg) is None
    call = REGISTRY["CONV_2D"].prepare(op, sg)
    f = dict(call.fields)
    assert f["input_offset"] == "3" and f["output_offset"] == "5"
    # RELU6 on scale 0.1, zp 5: [0, 6] -> [5, 65]
    assert (f["act_min"], f["act_max"]) == ("5", "65")
    assert f["pad_h"] == "1" and f["multiplier"] == "@mult"


@pytest.mark.parametrize("kwargs, words", [
    ({"in_type": "FLOAT32", "w_type": "FLOAT32"}, "FLOAT32"),
    ({"in_type": "INT16"}, "INT16"),
    ({"act": "TANH"}, "TANH"),
])
def test_unsupported_variants_say_why(kwargs, words):
    op, sg = _conv(**kwargs)
    reason = native_support(op, sg)
    assert reason and words in reason


def test_unknown_op_is_unsupported():
    op = Operator(0, "LOG_SOFTMAX", 1, (0,), (1,))
    sg = Subgraph("main", (_t(0, (1, 4)), _t(1, (1, 4))), (op,), (0,), (1,))
    assert "not implemented" in native_support(op, sg)


def test_activation_range_and_padding():
    out = _t(0, (1,), scale=1 / 64, zp=-10)
    assert activation_range("RELU_N1_TO_1", out) == (-74, 54)
    assert activation_range("RELU", out) == (-10, 127)
    assert pad_before(2, 1, 7, 3, 4) == 1  # SAME, stride 2, 7 -> 4
    assert pad_before(1, 2, 12, 3, 12) == 2  # dilation 2
    assert pad_before(1, 1, 10, 3, 8) == 0  # VALID
