/* SPLIT / SPLIT_V: for each step over the dimensions before the axis, consecutive slices of
 * the input go to each output in turn (the reverse of CONCATENATION). */
#include <string.h>

#include "edgeq_micro.h"

void edgeq_split(const edgeq_split_params_t *p, const void *input, void *const outputs[])
{
    const uint8_t *in = (const uint8_t *)input;
    int32_t o, k;
    for (o = 0; o < p->outer; ++o) {
        for (k = 0; k < p->num_outputs; ++k) {
            const int32_t n = p->copy_size[k];
            memcpy((uint8_t *)outputs[k] + (size_t)o * (size_t)n, in, (size_t)n);
            in += n;
        }
    }
}
