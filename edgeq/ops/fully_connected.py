"""FULLY_CONNECTED (int8, per-tensor or per-channel int8 weights, optional int32 bias;
int16x8: int16 activations with int64 bias)."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import (
    Arg, KernelCall, activation_range, channel_multipliers, check_activation, check_bias, check_io,
    fast_requant, fast_rows, fields, gemm_operands, io_types, mve_gemm_operands, small_accumulators,
)

OPS = ("FULLY_CONNECTED",)
SOURCE = "fully_connected.c"


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this FULLY_CONNECTED, else why not."""
    reason = check_io(op, sg) or check_activation(op)
    if reason:
        return reason
    w = sg.tensor(op.inputs[1]) if len(op.inputs) > 1 else None
    if w is None or w.dtype != "INT8" or w.quant is None or not w.is_constant or len(w.shape) != 2:
        return f"weights must be constant int8 2-D, not {w.dtype if w else 'missing'}"
    if op.options.get("weights_format", "DEFAULT") != "DEFAULT":
        return f"weights format {op.options.get('weights_format')}"
    if any(z != 0 for z in w.quant.zero_point):
        return "weights with a non-zero zero point"
    if w.quant.per_channel and len(w.quant.scale) != w.shape[0]:
        return "per-channel weights must be quantized along the output units"
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    reason = check_bias(op, sg.tensor(op.inputs[0]), b)
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if w.shape[1] == 0 or x.num_elements % w.shape[1]:
        return "input size is not a multiple of the weights' depth"
    if y.num_elements != (x.num_elements // w.shape[1]) * w.shape[0]:
        return "output size does not match the weights"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's CalculateOpDataFullyConnected computes."""
    x, w, y = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    per_channel = w.quant.per_channel
    n = w.shape[0] if per_channel else 1
    # per-tensor too: double(input scale) * double(filter scale) / double(output scale), what the
    # tflite_micro oracle computes (the TFLM source tree rounds the product to float first, a
    # difference that fuzz cases of int16x8 with int32 accumulators expose)
    mults, shifts = channel_multipliers(x.quant.scale[0], w.quant.scale, y.quant.scale[0], n)
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y)
    act, acc, suffix = io_types(x, op, b)
    return KernelCall(
        source="fully_connected_s16.c" if suffix.startswith("s16") else SOURCE,
        function=f"edgeq_fully_connected_{suffix}",
        struct_type="edgeq_fc_params_t",
        fields=fields(
            batches=x.num_elements // w.shape[1], accum_depth=w.shape[1], out_depth=w.shape[0],
            input_offset=-x.quant.zero_point[0], filter_offset=-w.quant.zero_point[0],
            output_offset=y.quant.zero_point[0], act_min=lo, act_max=hi,
            per_channel=per_channel, multiplier="@mult", shift="@shift",
        ),
        args=(Arg(op.inputs[0], act), Arg(op.inputs[1], "int8_t"),
              Arg(b.index if b is not None else -1, acc), Arg(op.outputs[0], act, True)),
        arrays=(("mult", "int32_t", mults), ("shift", "int32_t", shifts)),
    )


def specialize(op: Operator, sg: Subgraph, call: KernelCall, features: frozenset[str]) -> KernelCall:
    """The fast variant (``fully_connected_fast.h``: the input row widened once, 4-row blocks
    of DSP SIMD MACs on a core with ``dsp``) for int8 with multipliers below 1 and
    accumulators small enough for its requantization; the weights padded to a multiple of 4
    and interleaved in 4-row blocks; a scratch column. On a core with ``mve`` the Helium
    variant (``fully_connected_mve.h``: 4-row blocks of 16-byte chunks, VMLADAVA products,
    the input offset folded into the bias, no scratch) under the same conditions. Otherwise
    ``call`` unchanged."""
    if call.function != "edgeq_fully_connected_s8":
        return call
    f = dict(call.fields)
    w = sg.tensor(op.inputs[1])
    b = sg.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    out_depth = int(f["out_depth"])
    arrays = dict((n, v) for n, _t, v in call.arrays)
    rq = fast_requant(arrays["mult"], arrays["shift"], out_depth)
    rows, depth_pad = fast_rows(w.numpy())
    if (rq is None or int(f["filter_offset"]) != 0
            or not small_accumulators(rows, b.numpy() if b is not None else None, int(f["input_offset"]))):
        return call
    if "mve" in features:
        args, consts, arrays, chunks, tail = mve_gemm_operands(
            call, np.asarray(w.numpy()).reshape(out_depth, -1), b.numpy() if b is not None else None,
            int(f["input_offset"]), rq)
        return dataclasses.replace(
            call, source="fully_connected_mve.h", function="edgeq_fully_connected_s8_mve",
            struct_type="edgeq_fc_mve_params_t",
            fields=(("batches", f["batches"]), ("depth", f["accum_depth"]), ("out_depth", f["out_depth"]),
                    ("chunks", str(chunks)), ("tail", str(tail)), ("output_offset", f["output_offset"]),
                    ("act_min", f["act_min"]), ("act_max", f["act_max"]), ("multiplier", "@mult"),
                    ("neg_right", "@neg_right")),
            args=args, arrays=arrays, consts=consts)
    new_fields = (("batches", f["batches"]), ("depth", f["accum_depth"]), ("depth_pad", str(depth_pad)),
                  ("out_depth", f["out_depth"]), ("input_offset", f["input_offset"]),
                  ("output_offset", f["output_offset"]), ("act_min", f["act_min"]), ("act_max", f["act_max"]),
                  ("multiplier", "@mult"), ("right", "@right"), ("round", "@round"))
    args, consts = gemm_operands(call, rows, 4)
    return dataclasses.replace(
        call, source="fully_connected_fast.h", function="edgeq_fully_connected_s8_fast",
        struct_type="edgeq_fc_fast_params_t", fields=new_fields,
        args=args, arrays=rq,
        consts=consts, scratch=depth_pad * 2 + 4 * out_depth)  # the column, one accumulator a row


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
