"""UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's integer LSTM (``lstm_eval``), int8 activations with an
int16 cell state and int32 bias, or int16 activations with int64 bias; int8 weights. TFLM runs
no peephole, projection, layer-norm or CIFG variant, and neither does edgeq-micro.

Prepare, as TFLM's ``PrepareGateParametersInteger`` and ``CreateLstmCellStateInfo`` compute it:
each gate's input and recurrent fully connected layers requantize to Q3.12 (scale 2^-12,
zero point 0: the multiplier of input scale * weight scale / 2^-12, in double as the
oracle computes it); the gates' outputs
are Q0.15; the products forget * cell, input * cell gate and output * tanh(cell) requantize to
the cell state's and the hidden state's scales. The cell state's scale is read as a power of
two (its rounded log2) for the tanh of the cell; ``cell_clip`` is quantized by truncation.

The hidden and cell state are variable tensors: the memory planner keeps them in the arena
between inferences (``edgeq.codegen.native.emit.state_tensors``) and the kernel updates them
in place, so a model run once a frame carries its state as TFLM does.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, c_array, f32, fast_rows, fields, interleave_rows, quantize_multiplier, register,
)

OPS = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)
INPUT, HIDDEN, CELL = 0, 18, 19
WEIGHTS = tuple(range(1, 9))  # input-to-{input, forget, cell, output}, then recurrent-to-...
BIASES = (12, 13, 14, 15)  # input, forget, cell, output gate
ABSENT = (9, 10, 11, 16, 17, 20, 21, 22, 23)  # peephole, projection, layer norm
NAMES = {9: "peephole", 10: "peephole", 11: "peephole", 16: "projection", 17: "projection"}
GATE_IN_SCALE = 2.0 ** -12  # the fully connected layers' Q3.12 output
GATE_OUT_SCALE = 2.0 ** -15  # the sigmoid / tanh Q0.15 output
LIMITS = {"INT8": (-128, 127), "INT16": (-32768, 32767)}


def _t(sg: Subgraph, op: Operator, slot: int):
    return sg.tensor(op.inputs[slot]) if slot < len(op.inputs) and op.inputs[slot] >= 0 else None


def _per_tensor(t) -> bool:
    return t is not None and t.quant is not None and len(t.quant.scale) == 1


def _sizes(op: Operator, sg: Subgraph) -> tuple[int, int, int, int]:
    """(batches, steps, input size, units) as TFLM's CreateLstmSizeInfo reads them."""
    x, h = _t(sg, op, INPUT), _t(sg, op, HIDDEN)
    major = bool(op.options.get("time_major"))
    return (x.shape[1] if major else x.shape[0]), (x.shape[0] if major else x.shape[1]), x.shape[2], h.shape[-1]


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this LSTM, else why not (TFLM's own checks first)."""
    if len(op.inputs) != 24 or len(op.outputs) != 1:
        return "not the 24-input, 1-output LSTM"
    x, h, c, y = _t(sg, op, INPUT), _t(sg, op, HIDDEN), _t(sg, op, CELL), sg.tensor(op.outputs[0])
    if x is None or h is None or c is None or y is None:
        return "input, hidden state or cell state missing"
    if x.dtype == "FLOAT32":
        return "a float LSTM (edgeq-micro runs int8 and int16x8 LSTMs: quantize the model)"
    if x.dtype not in LIMITS or h.dtype != x.dtype or y.dtype != x.dtype:
        return f"input {x.dtype}, hidden state {h.dtype}, output {y.dtype} (int8 or int16, all alike)"
    if c.dtype != "INT16":
        return f"cell state {c.dtype} (TFLM's quantized LSTM takes int16)"
    if not (h.is_variable and c.is_variable):
        return "the hidden and cell state are not variable tensors"
    for slot in ABSENT:
        if _t(sg, op, slot) is not None:
            return f"{NAMES.get(slot, 'layer-norm')} input {slot} (TFLM's LSTM has none)"
    if not all(_per_tensor(t) for t in (x, h, c, y)):
        return "input, states or output not per-tensor quantized"
    ws = [_t(sg, op, s) for s in WEIGHTS]
    if any(w is None for w in ws):
        return "a gate's weights are missing (CIFG: TFLM's LSTM needs all four gates)"
    if any(w.dtype != "INT8" or not w.is_constant or not _per_tensor(w) for w in ws):
        return "weights must be constant per-tensor int8"
    bs = [_t(sg, op, s) for s in BIASES]
    want = "INT32" if x.dtype == "INT8" else "INT64"
    if any(b is None or b.dtype != want or not b.is_constant for b in bs):
        return f"gate biases must be constant {want.lower()} for {x.dtype.lower()} activations"
    if op.options.get("fused_activation_function", "TANH") != "TANH":
        return f"cell activation {op.options.get('fused_activation_function')} (TFLM takes tanh)"
    if len(x.shape) != 3 or len(y.shape) != 3:
        return "input and output must be 3-D sequences"
    batches, _steps, n_in, units = _sizes(op, sg)
    if any(tuple(w.shape) != (units, n_in) for w in ws[:4]) or any(tuple(w.shape) != (units, units) for w in ws[4:]):
        return "weights of the wrong shape"
    if any(tuple(b.shape) != (units,) for b in bs):
        return "biases of the wrong shape"
    if h.num_elements != batches * units or c.num_elements != batches * units:
        return "state sizes do not match batches x units"
    if tuple(y.shape[:2]) != tuple(x.shape[:2]) or y.shape[2] != units:
        return f"output shape {list(y.shape)} is not the sequence of hidden states"
    return None


def _fc_multiplier(in_scale: float, w_scale: float) -> tuple[int, int]:
    """GetQuantizedConvolutionMultipler as the tflite_micro oracle computes it: the float
    scales widened to double, their product over 2^-12 (the TFLM source tree rounds the
    product to float first; FULLY_CONNECTED's fuzz cases show the oracle does not)."""
    return quantize_multiplier(float(f32(in_scale)) * float(f32(w_scale)) / GATE_IN_SCALE)


def _mul_multiplier(a: float, b: float, out: float) -> tuple[int, int]:
    """CreateInterGateMulParams: double products and quotient."""
    return quantize_multiplier(float(a) * float(b) / float(f32(out)))


def _log2_power(scale: float) -> int:
    """CheckedLog2's rounded exponent, in float as TFLM computes it."""
    v = np.float32(np.log(np.float32(scale))) * np.float32(1.0 / np.float32(np.log(np.float32(2.0))))
    return int(np.round(np.float32(v)))


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, h, c = _t(sg, op, INPUT), _t(sg, op, HIDDEN), _t(sg, op, CELL)
    batches, steps, n_in, units = _sizes(op, sg)
    major = bool(op.options.get("time_major"))
    ws = [_t(sg, op, s) for s in WEIGHTS]
    in_fc = [_fc_multiplier(x.quant.scale[0], w.quant.scale[0]) for w in ws[:4]]
    rec_fc = [_fc_multiplier(h.quant.scale[0], w.quant.scale[0]) for w in ws[4:]]
    cs = float(f32(c.quant.scale[0]))
    forget = _mul_multiplier(GATE_OUT_SCALE, cs, cs)
    inp = _mul_multiplier(GATE_OUT_SCALE, GATE_OUT_SCALE, cs)
    hid = _mul_multiplier(GATE_OUT_SCALE, GATE_OUT_SCALE, h.quant.scale[0])
    clip = float(f32(op.options.get("cell_clip", 0.0) or 0.0))
    qclip = int(min(max(clip / cs, -32768.0), 32767.0)) if clip > 0 else 0
    left = 15 + _log2_power(cs) - 3
    tanh_mult, tanh_shift = (3, -left) if left < 0 else (0, left)
    lo, hi = LIMITS[h.dtype]
    act = "int16_t" if x.dtype == "INT16" else "int8_t"
    bias = "int64_t" if x.dtype == "INT16" else "int32_t"
    from edgeq.ops.logistic import sigmoid_table

    return KernelCall(
        source="lstm.c",
        function="edgeq_lstm_s16" if x.dtype == "INT16" else "edgeq_lstm_s8",
        struct_type="edgeq_lstm_params_t",
        fields=fields(
            time_major=major, batches=batches, steps=steps, input_size=n_in, units=units,
            input_offset=-x.quant.zero_point[0], hidden_offset=-h.quant.zero_point[0],
            in_weights_offset=c_array([-w.quant.zero_point[0] for w in ws[:4]], 4),
            rec_weights_offset=c_array([-w.quant.zero_point[0] for w in ws[4:]], 4),
            in_multiplier=c_array([m for m, _ in in_fc], 4), in_shift=c_array([s for _, s in in_fc], 4),
            rec_multiplier=c_array([m for m, _ in rec_fc], 4), rec_shift=c_array([s for _, s in rec_fc], 4),
            forget_multiplier=forget[0], forget_shift=forget[1], input_multiplier=inp[0], input_shift=inp[1],
            hidden_multiplier=hid[0], hidden_shift=hid[1], hidden_zero_point=h.quant.zero_point[0],
            hidden_min=lo, hidden_max=hi, cell_clip=qclip, tanh_multiplier=tanh_mult, tanh_shift=tanh_shift,
            table="@table",
        ),
        args=(*(Arg(op.inputs[s], "int8_t") for s in WEIGHTS), *(Arg(op.inputs[s], bias) for s in BIASES),
              Arg(op.inputs[INPUT], act), Arg(op.inputs[HIDDEN], act, True), Arg(op.inputs[CELL], "int16_t", True),
              Arg(op.outputs[0], act, True)),
        arrays=(("table", "uint16_t", sigmoid_table()),),
        packed_inputs=len(WEIGHTS),
        scratch=4 * (batches if major else 1) * units * 2,
    )


def specialize(op: Operator, sg: Subgraph, call: KernelCall, features: frozenset[str]) -> KernelCall:
    """The fast variant (``lstm_fast.h``) of an int8 LSTM with weights of zero point 0: each
    step's four input layers as one product of 4 x units rows and the four recurrent layers as
    another (edgeq_gemm.h's 4-row blocks: DSP SIMD on a core with ``dsp``, portable C
    elsewhere), the gate weights re-laid-out as those blocks; the same arithmetic otherwise."""
    if call.function != "edgeq_lstm_s8":
        return call
    ws = [sg.tensor(op.inputs[s]) for s in WEIGHTS]
    if any(z != 0 for w in ws for z in w.quant.zero_point):
        return call
    units = ws[0].shape[0]
    w_in, in_pad = fast_rows(np.concatenate([w.numpy() for w in ws[:4]]))
    w_rec, rec_pad = fast_rows(np.concatenate([w.numpy() for w in ws[4:]]))
    bias = np.concatenate([sg.tensor(op.inputs[s]).numpy() for s in BIASES]).astype(np.int32)
    base = "{" + ", ".join(f".{k} = {v}" for k, v in call.fields if k != "table") + ", .table = @table}"
    return dataclasses.replace(
        call, source="lstm_fast.h", function="edgeq_lstm_s8_fast", struct_type="edgeq_lstm_fast_params_t",
        fields=(("lstm", base), ("in_groups", str(in_pad // 4)), ("rec_groups", str(rec_pad // 4))),
        args=(Arg(-1, "int8_t", const="w_in"), Arg(-1, "int8_t", const="w_rec"), Arg(-1, "int32_t", const="bias"),
              Arg(-1, "int32_t", const="zeros"), *call.args[len(WEIGHTS) + len(BIASES):]),
        consts=(("w_in", "int8_t", interleave_rows(w_in, 4)), ("w_rec", "int8_t", interleave_rows(w_rec, 4)),
                ("bias", "int32_t", bias), ("zeros", "int32_t", np.zeros(4 * units, np.int32))),
        packed_inputs=0,
        scratch=2 * (in_pad + rec_pad) + 2 * 4 * 4 * units,
    )


register(__name__, OPS)
