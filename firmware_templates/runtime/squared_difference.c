/* SQUARED_DIFFERENCE, int8 and int16: both inputs rescaled to a common scale (7 bits of
 * headroom for int8, none for int16), their difference squared in 32 bits (wrapping as
 * TFLM's int32 product does), requantized; broadcasting as ADD. The parameters are ADD's. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

static int32_t sqdiff_one(const edgeq_add_params_t *p, int32_t a, int32_t b)
{
    const int32_t sa = edgeq_wrap_shl(a + p->input1_offset, p->left_shift);
    const int32_t sb = edgeq_wrap_shl(b + p->input2_offset, p->left_shift);
    const int32_t ra = edgeq_mul_by_quantized_multiplier(sa, p->input1_multiplier, p->input1_shift);
    const int32_t rb = edgeq_mul_by_quantized_multiplier(sb, p->input2_multiplier, p->input2_shift);
    const uint32_t diff = (uint32_t)edgeq_wrap_sub(ra, rb);
    const int32_t squared = (int32_t)(diff * diff);
    const int32_t out =
        edgeq_mul_by_quantized_multiplier(squared, p->output_multiplier, p->output_shift) + p->output_offset;
    return edgeq_clamp(out, p->act_min, p->act_max);
}

#define EDGEQ_SQDIFF_LOOP()                                                                        \
    do {                                                                                           \
        int32_t i, idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                       \
        int32_t off1 = 0, off2 = 0;                                                                \
        if (!p->broadcast) {                                                                       \
            for (i = 0; i < p->size; ++i) {                                                        \
                output[i] = sqdiff_one(p, input1[i], input2[i]);                                   \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        for (i = 0; i < p->size; ++i) {                                                            \
            output[i] = sqdiff_one(p, input1[off1], input2[off2]);                                 \
            edgeq_next_index2(p->dims, p->out_shape, p->in1_strides, p->in2_strides, idx, &off1, &off2); \
        }                                                                                          \
    } while (0)

void edgeq_squared_difference_s8(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                                 int8_t *output)
{
    EDGEQ_SQDIFF_LOOP();
}

void edgeq_squared_difference_s16(const edgeq_add_params_t *p, const int16_t *input1,
                                  const int16_t *input2, int16_t *output)
{
    EDGEQ_SQDIFF_LOOP();
}
