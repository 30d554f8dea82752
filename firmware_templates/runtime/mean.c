/* MEAN, int8 or int16: an int32 sum over the reduced dimensions, minus the input zero point
 * times the count, requantized with the multiplier TFLM divides by the count (in Prepare, on
 * the host). */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

#define EDGEQ_MEAN_LOOP(T, LO, HI)                                                                 \
    do {                                                                                           \
        int32_t o, k;                                                                              \
        int32_t outer_idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                    \
        int32_t base = 0;                                                                          \
        for (o = 0; o < p->num_outputs; ++o) {                                                     \
            int32_t inner_idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                \
            int32_t off = base, sum = 0, v;                                                        \
            for (k = 0; k < p->count; ++k) {                                                       \
                sum = edgeq_wrap_add(sum, input[off]);                                             \
                off += edgeq_next_index(p->inner_dims, p->inner_shape, p->inner_strides, inner_idx); \
            }                                                                                      \
            sum = edgeq_wrap_sub(sum, p->input_zero_point * p->count);                             \
            v = edgeq_mul_by_quantized_multiplier(sum, p->multiplier, p->shift) + p->output_zero_point; \
            output[o] = (T)edgeq_clamp(v, LO, HI);                                                 \
            base += edgeq_next_index(p->outer_dims, p->outer_shape, p->outer_strides, outer_idx);  \
        }                                                                                          \
    } while (0)

void edgeq_mean_s8(const edgeq_mean_params_t *p, const int8_t *input, int8_t *output)
{
    EDGEQ_MEAN_LOOP(int8_t, INT8_MIN, INT8_MAX);
}

void edgeq_mean_s16(const edgeq_mean_params_t *p, const int16_t *input, int16_t *output)
{
    EDGEQ_MEAN_LOOP(int16_t, INT16_MIN, INT16_MAX);
}
