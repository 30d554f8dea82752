"""SUB (int8 or int16, with TFLM's broadcasting over up to 6 dimensions)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops.add import _multipliers as add_multipliers
from edgeq.ops._common import (
    Arg, KernelCall, act_type, activation_range, broadcast_iteration, c_array, check_activation, check_broadcast,
    check_io, fields, quantize_multiplier, register,
)

OPS = ("SUB",)
SOURCE = "sub.c"
LEFT_SHIFT = 20  # int8 headroom TFLM uses before rescaling both inputs (int16: 15)


def _multipliers(s1, s2, so, left_shift: int = LEFT_SHIFT) -> tuple[float, float, float]:
    # The tflite-micro interpreter (the reference) rescales SUB exactly as ADD, in double.
    # TFLM 90b983c's sub_common.cc divides in float instead; the two differ by 1 LSB on
    # some int16 inputs (a fuzz case at 100 samples), and the pinned interpreter is the truth.
    return add_multipliers(s1, s2, so, left_shift)


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this SUB, else why not."""
    reason = check_io(op, sg, (0, 1)) or check_activation(op) or check_broadcast(op, sg, 6)
    if reason:
        return reason
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    ls = 15 if y.dtype == "INT16" else LEFT_SHIFT
    reals = _multipliers(a.quant.scale[0], b.quant.scale[0], y.quant.scale[0], ls)
    if any(quantize_multiplier(r)[1] > 0 for r in reals):
        return "output scale too small for TFLM's int8 SUB rescaling"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's CalculateOpDataSub computes for int8."""
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    ls = 15 if y.dtype == "INT16" else LEFT_SHIFT
    r1, r2, ro = _multipliers(a.quant.scale[0], b.quant.scale[0], y.quant.scale[0], ls)
    m1, s1 = quantize_multiplier(r1)
    m2, s2 = quantize_multiplier(r2)
    mo, so = quantize_multiplier(ro)
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y)
    bc = _broadcast(a.shape, b.shape)
    ctype, suffix = act_type(y)
    return KernelCall(
        source=SOURCE,
        function=f"edgeq_sub_{suffix}",
        struct_type="edgeq_add_params_t",
        fields=fields(
            **bc, input1_offset=-a.quant.zero_point[0], input2_offset=-b.quant.zero_point[0],
            left_shift=ls, input1_multiplier=m1, input1_shift=s1,
            input2_multiplier=m2, input2_shift=s2, output_multiplier=mo, output_shift=so,
            output_offset=y.quant.zero_point[0], act_min=lo, act_max=hi,
        ),
        args=(Arg(op.inputs[0], ctype), Arg(op.inputs[1], ctype), Arg(op.outputs[0], ctype, True)),
        inplace=(0, 1),  # elementwise
    )


def _broadcast(a, b) -> dict:
    """ADD's struct carries the broadcast fields inline (see edgeq_add_params_t)."""
    size, bc, shape, st1, st2 = broadcast_iteration(a, b)
    return {"size": size, "broadcast": bc, "dims": len(shape), "out_shape": c_array(shape),
            "in1_strides": c_array(st1), "in2_strides": c_array(st2)}


register(__name__, OPS)
