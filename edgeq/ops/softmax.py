"""SOFTMAX, the variants TFLM runs: int8 -> int8 (scale 1/256, zero point -128), int8 -> int16
(scale 1/65536, zero point -32768) and int16 -> int16 (scale 1/32768, zero point 0; TFLM's
lookup tables, regenerated here with its float arithmetic)."""

from __future__ import annotations

import math

import numpy as np

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, check_io, check_io_int8, f32, fields, libm_f32, per_tensor_int8, quantize_multiplier,
    register,
)

OPS = ("SOFTMAX",)
SOURCE = "softmax.c"
SCALED_DIFF_INTEGER_BITS = 5
LUT_SIZE = 513


def _beta_multiplier(beta: float, input_scale: float) -> float:
    # PreprocessSoftmaxScaling: double(beta) * double(scale) * 2^(31 - 5), capped
    return min(float(f32(beta)) * float(f32(input_scale)) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)),
               float((1 << 31) - 1))


def _near(scale: float, want: float) -> bool:
    # TF_LITE_ENSURE_NEAR in float: |scale - want| <= 0.001 * want
    return abs(float(f32(scale)) - want) <= 0.001 * want


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this SOFTMAX, else why not."""
    x = sg.tensor(op.inputs[0]) if op.inputs else None
    y = sg.tensor(op.outputs[0]) if op.outputs else None
    if x is None or y is None:
        return "missing input or output"
    if not x.shape or x.num_elements != y.num_elements:
        return "input and output shapes differ"
    if x.dtype == "INT16":
        reason = check_io(op, sg)
        if reason:
            return reason
        if not _near(y.quant.scale[0], 1.0 / 32768):
            return "int16 output must have scale 1/32768 (TFLM requires it)"
        return None
    if x.dtype == "INT8" and y.dtype == "INT16":
        if not per_tensor_int8(x) or y.quant is None or len(y.quant.scale) != 1:
            return "input must be per-tensor int8, output per-tensor int16"
        if y.quant.zero_point[0] != -32768 or not _near(y.quant.scale[0], 1.0 / 65536):
            return "int16 output of an int8 SOFTMAX must have scale 1/65536 and zero point -32768"
    else:
        reason = check_io_int8(op, sg)
        if reason:
            return reason
        if y.quant.zero_point[0] != -128 or f32(y.quant.scale[0]) != f32(1.0 / 256):
            return "int8 output must have scale 1/256 and zero point -128"
    if _beta_multiplier(op.options.get("beta", 1.0), x.quant.scale[0]) <= 1.0:
        return "beta * input scale too small"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's CalculateSoftmaxParams computes."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    depth = x.shape[-1]
    beta = op.options.get("beta", 1.0)
    if x.dtype == "INT16":
        real = float(f32(x.quant.scale[0])) * float(f32(beta)) / (10.0 / 65535.0)
        mult, shift = quantize_multiplier(real)
        exp_lut, recip_lut = _int16_luts()
        return KernelCall(
            source=SOURCE, function="edgeq_softmax_s16", struct_type="edgeq_softmax_s16_params_t",
            fields=fields(outer=x.num_elements // depth, depth=depth, input_multiplier=mult,
                          input_left_shift=shift, exp_lut="@exp_lut", one_over_one_plus_x_lut="@recip_lut"),
            args=(Arg(op.inputs[0], "int16_t"), Arg(op.outputs[0], "int16_t", True)),
            arrays=(("exp_lut", "int16_t", exp_lut), ("recip_lut", "int16_t", recip_lut)),
        )
    mult, shift = quantize_multiplier(_beta_multiplier(beta, x.quant.scale[0]))
    # CalculateInputRadius(5, shift): the most negative difference that cannot overflow
    radius = math.floor(1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1)
                        * (1 << (31 - SCALED_DIFF_INTEGER_BITS)) / (1 << shift))
    out16 = y.dtype == "INT16"
    return KernelCall(
        source=SOURCE,
        function="edgeq_softmax_s8_s16" if out16 else "edgeq_softmax_s8",
        struct_type="edgeq_softmax_params_t",
        fields=fields(outer=x.num_elements // depth, depth=depth, input_multiplier=mult,
                      input_left_shift=shift, diff_min=-radius),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int16_t" if out16 else "int8_t", True)),
    )


# ---- TFLM's int16 lookup tables ----------------------------------------------------------

def _round(v) -> np.float32:
    """std::round on a float: to nearest, ties away from zero, result a float."""
    v = float(v)
    return f32(math.copysign(math.floor(abs(v) + 0.5), v))


def lut_populate_int16(transform, input_scale, input_zero_point: int, output_scale,
                       output_zero_point: int) -> tuple[int, ...]:
    """TFLM's LUTPopulateInt16<float>: 512 samples of ``transform`` over the int16 input range,
    each biased by half the interpolation error at its interval's midpoint, plus the end
    point; every operation in float32, in TFLM's order."""
    input_min = f32(input_scale) * f32(-32768 - input_zero_point)
    input_max = f32(input_scale) * f32(32767 - input_zero_point)
    output_min = f32(output_scale) * f32(-32768 - output_zero_point)
    output_max = f32(output_scale) * f32(32767 - output_zero_point)
    steps = 512
    step = (input_max - input_min) / f32(steps)
    half_step = step / f32(2)
    inv = f32(65536) / (output_max - output_min)
    lut = []
    for i in range(steps):
        base = input_min + f32(i) * step
        val = transform(base)
        val_mid = transform(base + half_step)
        val_next = transform(input_min + f32(i + 1) * step)
        sample = _round(val * inv)
        interp = _round((val_next * inv + _round(val * inv)) / f32(2))
        err = interp - _round(val_mid * inv)
        bias = _round(err / f32(2))
        lut.append(int(min(max(sample - bias, f32(-32768)), f32(32767))))
    lut.append(int(min(max(_round(transform(input_max) * inv), f32(-32768)), f32(32767))))
    return tuple(lut)


_LUTS: tuple | None = None


def _int16_luts() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """InitializeLutForInt16: exp on [-10, 0] and 1 / (1 + x) on [0, 1], Q0.15 outputs."""
    global _LUTS
    if _LUTS is None:
        expf = libm_f32("expf")
        rng = f32(65535)
        exp_lut = lut_populate_int16(expf, f32(10.0) / rng, 32767, f32(2.0) / rng, 0)
        recip = lut_populate_int16(lambda v: f32(1.0) / (f32(1.0) + f32(v)), f32(1.0) / rng, -32768,
                                   f32(2.0) / rng, 0)
        _LUTS = (exp_lut, recip)
    return _LUTS


register(__name__, OPS)
