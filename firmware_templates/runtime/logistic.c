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
        output[i] = edgeq_sigmoid16_lut(edgeq_rescale_s16(input[i], p->input_multiplier, p->input_left_shift),
                                        p->table);
    }
}
