"""Host-side quantization maths shared by the native op modules.

Each function reproduces what TensorFlow Lite Micro computes in an op's ``Prepare()``
(``QuantizeMultiplier``, ``CalculateActivationRangeQuantized``, padding), with the same
float/double precision at each step, so the constants baked into the generated C are the
ones TFLM would compute at run time. The kernel structs they feed are declared in
``firmware_templates/runtime/edgeq_micro.h``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edgeq.model.ir import Operator, Subgraph, Tensor

SUPPORTED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
INT8_MIN, INT8_MAX = -128, 127


@dataclass(frozen=True)
class Arg:
    """One pointer argument of a kernel call: a tensor (index) or NULL (tensor = -1)."""

    tensor: int
    ctype: str  # element type, e.g. "int8_t"
    writable: bool = False


@dataclass(frozen=True)
class KernelCall:
    """The render context of one op: a const parameter struct and one kernel call.

    ``fields`` are C initializers in struct order; a value ``"@name"`` refers to the
    per-op constant array ``arrays[name]`` (emitted by the code generator as
    ``static const <ctype> op<N>_<name>[]``).
    """

    source: str  # runtime file that defines ``function``, e.g. "conv_2d.c"
    function: str
    struct_type: str
    fields: tuple[tuple[str, str], ...]
    args: tuple[Arg, ...]
    arrays: tuple[tuple[str, str, tuple[int, ...]], ...] = field(default=())
    # the first ``packed_inputs`` args are passed as one C array (ops with N inputs)
    packed_inputs: int = 0


@dataclass(frozen=True)
class Alias:
    """The op is a view: its output shares its input's bytes (RESHAPE, SQUEEZE, ...)."""

    output: int
    input: int


def round_half_away(x: float) -> int:
    """``std::round``: to nearest, ties away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: ``real ~= m * 2^(shift - 31)``, ``m`` a Q0.31 int32."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return int(q_fixed), int(shift)


def f32(x) -> np.float32:
    return np.float32(x)


def activation_range(activation: str, out: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for an int8 output."""
    scale, zp = out.quant.scale[0], out.quant.zero_point[0]

    def q(v: float) -> int:
        # float division then std::round of a float, as TFLM's lambda does
        return zp + round_half_away(float(f32(v) / f32(scale)))

    lo, hi = INT8_MIN, INT8_MAX
    if activation == "RELU":
        lo = max(lo, q(0.0))
    elif activation == "RELU6":
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif activation == "RELU_N1_TO_1":
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    return lo, hi


def out_size(padding: str, size: int, k: int, stride: int, dilation: int = 1) -> int:
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - eff) // stride


def pad_before(stride: int, dilation: int, size: int, k: int, out: int) -> int:
    """ComputePaddingWithOffset: the padding before the first row/column."""
    eff = (k - 1) * dilation + 1
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2


def tensor(sg: Subgraph, index: int) -> Tensor | None:
    return sg.tensor(index)


def per_tensor_int8(t: Tensor | None) -> bool:
    return t is not None and t.dtype == "INT8" and t.quant is not None and len(t.quant.scale) == 1


def check_io_int8(op: Operator, sg: Subgraph, inputs: tuple[int, ...] = (0,)) -> str | None:
    """A reason when the listed inputs and output 0 are not per-tensor int8 activations."""
    for slot in inputs:
        if slot >= len(op.inputs):
            return f"input {slot} missing"
        t = sg.tensor(op.inputs[slot])
        if t is None or t.dtype != "INT8":
            return f"input {slot} is {t.dtype if t else 'missing'}; edgeq-micro runs int8 only"
        if not per_tensor_int8(t):
            return f"input {slot} is not per-tensor quantized int8"
    if not op.outputs:
        return "no output"
    o = sg.tensor(op.outputs[0])
    if o is None or o.dtype != "INT8":
        return f"output is {o.dtype if o else 'missing'}; edgeq-micro runs int8 only"
    if not per_tensor_int8(o):
        return "output is not per-tensor quantized int8"
    return None


def check_activation(op: Operator) -> str | None:
    act = op.options.get("fused_activation_function", "NONE")
    if act not in SUPPORTED_ACTIVATIONS:
        return f"fused activation {act} is not supported"
    return None


def fields(**kw) -> tuple[tuple[str, str], ...]:
    """Keyword arguments -> ordered C initializers (ints rendered as decimal)."""
    out = []
    for k, v in kw.items():
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, (int, np.integer)):
            out.append((k, str(int(v))))
        elif isinstance(v, (float, np.floating)):
            out.append((k, c_float(v)))
        else:
            out.append((k, str(v)))
    return tuple(out)


def c_float(v) -> str:
    """A float32 value as a C literal that round-trips exactly."""
    v = float(np.float32(v))
    if math.isinf(v) or math.isnan(v):
        raise ValueError("non-finite float constant")
    return f"{v:.9g}f" if ("e" in f"{v:.9g}" or "." in f"{v:.9g}") else f"{v:.9g}.0f"


def channel_multipliers(input_scale: float, filter_scales, output_scale: float, channels: int):
    """Per-channel (multiplier, shift) as PopulateConvolutionQuantizationParams computes them:
    double(input_scale) * double(filter_scale) / double(output_scale); a per-tensor filter
    scale is used for every channel."""
    mults, shifts = [], []
    for c in range(channels):
        fs = filter_scales[c] if len(filter_scales) > 1 else filter_scales[0]
        eff = float(f32(input_scale)) * float(f32(fs)) / float(f32(output_scale))
        m, s = quantize_multiplier(eff)
        mults.append(m)
        shifts.append(s)
    return tuple(mults), tuple(shifts)
