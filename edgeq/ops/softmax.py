"""SOFTMAX (int8 in, int8 out with scale 1/256 and zero point -128, as TFLM requires)."""

from __future__ import annotations

import math
import sys

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import Arg, KernelCall, check_io_int8, f32, fields, quantize_multiplier

OPS = ("SOFTMAX",)
SOURCE = "softmax.c"
SCALED_DIFF_INTEGER_BITS = 5


def _beta_multiplier(beta: float, input_scale: float) -> float:
    # PreprocessSoftmaxScaling: double(beta) * double(scale) * 2^(31 - 5), capped
    return min(float(f32(beta)) * float(f32(input_scale)) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)),
               float((1 << 31) - 1))


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this SOFTMAX, else why not."""
    reason = check_io_int8(op, sg)
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if y.quant.zero_point[0] != -128 or f32(y.quant.scale[0]) != f32(1.0 / 256):
        return "int8 output must have scale 1/256 and zero point -128"
    if not x.shape or x.num_elements != y.num_elements:
        return "input and output shapes differ"
    if _beta_multiplier(op.options.get("beta", 1.0), x.quant.scale[0]) <= 1.0:
        return "beta * input scale too small"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's CalculateSoftmaxParams computes for int8."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    mult, shift = quantize_multiplier(_beta_multiplier(op.options.get("beta", 1.0), x.quant.scale[0]))
    # CalculateInputRadius(5, shift): the most negative difference that cannot overflow
    radius = math.floor(1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1)
                        * (1 << (31 - SCALED_DIFF_INTEGER_BITS)) / (1 << shift))
    depth = x.shape[-1]
    return KernelCall(
        source=SOURCE,
        function="edgeq_softmax_s8",
        struct_type="edgeq_softmax_params_t",
        fields=fields(outer=x.num_elements // depth, depth=depth, input_multiplier=mult,
                      input_left_shift=shift, diff_min=-radius),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
    )


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
