/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8, fast variant (see edgeq_lstm_fast_params_t): the same
 * bytes as lstm.c. Per step and sequence row: the input row and the hidden state widened to
 * int16 columns (offsets added), all 4 gates' input sums in one edgeq_gemm_4x1 call and
 * their recurrent sums in another (DSP SIMD MACs or portable C), then per unit the gates,
 * the cell and the hidden state (edgeq_lstm.h). Every row of a step is independent (the
 * gates read the hidden state of the previous step only), so a time-major step runs its
 * rows one after another. An always-inline header: edgeq_model.c includes it. */
#ifndef EDGEQ_LSTM_FAST_H
#define EDGEQ_LSTM_FAST_H

#include <string.h>

#include "edgeq_gemm.h"
#include "edgeq_lstm.h"
#include "edgeq_micro.h"

EDGEQ_INLINE void edgeq_lstm_s8_fast(const edgeq_lstm_fast_params_t *fp, const int8_t *w_in, const int8_t *w_rec,
                                     const int32_t *bias, const int32_t *zeros, const int8_t *input, int8_t *hidden,
                                     int16_t *cell, int8_t *output, int16_t *scratch)
{
    const edgeq_lstm_params_t *p = &fp->lstm;
    const int32_t units = p->units;
    int16_t *col_x = scratch;
    int16_t *col_h = scratch + 4 * fp->in_groups;
    int32_t *acc_in = (int32_t *)(void *)(col_h + 4 * fp->rec_groups);
    int32_t *acc_rec = acc_in + 4 * units;
    const int32_t rows = p->time_major ? p->batches : 1;
    int32_t b, t, r, u;
    edgeq_gemm_args_t in_args, rec_args;
    in_args.bias = bias;
    in_args.acc = acc_in;
    in_args.blocks = units; /* 4 * units rows */
    rec_args.bias = zeros;
    rec_args.acc = acc_rec;
    rec_args.blocks = units;
    /* the padding of the columns meets zero weights; clear it once */
    memset(scratch, 0, (size_t)(4 * (fp->in_groups + fp->rec_groups)) * sizeof(int16_t));
    for (b = 0; b < (p->time_major ? 1 : p->batches); ++b) {
        for (t = 0; t < p->steps; ++t) {
            const int32_t seq = p->time_major ? t : b * p->steps + t;
            for (r = 0; r < rows; ++r) {
                const int32_t row = p->time_major ? r : b; /* the state row */
                int8_t *h = hidden + row * units;
                int16_t *c = cell + row * units;
                edgeq_widen(col_x, 1, 0, 0, input + (seq * rows + r) * p->input_size, p->input_size,
                            p->input_offset);
                edgeq_widen(col_h, 1, 0, 0, h, units, p->hidden_offset);
                edgeq_gemm_4x1(w_in, col_x, fp->in_groups, &in_args);
                edgeq_gemm_4x1(w_rec, col_h, fp->rec_groups, &rec_args);
                for (u = 0; u < units; ++u) {
                    int16_t g[4];
                    int k;
                    for (k = 0; k < 4; ++k) {
                        const int32_t i = k * units + u;
                        g[k] = edgeq_lstm_gate(
                            edgeq_sat16(edgeq_mul_by_quantized_multiplier(acc_in[i], p->in_multiplier[k],
                                                                          (int)p->in_shift[k])),
                            edgeq_sat16(edgeq_mul_by_quantized_multiplier(acc_rec[i], p->rec_multiplier[k],
                                                                          (int)p->rec_shift[k])),
                            k == EDGEQ_GATE_CELL, p->table);
                    }
                    c[u] = edgeq_lstm_cell(p, g[EDGEQ_GATE_FORGET], g[EDGEQ_GATE_INPUT], g[EDGEQ_GATE_CELL], c[u]);
                    /* the hidden state is read by this step's products only: already done */
                    h[u] = (int8_t)edgeq_lstm_hidden(p, g[EDGEQ_GATE_OUTPUT], c[u]);
                }
                memcpy(output + (seq * rows + r) * units, h, (size_t)units);
            }
        }
    }
}

#endif /* EDGEQ_LSTM_FAST_H */
