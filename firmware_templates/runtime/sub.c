/* SUB, int8 or int16: ADD's arithmetic (both inputs rescaled to a common scale with 20 bits
 * of headroom, 15 for int16) with a difference in place of the sum; TFLM's broadcasting. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

static int32_t sub_one(const edgeq_add_params_t *p, int32_t a, int32_t b)
{
    const int32_t sa = edgeq_wrap_shl(a + p->input1_offset, p->left_shift);
    const int32_t sb = edgeq_wrap_shl(b + p->input2_offset, p->left_shift);
    const int32_t ra = edgeq_mul_by_quantized_multiplier(sa, p->input1_multiplier, p->input1_shift);
    const int32_t rb = edgeq_mul_by_quantized_multiplier(sb, p->input2_multiplier, p->input2_shift);
    const int32_t out =
        edgeq_mul_by_quantized_multiplier(edgeq_wrap_sub(ra, rb), p->output_multiplier, p->output_shift) +
        p->output_offset;
    return edgeq_clamp(out, p->act_min, p->act_max);
}

#define EDGEQ_SUB_LOOP(T)                                                                          \
    do {                                                                                           \
        int32_t i, idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                       \
        int32_t off1 = 0, off2 = 0;                                                                \
        for (i = 0; i < p->size; ++i) {                                                            \
            if (!p->broadcast) {                                                                   \
                output[i] = (T)sub_one(p, input1[i], input2[i]);                                   \
                continue;                                                                          \
            }                                                                                      \
            output[i] = (T)sub_one(p, input1[off1], input2[off2]);                                 \
            edgeq_next_index2(p->dims, p->out_shape, p->in1_strides, p->in2_strides, idx, &off1,   \
                              &off2);                                                              \
        }                                                                                          \
    } while (0)

void edgeq_sub_s8(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                  int8_t *output)
{
    EDGEQ_SUB_LOOP(int8_t);
}

void edgeq_sub_s16(const edgeq_add_params_t *p, const int16_t *input1, const int16_t *input2,
                   int16_t *output)
{
    EDGEQ_SUB_LOOP(int16_t);
}
