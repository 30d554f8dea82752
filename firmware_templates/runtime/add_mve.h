/* ADD, int8, Helium (MVE) variant (inputs of the output's shape, multipliers below 1): TFLM's
 * arithmetic 4 elements a vector -- both inputs offset and shifted up by left_shift (20),
 * each rescaled (VQRDMULH: the saturating rounding doubling high multiply exactly, then
 * RoundingDivideByPOT as VRSHL of x - (x < 0)), summed, rescaled to the output, offset,
 * clamped, stored narrowed. The last vector under a lane predicate. The same bytes as
 * add.c's edgeq_add_s8, element by element in place. An always-inline header: the op's
 * constants fold (a zero shift skips its rounding). */
#ifndef EDGEQ_ADD_MVE_H
#define EDGEQ_ADD_MVE_H

#include "edgeq_micro.h"
#include "edgeq_mve.h"

/* SaturatingRoundingDoublingHighMul(x, m) then RoundingDivideByPOT by -shift (shift <= 0). */
EDGEQ_INLINE int32x4_t edgeq_mve_rescale(int32x4_t x, int32_t multiplier, int32_t shift)
{
    x = vqrdmulhq_n_s32(x, multiplier);
    if (shift < 0) {
        x = vrshlq_n_s32(vaddq_s32(x, vshrq_n_s32(x, 31)), shift);
    }
    return x;
}

EDGEQ_INLINE void edgeq_add_s8_mve(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                                   int8_t *output)
{
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    int32_t i;
    for (i = 0; i < p->size; i += 4) {
        const mve_pred16_t pred = vctp32q((uint32_t)(p->size - i));
        int32x4_t a = vshlq_n_s32(vaddq_n_s32(vldrbq_z_s32(input1 + i, pred), p->input1_offset), 20);
        int32x4_t b = vshlq_n_s32(vaddq_n_s32(vldrbq_z_s32(input2 + i, pred), p->input2_offset), 20);
        a = edgeq_mve_rescale(a, p->input1_multiplier, p->input1_shift);
        b = edgeq_mve_rescale(b, p->input2_multiplier, p->input2_shift);
        a = vaddq_n_s32(edgeq_mve_rescale(vaddq_s32(a, b), p->output_multiplier, p->output_shift), p->output_offset);
        vstrbq_p_s32(output + i, vminq_s32(vmaxq_s32(a, lo), hi), pred);
    }
}

#endif /* EDGEQ_ADD_MVE_H */
