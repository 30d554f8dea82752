/* TRANSPOSE and STRIDED_SLICE: a gather. The host turns the permutation or the slice
 * (TFLM's start/stop/stride resolution) into a base offset and a step per output dimension. */
#include <string.h>

#include "edgeq_micro.h"

#define EDGEQ_GATHER_LOOP(T)                                                                       \
    do {                                                                                           \
        const T *in = (const T *)input;                                                            \
        T *out = (T *)output;                                                                      \
        for (i = 0; i < p->size; ++i) {                                                            \
            out[i] = in[off];                                                                      \
            off += edgeq_next_index(p->dims, p->out_shape, p->step, idx);                          \
        }                                                                                          \
    } while (0)

void edgeq_gather(const edgeq_gather_params_t *p, const void *input, void *output)
{
    int32_t i, off = p->base, idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    if (p->elem_size == 1) {
        EDGEQ_GATHER_LOOP(uint8_t);
    } else if (p->elem_size == 2) {
        EDGEQ_GATHER_LOOP(uint16_t);
    } else {
        const uint8_t *in = (const uint8_t *)input;
        uint8_t *out = (uint8_t *)output;
        const size_t n = (size_t)p->elem_size;
        for (i = 0; i < p->size; ++i) {
            memcpy(out + (size_t)i * n, in + (size_t)off * n, n);
            off += edgeq_next_index(p->dims, p->out_shape, p->step, idx);
        }
    }
}
