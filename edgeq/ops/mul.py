"""MUL (int8 or int16, with TFLM's broadcasting over up to 6 dimensions)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, act_type, activation_range, broadcast_fields, check_activation, check_broadcast,
    check_io, f32, fields, quantize_multiplier, register,
)

OPS = ("MUL",)
SOURCE = "mul.c"


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this MUL, else why not."""
    return check_io(op, sg, (0, 1)) or check_activation(op) or check_broadcast(op, sg, 6)


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """TFLM's CalculateOpDataMul for int8: one multiplier s1 * s2 / s_out (in double)."""
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    real = float(f32(a.quant.scale[0])) * float(f32(b.quant.scale[0])) / float(f32(y.quant.scale[0]))
    m, s = quantize_multiplier(real)
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y)
    ctype, suffix = act_type(y)
    return KernelCall(
        source=SOURCE,
        function=f"edgeq_mul_{suffix}",
        struct_type="edgeq_mul_params_t",
        fields=fields(
            bc=broadcast_fields(a.shape, b.shape),
            input1_offset=-a.quant.zero_point[0], input2_offset=-b.quant.zero_point[0],
            output_offset=y.quant.zero_point[0], output_multiplier=m, output_shift=s,
            act_min=lo, act_max=hi,
        ),
        args=(Arg(op.inputs[0], ctype), Arg(op.inputs[1], ctype), Arg(op.outputs[0], ctype, True)),
        inplace=(0, 1),  # elementwise
    )


register(__name__, OPS)
