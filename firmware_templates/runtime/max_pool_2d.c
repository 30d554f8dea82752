/* MAX_POOL_2D, int8: maximum over the window's in-bounds elements. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

void edgeq_max_pool_2d_s8(const edgeq_pool_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t b, oy, ox, c, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = (y0 < 0) ? -y0 : 0;
            const int32_t ky1 = (p->k_h < p->in_h - y0) ? p->k_h : p->in_h - y0;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = (x0 < 0) ? -x0 : 0;
                const int32_t kx1 = (p->k_w < p->in_w - x0) ? p->k_w : p->in_w - x0;
                for (c = 0; c < p->channels; ++c) {
                    int32_t best = INT8_MIN;
                    for (ky = ky0; ky < ky1; ++ky) {
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int32_t v = input[(((int32_t)b * p->in_h + y0 + ky) * p->in_w + x0 + kx) *
                                                        p->channels + c];
                            best = (v > best) ? v : best;
                        }
                    }
                    output[(((int32_t)b * p->out_h + oy) * p->out_w + ox) * p->channels + c] =
                        (int8_t)edgeq_clamp(best, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* The same for int16 activations. */
void edgeq_max_pool_2d_s16(const edgeq_pool_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t b, oy, ox, c, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = (y0 < 0) ? -y0 : 0;
            const int32_t ky1 = (p->k_h < p->in_h - y0) ? p->k_h : p->in_h - y0;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = (x0 < 0) ? -x0 : 0;
                const int32_t kx1 = (p->k_w < p->in_w - x0) ? p->k_w : p->in_w - x0;
                for (c = 0; c < p->channels; ++c) {
                    int32_t best = INT16_MIN;
                    for (ky = ky0; ky < ky1; ++ky) {
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int32_t v = input[(((int32_t)b * p->in_h + y0 + ky) * p->in_w + x0 + kx) *
                                                        p->channels + c];
                            best = (v > best) ? v : best;
                        }
                    }
                    output[(((int32_t)b * p->out_h + oy) * p->out_w + ox) * p->channels + c] =
                        (int16_t)edgeq_clamp(best, p->act_min, p->act_max);
                }
            }
        }
    }
}
