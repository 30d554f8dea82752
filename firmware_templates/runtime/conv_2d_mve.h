/* CONV_2D, int8, Helium (MVE) variant (one group): each pair of output pixels is two columns
 * of raw input bytes (a 1x1 window without padding: the input's own pixels; otherwise an
 * im2col copy into the scratch, the input zero point in the padding), against every 4-row
 * block of the filter (edgeq_mve_gemm.h: VMLADAVA products, vector requantization). The
 * code generator (edgeq/ops/conv_2d.py) re-lays the filter out, folds the input offset into
 * the bias and chooses this variant when edgeq_conv_mve_params_t's conditions hold.
 * Computes the same bytes as conv_2d.c. Pixels are written in the reference kernel's order,
 * a pair after both its windows were read, so the in-place contract holds. An always-inline
 * header: edgeq_model.c includes it and each call folds its op's constants. */
#ifndef EDGEQ_CONV_2D_MVE_H
#define EDGEQ_CONV_2D_MVE_H

#include "edgeq_micro.h"
#include "edgeq_mve_gemm.h"

/* Output pixel (oy, ox)'s window of batch image `in` as a column at col (depth bytes). */
EDGEQ_INLINE void edgeq_conv_mve_im2col(const edgeq_conv_mve_params_t *p, const int8_t *in, int32_t oy, int32_t ox,
                                        int8_t *col)
{
    const int32_t y0 = oy * p->stride_h - p->pad_h;
    const int32_t x0 = ox * p->stride_w - p->pad_w;
    const int32_t row = p->k_w * p->in_c;
    const int8_t zp = (int8_t)p->input_zero_point;
    const int32_t whole_row = p->dilation_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w;
    int32_t ky, kx;
    for (ky = 0; ky < p->k_h; ++ky, col += row) {
        const int32_t iy = y0 + p->dilation_h * ky;
        const int8_t *src;
        if (iy < 0 || iy >= p->in_h) {
            edgeq_mve_fill(col, zp, row);
            continue;
        }
        src = in + iy * p->in_w * p->in_c;
        if (whole_row) {
            edgeq_mve_copy(col, src + x0 * p->in_c, row);
            continue;
        }
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t ix = x0 + p->dilation_w * kx;
            if (ix < 0 || ix >= p->in_w) {
                edgeq_mve_fill(col + kx * p->in_c, zp, p->in_c);
            } else {
                edgeq_mve_copy(col + kx * p->in_c, src + ix * p->in_c, p->in_c);
            }
        }
    }
}

/* Output pixel (oy, ox)'s column: the input pixel itself (direct) or the im2col copy at col. */
EDGEQ_INLINE const int8_t *edgeq_conv_mve_column(const edgeq_conv_mve_params_t *p, const int8_t *in, int32_t oy,
                                                 int32_t ox, int8_t *col)
{
    if (p->direct) {
        return in + (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c;
    }
    edgeq_conv_mve_im2col(p, in, oy, ox, col);
    return col;
}

EDGEQ_INLINE void edgeq_conv_2d_s8_mve(const edgeq_conv_mve_params_t *p, const int8_t *input, const int8_t *filter,
                                       const int32_t *bias, int8_t *output, int8_t *scratch)
{
    const int32_t pixels = p->out_h * p->out_w;
    edgeq_mve_gemm_t g;
    int32_t b, n, oy, ox;
    g.filter = filter;
    g.bias = bias;
    g.mult = p->multiplier;
    g.neg_right = p->neg_right;
    g.chunks = p->chunks;
    g.tail = p->tail;
    g.rows = p->out_c;
    g.output_offset = p->output_offset;
    g.act_min = p->act_min;
    g.act_max = p->act_max;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->in_h * p->in_w * p->in_c;
        int8_t *out = output + b * pixels * p->out_stride;
        oy = ox = 0;
        for (n = 0; n < pixels; n += 2) {
            int8_t *o0 = out + n * p->out_stride;
            const int8_t *c0 = edgeq_conv_mve_column(p, in, oy, ox, scratch);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
            if (n + 1 < pixels) {
                const int8_t *c1 = edgeq_conv_mve_column(p, in, oy, ox, scratch + p->col_stride);
                if (++ox == p->out_w) {
                    ox = 0;
                    ++oy;
                }
                if (p->direct) {
                    /* the second pixel's outputs land after its input was last read: a
                     * later channel block reads it again, and in place it may lie under
                     * the output of the first (the first pixel's output lies below both) */
                    edgeq_mve_gemm_x2(&g, c0, c1, o0, scratch);
                    edgeq_mve_copy(o0 + p->out_stride, scratch, p->out_c);
                } else {
                    edgeq_mve_gemm_x2(&g, c0, c1, o0, o0 + p->out_stride);
                }
            } else {
                edgeq_mve_gemm_x1(&g, c0, o0);
            }
        }
    }
}

#endif /* EDGEQ_CONV_2D_MVE_H */
