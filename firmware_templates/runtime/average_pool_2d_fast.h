/* AVERAGE_POOL_2D, int8, fast variant (windows of at most 256 taps): 4 channels at a time,
 * their sums kept as two pairs of int16 lanes (SXTAB16 adds 4 input bytes in two
 * instructions; 256 values of [-128, 127] cannot overflow an int16 lane), then rounded half
 * away from zero and divided by the in-image count as the reference does. Without the DSP
 * extension, portable C with 4 sums. The same bytes as average_pool_2d.c. An always-inline
 * header: the op's constants fold. */
#ifndef EDGEQ_AVERAGE_POOL_2D_FAST_H
#define EDGEQ_AVERAGE_POOL_2D_FAST_H

#include "edgeq_micro.h"
#include "edgeq_simd.h"

EDGEQ_INLINE int8_t edgeq_avg_out(int32_t acc, int32_t count, int32_t lo, int32_t hi)
{
    acc = (acc > 0) ? (acc + count / 2) / count : (acc - count / 2) / count;
    acc = acc < lo ? lo : acc;
    return (int8_t)(acc > hi ? hi : acc);
}

EDGEQ_INLINE void edgeq_average_pool_2d_s8_fast(const edgeq_pool_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t C = p->channels;
    const int32_t c4 = C & ~3;
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
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * C;
                for (c = 0; c < c4; c += 4) {
                    int32_t s0, s1, s2, s3;
#if EDGEQ_DSP
                    int32_t even = 0, odd = 0; /* (c, c+2) and (c+1, c+3), int16 lanes */
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = in + ((y0 + ky) * p->in_w + x0) * C + c;
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int32_t v = edgeq_load32(row + kx * C);
                            even = edgeq_sxtab16(even, v);
                            odd = edgeq_sxtab16_ror8(odd, v);
                        }
                    }
                    s0 = (int16_t)(uint16_t)((uint32_t)even & 0xFFFFu);
                    s2 = (int16_t)(uint16_t)((uint32_t)even >> 16);
                    s1 = (int16_t)(uint16_t)((uint32_t)odd & 0xFFFFu);
                    s3 = (int16_t)(uint16_t)((uint32_t)odd >> 16);
#else
                    s0 = s1 = s2 = s3 = 0;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = in + ((y0 + ky) * p->in_w + x0) * C + c;
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int8_t *v = row + kx * C;
                            s0 += v[0];
                            s1 += v[1];
                            s2 += v[2];
                            s3 += v[3];
                        }
                    }
#endif
                    if (count > 0) {
                        out[c] = edgeq_avg_out(s0, count, p->act_min, p->act_max);
                        out[c + 1] = edgeq_avg_out(s1, count, p->act_min, p->act_max);
                        out[c + 2] = edgeq_avg_out(s2, count, p->act_min, p->act_max);
                        out[c + 3] = edgeq_avg_out(s3, count, p->act_min, p->act_max);
                    } else { /* a window wholly in the padding: the reference clamps 0 */
                        out[c] = out[c + 1] = out[c + 2] = out[c + 3] =
                            (int8_t)(0 < p->act_min ? p->act_min : (0 > p->act_max ? p->act_max : 0));
                    }
                }
                for (; c < C; ++c) {
                    int32_t s = 0;
                    for (ky = ky0; ky < ky1; ++ky) {
                        for (kx = kx0; kx < kx1; ++kx) {
                            s += in[((y0 + ky) * p->in_w + x0 + kx) * C + c];
                        }
                    }
                    out[c] = count > 0 ? edgeq_avg_out(s, count, p->act_min, p->act_max)
                                       : (int8_t)(0 < p->act_min ? p->act_min : (0 > p->act_max ? p->act_max : 0));
                }
            }
        }
    }
}

#endif /* EDGEQ_AVERAGE_POOL_2D_FAST_H */
