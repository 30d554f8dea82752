/* FULLY_CONNECTED, int16x8: int16 activations, int8 weights (per-tensor or per-channel),
 * int64 bias and accumulator, TFLM's 64-bit requantization; or (an int32 bias, or
 * quantized_bias_type INT32) an int32 accumulator and the 32-bit requantization. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_fully_connected_s16(const edgeq_fc_params_t *p, const int16_t *input,
                               const int8_t *filter, const int64_t *bias, int16_t *output)
{
    int32_t b, o, d;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *in = input + (int32_t)b * p->accum_depth;
        for (o = 0; o < p->out_depth; ++o) {
            const int8_t *w = filter + (int32_t)o * p->accum_depth;
            const int32_t ch = p->per_channel ? o : 0;
            int64_t acc = 0;
            int32_t v;
            for (d = 0; d < p->accum_depth; ++d) {
                acc += ((int32_t)w[d] + p->filter_offset) * ((int32_t)in[d] + p->input_offset);
            }
            if (bias) {
                acc += bias[o];
            }
            v = edgeq_mul_by_quantized_multiplier64(acc, p->multiplier[ch], p->shift[ch]) + p->output_offset;
            output[(int32_t)b * p->out_depth + o] = (int16_t)edgeq_clamp(v, p->act_min, p->act_max);
        }
    }
}

void edgeq_fully_connected_s16_acc32(const edgeq_fc_params_t *p, const int16_t *input,
                                     const int8_t *filter, const int32_t *bias, int16_t *output)
{
    int32_t b, o, d;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *in = input + (int32_t)b * p->accum_depth;
        for (o = 0; o < p->out_depth; ++o) {
            const int8_t *w = filter + (int32_t)o * p->accum_depth;
            const int32_t ch = p->per_channel ? o : 0;
            int32_t acc = 0;
            int32_t v;
            for (d = 0; d < p->accum_depth; ++d) {
                acc = edgeq_wrap_add(acc, ((int32_t)w[d] + p->filter_offset) * ((int32_t)in[d] + p->input_offset));
            }
            if (bias) {
                acc = edgeq_wrap_add(acc, bias[o]);
            }
            v = edgeq_mul_by_quantized_multiplier(acc, p->multiplier[ch], p->shift[ch]) + p->output_offset;
            output[(int32_t)b * p->out_depth + o] = (int16_t)edgeq_clamp(v, p->act_min, p->act_max);
        }
    }
}
