/* RESIZE_NEAREST_NEIGHBOR: every output pixel is a copy of the input pixel its row and column
 * tables name (computed at generation time as TFLM computes them). */
#include <string.h>

#include "edgeq_micro.h"

void edgeq_resize_nearest(const edgeq_resize_nearest_params_t *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const size_t px = (size_t)p->pixel_bytes;
    int32_t b, y, x;
    for (b = 0; b < p->batches; ++b) {
        for (y = 0; y < p->out_h; ++y) {
            const uint8_t *row = in + (size_t)p->rows[y] * (size_t)p->in_w * px;
            for (x = 0; x < p->out_w; ++x) {
                memcpy(out, row + (size_t)p->cols[x] * px, px);
                out += px;
            }
        }
        in += (size_t)p->in_h * (size_t)p->in_w * px;
    }
}
