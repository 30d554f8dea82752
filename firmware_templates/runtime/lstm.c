/* UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's integer LSTM step by step (see edgeq_lstm_params_t).
 * One step takes `rows` sequences at once (all batches when time major, else one); its four
 * scratch buffers hold rows * units int16 each: the forget gate, the input gate (then the
 * input contribution to the cell, then the output gate), the cell gate, and the recurrent
 * layer's sums. The hidden and cell state are the model's variable tensors: updated in place
 * and kept for the next inference. */
#include <string.h>

#include "edgeq_fixedpoint.h"
#include "edgeq_lstm.h"
#include "edgeq_micro.h"

enum { GATE_INPUT = EDGEQ_GATE_INPUT, GATE_FORGET = EDGEQ_GATE_FORGET, GATE_CELL = EDGEQ_GATE_CELL,
       GATE_OUTPUT = EDGEQ_GATE_OUTPUT };

/* gate = the gate's nonlinearity of sat16(gate + rec) */
static void activate(int16_t *gate, const int16_t *rec, int32_t n, int tanh_gate, const uint16_t *table)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        gate[i] = edgeq_lstm_gate(gate[i], rec[i], tanh_gate, table);
    }
}

/* out[r][u] = clamp16(requantize(sum_d (w[u][d] + w_off) * (x[r][d] + x_off) + bias[u])):
 * TFLM's reference fully connected layer with an int16 output of zero point 0 */
#define EDGEQ_LSTM_FC(NAME, XT, BT, ACC, REQUANT)                                                       \
    static void NAME(const XT *x, int32_t x_off, const int8_t *w, int32_t w_off, const BT *bias,        \
                     int32_t mult, int32_t shift, int32_t rows, int32_t depth, int32_t units,           \
                     int16_t *out)                                                                      \
    {                                                                                                   \
        int32_t r, u, d;                                                                                \
        for (r = 0; r < rows; ++r) {                                                                    \
            for (u = 0; u < units; ++u) {                                                               \
                ACC acc = 0;                                                                            \
                for (d = 0; d < depth; ++d) {                                                           \
                    acc += ((int32_t)w[u * depth + d] + w_off) * ((int32_t)x[r * depth + d] + x_off);   \
                }                                                                                       \
                if (bias != NULL) {                                                                     \
                    acc += bias[u];                                                                     \
                }                                                                                       \
                out[r * units + u] = edgeq_sat16(REQUANT(acc, mult, (int)shift));                       \
            }                                                                                           \
        }                                                                                               \
    }

EDGEQ_LSTM_FC(fc_s8, int8_t, int32_t, int32_t, edgeq_mul_by_quantized_multiplier)
EDGEQ_LSTM_FC(fc_s16, int16_t, int64_t, int64_t, edgeq_mul_by_quantized_multiplier64)

/* One step of `rows` sequences. XT: the activations' type; FC: the fully connected layer. */
#define EDGEQ_LSTM_STEP(XT, BT, FC)                                                                     \
    do {                                                                                                \
        const int32_t n = rows * p->units;                                                              \
        int16_t *gates[4];                                                                              \
        int16_t *rec = buf + 3 * n;                                                                     \
        int32_t i;                                                                                      \
        static const int order[4] = {GATE_FORGET, GATE_INPUT, GATE_CELL, GATE_OUTPUT};                  \
        int k;                                                                                          \
        gates[GATE_FORGET] = buf;                                                                       \
        gates[GATE_INPUT] = buf + n;                                                                    \
        gates[GATE_CELL] = buf + 2 * n;                                                                 \
        gates[GATE_OUTPUT] = buf + n; /* after the input gate is used */                                \
        for (k = 0; k < 4; ++k) {                                                                       \
            const int g = order[k];                                                                     \
            if (g == GATE_OUTPUT) { /* the cell state, before the output gate reuses a buffer */        \
                for (i = 0; i < n; ++i) {                                                               \
                    c[i] = edgeq_lstm_cell(p, gates[GATE_FORGET][i], gates[GATE_INPUT][i],              \
                                           gates[GATE_CELL][i], c[i]);                                  \
                }                                                                                       \
            }                                                                                           \
            FC(x, p->input_offset, weights[g], p->in_weights_offset[g], bias[g], p->in_multiplier[g],   \
               p->in_shift[g], rows, p->input_size, p->units, gates[g]);                                \
            FC(h, p->hidden_offset, weights[4 + g], p->rec_weights_offset[g], (const BT *)NULL,         \
               p->rec_multiplier[g], p->rec_shift[g], rows, p->units, p->units, rec);                   \
            activate(gates[g], rec, n, g == GATE_CELL, p->table);                                       \
        }                                                                                               \
        /* the hidden state: output gate * tanh(cell), then a copy into the output sequence */          \
        for (i = 0; i < n; ++i) {                                                                       \
            h[i] = (XT)edgeq_lstm_hidden(p, gates[GATE_OUTPUT][i], c[i]);                               \
        }                                                                                               \
        memcpy(y, h, (size_t)n * sizeof(XT));                                                           \
    } while (0)

/* The sequence walk: time major, every step takes all batches; else each batch's steps in turn,
 * on its own rows of the state. */
#define EDGEQ_LSTM_WALK(XT, BT, FC)                                                                     \
    do {                                                                                                \
        int16_t *buf = (int16_t *)scratch;                                                              \
        const BT *bias[4];                                                                              \
        int32_t b, t;                                                                                   \
        bias[GATE_INPUT] = b_i;                                                                         \
        bias[GATE_FORGET] = b_f;                                                                        \
        bias[GATE_CELL] = b_c;                                                                          \
        bias[GATE_OUTPUT] = b_o;                                                                        \
        for (b = 0; b < (p->time_major ? 1 : p->batches); ++b) {                                        \
            for (t = 0; t < p->steps; ++t) {                                                            \
                const int32_t rows = p->time_major ? p->batches : 1;                                    \
                const int32_t seq = p->time_major ? t : b * p->steps + t;                               \
                const XT *x = input + seq * rows * p->input_size;                                       \
                XT *h = hidden + b * p->units;                                                          \
                int16_t *c = cell + b * p->units;                                                       \
                XT *y = output + seq * rows * p->units;                                                 \
                EDGEQ_LSTM_STEP(XT, BT, FC);                                                            \
            }                                                                                           \
        }                                                                                               \
    } while (0)

void edgeq_lstm_s8(const edgeq_lstm_params_t *p, const int8_t *const weights[8], const int32_t *b_i,
                   const int32_t *b_f, const int32_t *b_c, const int32_t *b_o, const int8_t *input,
                   int8_t *hidden, int16_t *cell, int8_t *output, void *scratch)
{
    EDGEQ_LSTM_WALK(int8_t, int32_t, fc_s8);
}

void edgeq_lstm_s16(const edgeq_lstm_params_t *p, const int8_t *const weights[8], const int64_t *b_i,
                    const int64_t *b_f, const int64_t *b_c, const int64_t *b_o, const int16_t *input,
                    int16_t *hidden, int16_t *cell, int16_t *output, void *scratch)
{
    EDGEQ_LSTM_WALK(int16_t, int64_t, fc_s16);
}
