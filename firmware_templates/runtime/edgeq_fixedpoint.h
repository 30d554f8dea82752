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

#endif /* EDGEQ_FIXEDPOINT_H */
