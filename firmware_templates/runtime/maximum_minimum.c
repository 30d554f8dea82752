/* MAXIMUM / MINIMUM, int8 or int16: a comparison of the raw values (TFLM does not requantize;
 * the converter gives both inputs the output's quantization); TFLM's broadcasting. */
#include "edgeq_micro.h"

#define EDGEQ_MAXMIN_LOOP(T)                                                                       \
    do {                                                                                           \
        const edgeq_broadcast_t *bc = &p->bc;                                                      \
        int32_t i, idx[EDGEQ_MAX_DIMS] = {0, 0, 0, 0, 0, 0};                                       \
        int32_t off1 = 0, off2 = 0;                                                                \
        for (i = 0; i < bc->size; ++i) {                                                           \
            const T a = bc->broadcast ? input1[off1] : input1[i];                                  \
            const T b = bc->broadcast ? input2[off2] : input2[i];                                  \
            output[i] = p->is_max ? (a > b ? a : b) : (a < b ? a : b);                             \
            if (bc->broadcast) {                                                                   \
                edgeq_next_index2(bc->dims, bc->out_shape, bc->in1_strides, bc->in2_strides, idx,  \
                                  &off1, &off2);                                                   \
            }                                                                                      \
        }                                                                                          \
    } while (0)

void edgeq_maximum_minimum_s8(const edgeq_maxmin_params_t *p, const int8_t *input1,
                              const int8_t *input2, int8_t *output)
{
    EDGEQ_MAXMIN_LOOP(int8_t);
}

void edgeq_maximum_minimum_s16(const edgeq_maxmin_params_t *p, const int16_t *input1,
                               const int16_t *input2, int16_t *output)
{
    EDGEQ_MAXMIN_LOOP(int16_t);
}
