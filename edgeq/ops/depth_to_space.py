"""DEPTH_TO_SPACE and SPACE_TO_DEPTH (int8, NHWC, TFLM's DCR order): bytes moved, as TFLM
moves them (no requantization). Both are a gather (gather.c) over a six-dimensional view of
the output whose input offset is affine in every index:

* DEPTH_TO_SPACE: output (b, h*bs + i, w*bs + j, c) = input (b, h, w, (i*bs + j)*C + c),
  viewed as (B, H, bs, W, bs, C);
* SPACE_TO_DEPTH: output (b, h, w, (i*bs + j)*C + c) = input (b, h*bs + i, w*bs + j, c),
  viewed as (B, H, W, bs, bs, C).
"""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import check_io, register
from edgeq.ops.transpose import gather_call

OPS = ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH")


def _block(op: Operator) -> int:
    return int(op.options.get("block_size", 0))


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this DEPTH_TO_SPACE/SPACE_TO_DEPTH, else why not."""
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    reason = check_io(op, sg, dtypes=("INT8",))
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    bs = _block(op)
    if len(x.shape) != 4 or len(y.shape) != 4:
        return "input and output must be 4-D (NHWC)"
    if bs < 1:
        return f"block_size {bs} (TFLM needs at least 1)"
    b, h, w, c = x.shape
    if op.name == "DEPTH_TO_SPACE":
        want = (b, h * bs, w * bs, c // (bs * bs)) if c % (bs * bs) == 0 else None
    else:
        want = (b, h // bs, w // bs, c * bs * bs) if h % bs == 0 and w % bs == 0 else None
    if want is None or tuple(y.shape) != want:
        return f"shapes {list(x.shape)} -> {list(y.shape)} do not match block_size {bs}"
    return None


def prepare(op: Operator, sg: Subgraph):
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    bs = _block(op)
    if op.name == "DEPTH_TO_SPACE":
        b, h, w, cin = x.shape
        c = cin // (bs * bs)
        shape = [b, h, bs, w, bs, c]
        steps = [h * w * cin, w * cin, bs * c, cin, c, 1]
    else:
        b, hin, win, c = x.shape
        h, w = hin // bs, win // bs
        shape = [b, h, w, bs, bs, c]
        steps = [hin * win * c, bs * win * c, bs * c, win * c, c, 1]
    keep = [d for d in range(6) if shape[d] != 1] or [5]
    return gather_call(op, 0, [shape[d] for d in keep], [steps[d] for d in keep], y.num_elements, x.itemsize)


register(__name__, OPS)
