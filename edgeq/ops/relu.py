"""RELU, RELU6 and LEAKY_RELU as standalone ops (int8).

TFLM's RELU requantizes to the output's scale; its RELU6 only clamps the raw input between
the input scale's quantized 0 and 6 (the converter gives input and output one quantization).
"""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    INT_LIMITS, Arg, KernelCall, act_type, check_io, f32, fields, quantize_multiplier, register,
    round_half_away,
)

OPS = ("RELU", "RELU6", "LEAKY_RELU")


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this activation, else why not."""
    reason = check_io(op, sg)
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if x.num_elements != y.num_elements:
        return "input and output sizes differ"
    return None


def _quantize(v: float, t) -> int:
    # FloatToQuantizedType: round(float(v) / float(scale)) + zero point, clamped to the type
    q = round_half_away(float(f32(v) / f32(t.quant.scale[0]))) + int(t.quant.zero_point[0])
    lo, hi = INT_LIMITS[t.dtype]
    return min(max(q, lo), hi)


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's ReluPrepare / Relu6Prepare / CalculateOpDataLeakyRelu compute for int8."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    sx, sy = f32(x.quant.scale[0]), f32(y.quant.scale[0])
    zx, zy = int(x.quant.zero_point[0]), int(y.quant.zero_point[0])
    ctype, suffix = act_type(x)
    io = (Arg(op.inputs[0], ctype), Arg(op.outputs[0], ctype, True))  # all three kernels are elementwise
    if op.name == "RELU6":
        return KernelCall(source="relu.c", function=f"edgeq_relu6_{suffix}", struct_type="edgeq_relu6_params_t",
                          fields=fields(size=x.num_elements, lower=zx, upper=_quantize(6.0, x)), args=io,
                          inplace=(0,))
    if op.name == "RELU":
        m, s = quantize_multiplier(float(sx / sy))
        lo, hi = INT_LIMITS[y.dtype]
        return KernelCall(source="relu.c", function=f"edgeq_relu_{suffix}", struct_type="edgeq_relu_params_t",
                          fields=fields(size=x.num_elements, input_offset=zx, output_offset=zy,
                                        multiplier=m, shift=s, act_min=max(lo, zy), act_max=hi),
                          args=io, inplace=(0,))
    alpha = f32(op.options.get("alpha", 0.0))
    ma, sa = quantize_multiplier(float(sx * alpha / sy))
    mi, si = quantize_multiplier(float(sx / sy))
    return KernelCall(source="leaky_relu.c", function=f"edgeq_leaky_relu_{suffix}",
                      struct_type="edgeq_leaky_relu_params_t",
                      fields=fields(size=x.num_elements, input_offset=zx, output_offset=zy,
                                    multiplier_identity=mi, shift_identity=si,
                                    multiplier_alpha=ma, shift_alpha=sa),
                      args=io, inplace=(0,))


register(__name__, OPS)
