/* MUL, int8 or int16: (a - za) * (b - zb) requantized with one multiplier; TFLM's
 * broadcasting. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

static int32_t mul_one(const edgeq_mul_params_t *p, int32_t a, int32_t b)
{
    const int32_t prod = (a + p->input1_offset) * (b + p->input2_offset);
    const int32_t out =
        edgeq_mul_by_quantized_multiplier(prod, p->output_multiplier, p->output_shift) + p->output_offset;
    return edgeq_clamp(out, p->act_min, p->act_max);
}

/* one loop per element type: plain or broadcast walk */
#define EDGEQ_MUL_LOOP(T)                                                                          \
    do {                                                                                           \
        const edgeq_broadcast_t *bc = &p->bc;                                                      \
        int32_t i, idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                       \
        int32_t off1 = 0, off2 = 0;                                                                \
        for (i = 0; i < bc->size; ++i) {                                                           \
            if (!bc->broadcast) {                                                                  \
                output[i] = (T)mul_one(p, input1[i], input2[i]);                                   \
                continue;                                                                          \
            }                                                                                      \
            output[i] = (T)mul_one(p, input1[off1], input2[off2]);                                 \
            edgeq_next_index2(bc->dims, bc->out_shape, bc->in1_strides, bc->in2_strides, idx, &off1, \
                              &off2);                                                              \
        }                                                                                          \
    } while (0)

void edgeq_mul_s8(const edgeq_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                  int8_t *output)
{
    EDGEQ_MUL_LOOP(int8_t);
}

void edgeq_mul_s16(const edgeq_mul_params_t *p, const int16_t *input1, const int16_t *input2,
                   int16_t *output)
{
    EDGEQ_MUL_LOOP(int16_t);
}
