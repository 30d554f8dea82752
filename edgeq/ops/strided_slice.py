"""STRIDED_SLICE (int8 or int16, up to 5 dimensions, constant begin/end/strides): a gather.

The start and stop of each axis are resolved on the host exactly as TFLM's reference kernel
does (StridedSlicePadIndices to 5 dimensions, StridedSliceStartForAxis/EndForAxis), then
the slice becomes a base offset and one step per output dimension (gather.c).
"""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import check_io, const_ints, register, row_major_strides
from edgeq.ops.transpose import gather_call

OPS = ("STRIDED_SLICE",)
DIMS = 5


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if hi < v else (lo if v < lo else v)


def _resolve(op: Operator, sg: Subgraph):
    """Per axis of the 5-d extended input: (start, count, stride); None if not constant."""
    x = sg.tensor(op.inputs[0])
    begin, end, strides = (const_ints(sg, i) for i in op.inputs[1:4])
    if begin is None or end is None or strides is None:
        return None
    n = len(begin)
    if not (n == len(end) == len(strides) == len(x.shape)) or 0 in strides:
        return None
    o = op.options
    pad = DIMS - n
    shape = [1] * pad + list(x.shape)
    begin, end, strides = [0] * pad + begin, [1] * pad + end, [1] * pad + strides
    shrink = o.get("shrink_axis_mask", 0) << pad
    begin_mask = (o.get("begin_mask", 0) << pad) | ((1 << pad) - 1)
    end_mask = (o.get("end_mask", 0) << pad) | ((1 << pad) - 1)
    axes = []
    for a in range(DIMS):
        size, stride = shape[a], strides[a]
        start = begin[a] + size if begin[a] < 0 else begin[a]
        start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
        if begin_mask & (1 << a):
            start = 0 if stride > 0 else size - 1
        if shrink & (1 << a):
            stop = start if start >= size else start + 1
        else:
            stop = end[a] + size if end[a] < 0 else end[a]
            stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
            if end_mask & (1 << a):
                stop = size if stride > 0 else -1
        count, i = 0, start
        while (i < stop) if stride > 0 else (i > stop):
            count += 1
            i += stride
        axes.append((start, count, stride))
    return shape, axes


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this STRIDED_SLICE, else why not."""
    reason = check_io(op, sg)
    if reason:
        return reason
    if len(op.inputs) != 4:
        return "expects input, begin, end and strides"
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if len(x.shape) > DIMS:
        return f"more than {DIMS} dimensions (TFLM's limit)"
    o = op.options
    if o.get("ellipsis_mask", 0) or o.get("new_axis_mask", 0) or o.get("offset", False):
        return "ellipsis_mask, new_axis_mask and offset are not supported"
    r = _resolve(op, sg)
    if r is None:
        return "begin, end and strides must be constant, one per input dimension, strides non-zero"
    total = 1
    for _, count, _ in r[1]:
        total *= count
    if total == 0 or total != y.num_elements:
        return "empty slice or output size mismatch"
    return None


def prepare(op: Operator, sg: Subgraph):
    """Base offset of the first element and a step per non-unit output dimension."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    shape, axes = _resolve(op, sg)
    in_strides = row_major_strides(shape)
    base = sum(start * s for (start, _, _), s in zip(axes, in_strides))
    keep = [a for a in range(DIMS) if axes[a][1] != 1]
    return gather_call(op, base, [axes[a][1] for a in keep], [axes[a][2] * in_strides[a] for a in keep],
                       y.num_elements, x.itemsize)


register(__name__, OPS)
