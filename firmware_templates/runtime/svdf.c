/* SVDF, int8 input / feature weights / output with an int16 (or int8) time history, as
 * TFLM's reference kernel runs it. The state (a variable tensor, batch x filters x memory,
 * newest value last in each row) is updated in place and carries over between calls:
 *   1. every filter's history row moves one step towards the oldest slot;
 *   2. the newest slot gets the feature product requantized by scale 1, clamped to the
 *      state type's range, plus the state zero point (stored with a two's-complement wrap,
 *      as TFLM's narrowing store does);
 *   3. each unit sums bias + rank time products (weights_time . (history - state zero
 *      point)), requantized by scale 2, plus the output zero point, clamped to int8.
 * The fused activation is ignored (TFLM's integer path does not apply it). All int32 sums
 * wrap (TFLM's C++ int32 arithmetic), so the order of the additions does not matter and
 * no scratch buffer is needed. */
#include <stddef.h>

#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

/* the low bits of x as an int8 (a narrowing store that wraps) */
static inline int8_t edgeq_svdf_wrap8(int32_t x)
{
    return (int8_t)(uint8_t)(uint32_t)x;
}

#define EDGEQ_SVDF_BODY(S, S_MIN, S_MAX, WRAP)                                                      \
    do {                                                                                            \
        const int32_t memory = p->memory_size;                                                      \
        const int32_t filters = p->num_filters;                                                     \
        int32_t b, f, u, r, j, k;                                                                   \
        for (b = 0; b < p->batch; ++b) {                                                            \
            const int8_t *x = input + b * p->input_size;                                            \
            S *hist = state + b * filters * memory;                                                 \
            int8_t *out = output + b * p->num_units;                                                \
            for (f = 0; f < filters; ++f) {                                                         \
                S *row = hist + f * memory;                                                         \
                const int8_t *w = weights_feature + f * p->input_size;                              \
                uint32_t acc = 0;                                                                   \
                int32_t v;                                                                          \
                for (j = 0; j + 1 < memory; ++j) {                                                  \
                    row[j] = row[j + 1];                                                            \
                }                                                                                   \
                for (k = 0; k < p->input_size; ++k) {                                               \
                    acc += (uint32_t)((int32_t)w[k] * ((int32_t)x[k] + p->input_offset));           \
                }                                                                                   \
                v = edgeq_mul_by_quantized_multiplier((int32_t)acc, p->multiplier1, p->shift1);     \
                row[memory - 1] = WRAP(edgeq_clamp(v, S_MIN, S_MAX) + p->state_zero_point);         \
            }                                                                                       \
            for (u = 0; u < p->num_units; ++u) {                                                    \
                uint32_t total = (bias != NULL) ? (uint32_t)bias[u] : 0u;                           \
                int32_t v;                                                                          \
                for (r = 0; r < p->rank; ++r) {                                                     \
                    const int32_t fi = u * p->rank + r;                                             \
                    const S *row = hist + fi * memory;                                              \
                    const S *w = weights_time + fi * memory;                                        \
                    for (j = 0; j < memory; ++j) {                                                  \
                        total += (uint32_t)(int32_t)w[j] *                                          \
                                 (uint32_t)((int32_t)row[j] - p->state_zero_point);                 \
                    }                                                                               \
                }                                                                                   \
                v = edgeq_mul_by_quantized_multiplier((int32_t)total, p->multiplier2, p->shift2);   \
                out[u] = (int8_t)edgeq_clamp(edgeq_wrap_add(v, p->output_offset), -128, 127);        \
            }                                                                                       \
        }                                                                                           \
    } while (0)

void edgeq_svdf_s8_s16(const edgeq_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                       const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output)
{
    EDGEQ_SVDF_BODY(int16_t, -32768, 32767, edgeq_wrap16);
}

void edgeq_svdf_s8_s8(const edgeq_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                      const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output)
{
    EDGEQ_SVDF_BODY(int8_t, -128, 127, edgeq_svdf_wrap8);
}
