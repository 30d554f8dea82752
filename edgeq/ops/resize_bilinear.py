"""RESIZE_BILINEAR (int8, a constant output size): TFLM's integer path
(ResizeBilinearInteger). The scales are 10-bit fixed point; for every output row and column
the two source indices and the 10-bit weight are computed here, with C's truncating integer
division (half_pixel_centers can make the weight negative at the first row or column: TFLM
then extrapolates, and so does this), and baked into tables. The kernel sums the four
weighted neighbours (20 fractional bits) and rounds half away from zero, as TFLM's
double-rounding build does. The output takes the input's values as they are (TFLM does
not requantize)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, fields, register
from edgeq.ops.resize import resize_problem

OPS = ("RESIZE_BILINEAR",)


def _div(a: int, b: int) -> int:
    """C's int32 division (truncation toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _scale_10(in_size: int, out_size: int, align_corners: bool) -> int:
    if align_corners and out_size > 1:
        return _div((1 << 10) * (in_size - 1) + (out_size - 1) // 2, out_size - 1)
    return _div((1 << 10) * in_size + out_size // 2, out_size)


def interpolation(out_size: int, in_size: int, align_corners: bool, half_pixel_centers: bool):
    """(lower index, upper index, weight of the upper one in 1/1024) for each output position."""
    scale = _scale_10(in_size, out_size, align_corners)
    lo, hi, w = [], [], []
    for v in range(out_size):
        scaled = v * scale + _div(scale, 2) - (1 << 9) if half_pixel_centers else v * scale
        low = max(_div(scaled, 1 << 10), 0)
        lo.append(low)
        hi.append(min(_div(scaled + (1 << 10) - 1, 1 << 10), in_size - 1))
        w.append(scaled - (1 << 10) * low)
    return tuple(lo), tuple(hi), tuple(w)


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this RESIZE_BILINEAR, else why not."""
    if op.options.get("half_pixel_centers") and op.options.get("align_corners"):
        return "half_pixel_centers together with align_corners (TFLM refuses it)"
    reason = resize_problem(op, sg, ("INT8",))  # TFLM's integer resize takes int8 only
    if reason is None and min(sg.tensor(op.outputs[0]).shape[1:3]) < 1:
        return "an empty output size"
    return reason


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    ac = bool(op.options.get("align_corners", False))
    hp = bool(op.options.get("half_pixel_centers", False))
    y0, y1, wy = interpolation(y.shape[1], x.shape[1], ac, hp)
    x0, x1, wx = interpolation(y.shape[2], x.shape[2], ac, hp)
    return KernelCall(
        source="resize_bilinear.c",
        function="edgeq_resize_bilinear_s8",
        struct_type="edgeq_resize_bilinear_params_t",
        fields=fields(batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], out_h=y.shape[1], out_w=y.shape[2],
                      depth=x.shape[3], y0="@y0", y1="@y1", wy="@wy", x0="@x0", x1="@x1", wx="@wx"),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
        arrays=(("y0", "int32_t", y0), ("y1", "int32_t", y1), ("wy", "int32_t", wy),
                ("x0", "int32_t", x0), ("x1", "int32_t", x1), ("wx", "int32_t", wx)),
    )


register(__name__, OPS)
