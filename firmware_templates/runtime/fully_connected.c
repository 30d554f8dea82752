/* FULLY_CONNECTED, int8, per-tensor or per-channel weights, optional int32 bias. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_fully_connected_s8(const edgeq_fc_params_t *p, const int8_t *input,
                              const int8_t *filter, const int32_t *bias, int8_t *output)
{
    int32_t b, o, d;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + (int32_t)b * p->accum_depth;
        for (o = 0; o < p->out_depth; ++o) {
            const int8_t *w = filter + (int32_t)o * p->accum_depth;
            const int32_t ch = p->per_channel ? o : 0;
            int32_t acc = 0;
            for (d = 0; d < p->accum_depth; ++d) {
                acc += ((int32_t)w[d] + p->filter_offset) * ((int32_t)in[d] + p->input_offset);
            }
            if (bias) {
                acc += bias[o];
            }
            acc = edgeq_mul_by_quantized_multiplier(acc, p->multiplier[ch], p->shift[ch]);
            acc += p->output_offset;
            output[(int32_t)b * p->out_depth + o] = (int8_t)edgeq_clamp(acc, p->act_min, p->act_max);
        }
    }
}
