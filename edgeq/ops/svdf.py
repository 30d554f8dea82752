"""SVDF (int8 input, feature weights and output; int16 or int8 time weights with a state of
the same type; optional int32 bias; any rank >= 1 that divides the filter count; batch >= 1):
TFLM's reference integer kernel. The activation state is a variable tensor: the kernel
updates it in place and it carries over from one inference to the next.

Prepare, as the oracle's: two multipliers, each computed in double from the float scales
before QuantizeMultiplier: scale 1 = input scale * feature weight scale / state scale (the
state is the requantized feature product), scale 2 = state scale * time weight scale /
output scale. TFLM's integer path ignores the fused activation (the output is only clamped to
int8), and so does the kernel. The bias scale must be within 1e-5 of state scale * time
weight scale (TFLM's Prepare fails otherwise).

Without a bias TFLM's Prepare crashes (it reads the missing bias's scale); edgeq-micro runs
such a model as if the bias were zeros.
"""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph, Tensor
from edgeq.ops._common import Arg, KernelCall, f32, fields, quantize_multiplier, register

OPS = ("SVDF",)
INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, BIAS, STATE = range(5)
MAX_SHIFT = 30  # a larger left shift overflows TFLM's (1 << shift)


def _per_tensor(t: Tensor) -> bool:
    return t.quant is not None and len(t.quant.scale) == 1


def _scale(t: Tensor | None) -> float:
    """TfLiteTensor.params.scale: the (first) scale, 0 without quantization."""
    return float(t.quant.scale[0]) if t is not None and t.quant is not None and t.quant.scale else 0.0


def _d(t: Tensor | None) -> float:
    """A tensor's float32 scale as a double."""
    return float(f32(_scale(t)))


def _multipliers(op: Operator, sg: Subgraph) -> tuple[tuple[int, int], tuple[int, int]]:
    x, wf, wt, st = (sg.tensor(op.inputs[i]) for i in (INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, STATE))
    y = sg.tensor(op.outputs[0])
    # each float scale widened to double, then double products and quotients: what the
    # tflite_micro oracle's PrepareSvdf computes (its machine code: cvtss2sd, mulsd, divsd).
    # TFLM's current source rounds the product and quotient to float first (a precision fix,
    # #1501, that was later reverted); the oracle was built with the fix.
    scale1 = _d(x) * _d(wf) / _d(st)
    scale2 = _d(st) * _d(wt) / _d(y)
    return quantize_multiplier(scale1), quantize_multiplier(scale2)


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this SVDF, else why not."""
    if len(op.inputs) != 5 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs (TFLM takes 5 inputs, one output)"
    if any(op.inputs[i] < 0 for i in (INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, STATE)):
        return "input, weights or activation state missing"
    x, wf, wt, st = (sg.tensor(op.inputs[i]) for i in (INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, STATE))
    bias = sg.tensor(op.inputs[BIAS]) if op.inputs[BIAS] >= 0 else None
    y = sg.tensor(op.outputs[0])
    if "FLOAT32" in (x.dtype, wf.dtype):
        return "float SVDF (edgeq-micro runs int8 only)"
    if x.dtype != "INT8" or wf.dtype != "INT8" or y.dtype != "INT8":
        return f"input {x.dtype}, feature weights {wf.dtype}, output {y.dtype} (int8 SVDF takes int8)"
    if wt.dtype not in ("INT16", "INT8"):
        return f"time weights {wt.dtype} (TFLM takes int16 or int8)"
    if st.dtype != wt.dtype:
        return f"activation state {st.dtype} with {wt.dtype} time weights (TFLM reads the state as the time weights' type)"
    if bias is not None and bias.dtype != "INT32":
        return f"bias {bias.dtype} (TFLM takes int32)"
    if not all(_per_tensor(t) for t in (x, wf, wt, st, y)):
        return "input, weights, state or output not per-tensor quantized"
    if not st.is_variable:
        return "activation state is not a variable tensor"
    rank = int(op.options.get("rank", 0))
    if rank < 1:
        return f"rank {rank}"
    if len(x.shape) != 2 or len(y.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(st.shape) != 2:
        return "input, output, weights and state must be 2-D"
    batch, input_size = x.shape
    filters, memory = wf.shape[0], wt.shape[1]
    if filters % rank:
        return f"{filters} filters not a multiple of rank {rank}"
    units = filters // rank
    if min(batch, input_size, filters, memory) < 1:
        return "empty tensor"
    if wf.shape[1] != input_size or wt.shape[0] != filters:
        return "weight shapes do not match the input"
    if tuple(y.shape) != (batch, units):
        return f"output shape {list(y.shape)} is not [batch, units] = {[batch, units]}"
    if tuple(st.shape) != (batch, memory * filters):
        return f"state shape {list(st.shape)} is not [batch, memory * filters] = {[batch, memory * filters]}"
    if bias is not None:
        if not bias.shape or bias.shape[0] != units:
            return f"bias shape {list(bias.shape)} does not give {units} units"
        if not abs(_d(bias) - _d(st) * _d(wt)) < 1e-5:
            return "bias scale differs from state scale * time weight scale (TFLM's Prepare fails)"
    (_, s1), (_, s2) = _multipliers(op, sg)
    if max(s1, s2) > MAX_SHIFT:
        return "effective scale 2^30 or more"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, wf, wt, st = (sg.tensor(op.inputs[i]) for i in (INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, STATE))
    y = sg.tensor(op.outputs[0])
    rank = int(op.options["rank"])
    batch, input_size = (int(v) for v in x.shape)
    filters, memory = int(wf.shape[0]), int(wt.shape[1])
    (m1, s1), (m2, s2) = _multipliers(op, sg)
    ctype = "int16_t" if wt.dtype == "INT16" else "int8_t"
    return KernelCall(
        source="svdf.c",
        function="edgeq_svdf_s8_s16" if wt.dtype == "INT16" else "edgeq_svdf_s8_s8",
        struct_type="edgeq_svdf_params_t",
        fields=fields(
            batch=batch, input_size=input_size, num_filters=filters, num_units=filters // rank,
            rank=rank, memory_size=memory,
            input_offset=-int(x.quant.zero_point[0]), state_zero_point=int(st.quant.zero_point[0]),
            output_offset=int(y.quant.zero_point[0]),
            multiplier1=m1, shift1=s1, multiplier2=m2, shift2=s2,
        ),
        args=(Arg(op.inputs[INPUT], "int8_t"), Arg(op.inputs[WEIGHTS_FEATURE], "int8_t"),
              Arg(op.inputs[WEIGHTS_TIME], ctype), Arg(op.inputs[BIAS], "int32_t"),
              Arg(op.inputs[STATE], ctype, True), Arg(op.outputs[0], "int8_t", True)),
    )


register(__name__, OPS)
