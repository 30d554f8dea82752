/* ADD, int8, fast variant (inputs of the output's shape): TFLM's arithmetic -- both inputs
 * shifted up by left_shift (20), rescaled to a common scale, summed, requantized -- with each
 * of the three doubling high multiplies done as one rounded high-word multiply. Exact: the
 * shifted inputs are below 255 * 2^20 < 2^28 and their rescaled sum below 2^29, so nothing
 * saturates (edgeq_requant's argument). The same bytes as add.c's edgeq_add_s8, element by
 * element in place. An always-inline header: the op's constants fold. */
#ifndef EDGEQ_ADD_FAST_H
#define EDGEQ_ADD_FAST_H

#include "edgeq_micro.h"
#include "edgeq_simd.h"

/* RoundingDivideByPOT of x by 2^right (right 0..31): round half away from zero. */
EDGEQ_INLINE int32_t edgeq_rdiv_pot(int32_t x, int32_t right)
{
    if (right <= 0) {
        return x;
    }
    return (x - (int32_t)((uint32_t)x >> 31) + (1 << (right - 1))) >> right;
}

EDGEQ_INLINE void edgeq_add_s8_fast(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                                    int8_t *output)
{
    /* TFLM's shifts here are <= 0 (multipliers below 1): right shifts */
    const int32_t up = p->left_shift + 1; /* the doubling of the high multiply folded in */
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t a = (int32_t)((uint32_t)(input1[i] + p->input1_offset) << up);
        const int32_t b = (int32_t)((uint32_t)(input2[i] + p->input2_offset) << up);
        const int32_t ra = edgeq_rdiv_pot(edgeq_smmulr(a, p->input1_multiplier), -p->input1_shift);
        const int32_t rb = edgeq_rdiv_pot(edgeq_smmulr(b, p->input2_multiplier), -p->input2_shift);
        const int32_t sum = (int32_t)((uint32_t)(ra + rb) << 1);
        output[i] = edgeq_clamp_s8(edgeq_rdiv_pot(edgeq_smmulr(sum, p->output_multiplier), -p->output_shift) +
                                       p->output_offset,
                                   p->act_min, p->act_max);
    }
}

#endif /* EDGEQ_ADD_FAST_H */
