/* QUANTIZE: int8 -> int8 requantization, and float32 -> int8. */
#include <math.h>

#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_requantize_s8(const edgeq_requantize_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t v = edgeq_mul_by_quantized_multiplier((int32_t)input[i] - p->input_zero_point,
                                                            p->multiplier, p->shift) +
                          p->output_zero_point;
        output[i] = (int8_t)edgeq_clamp(v, -128, 127);
    }
}

void edgeq_quantize_f32_s8(const edgeq_affine_params_t *p, const float *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        /* TFLM: round(x / scale) + zero_point, the division in float, rounding half away
         * from zero (roundf), then saturation. */
        const float r = roundf(input[i] / p->scale);
        int32_t v;
        /* Saturate before converting (out of range is undefined in C); NaN maps to 0. */
        if (r >= 1.0e6f) {
            v = 1000000;
        } else if (r <= -1.0e6f) {
            v = -1000000;
        } else if (r == r) {
            v = (int32_t)r;
        } else {
            v = 0;
        }
        v += p->zero_point;
        output[i] = (int8_t)edgeq_clamp(v, -128, 127);
    }
}

/* int8 <-> int16 and int16 -> int16 requantization (TFLM's Requantize). */
void edgeq_requantize_mixed(const edgeq_requantize_mixed_params_t *p, const void *input, void *output)
{
    const int32_t lo = (p->out_bits == 16) ? INT16_MIN : INT8_MIN;
    const int32_t hi = (p->out_bits == 16) ? INT16_MAX : INT8_MAX;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t x = (p->in_bits == 16) ? ((const int16_t *)input)[i] : ((const int8_t *)input)[i];
        const int32_t v = edgeq_clamp(
            edgeq_mul_by_quantized_multiplier(x - p->input_zero_point, p->multiplier, p->shift) +
                p->output_zero_point, lo, hi);
        if (p->out_bits == 16) {
            ((int16_t *)output)[i] = (int16_t)v;
        } else {
            ((int8_t *)output)[i] = (int8_t)v;
        }
    }
}

/* float32 -> int16, as edgeq_quantize_f32_s8. */
void edgeq_quantize_f32_s16(const edgeq_affine_params_t *p, const float *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const float r = roundf(input[i] / p->scale);
        int32_t v;
        if (r >= 1.0e6f) {
            v = 1000000;
        } else if (r <= -1.0e6f) {
            v = -1000000;
        } else if (r == r) {
            v = (int32_t)r;
        } else {
            v = 0;
        }
        v += p->zero_point;
        output[i] = (int16_t)edgeq_clamp(v, INT16_MIN, INT16_MAX);
    }
}
