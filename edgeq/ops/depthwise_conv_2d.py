"""DEPTHWISE_CONV_2D (int8, any depth multiplier, per-channel or per-tensor weights;
int16x8: int16 activations with int64 bias)."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import (
    Arg, KernelCall, activation_range, channel_multipliers, check_activation, check_bias, check_io,
    fast_requant, fields, io_types, small_accumulators, window_fields, window_mismatch, window_inplace_gap,
)

MAX_TAPS = 64  # EDGEQ_DW_MAX_TAPS in edgeq_micro.h

OPS = ("DEPTHWISE_CONV_2D",)
SOURCE = "depthwise_conv_2d.c"


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this DEPTHWISE_CONV_2D, else why not."""
    reason = check_io(op, sg) or check_activation(op)
    if reason:
        return reason
    w = sg.tensor(op.inputs[1]) if len(op.inputs) > 1 else None
    if w is None or w.dtype != "INT8" or w.quant is None or not w.is_constant or len(w.shape) != 4:
        return f"weights must be constant int8 4-D, not {w.dtype if w else 'missing'}"
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4 or w.shape[0] != 1:
        return "input, output and weights must be 4-D NHWC / [1,kh,kw,c]"
    if any(z != 0 for z in w.quant.zero_point):
        return "weights with a non-zero zero point"
    if w.quant.per_channel and (w.quant.quantized_dimension != 3 or len(w.quant.scale) != w.shape[3]):
        return "per-channel weights must be quantized along the output channels"
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    reason = check_bias(op, sg.tensor(op.inputs[0]), b)
    if reason:
        return reason
    if y.shape[3] != w.shape[3] or x.shape[3] == 0 or y.shape[3] % x.shape[3]:
        return "output channels must be a multiple of the input channels"
    return window_mismatch(op, x, w, y)


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's DepthwiseConv Prepare computes, as the kernel's parameter struct."""
    x, w, y = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    o = op.options
    out_c = y.shape[3]
    mults, shifts = channel_multipliers(x.quant.scale[0], w.quant.scale, y.quant.scale[0], out_c)
    lo, hi = activation_range(o.get("fused_activation_function", "NONE"), y)
    act, acc, suffix = io_types(x, op, b)
    gap = window_inplace_gap(op, x, w, y)
    return KernelCall(
        source="depthwise_conv_2d_s16.c" if suffix.startswith("s16") else SOURCE,
        function=f"edgeq_depthwise_conv_2d_{suffix}",
        struct_type="edgeq_dwconv_params_t",
        fields=fields(
            batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], in_c=x.shape[3],
            # from the shapes: some converters leave depth_multiplier at 0 or stale
            out_h=y.shape[1], out_w=y.shape[2], depth_multiplier=out_c // x.shape[3],
            k_h=w.shape[1], k_w=w.shape[2],
            **window_fields(op, x, w, y),
            input_offset=-x.quant.zero_point[0], output_offset=y.quant.zero_point[0],
            act_min=lo, act_max=hi, multiplier="@mult", shift="@shift",
        ),
        args=(Arg(op.inputs[0], act), Arg(op.inputs[1], "int8_t"),
              Arg(b.index if b is not None else -1, acc), Arg(op.outputs[0], act, True)),
        arrays=(("mult", "int32_t", mults), ("shift", "int32_t", shifts)),
        # row-major window walk: the output may overlap the input from this far below it
        inplace=(0,) if gap is not None else (), inplace_gap=gap,
    )


def specialize(op: Operator, sg: Subgraph, call: KernelCall, features: frozenset[str]) -> KernelCall:
    """The fast variant (``depthwise_conv_2d_fast.h``) for int8 with at most MAX_TAPS taps,
    multipliers below 1 and accumulators small enough for its requantization: the weights
    widened to int16; with depth multiplier 1 on a core with ``dsp`` each group of 4 channels
    stored as 0, 2, 1, 3 (what SXTAB16 pairs of the input meet). Otherwise ``call``
    unchanged."""
    if call.function != "edgeq_depthwise_conv_2d_s8":
        return call
    f = dict(call.fields)
    w = sg.tensor(op.inputs[1])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    taps, channels = w.shape[1] * w.shape[2], w.shape[3]
    if taps > MAX_TAPS:
        return call
    arrays = dict((n, v) for n, _t, v in call.arrays)
    rq = fast_requant(arrays["mult"], arrays["shift"], channels)
    kernel = w.numpy().reshape(taps, channels).astype(np.int16)
    if rq is None or not small_accumulators(kernel.T, b.numpy() if b is not None else None, int(f["input_offset"])):
        return call
    if "mve" in features and int(f["depth_multiplier"]) == 1 and channels % 4 == 0 and int(f["dilation_w"]) == 1:
        return _helium(call, kernel.astype(np.int64), b.numpy() if b is not None else None, rq)
    if "dsp" in features and int(f["depth_multiplier"]) == 1:
        c4 = channels - channels % 4
        head = kernel[:, :c4].reshape(taps, c4 // 4, 4)[:, :, [0, 2, 1, 3]].reshape(taps, c4)
        kernel = np.concatenate([head, kernel[:, c4:]], axis=1)
    keep = ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "depth_multiplier", "k_h", "k_w", "stride_h",
            "stride_w", "dilation_h",
            "dilation_w", "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max")
    return dataclasses.replace(
        call, source="depthwise_conv_2d_fast.h", function="edgeq_depthwise_conv_2d_s8_fast",
        struct_type="edgeq_dwconv_fast_params_t",
        fields=tuple((k, f[k]) for k in keep) + (("multiplier", "@mult"), ("right", "@right"), ("round", "@round")),
        args=(call.args[0], Arg(-1, "int16_t", const="filter"), *call.args[2:]), arrays=rq,
        consts=(("filter", "int16_t", np.ascontiguousarray(kernel)),))


def _helium(call: KernelCall, kernel: np.ndarray, bias, rq) -> KernelCall:
    """The Helium variant (``depthwise_conv_2d_mve.h``) of a depth-multiplier-1 call with a
    channel count that is a multiple of 4 and horizontal dilation 1, weights ``kernel`` ([tap, channel]): the weights
    as int16, group of 4 channels by group, tap by tap (column by column, the band's order); per channel the bias with the input
    offset folded in, multipliers and negated right shifts; a scratch band of k_h rows."""
    f = dict(call.fields)
    taps, channels = kernel.shape
    b = np.zeros(channels, np.int64) if bias is None else np.asarray(bias, np.int64)
    folded = b + int(f["input_offset"]) * kernel.sum(axis=0)
    values = dict((n, v) for n, _t, v in rq)
    g = {k: int(f[k]) for k in ("out_w", "stride_w", "k_w", "dilation_w", "k_h")}
    band_w = (g["out_w"] + g["out_w"] % 2 - 1) * g["stride_w"] + (g["k_w"] - 1) * g["dilation_w"] + 1
    # taps column by column (the band's order), then group by group
    by_column = kernel.reshape(g["k_h"], g["k_w"], channels).transpose(1, 0, 2).reshape(taps, channels)
    grouped = by_column.reshape(taps, channels // 4, 4).transpose(1, 0, 2).reshape(-1).astype(np.int16)
    keep = ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "k_h", "k_w", "stride_h", "stride_w", "dilation_h",
            "dilation_w", "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max")
    return dataclasses.replace(
        call, source="depthwise_conv_2d_mve.h", function="edgeq_depthwise_conv_2d_s8_mve",
        struct_type="edgeq_dwconv_mve_params_t",
        fields=tuple((k, f[k]) for k in keep) + (("bias_folded", "@bias_folded"), ("multiplier", "@mult"),
                                                  ("neg_right", "@neg_right"), ("band_w", str(band_w))),
        args=(call.args[0], Arg(-1, "int16_t", const="filter"), call.args[3]),
        arrays=(("bias_folded", "int32_t", tuple(((int(v) + (1 << 31)) % (1 << 32)) - (1 << 31) for v in folded)),
                ("mult", "int32_t", tuple(int(v) for v in values["mult"])),
                ("neg_right", "int32_t", tuple(-int(r) for r in values["right"]))),
        consts=(("filter", "int16_t", np.ascontiguousarray(grouped)),),
        scratch=channels * g["k_h"] * band_w)


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
