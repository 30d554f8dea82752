/* LOGISTIC, int8 (output scale 1/256, zero point -128): gemmlowp's fixed-point logistic of
 * the input rescaled to Q4.27, as TFLM's reference kernel; saturates outside the radius.
 * int16 (output scale 1/32768): TFLM's interpolation in its sigmoid table. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_logistic_s8(const edgeq_sigmoid_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            output[i] = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t q4 = edgeq_mul_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
            const int32_t q0 = edgeq_logistic_fixed(q4, 4);
            output[i] = (int8_t)edgeq_clamp(edgeq_rounding_divide_by_pot(q0, 23) - 128, -128, 127);
        }
    }
}

void edgeq_logistic_s16(const edgeq_sigmoid16_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t x = edgeq_rescale_s16(input[i], p->input_multiplier, p->input_left_shift);
        const uint32_t a = (uint32_t)(x < 0 ? -x : x);
        const uint32_t uh = a >> 9;
        uint32_t r;
        if (uh >= 255) {
            r = (uint32_t)0x7FFF << 10;
        } else {
            const uint32_t ua = p->table[uh], ub = p->table[uh + 1];
            r = (ua << 9) + (a & 0x1ff) * (ub - ua);
        }
        r = (x >= 0) ? (r + (1u << 9)) : ((1u << 25) - r + (1u << 9) - 1u);
        output[i] = (int16_t)(r >> 10);
    }
}
