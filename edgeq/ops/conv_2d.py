"""CONV_2D (int8, per-channel or per-tensor int8 weights, int32 bias; int16x8: int16
activations with int64 bias) for edgeq-micro."""

from __future__ import annotations

import dataclasses
import sys

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import (
    Arg, KernelCall, activation_range, channel_multipliers, check_activation, check_bias, check_io,
    fast_requant, fast_rows, fields, gemm_operands, mve_gemm_operands, io_types, small_accumulators, window_fields, window_mismatch,
    window_inplace_gap,
)

OPS = ("CONV_2D",)
SOURCE = "conv_2d.c"


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this CONV_2D, else why not."""
    reason = check_io(op, sg) or check_activation(op)
    if reason:
        return reason
    w = sg.tensor(op.inputs[1]) if len(op.inputs) > 1 else None
    if w is None or w.dtype != "INT8" or w.quant is None or not w.is_constant or len(w.shape) != 4:
        return f"weights must be constant int8 4-D, not {w.dtype if w else 'missing'}"
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4:
        return "input and output must be 4-D"
    if any(z != 0 for z in w.quant.zero_point):
        return "weights with a non-zero zero point"
    if w.quant.per_channel and (w.quant.quantized_dimension != 0 or len(w.quant.scale) != w.shape[0]):
        return "per-channel weights must be quantized along the output channels"
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    reason = check_bias(op, sg.tensor(op.inputs[0]), b)
    if reason:
        return reason
    if x.shape[3] % w.shape[3] or y.shape[3] % max(x.shape[3] // w.shape[3], 1) or y.shape[3] != w.shape[0]:
        return "inconsistent channel counts"
    return window_mismatch(op, x, w, y)


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's Conv Prepare computes, as the kernel's parameter struct."""
    x, w, y = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    o = op.options
    out_c = y.shape[3]
    mults, shifts = channel_multipliers(x.quant.scale[0], w.quant.scale, y.quant.scale[0], out_c)
    lo, hi = activation_range(o.get("fused_activation_function", "NONE"), y)
    act, acc, suffix = io_types(x, op, b)
    gap = window_inplace_gap(op, x, w, y)
    return KernelCall(
        source="conv_2d_s16.c" if suffix.startswith("s16") else SOURCE,
        function=f"edgeq_conv_2d_{suffix}",
        struct_type="edgeq_conv_params_t",
        fields=fields(
            batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], in_c=x.shape[3],
            out_h=y.shape[1], out_w=y.shape[2], out_c=out_c,
            k_h=w.shape[1], k_w=w.shape[2], filter_in_c=w.shape[3],
            **window_fields(op, x, w, y),
            input_offset=-x.quant.zero_point[0], output_offset=y.quant.zero_point[0],
            act_min=lo, act_max=hi, multiplier="@mult", shift="@shift", out_stride=out_c,
        ),
        args=(Arg(op.inputs[0], act), Arg(op.inputs[1], "int8_t"),
              Arg(b.index if b is not None else -1, acc), Arg(op.outputs[0], act, True)),
        arrays=(("mult", "int32_t", mults), ("shift", "int32_t", shifts)),
        # row-major window walk: the output may overlap the input from this far below it
        inplace=(0,) if gap is not None else (), inplace_gap=gap,
        # one output pixel after another, out_stride elements apart
        row_stride=("out_stride", out_c),
    )


def specialize(op: Operator, sg: Subgraph, call: KernelCall, features: frozenset[str]) -> KernelCall:
    """The fast variant (``conv_2d_fast.h``: im2col into int16 columns, 2x2-blocked matrix
    product; DSP SIMD MACs on a core with ``dsp``) where it applies: int8, one group,
    multipliers below 1, accumulators small enough for its requantization (checked on the
    constant weights and bias). Its filter rows are padded to a multiple of 4 and
    interleaved in channel pairs (a re-laid-out copy of the weights); its scratch is two
    columns. Same memory contract as the reference (in-place gap, row stride). Otherwise
    ``call`` unchanged."""
    if call.function != "edgeq_conv_2d_s8":
        return call
    x, w = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    if w.shape[3] != x.shape[3]:  # grouped convolution: the reference kernel
        return call
    f = dict(call.fields)
    arrays = dict((n, v) for n, _t, v in call.arrays)
    out_c = int(f["out_c"])
    rq = fast_requant(arrays["mult"], arrays["shift"], out_c)
    rows, depth_pad = fast_rows(w.numpy())
    if rq is None or not small_accumulators(rows, b.numpy() if b is not None else None, int(f["input_offset"])):
        return call
    if "mve" in features:
        return _helium(op, sg, call, rq)
    keep = ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h", "k_w", "stride_h", "stride_w",
            "dilation_h", "dilation_w", "pad_h", "pad_w", "input_offset", "output_offset", "act_min", "act_max")
    new_fields = (tuple((k, f[k]) for k in keep)
                  + (("multiplier", "@mult"), ("right", "@right"), ("round", "@round"), ("out_stride", f["out_stride"]),
                     ("depth", str(w.shape[1] * w.shape[2] * w.shape[3])), ("depth_pad", str(depth_pad))))
    args, consts = gemm_operands(call, rows, 2)
    return dataclasses.replace(
        call, source="conv_2d_fast.h", function="edgeq_conv_2d_s8_fast", struct_type="edgeq_conv_fast_params_t",
        fields=new_fields, args=args,
        arrays=rq, consts=consts,
        # two int16 columns, then 4 int32 accumulators a channel pair
        scratch=2 * depth_pad * 2 + 4 * 4 * (out_c // 2))


def _helium(op: Operator, sg: Subgraph, call: KernelCall, rq) -> KernelCall:
    """The Helium variant (``conv_2d_mve.h``): the filter in 4-row blocks of 16-byte chunks,
    the input offset folded into the bias; a 1x1 window without padding reads the input's
    pixels directly (a scratch holds one pixel's outputs), otherwise a scratch of two im2col
    columns."""
    x, w = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    f = dict(call.fields)
    depth = w.shape[1] * w.shape[2] * w.shape[3]
    args, consts, arrays, chunks, tail = mve_gemm_operands(
        call, w.numpy().reshape(w.shape[0], depth), b.numpy() if b is not None else None, int(f["input_offset"]), rq)
    direct = int(w.shape[1] == 1 and w.shape[2] == 1 and int(f["pad_h"]) == 0 and int(f["pad_w"]) == 0)
    col_stride = depth + (-depth % 16)
    keep = ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h", "k_w", "stride_h", "stride_w",
            "dilation_h", "dilation_w", "pad_h", "pad_w")
    new_fields = (tuple((k, f[k]) for k in keep)
                  + (("input_zero_point", str(x.quant.zero_point[0])), ("output_offset", f["output_offset"]),
                     ("act_min", f["act_min"]), ("act_max", f["act_max"]),
                     ("multiplier", "@mult"), ("neg_right", "@neg_right"), ("out_stride", f["out_stride"]),
                     ("chunks", str(chunks)), ("tail", str(tail)), ("direct", str(direct)),
                     ("col_stride", str(col_stride))))
    return dataclasses.replace(
        call, source="conv_2d_mve.h", function="edgeq_conv_2d_s8_mve", struct_type="edgeq_conv_mve_params_t",
        fields=new_fields, args=args, arrays=arrays, consts=consts,
        # direct: the second pixel's outputs (rows padded to a block); else two columns
        scratch=int(f["out_c"]) + (-int(f["out_c"]) % 4) if direct else 2 * col_stride)


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
