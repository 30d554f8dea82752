/* CONCATENATION, int8 (TFLM requires every input to share the output's quantization, the
 * converter inserts QUANTIZE ops where they differ): a byte copy of each input's slices.
 * A NULL input is already in place (its producer wrote straight into its slices: the memory
 * planner's concatenation by placement): its bytes are left untouched. */
#include <string.h>

#include "edgeq_micro.h"

void edgeq_concatenation_s8(const edgeq_concat_params_t *p, const int8_t *const inputs[],
                            int8_t *output)
{
    int32_t o, i;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->num_inputs; ++i) {
            const int32_t n = p->copy_size[i];
            if (inputs[i] != NULL) {
                memcpy(output, inputs[i] + (int32_t)o * n, (size_t)n);
            }
            output += n;
        }
    }
}
