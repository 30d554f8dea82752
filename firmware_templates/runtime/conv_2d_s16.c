/* CONV_2D, int16x8: int16 activations (zero point 0), int8 per-channel weights, int64 bias
 * and accumulator, TFLM's 64-bit requantization; or (an int32 bias, or quantized_bias_type
 * INT32) an int32 accumulator and the 32-bit requantization, as TFLM picks. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_conv_2d_s16(const edgeq_conv_params_t *p, const int16_t *input, const int8_t *filter,
                       const int64_t *bias, int16_t *output)
{
    const int32_t groups = p->in_c / p->filter_in_c;
    const int32_t out_per_group = p->out_c / groups;
    int32_t b, oy, ox, oc, ky, kx, ic;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int32_t ic0 = (oc / out_per_group) * p->filter_in_c;
                    const int8_t *w = filter + (int32_t)oc * p->k_h * p->k_w * p->filter_in_c;
                    int64_t acc = 0;
                    int32_t v;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int32_t iy = y0 + p->dilation_h * ky;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int32_t ix = x0 + p->dilation_w * kx;
                            const int16_t *in;
                            const int8_t *wk;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            in = input + (((int32_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic0;
                            wk = w + (ky * p->k_w + kx) * p->filter_in_c;
                            for (ic = 0; ic < p->filter_in_c; ++ic) {
                                acc += (int32_t)wk[ic] * (int32_t)in[ic];
                            }
                        }
                    }
                    if (bias) {
                        acc += bias[oc];
                    }
                    v = edgeq_mul_by_quantized_multiplier64(acc, p->multiplier[oc], p->shift[oc]);
                    output[(((int32_t)b * p->out_h + oy) * p->out_w + ox) * p->out_stride + oc] =
                        (int16_t)edgeq_clamp(v, p->act_min, p->act_max);
                }
            }
        }
    }
}

void edgeq_conv_2d_s16_acc32(const edgeq_conv_params_t *p, const int16_t *input, const int8_t *filter,
                             const int32_t *bias, int16_t *output)
{
    const int32_t groups = p->in_c / p->filter_in_c;
    const int32_t out_per_group = p->out_c / groups;
    int32_t b, oy, ox, oc, ky, kx, ic;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int32_t ic0 = (oc / out_per_group) * p->filter_in_c;
                    const int8_t *w = filter + (int32_t)oc * p->k_h * p->k_w * p->filter_in_c;
                    int32_t acc = 0;
                    int32_t v;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int32_t iy = y0 + p->dilation_h * ky;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int32_t ix = x0 + p->dilation_w * kx;
                            const int16_t *in;
                            const int8_t *wk;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            in = input + (((int32_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic0;
                            wk = w + (ky * p->k_w + kx) * p->filter_in_c;
                            for (ic = 0; ic < p->filter_in_c; ++ic) {
                                acc = edgeq_wrap_add(acc, (int32_t)wk[ic] * (int32_t)in[ic]);
                            }
                        }
                    }
                    if (bias) {
                        acc = edgeq_wrap_add(acc, bias[oc]);
                    }
                    v = edgeq_mul_by_quantized_multiplier(acc, p->multiplier[oc], p->shift[oc]);
                    output[(((int32_t)b * p->out_h + oy) * p->out_w + ox) * p->out_stride + oc] =
                        (int16_t)edgeq_clamp(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
