"""SPLIT and SPLIT_V (int8 or int16, constant axis and sizes; up to 16 outputs)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, c_array, const_ints, fields, per_tensor_int8, register

OPS = ("SPLIT", "SPLIT_V")
MAX_OUTPUTS = 16  # EDGEQ_MAX_SPLIT_OUTPUTS


def _io(op: Operator):
    """(data input, axis tensor): SPLIT takes (axis, input), SPLIT_V (input, sizes, axis)."""
    if op.name == "SPLIT":
        return op.inputs[1], op.inputs[0]
    return op.inputs[0], op.inputs[2]


def _axis(op: Operator, sg: Subgraph) -> int | None:
    data, axis_t = _io(op)
    vals = const_ints(sg, axis_t)
    rank = len(sg.tensor(data).shape)
    if vals is None or len(vals) != 1:
        return None
    a = vals[0] + rank if vals[0] < 0 else vals[0]
    return a if 0 <= a < rank else None


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this SPLIT/SPLIT_V, else why not."""
    if len(op.inputs) != (2 if op.name == "SPLIT" else 3):
        return "wrong number of inputs"
    data, _ = _io(op)
    x = sg.tensor(data)
    if not per_tensor_int8(x) and not (x is not None and x.dtype == "INT16" and x.quant is not None):
        return "input is not quantized int8 or int16"
    if not 1 <= len(op.outputs) <= MAX_OUTPUTS:
        return f"more than {MAX_OUTPUTS} outputs"
    axis = _axis(op, sg)
    if axis is None:
        return "axis must be one constant valid axis"
    total = 0
    for t in op.outputs:
        y = sg.tensor(t)
        if y is None or y.dtype != x.dtype or len(y.shape) != len(x.shape):
            return "outputs must have the input's type and rank"
        if any(a != b for k, (a, b) in enumerate(zip(x.shape, y.shape)) if k != axis):
            return "output shapes do not match the input"
        total += y.shape[axis]
    if total != x.shape[axis]:
        return "output sizes along the axis do not add up"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """Outer count and per-output slice sizes (in bytes)."""
    data, _ = _io(op)
    x = sg.tensor(data)
    axis = _axis(op, sg)
    outer = 1
    for d in x.shape[:axis]:
        outer *= d
    sizes = []
    for t in op.outputs:
        n = 1
        for d in sg.tensor(t).shape[axis:]:
            n *= d
        sizes.append(n * x.itemsize)
    return KernelCall(
        source="split.c",
        function="edgeq_split",
        struct_type="edgeq_split_params_t",
        fields=fields(outer=outer, num_outputs=len(op.outputs), copy_size=c_array(sizes, MAX_OUTPUTS)),
        args=(Arg(data, "void"),) + tuple(Arg(t, "void", True) for t in op.outputs),
        packed_outputs=len(op.outputs),
    )


register(__name__, OPS)
