"""PACK and UNPACK (int8 or int16): bytes moved, no requantization, as TFLM does.

PACK stacks N equal-shaped inputs on a new axis of the output; UNPACK is the reverse (an
unrolled RNN's per-time-step slices). For each step over the dimensions before the axis, one
block of each input (PACK) or output (UNPACK) follows the other in the packed tensor.
"""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, fields, register

OPS = ("PACK", "UNPACK")


def _packed_and_parts(op: Operator) -> tuple[int, tuple[int, ...]]:
    """(the packed tensor, the per-slice tensors)."""
    if op.name == "PACK":
        return op.outputs[0], tuple(op.inputs)
    return op.inputs[0], tuple(op.outputs)


def _axis(op: Operator, rank: int) -> int:
    axis = int(op.options.get("axis", 0))
    return axis + rank if axis < 0 else axis


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this PACK/UNPACK, else why not."""
    if not op.inputs or not op.outputs or (op.name == "PACK" and len(op.outputs) != 1) \
            or (op.name == "UNPACK" and len(op.inputs) != 1):
        return "wrong number of inputs or outputs"
    packed_i, parts = _packed_and_parts(op)
    packed = sg.tensor(packed_i)
    if packed is None or packed.dtype not in ("INT8", "INT16") or packed.quant is None:
        return "not quantized int8 or int16"
    axis = _axis(op, len(packed.shape))
    if not 0 <= axis < len(packed.shape):
        return "axis out of range"
    if packed.shape[axis] != len(parts):
        return f"{len(parts)} slices for an axis of size {packed.shape[axis]}"
    want = tuple(d for k, d in enumerate(packed.shape) if k != axis)
    for i in parts:
        t = sg.tensor(i)
        if t is None or t.dtype != packed.dtype or tuple(t.shape) != want:
            return "slices must have the packed tensor's type and shape without the axis"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """Outer count, slice count and the bytes of one block."""
    packed_i, parts = _packed_and_parts(op)
    packed = sg.tensor(packed_i)
    axis = _axis(op, len(packed.shape))
    outer, block = 1, packed.itemsize
    for d in packed.shape[:axis]:
        outer *= d
    for d in packed.shape[axis + 1:]:
        block *= d
    prm = fields(outer=outer, count=len(parts), block=block)
    if op.name == "PACK":
        return KernelCall(source="pack.c", function="edgeq_pack", struct_type="edgeq_pack_params_t",
                          fields=prm, args=tuple(Arg(i, "void") for i in parts) + (Arg(packed_i, "void", True),),
                          packed_inputs=len(parts))
    return KernelCall(source="pack.c", function="edgeq_unpack", struct_type="edgeq_pack_params_t",
                      fields=prm, args=(Arg(packed_i, "void"),) + tuple(Arg(i, "void", True) for i in parts),
                      packed_outputs=len(parts))


register(__name__, OPS)
