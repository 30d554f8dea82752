/* ADD, int8: both inputs rescaled to a common scale with 20 bits of headroom, summed,
 * requantized; optional broadcasting over up to EDGEQ_MAX_DIMS dimensions. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

static int8_t add_one(const edgeq_add_params_t *p, int32_t a, int32_t b)
{
    const int32_t sa = edgeq_wrap_shl(a + p->input1_offset, p->left_shift);
    const int32_t sb = edgeq_wrap_shl(b + p->input2_offset, p->left_shift);
    const int32_t ra = edgeq_mul_by_quantized_multiplier(sa, p->input1_multiplier, p->input1_shift);
    const int32_t rb = edgeq_mul_by_quantized_multiplier(sb, p->input2_multiplier, p->input2_shift);
    const int32_t out =
        edgeq_mul_by_quantized_multiplier(ra + rb, p->output_multiplier, p->output_shift) +
        p->output_offset;
    return (int8_t)edgeq_clamp(out, p->act_min, p->act_max);
}

void edgeq_add_s8(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                  int8_t *output)
{
    int32_t i, d;
    int32_t idx[EDGEQ_MAX_DIMS];
    int32_t off1 = 0, off2 = 0;
    if (!p->broadcast) {
        for (i = 0; i < p->size; ++i) {
            output[i] = add_one(p, input1[i], input2[i]);
        }
        return;
    }
    for (d = 0; d < p->dims; ++d) {
        idx[d] = 0;
    }
    /* Walk the output in row-major order, keeping both input offsets up to date. */
    for (i = 0; i < p->size; ++i) {
        output[i] = add_one(p, input1[off1], input2[off2]);
        for (d = p->dims - 1; d >= 0; --d) {
            ++idx[d];
            off1 += p->in1_strides[d];
            off2 += p->in2_strides[d];
            if (idx[d] < p->out_shape[d]) {
                break;
            }
            off1 -= p->in1_strides[d] * p->out_shape[d];
            off2 -= p->in2_strides[d] * p->out_shape[d];
            idx[d] = 0;
        }
    }
}

/* ADD, int16 (TFLM's general-scale path): the int8 arithmetic with 15 bits of headroom. */
static int16_t add_one16(const edgeq_add_params_t *p, int32_t a, int32_t b)
{
    const int32_t sa = edgeq_wrap_shl(a + p->input1_offset, p->left_shift);
    const int32_t sb = edgeq_wrap_shl(b + p->input2_offset, p->left_shift);
    const int32_t ra = edgeq_mul_by_quantized_multiplier(sa, p->input1_multiplier, p->input1_shift);
    const int32_t rb = edgeq_mul_by_quantized_multiplier(sb, p->input2_multiplier, p->input2_shift);
    const int32_t out =
        edgeq_mul_by_quantized_multiplier(edgeq_wrap_add(ra, rb), p->output_multiplier, p->output_shift) +
        p->output_offset;
    return (int16_t)edgeq_clamp(out, p->act_min, p->act_max);
}

void edgeq_add_s16(const edgeq_add_params_t *p, const int16_t *input1, const int16_t *input2,
                   int16_t *output)
{
    int32_t i, idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    int32_t off1 = 0, off2 = 0;
    if (!p->broadcast) {
        for (i = 0; i < p->size; ++i) {
            output[i] = add_one16(p, input1[i], input2[i]);
        }
        return;
    }
    for (i = 0; i < p->size; ++i) {
        output[i] = add_one16(p, input1[off1], input2[off2]);
        edgeq_next_index2(p->dims, p->out_shape, p->in1_strides, p->in2_strides, idx, &off1, &off2);
    }
}
