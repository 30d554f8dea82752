"""SQUARED_DIFFERENCE (int8 or int16, broadcasting over up to 4 dimensions as TFLM's
BroadcastBinaryFunction4DSlow): TFLM's Prepare maths. Both inputs are rescaled to twice the
larger input scale after a left shift of 7 bits (int8; 0 for int16), the difference is
squared, and the output multiplier is (2 * max scale)^2 / (2^(2 * left_shift) * output scale)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, broadcast_shape, check_io, f32, fields, quantize_multiplier, register
from edgeq.ops.add import _iteration

OPS = ("SQUARED_DIFFERENCE",)
MAX_BROADCAST_DIMS = 4


def _left_shift(y) -> int:
    return 0 if y.dtype == "INT16" else 7


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this SQUARED_DIFFERENCE, else why not."""
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    reason = check_io(op, sg, (0, 1))
    if reason:
        return reason
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    shape = broadcast_shape(a.shape, b.shape)
    if shape is None or tuple(shape) != tuple(y.shape):
        return f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to {list(y.shape)}"
    if tuple(a.shape) != tuple(b.shape) and len(shape) > MAX_BROADCAST_DIMS:
        return f"broadcasting over more than {MAX_BROADCAST_DIMS} dimensions (TFLM's limit)"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    ls = _left_shift(y)
    twice_max = 2.0 * float(max(f32(a.quant.scale[0]), f32(b.quant.scale[0])))
    m1, s1 = quantize_multiplier(float(f32(a.quant.scale[0])) / twice_max)
    m2, s2 = quantize_multiplier(float(f32(b.quant.scale[0])) / twice_max)
    mo, so = quantize_multiplier(twice_max * twice_max / (float(1 << (ls * 2)) * float(f32(y.quant.scale[0]))))
    broadcast = tuple(a.shape) != tuple(b.shape)
    shape, st1, st2 = _iteration(a.shape, b.shape) if broadcast else ((), (), ())
    lo, hi = (-32768, 32767) if y.dtype == "INT16" else (-128, 127)
    ctype = "int16_t" if y.dtype == "INT16" else "int8_t"

    def arr(v):
        v = list(v) + [0] * (6 - len(v))
        return "{" + ", ".join(str(int(x)) for x in v) + "}"

    return KernelCall(
        source="squared_difference.c",
        function="edgeq_squared_difference_s16" if y.dtype == "INT16" else "edgeq_squared_difference_s8",
        struct_type="edgeq_add_params_t",
        fields=fields(
            size=y.num_elements, broadcast=broadcast, dims=len(shape),
            out_shape=arr(shape), in1_strides=arr(st1), in2_strides=arr(st2),
            input1_offset=-a.quant.zero_point[0], input2_offset=-b.quant.zero_point[0],
            left_shift=ls, input1_multiplier=m1, input1_shift=s1,
            input2_multiplier=m2, input2_shift=s2, output_multiplier=mo, output_shift=so,
            output_offset=y.quant.zero_point[0], act_min=lo, act_max=hi,
        ),
        args=(Arg(op.inputs[0], ctype), Arg(op.inputs[1], ctype), Arg(op.outputs[0], ctype, True)),
        inplace=(0, 1),
    )


register(__name__, OPS)
