/* AVERAGE_POOL_2D, int8, Helium (MVE) variant (windows of at most 256 taps): 8 channels a
 * vector, the window's taps inside the image summed in 16-bit lanes (256 values of
 * [-128, 127] cannot overflow them; the loads widen the bytes), then each sum rounded half
 * away from zero and divided by the in-image count as the reference does (a scalar
 * division: the M-profile vector extension has none). The last vector of channels under a
 * lane predicate. The same bytes as average_pool_2d.c, one output pixel after another. An
 * always-inline header: the op's constants fold. */
#ifndef EDGEQ_AVERAGE_POOL_2D_MVE_H
#define EDGEQ_AVERAGE_POOL_2D_MVE_H

#include "edgeq_micro.h"
#include "edgeq_mve.h"

EDGEQ_INLINE void edgeq_average_pool_2d_s8_mve(const edgeq_pool_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t C = p->channels;
    const int8_t empty = (int8_t)(0 < p->act_min ? p->act_min : (0 > p->act_max ? p->act_max : 0));
    int16_t sums[8];
    int32_t b, oy, ox, c, j, ky, kx;
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
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * C;
                for (c = 0; c < C; c += 8) {
                    const mve_pred16_t pred = vctp16q((uint32_t)(C - c));
                    const int32_t n = C - c < 8 ? C - c : 8;
                    int16x8_t acc = vdupq_n_s16(0);
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = in + ((y0 + ky) * p->in_w + x0) * C + c;
                        for (kx = kx0; kx < kx1; ++kx) {
                            acc = vaddq_s16(acc, vldrbq_z_s16(row + kx * C, pred));
                        }
                    }
                    vst1q_s16(sums, acc);
                    for (j = 0; j < n; ++j) {
                        int32_t a = sums[j];
                        if (count <= 0) { /* a window wholly in the padding: the reference clamps 0 */
                            out[c + j] = empty;
                            continue;
                        }
                        a = (a > 0) ? (a + count / 2) / count : (a - count / 2) / count;
                        a = a < p->act_min ? p->act_min : a;
                        out[c + j] = (int8_t)(a > p->act_max ? p->act_max : a);
                    }
                }
            }
        }
    }
}

#endif /* EDGEQ_AVERAGE_POOL_2D_MVE_H */
