/* MAX_POOL_2D, int8, fast variant: 4 channels at a time. With the DSP extension the
 * bytewise maximum is SSUB8 (sets a GE flag per byte where the new value is >= the best
 * so far) then SEL (picks those bytes), and the clamp to the activation range the same way;
 * without it, portable C. The same bytes as max_pool_2d.c. An always-inline header. */
#ifndef EDGEQ_MAX_POOL_2D_FAST_H
#define EDGEQ_MAX_POOL_2D_FAST_H

#include "edgeq_micro.h"
#include "edgeq_simd.h"

#if EDGEQ_DSP
/* max(a, b) of each signed byte lane */
EDGEQ_INLINE int32_t edgeq_max8(int32_t a, int32_t b)
{
#if defined(EDGEQ_SIMD_NATIVE)
    int32_t t, r;
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %2, %3" : "=&r"(t), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)t;
    return r;
#else
    uint32_t r = 0;
    int k;
    for (k = 0; k < 4; ++k) {
        const int8_t x = (int8_t)(uint8_t)((uint32_t)a >> (8 * k)), y = (int8_t)(uint8_t)((uint32_t)b >> (8 * k));
        r |= (uint32_t)(uint8_t)(x >= y ? x : y) << (8 * k);
    }
    return (int32_t)r;
#endif
}

/* min(a, b) of each signed byte lane */
EDGEQ_INLINE int32_t edgeq_min8(int32_t a, int32_t b) { return (int32_t)((uint32_t)a ^ (uint32_t)b ^ (uint32_t)edgeq_max8(a, b)); }
#endif

EDGEQ_INLINE void edgeq_max_pool_2d_s8_fast(const edgeq_pool_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t C = p->channels;
    const int32_t c4 = C & ~3;
    int32_t b, oy, ox, c, ky, kx;
#if EDGEQ_DSP
    const int32_t lo4 = (int32_t)(0x01010101u * (uint8_t)(int8_t)p->act_min);
    const int32_t hi4 = (int32_t)(0x01010101u * (uint8_t)(int8_t)p->act_max);
#endif
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
                for (c = 0; c < c4; c += 4) {
#if EDGEQ_DSP
                    int32_t best = (int32_t)0x80808080u;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = in + ((y0 + ky) * p->in_w + x0) * C + c;
                        for (kx = kx0; kx < kx1; ++kx) {
                            best = edgeq_max8(edgeq_load32(row + kx * C), best);
                        }
                    }
                    edgeq_store32(out + c, edgeq_min8(edgeq_max8(best, lo4), hi4));
#else
                    int32_t m0 = INT8_MIN, m1 = INT8_MIN, m2 = INT8_MIN, m3 = INT8_MIN;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = in + ((y0 + ky) * p->in_w + x0) * C + c;
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int8_t *v = row + kx * C;
                            m0 = v[0] > m0 ? v[0] : m0;
                            m1 = v[1] > m1 ? v[1] : m1;
                            m2 = v[2] > m2 ? v[2] : m2;
                            m3 = v[3] > m3 ? v[3] : m3;
                        }
                    }
                    out[c] = edgeq_clamp_s8(m0, p->act_min, p->act_max);
                    out[c + 1] = edgeq_clamp_s8(m1, p->act_min, p->act_max);
                    out[c + 2] = edgeq_clamp_s8(m2, p->act_min, p->act_max);
                    out[c + 3] = edgeq_clamp_s8(m3, p->act_min, p->act_max);
#endif
                }
                for (; c < C; ++c) {
                    int32_t m = INT8_MIN;
                    for (ky = ky0; ky < ky1; ++ky) {
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int32_t v = in[((y0 + ky) * p->in_w + x0 + kx) * C + c];
                            m = v > m ? v : m;
                        }
                    }
                    out[c] = edgeq_clamp_s8(m, p->act_min, p->act_max);
                }
            }
        }
    }
}

#endif /* EDGEQ_MAX_POOL_2D_FAST_H */
