"""RESIZE_NEAREST_NEIGHBOR (int8 or int16, a constant output size; UpSampling2D).

Each output pixel copies the channels of one input pixel. The source row and column of every
output row and column are computed here as TFLM's GetNearestNeighbor computes them (float
scale, ``align_corners`` / ``half_pixel_centers``) and baked into two index tables.
"""

from __future__ import annotations

import math

import numpy as np

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, const_ints, fields, register

OPS = ("RESIZE_NEAREST_NEIGHBOR",)


def nearest(x: int, in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> int:
    """TFLM's GetNearestNeighbor, with its float32 arithmetic."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    v = (f32(x) + f32(0.5 if half_pixel_centers else 0.0)) * scale
    # TfLiteRound is std::round (half away from zero); the value is never negative here
    src = int(math.floor(float(v) + 0.5)) if align_corners else int(math.floor(float(v)))
    src = min(src, in_size - 1)
    return max(0, src) if half_pixel_centers else src


def resize_problem(op: Operator, sg: Subgraph, dtypes: tuple[str, ...]) -> str | None:
    """Why a RESIZE_* op cannot run (None: it can): quantized ``dtypes`` NHWC in and out with
    the same batch and channels, a constant output size that matches the output."""
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if x is None or x.dtype not in dtypes or x.quant is None or y is None or y.dtype != x.dtype:
        return f"not quantized {' or '.join(d.lower() for d in dtypes)}"
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != y.shape[0] or x.shape[3] != y.shape[3]:
        return "input and output must be NHWC with the same batch and channels"
    size = const_ints(sg, op.inputs[1])
    if size is None or len(size) != 2 or tuple(size) != tuple(y.shape[1:3]):
        return "the output size must be a constant matching the output shape"
    return None


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this RESIZE_NEAREST_NEIGHBOR, else why not."""
    return resize_problem(op, sg, ("INT8", "INT16"))


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    ac = bool(op.options.get("align_corners", False))
    hp = bool(op.options.get("half_pixel_centers", False))
    rows = tuple(nearest(v, x.shape[1], y.shape[1], ac, hp) for v in range(y.shape[1]))
    cols = tuple(nearest(v, x.shape[2], y.shape[2], ac, hp) for v in range(y.shape[2]))
    return KernelCall(
        source="resize_nearest_neighbor.c",
        function="edgeq_resize_nearest",
        struct_type="edgeq_resize_nearest_params_t",
        fields=fields(batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], out_h=y.shape[1], out_w=y.shape[2],
                      pixel_bytes=x.shape[3] * x.itemsize, rows="@rows", cols="@cols"),
        args=(Arg(op.inputs[0], "void"), Arg(op.outputs[0], "void", True)),
        arrays=(("rows", "int32_t", rows), ("cols", "int32_t", cols)),
    )


register(__name__, OPS)
