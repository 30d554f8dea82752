"""BATCH_MATMUL (int8, and int16 with zero points 0; ranks 2 to 5 with broadcast batch
dimensions; adj_x / adj_y): TFLM's reference arithmetic. Prepare: one multiplier,
lhs scale * rhs scale (a float product, as GetQuantizedConvolutionMultipler takes it) /
output scale. Each output is the zero-point-corrected dot product along the depth,
requantized (int8: int32 sums; int16: int64 sums and the 64-bit requantization)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, c_array, f32, fields, quantize_multiplier, register, row_major_strides

OPS = ("BATCH_MATMUL",)
RANK = 5


def _extended(shape) -> tuple[int, ...]:
    return (1,) * (RANK - len(shape)) + tuple(shape)


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this BATCH_MATMUL, else why not."""
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    a, b, y = (sg.tensor(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if any(t is None or t.dtype not in ("INT8", "INT16") or t.quant is None or t.quant.per_channel for t in (a, b, y)):
        return "not per-tensor quantized int8 or int16"
    if len({a.dtype, b.dtype, y.dtype}) != 1:
        return "inputs and output of different types"
    if a.dtype == "INT16" and any(t.quant.zero_point[0] != 0 for t in (a, b, y)):
        return "int16 with a nonzero zero point (TFLM requires 0)"
    if not (2 <= len(a.shape) <= RANK and 2 <= len(b.shape) <= RANK):
        return f"ranks {len(a.shape)} and {len(b.shape)} (TFLM takes 2 to {RANK})"
    la, lb = _extended(a.shape), _extended(b.shape)
    if any(x != z and x != 1 and z != 1 for x, z in zip(la[:3], lb[:3])):
        return f"batch dimensions {list(a.shape[:-2])} and {list(b.shape[:-2])} do not broadcast"
    rows, depth_a = (la[4], la[3]) if op.options.get("adj_x") else (la[3], la[4])
    depth_b, cols = (lb[4], lb[3]) if op.options.get("adj_y") else (lb[3], lb[4])
    if depth_a != depth_b:
        return f"depths {depth_a} and {depth_b} differ"
    want = tuple(max(x, z) for x, z in zip(la[:3], lb[:3])) + (rows, cols)
    if _extended(y.shape) != want or len(y.shape) != max(len(a.shape), len(b.shape)):
        return f"output shape {list(y.shape)} is not the product's"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    a, b, y = (sg.tensor(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    la, lb = _extended(a.shape), _extended(b.shape)
    sa, sb = row_major_strides(la), row_major_strides(lb)
    batch = [max(x, z) for x, z in zip(la[:3], lb[:3])]
    adj_x, adj_y = bool(op.options.get("adj_x")), bool(op.options.get("adj_y"))
    rows, depth = (la[4], la[3]) if adj_x else (la[3], la[4])
    cols = lb[3] if adj_y else lb[4]
    # lhs element (i, k) and rhs element (k, j) as steps over the stored (last two) dimensions
    lhs_row, lhs_depth = (1, la[4]) if adj_x else (la[4], 1)
    rhs_depth, rhs_col = (1, lb[4]) if adj_y else (lb[4], 1)
    real = float(f32(f32(a.quant.scale[0]) * f32(b.quant.scale[0]))) / float(f32(y.quant.scale[0]))
    m, s = quantize_multiplier(real)
    lo, hi = (-32768, 32767) if y.dtype == "INT16" else (-128, 127)
    ctype = "int16_t" if y.dtype == "INT16" else "int8_t"
    return KernelCall(
        source="batch_matmul.c",
        function="edgeq_batch_matmul_s16" if y.dtype == "INT16" else "edgeq_batch_matmul_s8",
        struct_type="edgeq_batch_matmul_params_t",
        fields=fields(
            batch=c_array(batch, 3),
            lhs_batch_stride=c_array([sa[d] if la[d] != 1 else 0 for d in range(3)], 3),
            rhs_batch_stride=c_array([sb[d] if lb[d] != 1 else 0 for d in range(3)], 3),
            rows=rows, cols=cols, depth=depth, lhs_row_step=lhs_row, lhs_depth_step=lhs_depth,
            rhs_depth_step=rhs_depth, rhs_col_step=rhs_col,
            lhs_offset=-a.quant.zero_point[0], rhs_offset=-b.quant.zero_point[0],
            output_offset=y.quant.zero_point[0], multiplier=m, shift=s, act_min=lo, act_max=hi,
        ),
        args=(Arg(op.inputs[0], ctype), Arg(op.inputs[1], ctype), Arg(op.outputs[0], ctype, True)),
    )


register(__name__, OPS)
