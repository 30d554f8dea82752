/* GATHER (the TFLite op, any element size): TFLM's loop, one block a coordinate. A
 * coordinate outside [0, axis_size) has no defined result in TFLM (a debug-build check
 * only, then an out-of-bounds read); here its block is zeros, never a read out of bounds. */
#include <string.h>

#include "edgeq_micro.h"

void edgeq_gather_op(const edgeq_gather_op_params_t *p, const void *input, const int32_t *coords,
                     void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const size_t block = (size_t)p->inner_bytes;
    int32_t b, o, i;
    for (b = 0; b < p->batches; ++b) {
        for (o = 0; o < p->outer; ++o) {
            const uint8_t *src = in + ((size_t)b * (size_t)p->outer + (size_t)o) * (size_t)p->axis_size * block;
            uint8_t *dst = out + ((size_t)b * (size_t)p->outer + (size_t)o) * (size_t)p->coords * block;
            for (i = 0; i < p->coords; ++i) {
                const int32_t c = coords[b * p->coords + i];
                if (c >= 0 && c < p->axis_size) {
                    memcpy(dst + (size_t)i * block, src + (size_t)c * block, block);
                } else {
                    memset(dst + (size_t)i * block, 0, block);
                }
            }
        }
    }
}
