/* DEPTHWISE_CONV_2D, int8, fast variant. The code generator widens the weights to int16
 * (edgeq/ops/depthwise_conv_2d.py). Depth multiplier 1: with EDGEQ_DSP each group of 4
 * channels is stored as channels 0, 2, 1, 3, so one SXTAB16 pair of the input (offset added)
 * meets one word of weights and SMLABB / SMLATT keep the four channels apart; without it,
 * portable C. Groups of 4 channels accumulate in registers over the window: fully unrolled
 * where the window lies inside the image, over the list of its taps inside the image
 * elsewhere (taps in the padding are skipped, as the reference kernel skips them). Depth
 * multiplier above 1: each output channel over the list of the window's taps, portable C. The same bytes as
 * depthwise_conv_2d.c, written in its order (the in-place contract holds). An always-inline
 * header: edgeq_model.c includes it and each call folds its op's constants. */
#ifndef EDGEQ_DEPTHWISE_CONV_2D_FAST_H
#define EDGEQ_DEPTHWISE_CONV_2D_FAST_H

#include "edgeq_gemm.h"
#include "edgeq_micro.h"

#if EDGEQ_DSP
#define EDGEQ_DW_MAC4(x, w, a0, a1, a2, a3, pair)                                         \
    do {                                                                                  \
        const int32_t xv_ = edgeq_load32(x);                                              \
        const int32_t xe_ = edgeq_sxtab16((pair), xv_), xo_ = edgeq_sxtab16_ror8((pair), xv_); \
        const int32_t we_ = edgeq_load32(w), wo_ = edgeq_load32((w) + 2);                 \
        a0 = edgeq_smlabb(xe_, we_, a0);                                                  \
        a2 = edgeq_smlatt(xe_, we_, a2);                                                  \
        a1 = edgeq_smlabb(xo_, wo_, a1);                                                  \
        a3 = edgeq_smlatt(xo_, wo_, a3);                                                  \
    } while (0)
#else
#define EDGEQ_DW_MAC4(x, w, a0, a1, a2, a3, off)                                          \
    do {                                                                                  \
        a0 += ((x)[0] + (off)) * (w)[0];                                                  \
        a1 += ((x)[1] + (off)) * (w)[1];                                                  \
        a2 += ((x)[2] + (off)) * (w)[2];                                                  \
        a3 += ((x)[3] + (off)) * (w)[3];                                                  \
    } while (0)
#endif

/* The taps of the window at (y0, x0) that lie inside the image: their input pixels
 * (batch image `in`) in xp, their weights (rows of `out_c` in `filter`) in wp; returns how many. */
EDGEQ_INLINE int32_t edgeq_dw_taps(const edgeq_dwconv_fast_params_t *p, const int8_t *in, const int16_t *filter,
                                   int32_t out_c, int32_t y0, int32_t x0, const int8_t **xp, const int16_t **wp)
{
    int32_t ky, kx, n = 0;
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
            xp[n] = in + (iy * p->in_w + ix) * p->in_c;
            wp[n] = filter + (ky * p->k_w + kx) * out_c;
            ++n;
        }
    }
    return n;
}

/* Depth multiplier above 1: output channel ic * M + m over the taps inside the image,
 * weights in their natural order ([tap][out_c], int16). */
EDGEQ_INLINE void edgeq_depthwise_multiplier_fast(const edgeq_dwconv_fast_params_t *p, const int8_t *input,
                                                  const int16_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t C = p->in_c, M = p->depth_multiplier, OC = C * M;
    const int32_t off = p->input_offset;
    const int8_t *xp[EDGEQ_DW_MAX_TAPS];
    const int16_t *wp[EDGEQ_DW_MAX_TAPS];
    int32_t b, oy, ox, ic, m, v;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->in_h * p->in_w * C;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * OC;
                const int32_t n = edgeq_dw_taps(p, in, filter, OC, y0, x0, xp, wp);
                for (ic = 0; ic < C; ++ic) {
                    for (m = 0; m < M; ++m) {
                        const int32_t oc = ic * M + m;
                        int32_t a = bias ? bias[oc] : 0;
                        for (v = 0; v < n; ++v) {
                            a += (xp[v][ic] + off) * wp[v][oc];
                        }
                        out[oc] = EDGEQ_OUT_S8(p, a, oc);
                    }
                }
            }
        }
    }
}

EDGEQ_INLINE void edgeq_depthwise_conv_2d_s8_fast(const edgeq_dwconv_fast_params_t *p, const int8_t *input,
                                                  const int16_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t C = p->in_c;
    const int32_t c4 = C & ~3;
    const int32_t off = p->input_offset;
#if EDGEQ_DSP
    const int32_t k_in = (int32_t)(((uint32_t)off << 16) | ((uint32_t)off & 0xFFFFu)); /* offset pair */
#else
    const int32_t k_in = off;
#endif
    const int8_t *xp[EDGEQ_DW_MAX_TAPS];
    const int16_t *wp[EDGEQ_DW_MAX_TAPS];
    int32_t b, oy, ox, ky, kx, c, v;
    if (p->depth_multiplier != 1) {
        edgeq_depthwise_multiplier_fast(p, input, filter, bias, output);
        return;
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->in_h * p->in_w * C;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t rows_in = y0 >= 0 && y0 + (p->k_h - 1) * p->dilation_h < p->in_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * C;
                if (rows_in && x0 >= 0 && x0 + (p->k_w - 1) * p->dilation_w < p->in_w) {
                    /* the whole window in the image: every tap, unrolled */
                    const int8_t *base = in + (y0 * p->in_w + x0) * C;
                    for (c = 0; c < c4; c += 4) {
                        int32_t a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0;
                        int32_t a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
#pragma GCC unroll 16
                        for (ky = 0; ky < p->k_h; ++ky) {
#pragma GCC unroll 16
                            for (kx = 0; kx < p->k_w; ++kx) {
                                EDGEQ_DW_MAC4(base + (ky * p->dilation_h * p->in_w + kx * p->dilation_w) * C + c,
                                              filter + (ky * p->k_w + kx) * C + c, a0, a1, a2, a3, k_in);
                            }
                        }
                        out[c] = EDGEQ_OUT_S8(p, a0, c);
                        out[c + 1] = EDGEQ_OUT_S8(p, a1, c + 1);
                        out[c + 2] = EDGEQ_OUT_S8(p, a2, c + 2);
                        out[c + 3] = EDGEQ_OUT_S8(p, a3, c + 3);
                    }
                    for (; c < C; ++c) { /* channels past the last group of 4: natural order */
                        int32_t a = bias ? bias[c] : 0;
                        for (ky = 0; ky < p->k_h; ++ky) {
                            for (kx = 0; kx < p->k_w; ++kx) {
                                a += (base[(ky * p->dilation_h * p->in_w + kx * p->dilation_w) * C + c] + off) *
                                     filter[(ky * p->k_w + kx) * C + c];
                            }
                        }
                        out[c] = EDGEQ_OUT_S8(p, a, c);
                    }
                    continue;
                }
                {
                    /* at the border: the taps inside the image */
                    const int32_t n = edgeq_dw_taps(p, in, filter, C, y0, x0, xp, wp);
                    for (c = 0; c < c4; c += 4) {
                        int32_t a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0;
                        int32_t a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
                        for (v = 0; v < n; ++v) {
                            EDGEQ_DW_MAC4(xp[v] + c, wp[v] + c, a0, a1, a2, a3, k_in);
                        }
                        out[c] = EDGEQ_OUT_S8(p, a0, c);
                        out[c + 1] = EDGEQ_OUT_S8(p, a1, c + 1);
                        out[c + 2] = EDGEQ_OUT_S8(p, a2, c + 2);
                        out[c + 3] = EDGEQ_OUT_S8(p, a3, c + 3);
                    }
                    for (; c < C; ++c) {
                        int32_t a = bias ? bias[c] : 0;
                        for (v = 0; v < n; ++v) {
                            a += (xp[v][c] + off) * wp[v][c];
                        }
                        out[c] = EDGEQ_OUT_S8(p, a, c);
                    }
                }
            }
        }
    }
}

#endif /* EDGEQ_DEPTHWISE_CONV_2D_FAST_H */
