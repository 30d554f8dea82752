/* DEQUANTIZE: int8 / int16 -> float32, scale * (q - zero_point) in float. */
#include "edgeq_micro.h"

void edgeq_dequantize_s8_f32(const edgeq_affine_params_t *p, const int8_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}

/* int16 -> float32 (the product is exact in double, so float arithmetic rounds the same). */
void edgeq_dequantize_s16_f32(const edgeq_affine_params_t *p, const int16_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}
