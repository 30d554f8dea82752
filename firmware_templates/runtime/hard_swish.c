/* HARD_SWISH, int8: x * relu6(x + 3) / 6 in int16 fixed point, as TFLM's reference kernel
 * (a "reluish" factor in [0, 1) times the input on a finer scale). */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

/* int16 * 2^amount, saturated to int16 */
static int16_t sat_left_shift16(int16_t v, int amount)
{
    const int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

/* (a * b) / 2^15 truncated toward zero, saturating the one overflow */
static int16_t sat_doubling_high_mul16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return edgeq_wrap16(((int32_t)a * (int32_t)b) / (1 << 15));
}

void edgeq_hard_swish_s8(const edgeq_hard_swish_params_t *p, const int8_t *input, int8_t *output)
{
    const int16_t out_mult = (int16_t)p->output_multiplier_fixedpoint_int16;
    const int16_t relu_mult = (int16_t)p->reluish_multiplier_fixedpoint_int16;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int16_t x = edgeq_wrap16((int32_t)input[i] - p->input_zero_point);
        const int16_t hires = edgeq_wrap16((int32_t)x * (1 << 7));
        const int16_t preshift_out = edgeq_sat_rounding_doubling_high_mul16(hires, out_mult);
        int16_t reluish = hires;
        int16_t out;
        int32_t v;
        if (p->reluish_multiplier_exponent > 0) {
            reluish = sat_left_shift16(reluish, p->reluish_multiplier_exponent - 1);
        }
        reluish = edgeq_sat_rounding_doubling_high_mul16(reluish, relu_mult);
        if (p->reluish_multiplier_exponent > 0) {
            reluish = sat_left_shift16(reluish, 1);
        }
        if (p->reluish_multiplier_exponent < 0) {
            reluish = edgeq_rounding_divide_by_pot16(reluish, -p->reluish_multiplier_exponent);
        }
        reluish = edgeq_wrap16(edgeq_asr((int32_t)reluish + (1 << 15), 1));
        out = edgeq_rounding_divide_by_pot16(sat_doubling_high_mul16(reluish, preshift_out),
                                             -p->output_multiplier_exponent);
        v = edgeq_wrap16((int32_t)out + p->output_zero_point);
        output[i] = (int8_t)edgeq_clamp(v, -128, 127);
    }
}
