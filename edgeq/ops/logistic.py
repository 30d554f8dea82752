"""LOGISTIC and TANH.

int8: gemmlowp fixed point on the input rescaled to Q4.27, as TFLM. TFLM assumes the output
quantization the converter emits (LOGISTIC: scale 1/256, zero point -128; TANH: scale 1/128,
zero point 0) and computes the output bytes from the input alone.

int16 (int16x8 models; zero points 0, output scale 2^-15): TFLM interpolates a fixed
256-entry table of sigmoid(i/24) in Q0.16 whose entries are not a plain rounding of the
function, so edgeq reads the table back from the pinned tflite-micro interpreter (one TANH
evaluation whose input rescaling lands exactly on the table's knots) instead of copying it.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, check_io, check_io_int8, checked_log2, f32, fields, register, round_half_away,
)

OPS = ("LOGISTIC", "TANH")
INPUT_INTEGER_BITS = 4


def _params(scale: float) -> tuple[int, int, int] | None:
    """(multiplier, left shift, input range radius) as TFLM's Prepare computes them."""
    real = float(f32(scale)) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, shift = math.frexp(real)
    mult = round_half_away(q * (1 << 31))
    if mult >= (1 << 31) or not 0 <= shift <= 30:
        return None
    # CalculateInputRadius(4, shift, 31), in double
    radius = math.floor(1.0 * ((1 << INPUT_INTEGER_BITS) - 1) * (1 << (31 - INPUT_INTEGER_BITS)) / (1 << shift))
    return mult, shift, radius


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this LOGISTIC/TANH, else why not."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if x is not None and x.dtype == "INT16":
        reason = check_io(op, sg)
        if reason:
            return reason
        if x.num_elements != y.num_elements:
            return "input and output sizes differ"
        if checked_log2(y.quant.scale[0]) != (True, -15):
            return f"int16 {op.name} output scale must be 2^-15 (TFLM requires it)"
        try:
            sigmoid_table()
        except Exception as exc:  # the interpreter is missing or misbehaves
            return f"int16 {op.name} needs TFLM's sigmoid table from the tflite-micro package: {exc}"
        return None
    reason = check_io_int8(op, sg)
    if reason:
        return reason
    if x.num_elements != y.num_elements:
        return "input and output sizes differ"
    if op.name == "LOGISTIC" and y.quant.zero_point[0] != -128:
        return "int8 LOGISTIC output zero point must be -128 (TFLM requires it)"
    if _params(x.quant.scale[0]) is None:
        return "input scale outside the range TFLM's int8 kernel handles"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's CalculateArithmeticOpData(Logistic) computes for int8."""
    x = sg.tensor(op.inputs[0])
    tanh = op.name == "TANH"
    if x.dtype == "INT16":
        mult, shift = int16_rescale(x.quant.scale[0], tanh)
        return KernelCall(
            source="tanh.c" if tanh else "logistic.c",
            function="edgeq_tanh_s16" if tanh else "edgeq_logistic_s16",
            struct_type="edgeq_sigmoid16_params_t",
            fields=fields(size=x.num_elements, input_multiplier=mult, input_left_shift=shift, table="@table"),
            args=(Arg(op.inputs[0], "int16_t"), Arg(op.outputs[0], "int16_t", True)),
            inplace=(0,),  # elementwise
            arrays=(("table", "uint16_t", sigmoid_table()),),
        )
    mult, shift, radius = _params(x.quant.scale[0])
    return KernelCall(
        source="tanh.c" if tanh else "logistic.c",
        function="edgeq_tanh_s8" if tanh else "edgeq_logistic_s8",
        struct_type="edgeq_sigmoid_params_t",
        fields=fields(size=x.num_elements, input_zero_point=x.quant.zero_point[0],
                      input_range_radius=radius, input_multiplier=mult, input_left_shift=shift),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
        inplace=(0,),  # elementwise
    )


def int16_rescale(scale, tanh: bool) -> tuple[int, int]:
    """(input multiplier, left shift) as TFLM's int16 LOGISTIC/TANH Prepare computes them:
    multiplier 0 for the power-of-two scales its kernel special-cases, else the scale times
    3 * 2^12 doubled (in double) until it exceeds 32767 / 2, truncated."""
    pot, log2 = checked_log2(scale)
    shift = (15 - 3) + log2
    if pot and (shift == 0 or (tanh and shift == 1)):
        return 0, shift
    m, shift = float(f32(scale)) * 4096.0 * 3.0, 0
    while m <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        m *= 2.0
    return int(m), shift


@functools.lru_cache(maxsize=1)
def sigmoid_table() -> tuple[int, ...]:
    """TFLM's int16 sigmoid table, read back from the tflite-micro interpreter.

    A TANH with input scale ~2/12288 rescales its input x to exactly 2x (multiplier 2^14,
    shift 13), so x = 128 j lands on knot j with no interpolation and the output is
    table[j] - 32768; the last entry follows from the interpolation just below it."""
    from tflite_micro import runtime as tflm

    scale = f32(2.0 / 12288)
    if int16_rescale(scale, True) != (16384, 13):
        scale = np.nextafter(scale, f32(1))
    assert int16_rescale(scale, True) == (16384, 13)
    x = np.array([128 * j for j in range(255)] + [128 * 254 + 127], dtype=np.int16).reshape(1, 256)
    it = tflm.Interpreter.from_bytes(_one_op_model("TANH", float(scale), 2.0 ** -15, 256))
    it.set_input(x, 0)
    it.invoke()
    out = np.array(it.get_output(0)).reshape(-1).astype(np.int64)
    table = [int(v) + 32768 for v in out[:255]]
    table.append(table[254] + int(out[255]) - int(out[254]))
    if not all(0 <= a <= b <= 65535 for a, b in zip(table, table[1:])):
        raise RuntimeError("unexpected sigmoid table read back from TFLM")
    return tuple(table)


def _one_op_model(op_name: str, in_scale: float, out_scale: float, n: int) -> bytes:
    """A one-op int16 [1, n] -> [1, n] flatbuffer (schema module shipped with tflite-micro)."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s

    model = s.ModelT()
    model.version = 3
    model.buffers = [s.BufferT()]
    sg = s.SubGraphT()
    sg.tensors = []
    for k, scale in enumerate((in_scale, out_scale)):
        t = s.TensorT()
        t.shape, t.type, t.buffer, t.name = [1, n], s.TensorType.INT16, 0, f"t{k}".encode()
        q = s.QuantizationParametersT()
        q.scale, q.zeroPoint = [scale], [0]
        t.quantization = q
        sg.tensors.append(t)
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = getattr(s.BuiltinOperator, op_name)
    code.version = 1
    model.operatorCodes = [code]
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [1]
    sg.operators, sg.inputs, sg.outputs = [op], [0], [1]
    model.subgraphs = [sg]
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


register(__name__, OPS)
