/* RELU (requantized to the output's scale, clamped at its zero) and RELU6 (a clamp of the raw
 * input between the quantized 0 and 6 of the input's scale, as TFLM does); int8 or int16. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

#define EDGEQ_RELU_LOOP(T)                                                                         \
    do {                                                                                           \
        int32_t i;                                                                                 \
        for (i = 0; i < p->size; ++i) {                                                            \
            const int32_t v = p->output_offset +                                                   \
                              edgeq_mul_by_quantized_multiplier((int32_t)input[i] - p->input_offset, \
                                                                p->multiplier, p->shift);          \
            output[i] = (T)edgeq_clamp(v, p->act_min, p->act_max);                                 \
        }                                                                                          \
    } while (0)

#define EDGEQ_RELU6_LOOP(T)                                                                        \
    do {                                                                                           \
        int32_t i;                                                                                 \
        for (i = 0; i < p->size; ++i) {                                                            \
            const int32_t v = input[i];                                                            \
            output[i] = (T)(v > p->upper ? p->upper : (v < p->lower ? p->lower : v));              \
        }                                                                                          \
    } while (0)

void edgeq_relu_s8(const edgeq_relu_params_t *p, const int8_t *input, int8_t *output)
{
    EDGEQ_RELU_LOOP(int8_t);
}

void edgeq_relu_s16(const edgeq_relu_params_t *p, const int16_t *input, int16_t *output)
{
    EDGEQ_RELU_LOOP(int16_t);
}

void edgeq_relu6_s8(const edgeq_relu6_params_t *p, const int8_t *input, int8_t *output)
{
    EDGEQ_RELU6_LOOP(int8_t);
}

void edgeq_relu6_s16(const edgeq_relu6_params_t *p, const int16_t *input, int16_t *output)
{
    EDGEQ_RELU6_LOOP(int16_t);
}
