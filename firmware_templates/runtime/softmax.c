/* SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128), along the last dimension.
 * exp() and 1/x are gemmlowp's fixed-point approximations, as in TFLite Micro. */
#include <stddef.h>

#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor expansion around -1/8. */
static int32_t exp_quarter(int32_t a)
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

/* exp(a) for a <= 0 given in Q5.26; result in Q0.31. */
static int32_t exp_negative_q5_26(int32_t a)
{
    /* exp(-2^k) in Q0.31 for k = -2 .. 4 */
    static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308,
                                       39332535,   720401,     242};
    const int32_t quarter = (int32_t)1 << 24;
    const int32_t a_mod = edgeq_wrap_sub(a & (quarter - 1), quarter);
    int32_t result = exp_quarter(edgeq_sat_mul_pot(a_mod, 5));
    const int32_t remainder = edgeq_wrap_sub(a_mod, a);
    int k;
    for (k = 0; k < 7; ++k) {
        if (remainder & ((int32_t)1 << (24 + k))) {
            result = edgeq_sat_rounding_doubling_high_mul(result, factors[k]);
        }
    }
    return (a == 0) ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1) in Q0.31: three Newton-Raphson steps in Q2.29. */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int32_t one_q2 = (int32_t)1 << 29;
    const int32_t c48_17 = 1515870810;
    const int32_t cm32_17 = -1010580540;
    /* rounding half sum of a and 1.0 (INT32_MAX in Q0.31) */
    const int64_t sum = (int64_t)a + (int64_t)INT32_MAX;
    const int32_t half_den = (int32_t)((sum + ((sum >= 0) ? 1 : -1)) / 2);
    int32_t x = edgeq_wrap_add(c48_17, edgeq_sat_rounding_doubling_high_mul(half_den, cm32_17));
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t hdx = edgeq_sat_rounding_doubling_high_mul(half_den, x);
        const int32_t one_minus = edgeq_wrap_sub(one_q2, hdx);
        x = edgeq_wrap_add(x, edgeq_sat_mul_pot(edgeq_sat_rounding_doubling_high_mul(x, one_minus), 2));
    }
    return edgeq_sat_mul_pot(x, 1);
}

static int count_leading_zeros(uint32_t v)
{
    int n = 0;
    if (v == 0) {
        return 32;
    }
    while (!(v & 0x80000000u)) {
        v <<= 1;
        ++n;
    }
    return n;
}

/* out_bits 8: int8 output (zero point -128); 16: int16 output (zero point -32768). */
static void softmax_from_s8(const edgeq_softmax_params_t *p, const int8_t *input, int8_t *out8,
                            int16_t *out16, int out_bits)
{
    int32_t i, c;
    for (i = 0; i < p->outer; ++i) {
        const int8_t *in = input + i * p->depth;
        int32_t max_v = INT8_MIN;
        int32_t sum = 0; /* Q12.19 */
        int headroom, bits_over_unit, exponent;
        int32_t scale;
        for (c = 0; c < p->depth; ++c) {
            max_v = (in[c] > max_v) ? in[c] : max_v;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_v;
            if (diff >= p->diff_min) {
                const int32_t scaled = edgeq_sat_rounding_doubling_high_mul(
                    edgeq_wrap_shl(diff, p->input_left_shift), p->input_multiplier);
                sum = edgeq_wrap_add(sum, edgeq_rounding_divide_by_pot(exp_negative_q5_26(scaled), 12));
            }
        }
        headroom = count_leading_zeros((uint32_t)sum);
        bits_over_unit = 12 - headroom;
        scale = one_over_one_plus_x(
            (int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31)));
        exponent = bits_over_unit + 31 - out_bits;
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_v;
            if (diff >= p->diff_min) {
                const int32_t scaled = edgeq_sat_rounding_doubling_high_mul(
                    edgeq_wrap_shl(diff, p->input_left_shift), p->input_multiplier);
                const int32_t e = exp_negative_q5_26(scaled);
                const int32_t v = edgeq_rounding_divide_by_pot(
                    edgeq_sat_rounding_doubling_high_mul(scale, e), exponent);
                if (out_bits == 8) {
                    out8[i * p->depth + c] = (int8_t)edgeq_clamp(v - 128, -128, 127);
                } else {
                    out16[i * p->depth + c] = (int16_t)edgeq_clamp(v - 32768, -32768, 32767);
                }
            } else if (out_bits == 8) {
                out8[i * p->depth + c] = INT8_MIN;
            } else {
                out16[i * p->depth + c] = INT16_MIN;
            }
        }
    }
}

void edgeq_softmax_s8(const edgeq_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    softmax_from_s8(p, input, output, NULL, 8);
}

void edgeq_softmax_s8_s16(const edgeq_softmax_params_t *p, const int8_t *input, int16_t *output)
{
    softmax_from_s8(p, input, NULL, output, 16);
}

/* TFLM's LUTLookup: linear interpolation between entries of a 513-entry table indexed by
 * the top 9 bits of an int16. */
static int16_t lut_lookup(int16_t value, const int16_t *lut)
{
    const int32_t index = 256 + (edgeq_asr(value, 7));
    const int32_t offset = value & 0x7f;
    const int16_t base = lut[index];
    const int16_t slope = edgeq_wrap16((int32_t)lut[index + 1] - (int32_t)lut[index]);
    const int32_t delta = edgeq_asr(slope * offset + 64, 7);
    return edgeq_wrap16(base + delta);
}

void edgeq_softmax_s16(const edgeq_softmax_s16_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i, c;
    for (i = 0; i < p->outer; ++i) {
        const int16_t *in = input + i * p->depth;
        int16_t *out = output + i * p->depth; /* holds exp() until the final pass */
        int16_t max_v = INT16_MIN;
        int32_t sum = 0; /* Q16.15 */
        int headroom_plus_one, right_shift;
        int32_t shifted_sum, sym;
        int16_t reciprocal;
        for (c = 0; c < p->depth; ++c) {
            max_v = (in[c] > max_v) ? in[c] : max_v;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t scaled = edgeq_mul_by_quantized_multiplier((int32_t)in[c] - max_v,
                                                                     p->input_multiplier, p->input_left_shift);
            out[c] = lut_lookup((int16_t)edgeq_clamp(scaled + 32767, -32768, 32767), p->exp_lut);
            sum += out[c];
        }
        headroom_plus_one = count_leading_zeros((uint32_t)sum);
        shifted_sum = (int32_t)edgeq_asr64(((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13), 14);
        sym = shifted_sum - ((1 << 15) + (1 << 16));
        reciprocal = lut_lookup((int16_t)edgeq_clamp(sym, -32768, 32767), p->one_over_one_plus_x_lut);
        right_shift = 31 - headroom_plus_one;
        for (c = 0; c < p->depth; ++c) {
            const int32_t r = (int32_t)edgeq_asr64((int64_t)out[c] * reciprocal + ((int64_t)1 << (right_shift - 1)),
                                                   right_shift);
            out[c] = (int16_t)edgeq_clamp(r, 0, 32767);
        }
    }
}
