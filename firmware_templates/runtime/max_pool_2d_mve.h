/* MAX_POOL_2D, int8, Helium (MVE) variant: 16 channels a vector, VMAX.S8 over the window's
 * taps inside the image from -128 (what the reference starts from), then the activation
 * clamp; the last vector of channels under a byte predicate. The same bytes as
 * max_pool_2d.c, one output pixel after another (the in-place contract of the reference
 * holds). An always-inline header: the op's constants fold. */
#ifndef EDGEQ_MAX_POOL_2D_MVE_H
#define EDGEQ_MAX_POOL_2D_MVE_H

#include "edgeq_micro.h"
#include "edgeq_mve.h"

EDGEQ_INLINE void edgeq_max_pool_2d_s8_mve(const edgeq_pool_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t C = p->channels;
    const int8x16_t lo = vdupq_n_s8((int8_t)p->act_min), hi = vdupq_n_s8((int8_t)p->act_max);
    int32_t b, oy, ox, c, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->in_h * p->in_w * C;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = (y0 < 0) ? -y0 : 0;
            const int32_t ky1 = (p->k_h < p->in_h - y0) ? p->k_h : p->in_h - y0;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = (x0 < 0) ? -x0 : 0;
                const int32_t kx1 = (p->k_w < p->in_w - x0) ? p->k_w : p->in_w - x0;
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * C;
                for (c = 0; c < C; c += 16) {
                    const mve_pred16_t pred = vctp8q((uint32_t)(C - c));
                    int8x16_t best = vdupq_n_s8(INT8_MIN);
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = in + ((y0 + ky) * p->in_w + x0) * C + c;
                        for (kx = kx0; kx < kx1; ++kx) {
                            best = vmaxq_s8(best, vldrbq_z_s8(row + kx * C, pred));
                        }
                    }
                    vstrbq_p_s8(out + c, vminq_s8(vmaxq_s8(best, lo), hi), pred);
                }
            }
        }
    }
}

#endif /* EDGEQ_MAX_POOL_2D_MVE_H */
