/* edgeq-micro: integer fixed-point helpers shared by the kernels.
 *
 * These reproduce, bit for bit, the arithmetic TensorFlow Lite Micro's reference kernels
 * use (gemmlowp-style "double rounding" requantization). Signed overflow is never relied
 * upon: where TFLM's C++ wraps, the wrap is done here on unsigned types.
 */
#ifndef EDGEQ_FIXEDPOINT_H
#define EDGEQ_FIXEDPOINT_H

#include <stdint.h>

/* Wrapping 32-bit add/sub/shift (defined behaviour, same bits as a two's-complement wrap). */
static inline int32_t edgeq_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t edgeq_wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

static inline int32_t edgeq_wrap_shl(int32_t a, int n)
{
    return (int32_t)((uint32_t)a << n);
}

/* Arithmetic shift right of a signed value (implementation-defined in C99 for negative
 * values; written out so the result does not depend on the compiler). */
static inline int32_t edgeq_asr(int32_t x, int n)
{
    return (x >= 0) ? (x >> n) : (int32_t)~(~(uint32_t)x >> n);
}

/* (a * b * 2) >> 32 rounded to nearest, ties away from zero; saturates the single
 * overflowing case INT32_MIN * INT32_MIN. */
static inline int32_t edgeq_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = (ab >= 0) ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C99 division truncates toward zero, as the reference does. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero. */
static inline int32_t edgeq_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + ((x < 0) ? 1 : 0);
    return edgeq_asr(x, exponent) + ((remainder > threshold) ? 1 : 0);
}

/* Saturating x * 2^exponent for exponent >= 0. */
static inline int32_t edgeq_sat_mul_pot(int32_t x, int exponent)
{
    int32_t threshold;
    if (exponent == 0) {
        return x;
    }
    threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return edgeq_wrap_shl(x, exponent);
}

/* Requantize: x * multiplier * 2^shift with TFLM's double rounding (shift > 0: left). */
static inline int32_t edgeq_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift)
{
    const int left = (shift > 0) ? shift : 0;
    const int right = (shift > 0) ? 0 : -shift;
    return edgeq_rounding_divide_by_pot(
        edgeq_sat_rounding_doubling_high_mul(edgeq_wrap_shl(x, left), multiplier), right);
}

/* min(max(x, lo), hi): TFLM's order, so even lo > hi gives the same answer. */
static inline int32_t edgeq_clamp(int32_t x, int32_t lo, int32_t hi)
{
    const int32_t m = (x < lo) ? lo : x;
    return (m > hi) ? hi : m;
}

/* ---- gemmlowp's fixed-point transcendental functions (int32 raw values) ----
 * A value with `ib` integer bits has 31 - ib fractional bits; results are Q0.31. */

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor expansion around -1/8. */
static inline int32_t edgeq_exp_on_interval_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = edgeq_wrap_add(a, (int32_t)1 << 28);
    const int32_t x2 = edgeq_sat_rounding_doubling_high_mul(x, x);
    const int32_t x3 = edgeq_sat_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = edgeq_sat_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_4 = edgeq_rounding_divide_by_pot(x4, 2);
    const int32_t poly = edgeq_rounding_divide_by_pot(
        edgeq_wrap_add(edgeq_sat_rounding_doubling_high_mul(edgeq_wrap_add(x4_4, x3), one_third), x2), 1);
    return edgeq_wrap_add(exp_minus_one_eighth,
                          edgeq_sat_rounding_doubling_high_mul(exp_minus_one_eighth, edgeq_wrap_add(x, poly)));
}

/* exp(a) for a <= 0 with `ib` integer bits (0 <= ib <= 6); result Q0.31. */
static inline int32_t edgeq_exp_on_negative_values(int32_t a, int ib)
{
    /* exp(-2^k) in Q0.31 for k = -2 .. 4 */
    static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308,
                                       39332535,   720401,     242};
    const int frac = 31 - ib;
    const int32_t quarter = (int32_t)1 << (frac - 2);
    const int32_t a_mod = edgeq_wrap_sub(a & (quarter - 1), quarter);
    const int32_t remainder = edgeq_wrap_sub(a_mod, a);
    int32_t result = edgeq_exp_on_interval_quarter(edgeq_sat_mul_pot(a_mod, ib));
    int k;
    for (k = 0; k < 7; ++k) {
        const int exponent = k - 2;
        if (ib > exponent && (remainder & (int32_t)((uint32_t)1 << (frac + exponent)))) {
            result = edgeq_sat_rounding_doubling_high_mul(result, factors[k]);
        }
    }
    if (ib > 5 && a < -(int32_t)((uint32_t)1 << (36 - ib))) {
        result = 0;
    }
    return (a == 0) ? INT32_MAX : result;
}

/* Newton-Raphson for 1 / (1 + a), a in [0, 1) Q0.31; returns x in Q2.29 (gemmlowp's shared
 * part of one_over_one_plus_x_for_x_in_0_1 and one_minus_x_over_one_plus_x_for_x_in_0_1). */
static inline int32_t edgeq_newton_one_over_one_plus_x_q2(int32_t a)
{
    const int32_t one_q2 = (int32_t)1 << 29;
    const int32_t c48_17 = 1515870810;
    const int32_t cm32_17 = -1010580540;
    const int64_t sum = (int64_t)a + (int64_t)INT32_MAX; /* rounding half sum with 1.0 */
    const int32_t half_den = (int32_t)((sum + ((sum >= 0) ? 1 : -1)) / 2);
    int32_t x = edgeq_wrap_add(c48_17, edgeq_sat_rounding_doubling_high_mul(half_den, cm32_17));
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t hdx = edgeq_sat_rounding_doubling_high_mul(half_den, x);
        const int32_t one_minus = edgeq_wrap_sub(one_q2, hdx);
        x = edgeq_wrap_add(x, edgeq_sat_mul_pot(edgeq_sat_rounding_doubling_high_mul(x, one_minus), 2));
    }
    return x;
}

/* 1 / (1 + a), a in [0, 1), Q0.31. */
static inline int32_t edgeq_one_over_one_plus_x(int32_t a)
{
    return edgeq_sat_mul_pot(edgeq_newton_one_over_one_plus_x_q2(a), 1);
}

/* (1 - a) / (1 + a), a in [0, 1), Q0.31. */
static inline int32_t edgeq_one_minus_x_over_one_plus_x(int32_t a)
{
    return edgeq_sat_mul_pot(edgeq_wrap_sub(edgeq_newton_one_over_one_plus_x_q2(a), (int32_t)1 << 29), 2);
}

/* gemmlowp::logistic of a value with `ib` integer bits; Q0.31 result. */
static inline int32_t edgeq_logistic_fixed(int32_t a, int ib)
{
    int32_t pos;
    if (a == 0) {
        return (int32_t)1 << 30;
    }
    pos = edgeq_one_over_one_plus_x(edgeq_exp_on_negative_values(a > 0 ? edgeq_wrap_sub(0, a) : a, ib));
    return (a > 0) ? pos : edgeq_wrap_sub(INT32_MAX, pos);
}

/* gemmlowp::tanh of a value with `ib` integer bits; Q0.31 result. */
static inline int32_t edgeq_tanh_fixed(int32_t a, int ib)
{
    int32_t t;
    if (a == 0) {
        return 0;
    }
    /* exp(2n) for n = -|a|: the same raw value read with one more integer bit */
    t = edgeq_one_minus_x_over_one_plus_x(
        edgeq_exp_on_negative_values(a < 0 ? a : edgeq_wrap_sub(0, a), ib + 1));
    return (a < 0) ? edgeq_wrap_sub(0, t) : t;
}

/* ---- int16 primitives (gemmlowp's int16 overloads) ---- */

static inline int16_t edgeq_wrap16(int32_t x)
{
    return (int16_t)(uint16_t)(uint32_t)x;
}

static inline int16_t edgeq_sat_rounding_doubling_high_mul16(int16_t a, int16_t b)
{
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = (ab >= 0) ? (1 << 14) : (1 - (1 << 14));
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return edgeq_wrap16((ab + nudge) / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT on an int16 value; exponent in [0, 31] (the mask wraps to
 * 16 bits like the template's, so exponents >= 16 give the same odd results). */
static inline int16_t edgeq_rounding_divide_by_pot16(int16_t x, int exponent)
{
    const int16_t mask = edgeq_wrap16((int32_t)(((int64_t)1 << exponent) - 1));
    const int32_t remainder = (int16_t)(x & mask);
    const int32_t threshold = edgeq_wrap16((mask >> 1) + ((x < 0) ? 1 : 0));
    const int32_t shifted = (exponent >= 16) ? ((x < 0) ? -1 : 0) : edgeq_asr(x, exponent);
    return edgeq_wrap16(shifted + ((remainder > threshold) ? 1 : 0));
}

/* ---- int16x8 requantization ---- */

/* An int16 input rescaled as TFLM's int16 LOGISTIC/TANH do: x * multiplier, rounding
 * shift right; multiplier 0 means a power-of-two input scale (3 << shift, no shift). */
static inline int32_t edgeq_rescale_s16(int16_t x, int32_t multiplier, int32_t shift)
{
    if (multiplier == 0) {
        multiplier = 3 << shift;
        shift = 0;
    }
    return edgeq_asr(x * multiplier + ((shift > 0) ? (1 << (shift - 1)) : 0), (int)shift);
}

/* Arithmetic shift right of a signed 64-bit value. */
static inline int64_t edgeq_asr64(int64_t x, int n)
{
    return (x >= 0) ? (x >> n) : (int64_t)~(~(uint64_t)x >> n);
}

/* TFLM's MultiplyByQuantizedMultiplier for an int64 accumulator (int16x8 kernels): the
 * multiplier rounded to 16 bits, one rounding shift, the result truncated to 32 bits. */
static inline int32_t edgeq_mul_by_quantized_multiplier64(int64_t x, int32_t multiplier, int shift)
{
    const int64_t reduced = (multiplier < 0x7FFF0000) ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int total_shift = 15 - shift;
    const uint64_t prod = (uint64_t)x * (uint64_t)reduced + ((uint64_t)1 << (total_shift - 1));
    return (int32_t)(uint32_t)(uint64_t)edgeq_asr64((int64_t)prod, total_shift);
}

/* ---- int16 LOGISTIC / TANH: TFLM's interpolation in its 256-entry sigmoid table (Q0.16) ----
 * x is the input already rescaled (edgeq_rescale_s16); the results are Q0.15. Shared by the
 * LOGISTIC and TANH kernels and the LSTM gates. */
static inline int16_t edgeq_sigmoid16_lut(int32_t x, const uint16_t *table)
{
    const uint32_t a = (uint32_t)(x < 0 ? -x : x);
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255) {
        r = (uint32_t)0x7FFF << 10;
    } else {
        const uint32_t ua = table[uh], ub = table[uh + 1];
        r = (ua << 9) + (a & 0x1ff) * (ub - ua);
    }
    r = (x >= 0) ? (r + (1u << 9)) : ((1u << 25) - r + (1u << 9) - 1u);
    return (int16_t)(r >> 10);
}

/* tanh(x) = 2 sigmoid(2x) - 1, on the same table. */
static inline int16_t edgeq_tanh16_lut(int32_t x, const uint16_t *table)
{
    const uint32_t a = (uint32_t)(x < 0 ? -x : x);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255) {
        r = (int32_t)((uint32_t)0xFFFF << 8);
    } else {
        const uint32_t ua = table[uh], ub = table[uh + 1];
        r = (int32_t)((ua << 8) + (a & 0xff) * (ub - ua));
    }
    r = (x >= 0) ? (r - (1 << 23) + (1 << 7)) : (-r + (1 << 23) + (1 << 7) - 1);
    return (int16_t)edgeq_asr(r, 8);
}

#endif /* EDGEQ_FIXEDPOINT_H */
