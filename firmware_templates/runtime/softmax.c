/* SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128), along the last dimension.
 * exp() and 1/x are gemmlowp's fixed-point approximations (edgeq_fixedpoint.h), as in
 * TFLite Micro; the differences are in Q5.26 (5 integer bits). */
#include <stddef.h>

#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

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
                sum = edgeq_wrap_add(sum, edgeq_rounding_divide_by_pot(edgeq_exp_on_negative_values(scaled, 5), 12));
            }
        }
        headroom = count_leading_zeros((uint32_t)sum);
        bits_over_unit = 12 - headroom;
        scale = edgeq_one_over_one_plus_x(
            (int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31)));
        exponent = bits_over_unit + 31 - out_bits;
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_v;
            if (diff >= p->diff_min) {
                const int32_t scaled = edgeq_sat_rounding_doubling_high_mul(
                    edgeq_wrap_shl(diff, p->input_left_shift), p->input_multiplier);
                const int32_t e = edgeq_exp_on_negative_values(scaled, 5);
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
