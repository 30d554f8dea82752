/* RESIZE_BILINEAR, int8: the four neighbours of each output pixel weighted in 10-bit fixed
 * point (tables from the host: source rows/columns and the weight of the upper/right one),
 * summed with 20 fractional bits and rounded half away from zero, as TFLM's integer kernel. */
#include "edgeq_micro.h"

void edgeq_resize_bilinear_s8(const edgeq_resize_bilinear_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t b, y, x, c;
    const int32_t row = p->in_w * p->depth;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->in_h * row;
        for (y = 0; y < p->out_h; ++y) {
            const int32_t wy1 = p->wy[y], wy0 = (1 << 10) - wy1;
            const int8_t *r0 = in + p->y0[y] * row;
            const int8_t *r1 = in + p->y1[y] * row;
            for (x = 0; x < p->out_w; ++x) {
                const int32_t wx1 = p->wx[x], wx0 = (1 << 10) - wx1;
                const int32_t c0 = p->x0[x] * p->depth, c1 = p->x1[x] * p->depth;
                for (c = 0; c < p->depth; ++c) {
                    /* |sum| <= 128 * 2^20 * (1 + 2 * 0.5)^2: within 32 bits */
                    const int32_t sum = r0[c0 + c] * wy0 * wx0 + r1[c0 + c] * wy1 * wx0 +
                                        r0[c1 + c] * wy0 * wx1 + r1[c1 + c] * wy1 * wx1;
                    const int32_t round = (sum > 0) ? (1 << 19) : -(1 << 19);
                    *output++ = (int8_t)((sum + round) / (1 << 20));
                }
            }
        }
    }
}
