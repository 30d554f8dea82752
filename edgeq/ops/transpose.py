"""TRANSPOSE (int8 or int16, up to 5 dimensions, constant permutation): a gather (gather.c)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, c_array, check_io, const_ints, fields, register, row_major_strides,
)

OPS = ("TRANSPOSE",)
MAX_TRANSPOSE_DIMS = 5  # TFLM's limit


def _perm(op: Operator, sg: Subgraph) -> list[int] | None:
    x = sg.tensor(op.inputs[0])
    perm = const_ints(sg, op.inputs[1]) if len(op.inputs) > 1 else None
    if perm is None or sorted(perm) != list(range(len(x.shape))):
        return None
    return perm


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this TRANSPOSE, else why not."""
    reason = check_io(op, sg)
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if len(x.shape) > MAX_TRANSPOSE_DIMS:
        return f"more than {MAX_TRANSPOSE_DIMS} dimensions (TFLM's limit)"
    perm = _perm(op, sg)
    if perm is None:
        return "perm must be a constant permutation of the input's dimensions"
    if tuple(y.shape) != tuple(x.shape[p] for p in perm):
        return "output shape does not match the permutation"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """Output dimension d reads input dimension perm[d]."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    perm = _perm(op, sg)
    strides = row_major_strides(x.shape)
    keep = [d for d in range(len(perm)) if x.shape[perm[d]] != 1]
    return gather_call(op, 0, [x.shape[perm[d]] for d in keep], [strides[perm[d]] for d in keep],
                       y.num_elements, x.itemsize)


def gather_call(op: Operator, base: int, shape, steps, size: int, itemsize: int) -> KernelCall:
    """The edgeq_gather call shared by TRANSPOSE and STRIDED_SLICE."""
    return KernelCall(
        source="gather.c",
        function="edgeq_gather",
        struct_type="edgeq_gather_params_t",
        fields=fields(dims=len(shape), base=base, elem_size=itemsize, size=size,
                      out_shape=c_array(shape), step=c_array(steps)),
        args=(Arg(op.inputs[0], "void"), Arg(op.outputs[0], "void", True)),
    )


register(__name__, OPS)
