"""GATHER (int8 values, int32 coordinates, constant or computed; axis and batch_dims as
TFLM resolves them): blocks copied, no requantization, as TFLM does. The output's shape is
input[:axis] + coords[batch_dims:] + input[axis+1:]."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, fields, register

OPS = ("GATHER",)


def _dims(op: Operator, sg: Subgraph) -> tuple[int, int] | None:
    x, c = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1])
    axis = int(op.options.get("axis", 0))
    axis = axis + len(x.shape) if axis < 0 else axis
    bd = int(op.options.get("batch_dims", 0))
    bd = bd + len(c.shape) if bd < 0 else bd
    if not (0 <= axis < len(x.shape) and 0 <= bd <= axis and bd < len(x.shape) and bd <= len(c.shape)):
        return None
    if tuple(x.shape[:bd]) != tuple(c.shape[:bd]):
        return None
    return axis, bd


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this GATHER, else why not."""
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    x, c, y = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0])
    if x is None or y is None or x.dtype != "INT8" or y.dtype != "INT8":
        return "values not int8"
    if c is None or c.dtype != "INT32":
        return "coordinates not int32 (TFLM's only type)"
    dims = _dims(op, sg)
    if dims is None:
        return "axis/batch_dims out of range or batch dimensions that differ"
    axis, bd = dims
    want = tuple(x.shape[:axis]) + tuple(c.shape[bd:]) + tuple(x.shape[axis + 1:])
    if tuple(y.shape) != want:
        return f"output shape {list(y.shape)}, expected {list(want)}"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, c = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1])
    axis, bd = _dims(op, sg)
    batches = outer = inner = coords = 1
    for d in x.shape[:bd]:
        batches *= d
    for d in x.shape[bd:axis]:
        outer *= d
    for d in x.shape[axis + 1:]:
        inner *= d
    for d in c.shape[bd:]:
        coords *= d
    return KernelCall(
        source="gather_op.c",
        function="edgeq_gather_op",
        struct_type="edgeq_gather_op_params_t",
        fields=fields(batches=batches, outer=outer, axis_size=x.shape[axis], inner_bytes=inner * x.itemsize,
                      coords=coords),
        args=(Arg(op.inputs[0], "void"), Arg(op.inputs[1], "int32_t"), Arg(op.outputs[0], "void", True)),
    )


register(__name__, OPS)
