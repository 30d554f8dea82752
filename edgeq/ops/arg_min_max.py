"""ARG_MAX and ARG_MIN (int8 input, constant int32 axis, int32 output: the types TFLM
runs): the index of the first largest (smallest) value along the axis, which the output
drops. Quantization does not matter: the order of the int8 values is the order of the reals."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, const_ints, fields, register

OPS = ("ARG_MAX", "ARG_MIN")


def _axis(op: Operator, sg: Subgraph) -> int | None:
    x = sg.tensor(op.inputs[0])
    t = sg.tensor(op.inputs[1]) if len(op.inputs) > 1 else None
    vals = const_ints(sg, op.inputs[1]) if t is not None and t.dtype == "INT32" else None
    if not vals:
        return None
    axis = vals[0]
    axis = axis + len(x.shape) if axis < 0 else axis
    return axis if 0 <= axis < len(x.shape) else None


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this ARG_MAX/ARG_MIN, else why not."""
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if x is None or x.dtype != "INT8":
        return "input is not int8"
    if y is None or y.dtype != "INT32":
        return f"output type {y.dtype.lower() if y else '?'} (TFLM runs int32 only)"
    axis = _axis(op, sg)
    if axis is None:
        return "axis must be a constant int32 within the input's rank"
    if tuple(y.shape) != tuple(d for k, d in enumerate(x.shape) if k != axis):
        return "output shape is not the input's without the axis"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x = sg.tensor(op.inputs[0])
    axis = _axis(op, sg)
    outer = inner = 1
    for d in x.shape[:axis]:
        outer *= d
    for d in x.shape[axis + 1:]:
        inner *= d
    return KernelCall(
        source="arg_min_max.c",
        function="edgeq_arg_max_s8" if op.name == "ARG_MAX" else "edgeq_arg_min_s8",
        struct_type="edgeq_arg_params_t",
        fields=fields(outer=outer, axis_size=x.shape[axis], inner=inner),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int32_t", True)),
    )


register(__name__, OPS)
