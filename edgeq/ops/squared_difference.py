"""SQUARED_DIFFERENCE (int8 or int16, broadcasting over up to 4 dimensions as TFLM's
BroadcastBinaryFunction4DSlow): TFLM's Prepare maths. Both inputs are rescaled to twice the
larger input scale after a left shift of 7 bits (int8; 0 for int16), the difference is
squared, and the output multiplier is (2 * max scale)^2 / (2^(2 * left_shift) * output scale)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import KernelCall, broadcast_shape, check_io, f32, quantize_multiplier, register
from edgeq.ops.add import _multipliers, rescaled_call

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
    r1, r2, _ = _multipliers(a.quant.scale[0], b.quant.scale[0], y.quant.scale[0], ls)
    twice_max = 2.0 * float(max(f32(a.quant.scale[0]), f32(b.quant.scale[0])))
    ro = twice_max * twice_max / (float(1 << (ls * 2)) * float(f32(y.quant.scale[0])))
    mults = (*quantize_multiplier(r1), *quantize_multiplier(r2), *quantize_multiplier(ro))
    wide = y.dtype == "INT16"
    return rescaled_call(op, sg, "squared_difference.c",
                         "edgeq_squared_difference_s16" if wide else "edgeq_squared_difference_s8", ls, mults,
                         (-32768, 32767) if wide else (-128, 127))


register(__name__, OPS)
