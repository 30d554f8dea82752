/* REDUCE_MAX / REDUCE_MIN, int8: for each output (walked over the kept dimensions), the
 * largest / smallest byte over the reduced ones. Input and output share their quantization
 * (TFLM requires it), so no requantization. The walk is MEAN's (edgeq_mean_params_t). */
#include "edgeq_micro.h"

#define EDGEQ_REDUCE_LOOP(BETTER, INIT)                                                            \
    do {                                                                                           \
        int32_t o, k;                                                                              \
        int32_t outer_idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                    \
        int32_t base = 0;                                                                          \
        for (o = 0; o < p->num_outputs; ++o) {                                                     \
            int32_t inner_idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                \
            int32_t off = base;                                                                    \
            int8_t best = (INIT);                                                                  \
            for (k = 0; k < p->count; ++k) {                                                       \
                if (input[off] BETTER best) {                                                      \
                    best = input[off];                                                             \
                }                                                                                  \
                off += edgeq_next_index(p->inner_dims, p->inner_shape, p->inner_strides, inner_idx); \
            }                                                                                      \
            output[o] = best;                                                                      \
            base += edgeq_next_index(p->outer_dims, p->outer_shape, p->outer_strides, outer_idx);  \
        }                                                                                          \
    } while (0)

void edgeq_reduce_max_s8(const edgeq_mean_params_t *p, const int8_t *input, int8_t *output)
{
    EDGEQ_REDUCE_LOOP(>, INT8_MIN);
}

void edgeq_reduce_min_s8(const edgeq_mean_params_t *p, const int8_t *input, int8_t *output)
{
    EDGEQ_REDUCE_LOOP(<, INT8_MAX);
}
