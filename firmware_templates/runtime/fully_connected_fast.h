/* FULLY_CONNECTED, int8, fast variant: each input row widened once into an int16 column
 * (offset added), then blocks of 4 output rows against it (edgeq_gemm.h: DSP SIMD MACs or
 * portable C) over weights interleaved in 4-row blocks by the code generator
 * (edgeq/ops/fully_connected.py, which chooses it when edgeq_fc_fast_params_t's conditions
 * hold; it always passes a bias, zeros without one; the scratch holds the column, then one
 * accumulator a row). The same bytes as fully_connected.c. An always-inline header: edgeq_model.c
 * includes it and each call folds its op's constants. */
#ifndef EDGEQ_FULLY_CONNECTED_FAST_H
#define EDGEQ_FULLY_CONNECTED_FAST_H

#include "edgeq_gemm.h"
#include "edgeq_micro.h"

EDGEQ_INLINE void edgeq_fully_connected_s8_fast(const edgeq_fc_fast_params_t *p, const int8_t *input,
                                                const int8_t *filter, const int32_t *bias, int8_t *output,
                                                int16_t *scratch)
{
    const int32_t dp = p->depth_pad;
    const int32_t groups = dp >> 2;
    const int32_t rows4 = p->out_depth & ~3;
    int32_t *const acc = (int32_t *)(void *)(scratch + dp); /* one accumulator a row */
    int32_t b, o;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *w = filter;
        int8_t *out = output + b * p->out_depth;
        edgeq_widen(scratch, 1, 0, 0, input + b * p->depth, p->depth, p->input_offset);
        if (rows4 > 0) { /* every 4-row block in one call, then requantized */
            edgeq_gemm_args_t args;
            args.bias = bias;
            args.acc = acc;
            args.blocks = rows4 >> 2;
            edgeq_gemm_4x1(w, scratch, groups, &args);
            for (o = 0; o < rows4; ++o) {
                out[o] = EDGEQ_OUT_S8(p, acc[o], o);
            }
            w += rows4 * dp;
        }
        for (o = rows4; o < p->out_depth; ++o, w += dp) { /* the last out_depth % 4 rows, one at a time */
            out[o] = EDGEQ_OUT_S8(p, edgeq_dot_1(w, scratch, 1, groups, bias[o]), o);
        }
    }
}

#endif /* EDGEQ_FULLY_CONNECTED_FAST_H */
