/* DEPTHWISE_CONV_2D, int8, any depth multiplier, per-channel (or expanded per-tensor) weights. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_depthwise_conv_2d_s8(const edgeq_dwconv_params_t *p, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    int32_t b, oy, ox, ic, m, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (ic = 0; ic < p->in_c; ++ic) {
                    for (m = 0; m < p->depth_multiplier; ++m) {
                        const int32_t oc = ic * p->depth_multiplier + m;
                        int32_t acc = 0;
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t iy = y0 + p->dilation_h * ky;
                            if (iy < 0 || iy >= p->in_h) {
                                continue;
                            }
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t ix = x0 + p->dilation_w * kx;
                                int32_t iv;
                                if (ix < 0 || ix >= p->in_w) {
                                    continue;
                                }
                                iv = input[(((int32_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic];
                                acc += (int32_t)filter[(ky * p->k_w + kx) * out_c + oc] *
                                       (iv + p->input_offset);
                            }
                        }
                        if (bias) {
                            acc += bias[oc];
                        }
                        acc = edgeq_mul_by_quantized_multiplier(acc, p->multiplier[oc], p->shift[oc]);
                        acc += p->output_offset;
                        output[(((int32_t)b * p->out_h + oy) * p->out_w + ox) * out_c + oc] =
                            (int8_t)edgeq_clamp(acc, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
