/* LEAKY_RELU, int8 or int16: one requantization for x >= 0, another (alpha folded in) for
 * x < 0. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

#define EDGEQ_LEAKY_LOOP(T, LO, HI)                                                                \
    do {                                                                                           \
        const int negative_alpha = p->multiplier_alpha < 0;                                        \
        const int32_t alpha = negative_alpha ? -p->multiplier_alpha : p->multiplier_alpha;         \
        int32_t i;                                                                                 \
        for (i = 0; i < p->size; ++i) {                                                            \
            const int32_t x = (int32_t)input[i] - p->input_offset;                                 \
            int32_t v = p->output_offset;                                                          \
            if (x >= 0) {                                                                          \
                v += edgeq_mul_by_quantized_multiplier(x, p->multiplier_identity, p->shift_identity); \
            } else {                                                                               \
                const int32_t s = edgeq_mul_by_quantized_multiplier(x, alpha, p->shift_alpha);     \
                v += negative_alpha ? -s : s;                                                      \
            }                                                                                      \
            output[i] = (T)edgeq_clamp(v, LO, HI);                                                 \
        }                                                                                          \
    } while (0)

void edgeq_leaky_relu_s8(const edgeq_leaky_relu_params_t *p, const int8_t *input, int8_t *output)
{
    EDGEQ_LEAKY_LOOP(int8_t, INT8_MIN, INT8_MAX);
}

void edgeq_leaky_relu_s16(const edgeq_leaky_relu_params_t *p, const int16_t *input, int16_t *output)
{
    EDGEQ_LEAKY_LOOP(int16_t, INT16_MIN, INT16_MAX);
}
