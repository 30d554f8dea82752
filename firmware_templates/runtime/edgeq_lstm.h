/* edgeq-micro: what the LSTM kernels (lstm.c, lstm_fast.h) share after the gates' fully
 * connected layers: per unit, the gate's two Q3.12 sums added with saturation through the
 * gate's nonlinearity, the cell state update and the hidden state (TFLM's lstm_eval
 * arithmetic; see edgeq_lstm_params_t in edgeq_micro.h). */
#ifndef EDGEQ_LSTM_H
#define EDGEQ_LSTM_H

#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

enum { EDGEQ_GATE_INPUT, EDGEQ_GATE_FORGET, EDGEQ_GATE_CELL, EDGEQ_GATE_OUTPUT };

static inline int16_t edgeq_sat16(int32_t v)
{
    return (int16_t)edgeq_clamp(v, -32768, 32767);
}

/* A gate's Q0.15 output from its input and recurrent layers' Q3.12 values: sigmoid, or
 * tanh for the cell gate. */
static inline int16_t edgeq_lstm_gate(int32_t in, int32_t rec, int tanh_gate, const uint16_t *table)
{
    const int32_t x = edgeq_rescale_s16(edgeq_sat16(in + rec), 0, 0);
    return tanh_gate ? edgeq_tanh16_lut(x, table) : edgeq_sigmoid16_lut(x, table);
}

/* a * b requantized, plus an offset, clamped to [lo, hi] (TFLM's MulElementwise) */
static inline int32_t edgeq_lstm_mul(int32_t a, int32_t b, int32_t mult, int32_t shift, int32_t offset, int32_t lo,
                                     int32_t hi)
{
    return edgeq_clamp(offset + edgeq_mul_by_quantized_multiplier(a * b, mult, (int)shift), lo, hi);
}

/* The new cell state: forget * cell + input * cell gate, saturated, then clipped. */
static inline int16_t edgeq_lstm_cell(const edgeq_lstm_params_t *p, int32_t forget, int32_t input, int32_t cell_gate,
                                      int32_t cell)
{
    const int32_t kept = edgeq_lstm_mul(forget, cell, p->forget_multiplier, p->forget_shift, 0, -32768, 32767);
    const int32_t added = edgeq_lstm_mul(input, cell_gate, p->input_multiplier, p->input_shift, 0, -32768, 32767);
    int32_t v = edgeq_sat16(kept + added);
    if (p->cell_clip > 0) {
        v = edgeq_clamp(v, -p->cell_clip, p->cell_clip);
    }
    return (int16_t)v;
}

/* The new hidden state (in the activations' range): output gate * tanh(cell). */
static inline int32_t edgeq_lstm_hidden(const edgeq_lstm_params_t *p, int32_t output_gate, int32_t cell)
{
    const int32_t t = edgeq_tanh16_lut(edgeq_rescale_s16((int16_t)cell, p->tanh_multiplier, p->tanh_shift), p->table);
    return edgeq_lstm_mul(t, output_gate, p->hidden_multiplier, p->hidden_shift, p->hidden_zero_point, p->hidden_min,
                          p->hidden_max);
}

#endif /* EDGEQ_LSTM_H */
