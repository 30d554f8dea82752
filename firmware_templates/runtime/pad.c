/* PAD / PADV2, int8 or int16: the output filled with the pad value, then the input copied in,
 * one innermost row at a time. Dimensions are 1-padded to 5 on the host. */
#include <string.h>

#include "edgeq_micro.h"

/* copy the input's rows (elements of `size` bytes) to their places in the output */
static void pad_rows(const edgeq_pad_params_t *p, const uint8_t *input, uint8_t *output, size_t size)
{
    const size_t row = (size_t)p->in_shape[4] * size;
    int32_t a, b, c, d;
    for (a = 0; a < p->in_shape[0]; ++a) {
        for (b = 0; b < p->in_shape[1]; ++b) {
            for (c = 0; c < p->in_shape[2]; ++c) {
                for (d = 0; d < p->in_shape[3]; ++d) {
                    const int32_t dst = (a + p->before[0]) * p->out_strides[0] +
                                        (b + p->before[1]) * p->out_strides[1] +
                                        (c + p->before[2]) * p->out_strides[2] +
                                        (d + p->before[3]) * p->out_strides[3] + p->before[4];
                    memcpy(output + (size_t)dst * size, input, row);
                    input += row;
                }
            }
        }
    }
}

void edgeq_pad_s8(const edgeq_pad_params_t *p, const int8_t *input, int8_t *output)
{
    memset(output, (int8_t)p->pad_value, (size_t)p->out_size);
    pad_rows(p, (const uint8_t *)input, (uint8_t *)output, 1);
}

void edgeq_pad_s16(const edgeq_pad_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->out_size; ++i) {
        output[i] = (int16_t)p->pad_value;
    }
    pad_rows(p, (const uint8_t *)input, (uint8_t *)output, 2);
}
