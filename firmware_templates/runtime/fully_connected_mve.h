/* FULLY_CONNECTED, int8, Helium (MVE) variant: each input row is a column of raw bytes
 * against every 4-row block of the weights (edgeq_mve_gemm.h: VMLADAVA products, vector
 * requantization), two rows at a time where there are two. The code generator
 * (edgeq/ops/fully_connected.py) re-lays the weights out, folds the input offset into the
 * bias and chooses this variant when edgeq_fc_mve_params_t's conditions hold. The same
 * bytes as fully_connected.c. An always-inline header: edgeq_model.c includes it and each
 * call folds its op's constants. */
#ifndef EDGEQ_FULLY_CONNECTED_MVE_H
#define EDGEQ_FULLY_CONNECTED_MVE_H

#include "edgeq_micro.h"
#include "edgeq_mve_gemm.h"

EDGEQ_INLINE void edgeq_fully_connected_s8_mve(const edgeq_fc_mve_params_t *p, const int8_t *input,
                                               const int8_t *filter, const int32_t *bias, int8_t *output)
{
    edgeq_mve_gemm_t g;
    int32_t b;
    g.filter = filter;
    g.bias = bias;
    g.mult = p->multiplier;
    g.neg_right = p->neg_right;
    g.chunks = p->chunks;
    g.tail = p->tail;
    g.rows = p->out_depth;
    g.output_offset = p->output_offset;
    g.act_min = p->act_min;
    g.act_max = p->act_max;
    for (b = 0; b + 2 <= p->batches; b += 2) {
        const int8_t *x = input + b * p->depth;
        int8_t *o = output + b * p->out_depth;
        edgeq_mve_gemm_x2(&g, x, x + p->depth, o, o + p->out_depth);
    }
    if (b < p->batches) {
        edgeq_mve_gemm_x1(&g, input + b * p->depth, output + b * p->out_depth);
    }
}

#endif /* EDGEQ_FULLY_CONNECTED_MVE_H */
