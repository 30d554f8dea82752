"""MEAN and SUM (int8 or int16, any set of axes; Keras' GlobalAveragePooling2D converts to
MEAN). TFLM computes both in QuantizedMeanOrSum: an int32 sum less the input zero point times
the count, requantized by input scale / output scale; MEAN also folds 1 / count into the
multiplier."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    MAX_DIMS, Arg, KernelCall, act_type, c_array, check_io, const_ints, f32, fields, quantize_multiplier,
    register, row_major_strides,
)

OPS = ("MEAN", "SUM")
SOURCE = "mean.c"


def _axes(op: Operator, sg: Subgraph) -> list[int] | None:
    """ResolveAxis: negative axes wrapped, duplicates dropped (None: not a valid constant)."""
    x = sg.tensor(op.inputs[0])
    vals = const_ints(sg, op.inputs[1]) if len(op.inputs) > 1 else None
    if vals is None or sg.tensor(op.inputs[1]).dtype != "INT32":
        return None
    rank, out = len(x.shape), []
    for a in vals:
        a = a + rank if a < 0 else a
        if not 0 <= a < rank:
            return None
        if a not in out:
            out.append(a)
    return out


def geometry(shape, axes) -> dict:
    """The walk of a reduction (``edgeq_mean_params_t``'s first fields): the kept dimensions
    (one output each step) and the reduced ones (the elements of one output), size-1
    dimensions dropped."""
    strides = row_major_strides(shape)
    kept = [d for d in range(len(shape)) if d not in axes and shape[d] != 1]
    reduced = [d for d in sorted(axes) if shape[d] != 1]
    return dict(outer_dims=len(kept), outer_shape=c_array([shape[d] for d in kept]),
                outer_strides=c_array([strides[d] for d in kept]),
                inner_dims=len(reduced), inner_shape=c_array([shape[d] for d in reduced]),
                inner_strides=c_array([strides[d] for d in reduced]))


def reduced_count(shape, axes) -> int:
    """Input elements per output of a reduction over ``axes``."""
    count = 1
    for a in axes:
        count *= shape[a]
    return count


def reduction_problem(op: Operator, sg: Subgraph) -> str | None:
    """Why a reduction over a constant axis tensor cannot run (None: it can)."""
    axes = _axes(op, sg)
    if axes is None:
        return "axis must be a constant int32 tensor of valid axes"
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if len(x.shape) > MAX_DIMS:
        return f"more than {MAX_DIMS} dimensions"
    count = reduced_count(x.shape, axes)
    if count == 0 or x.num_elements // count != y.num_elements:
        return "output size does not match the reduction"
    return None


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this MEAN or SUM, else why not."""
    return check_io(op, sg) or reduction_problem(op, sg)


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """TFLM's PrepareMeanOrSum plus the per-count multiplier QuantizedMeanOrSum derives."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    axes = _axes(op, sg)
    count = reduced_count(x.shape, axes)
    mult, shift = quantize_multiplier(float(f32(x.quant.scale[0])) / float(f32(y.quant.scale[0])))
    if op.name == "MEAN":  # the division by the element count folded into the multiplier, in int64 as TFLM does
        n_shift = min(count.bit_length() - 1, 32, 31 + shift)
        mult = (mult << n_shift) // count if n_shift >= 0 else (mult >> -n_shift) // count
        shift -= n_shift
    ctype, suffix = act_type(x)
    return KernelCall(
        source=SOURCE,
        function=f"edgeq_mean_{suffix}",
        struct_type="edgeq_mean_params_t",
        fields=fields(
            **geometry(x.shape, axes), num_outputs=y.num_elements, count=count,
            input_zero_point=x.quant.zero_point[0], output_zero_point=y.quant.zero_point[0],
            multiplier=mult, shift=shift,
        ),
        args=(Arg(op.inputs[0], ctype), Arg(op.outputs[0], ctype, True)),
    )


register(__name__, OPS)
