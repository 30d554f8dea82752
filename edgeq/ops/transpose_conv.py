"""TRANSPOSE_CONV (int8, and int16x8; Keras' Conv2DTranspose): TFLM's scatter algorithm.

Every input pixel adds its products with the filter into an int32 scratch (int16x8: int64,
with an int64 or int16 bias and TFLM's 64-bit requantization) of the whole output
(the planner reserves it in the arena for this op); then each output gets the bias and the
per-channel requantization. The padding is TFLM's: a normal convolution's padding computed
with the *output* size as its input size. Inputs: output shape (constant), filter
(out_c, k_h, k_w, in_c), input, optional bias.
"""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, activation_range, channel_multipliers, check_activation, check_io_int8, const_ints, fields,
    out_size, pad_before, register,
)

OPS = ("TRANSPOSE_CONV",)


def _tensors(op: Operator, sg: Subgraph):
    x, w, y = sg.tensor(op.inputs[2]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0])
    b = sg.tensor(op.inputs[3]) if len(op.inputs) > 3 else None
    return x, w, b, y


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this TRANSPOSE_CONV, else why not."""
    if len(op.inputs) not in (3, 4) or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    x, w, b, y = _tensors(op, sg)
    if x is None or x.dtype not in ("INT8", "INT16"):
        return f"input is {x.dtype if x else 'missing'}; edgeq-micro runs int8 and int16x8 TRANSPOSE_CONV"
    reason = (check_io_int8(op, sg, (2,)) if x.dtype == "INT8" else _int16_io(x, y)) or check_activation(op)
    if reason:
        return reason
    if w is None or w.dtype != "INT8" or w.quant is None or not w.is_constant or len(w.shape) != 4:
        return "weights must be constant int8 4-D"
    if any(z != 0 for z in w.quant.zero_point):
        return "weights with a non-zero zero point"
    if w.quant.per_channel and (w.quant.quantized_dimension != 0 or len(w.quant.scale) != w.shape[0]):
        return "per-channel weights must be quantized along the output channels"
    bias_types = ("INT32",) if x.dtype == "INT8" else ("INT64", "INT16")
    if b is not None and (b.dtype not in bias_types or not b.is_constant):
        return f"bias must be constant {' or '.join(t.lower() for t in bias_types)}"
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != y.shape[0]:
        return "input and output must be NHWC with the same batch"
    if x.shape[3] != w.shape[3] or y.shape[3] != w.shape[0]:
        return "inconsistent channel counts"
    shape = const_ints(sg, op.inputs[0])
    if shape is None or tuple(shape) != tuple(y.shape):
        return "the output shape must be a constant matching the output tensor"
    return None


def _int16_io(x, y) -> str | None:
    """int16x8: per-tensor int16 input and output with zero point 0 (TFLM requires it)."""
    for t, what in ((x, "input"), (y, "output")):
        if t is None or t.dtype != "INT16" or t.quant is None or t.quant.per_channel or t.quant.zero_point[0] != 0:
            return f"int16 {what} must be per-tensor quantized with zero point 0"
    return None


def _pad(padding: str, stride: int, out: int, k: int) -> int:
    """ComputePaddingHeightWidth with the output size in the input's place, as TFLM does."""
    return pad_before(stride, 1, out, k, out_size(padding, out, k, stride))


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, w, b, y = _tensors(op, sg)
    o = op.options
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    padding = o.get("padding", "SAME")
    mults, shifts = channel_multipliers(x.quant.scale[0], w.quant.scale, y.quant.scale[0], y.shape[3])
    lo, hi = activation_range(o.get("fused_activation_function", "NONE"), y)
    wide = x.dtype == "INT16"
    return KernelCall(
        source="transpose_conv.c",
        function="edgeq_transpose_conv_s16" if wide else "edgeq_transpose_conv_s8",
        struct_type="edgeq_transpose_conv_params_t",
        fields=fields(
            batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], in_c=x.shape[3],
            out_h=y.shape[1], out_w=y.shape[2], out_c=y.shape[3], k_h=w.shape[1], k_w=w.shape[2],
            stride_h=sh, stride_w=sw, pad_h=_pad(padding, sh, y.shape[1], w.shape[1]),
            pad_w=_pad(padding, sw, y.shape[2], w.shape[2]),
            input_offset=-x.quant.zero_point[0], output_offset=y.quant.zero_point[0],
            act_min=lo, act_max=hi, multiplier="@mult", shift="@shift",
            bias16=b is not None and b.dtype == "INT16",
        ),
        args=(Arg(op.inputs[2], "int16_t" if wide else "int8_t"), Arg(op.inputs[1], "int8_t"),
              Arg(b.index if b is not None else -1, "void" if wide else "int32_t"),
              Arg(op.outputs[0], "int16_t" if wide else "int8_t", True)),
        arrays=(("mult", "int32_t", mults), ("shift", "int32_t", shifts)),
        scratch=(8 if wide else 4) * y.num_elements,
    )


register(__name__, OPS)
