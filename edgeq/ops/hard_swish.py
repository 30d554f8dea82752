"""HARD_SWISH (int8): TFLM's int16 fixed-point reference arithmetic."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, check_io_int8, f32, fields, quantize_multiplier, register,
)

OPS = ("HARD_SWISH",)
SOURCE = "hard_swish.c"


def _downscale_to_int16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier: round a Q0.31 multiplier to Q0.15."""
    if m >= (1 << 31) - 1 - (1 << 15):
        return (1 << 15) - 1
    return (m + (1 << 15)) >> 16


def _params(in_scale, out_scale):
    # float arithmetic as in HardSwishPrepare, then QuantizeMultiplier in double
    hires = f32(1.0 / 128.0) * f32(in_scale)
    reluish_scale = f32(3.0) / f32(32768.0)
    om, oe = quantize_multiplier(float(hires / f32(out_scale)))
    rm, re = quantize_multiplier(float(hires / reluish_scale))
    return _downscale_to_int16(om), oe, _downscale_to_int16(rm), re


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this HARD_SWISH, else why not."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if x is not None and x.dtype != "INT8":
        return f"HARD_SWISH on {x.dtype}: TFLM's quantized HARD_SWISH is int8 only"
    reason = check_io_int8(op, sg)
    if reason:
        return reason
    if x.num_elements != y.num_elements:
        return "input and output sizes differ"
    om, oe, rm, re = _params(x.quant.scale[0], y.quant.scale[0])
    if oe > 0:
        return "output scale too small for TFLM's int8 HARD_SWISH (it requires a right shift)"
    if om < 0 or rm < 0 or re > 15:
        return "scales outside the range TFLM's int8 HARD_SWISH handles"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's HardSwishPrepare computes for int8."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    om, oe, rm, re = _params(x.quant.scale[0], y.quant.scale[0])
    return KernelCall(
        source=SOURCE,
        function="edgeq_hard_swish_s8",
        struct_type="edgeq_hard_swish_params_t",
        fields=fields(size=x.num_elements, input_zero_point=x.quant.zero_point[0],
                      output_zero_point=y.quant.zero_point[0], output_multiplier_exponent=oe,
                      reluish_multiplier_exponent=re, output_multiplier_fixedpoint_int16=om,
                      reluish_multiplier_fixedpoint_int16=rm),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
        inplace=(0,),  # elementwise
    )


register(__name__, OPS)
