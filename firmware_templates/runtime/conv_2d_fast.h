/* CONV_2D, int8, fast variant (one group): im2col of two output pixels into interleaved
 * int16 columns, then a 2-channel x 2-pixel matrix product (edgeq_gemm.h: DSP SIMD MACs or
 * portable C) over filter rows interleaved in channel pairs by the code generator
 * (edgeq/ops/conv_2d.py, which chooses it when edgeq_conv_fast_params_t's conditions hold;
 * it always passes a bias, zeros for a convolution without one; the scratch holds the two
 * columns, then 4 accumulators a channel pair).
 * Computes the same bytes as conv_2d.c. Pixels are written in the reference kernel's
 * order, each after its own window was read, so the in-place contract holds. An always-
 * inline header: edgeq_model.c includes it and each call folds its op's constants. */
#ifndef EDGEQ_CONV_2D_FAST_H
#define EDGEQ_CONV_2D_FAST_H

#include "edgeq_gemm.h"
#include "edgeq_micro.h"

/* Output pixel (oy, ox)'s window of batch image `in` into column j of the two. */
EDGEQ_INLINE void edgeq_conv_im2col(const edgeq_conv_fast_params_t *p, const int8_t *in, int32_t oy, int32_t ox,
                                    int16_t *col, int32_t j)
{
    const int32_t y0 = oy * p->stride_h - p->pad_h;
    const int32_t x0 = ox * p->stride_w - p->pad_w;
    const int32_t row = p->k_w * p->in_c;
    const int32_t whole_row = p->dilation_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w;
    int32_t ky, kx, k = 0;
    for (ky = 0; ky < p->k_h; ++ky, k += row) {
        const int32_t iy = y0 + p->dilation_h * ky;
        const int8_t *src;
        if (iy < 0 || iy >= p->in_h) {
            edgeq_zero(col, 2, j, k, row);
            continue;
        }
        src = in + iy * p->in_w * p->in_c;
        if (whole_row) {
            edgeq_widen(col, 2, j, k, src + x0 * p->in_c, row, p->input_offset);
            continue;
        }
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t ix = x0 + p->dilation_w * kx;
            if (ix < 0 || ix >= p->in_w) {
                edgeq_zero(col, 2, j, k + kx * p->in_c, p->in_c);
            } else {
                edgeq_widen(col, 2, j, k + kx * p->in_c, src + ix * p->in_c, p->in_c, p->input_offset);
            }
        }
    }
}

EDGEQ_INLINE void edgeq_conv_2d_s8_fast(const edgeq_conv_fast_params_t *p, const int8_t *input,
                                        const int8_t *filter, const int32_t *bias, int8_t *output,
                                        int16_t *scratch)
{
    const int32_t dp = p->depth_pad;
    const int32_t groups = dp >> 2;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t pairs = p->out_c >> 1;
    int32_t *const acc = (int32_t *)(void *)(scratch + 2 * dp); /* 4 accumulators a channel pair */
    int32_t b, n, oc, oy, ox;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->in_h * p->in_w * p->in_c;
        int8_t *out = output + b * pixels * p->out_stride;
        oy = ox = 0;
        for (n = 0; n < pixels; n += 2) {
            const int32_t two = n + 1 < pixels;
            int8_t *o0 = out + n * p->out_stride;
            int8_t *o1 = o0 + p->out_stride;
            const int8_t *w = filter;
            edgeq_conv_im2col(p, in, oy, ox, scratch, 0);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
            if (two) {
                edgeq_conv_im2col(p, in, oy, ox, scratch, 1);
                if (++ox == p->out_w) {
                    ox = 0;
                    ++oy;
                }
            }
            if (two && pairs > 0) {
                /* every channel pair against both pixels in one call, then requantized */
                edgeq_gemm_args_t args;
                args.bias = bias;
                args.acc = acc;
                args.blocks = pairs;
                edgeq_gemm_2x2(filter, scratch, groups, &args);
                for (oc = 0; oc < 2 * pairs; oc += 2) {
                    const int32_t *a = acc + 2 * oc;
                    o0[oc] = EDGEQ_OUT_S8(p, a[0], oc);
                    o1[oc] = EDGEQ_OUT_S8(p, a[1], oc);
                    o0[oc + 1] = EDGEQ_OUT_S8(p, a[2], oc + 1);
                    o1[oc + 1] = EDGEQ_OUT_S8(p, a[3], oc + 1);
                }
                w = filter + 2 * pairs * dp;
            } else {
                for (oc = 0; oc + 2 <= p->out_c; oc += 2, w += 2 * dp) {
                    int32_t s[4];
                    s[0] = s[1] = bias[oc];
                    s[2] = s[3] = bias[oc + 1];
                    edgeq_dot_2x1(w, scratch, groups, s);
                    o0[oc] = EDGEQ_OUT_S8(p, s[0], oc);
                    o0[oc + 1] = EDGEQ_OUT_S8(p, s[2], oc + 1);
                }
            }
            oc = 2 * pairs;
            if (oc < p->out_c) { /* an odd channel count: the last row alone */
                const int32_t b0 = bias[oc];
                o0[oc] = EDGEQ_OUT_S8(p, edgeq_dot_1(w, scratch, 2, groups, b0), oc);
                if (two) {
                    o1[oc] = EDGEQ_OUT_S8(p, edgeq_dot_1(w, scratch + 4, 2, groups, b0), oc);
                }
            }
        }
    }
}

#endif /* EDGEQ_CONV_2D_FAST_H */
