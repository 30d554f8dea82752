/* ARG_MAX / ARG_MIN, int8 input, int32 output: along the axis, the index of the first value
 * that no later value beats (strictly larger / smaller), as TFLM's reference kernel picks. */
#include "edgeq_micro.h"

#define EDGEQ_ARG_LOOP(BETTER)                                                                     \
    do {                                                                                           \
        int32_t o, in, i;                                                                          \
        for (o = 0; o < p->outer; ++o) {                                                           \
            const int8_t *base = input + o * p->axis_size * p->inner;                              \
            for (in = 0; in < p->inner; ++in) {                                                    \
                int8_t best = base[in];                                                            \
                int32_t best_i = 0;                                                                \
                for (i = 1; i < p->axis_size; ++i) {                                               \
                    int8_t v = base[i * p->inner + in];                                            \
                    if (v BETTER best) {                                                           \
                        best = v;                                                                  \
                        best_i = i;                                                                \
                    }                                                                              \
                }                                                                                  \
                output[o * p->inner + in] = best_i;                                                \
            }                                                                                      \
        }                                                                                          \
    } while (0)

void edgeq_arg_max_s8(const edgeq_arg_params_t *p, const int8_t *input, int32_t *output)
{
    EDGEQ_ARG_LOOP(>);
}

void edgeq_arg_min_s8(const edgeq_arg_params_t *p, const int8_t *input, int32_t *output)
{
    EDGEQ_ARG_LOOP(<);
}
