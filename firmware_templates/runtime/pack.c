/* PACK / UNPACK: for each step over the dimensions before the axis, one block of each slice
 * in turn in the packed tensor. Bytes are copied; the slices share the packed quantization. */
#include <string.h>

#include "edgeq_micro.h"

void edgeq_pack(const edgeq_pack_params_t *p, const void *const inputs[], void *output)
{
    uint8_t *out = (uint8_t *)output;
    const size_t n = (size_t)p->block;
    int32_t o, k;
    for (o = 0; o < p->outer; ++o) {
        for (k = 0; k < p->count; ++k) {
            memcpy(out, (const uint8_t *)inputs[k] + (size_t)o * n, n);
            out += n;
        }
    }
}

void edgeq_unpack(const edgeq_pack_params_t *p, const void *input, void *const outputs[])
{
    const uint8_t *in = (const uint8_t *)input;
    const size_t n = (size_t)p->block;
    int32_t o, k;
    for (o = 0; o < p->outer; ++o) {
        for (k = 0; k < p->count; ++k) {
            memcpy((uint8_t *)outputs[k] + (size_t)o * n, in, n);
            in += n;
        }
    }
}
