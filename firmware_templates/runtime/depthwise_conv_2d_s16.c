/* DEPTHWISE_CONV_2D, int16x8: int16 activations (zero point 0), int8 per-channel weights,
 * int64 bias and accumulator, TFLM's 64-bit requantization. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_depthwise_conv_2d_s16(const edgeq_dwconv_params_t *p, const int16_t *input,
                                 const int8_t *filter, const int64_t *bias, int16_t *output)
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
                        int64_t acc = 0;
                        int32_t v;
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t iy = y0 + p->dilation_h * ky;
                            if (iy < 0 || iy >= p->in_h) {
                                continue;
                            }
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t ix = x0 + p->dilation_w * kx;
                                if (ix < 0 || ix >= p->in_w) {
                                    continue;
                                }
                                acc += (int32_t)filter[(ky * p->k_w + kx) * out_c + oc] *
                                       (int32_t)input[(((int32_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic];
                            }
                        }
                        if (bias) {
                            acc += bias[oc];
                        }
                        v = edgeq_mul_by_quantized_multiplier64(acc, p->multiplier[oc], p->shift[oc]);
                        output[(((int32_t)b * p->out_h + oy) * p->out_w + ox) * out_c + oc] =
                            (int16_t)edgeq_clamp(v, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
