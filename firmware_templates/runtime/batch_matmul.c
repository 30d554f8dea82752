/* BATCH_MATMUL, int8 (int32 sums) and int16 (int64 sums): for each of up to three broadcast
 * batch dimensions, out[i][j] = requantize(sum_k (lhs[i][k] - lhs_zp) * (rhs[k][j] - rhs_zp))
 * with one per-tensor multiplier, as TFLM's reference. adj_x / adj_y are strides: the host
 * gives the element steps of lhs (row i, depth k) and rhs (depth k, column j). */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

#define EDGEQ_BMM_LOOP(T, ACC, REQUANT)                                                            \
    do {                                                                                           \
        int32_t b0, b1, b2, i, j, k;                                                               \
        T *out = output;                                                                           \
        for (b0 = 0; b0 < p->batch[0]; ++b0) {                                                     \
            for (b1 = 0; b1 < p->batch[1]; ++b1) {                                                 \
                for (b2 = 0; b2 < p->batch[2]; ++b2) {                                             \
                    const T *l = lhs + b0 * p->lhs_batch_stride[0] + b1 * p->lhs_batch_stride[1] + \
                                 b2 * p->lhs_batch_stride[2];                                      \
                    const T *r = rhs + b0 * p->rhs_batch_stride[0] + b1 * p->rhs_batch_stride[1] + \
                                 b2 * p->rhs_batch_stride[2];                                      \
                    for (i = 0; i < p->rows; ++i) {                                                \
                        for (j = 0; j < p->cols; ++j) {                                            \
                            ACC total = 0;                                                         \
                            const T *lp = l + i * p->lhs_row_step;                                 \
                            const T *rp = r + j * p->rhs_col_step;                                 \
                            for (k = 0; k < p->depth; ++k) {                                       \
                                total += (ACC)((int32_t)lp[k * p->lhs_depth_step] + p->lhs_offset) * \
                                         (ACC)((int32_t)rp[k * p->rhs_depth_step] + p->rhs_offset); \
                            }                                                                      \
                            *out++ = (T)edgeq_clamp(REQUANT(total, p->multiplier, p->shift) +      \
                                                    p->output_offset, p->act_min, p->act_max);     \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

void edgeq_batch_matmul_s8(const edgeq_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                           int8_t *output)
{
    EDGEQ_BMM_LOOP(int8_t, int32_t, edgeq_mul_by_quantized_multiplier);
}

void edgeq_batch_matmul_s16(const edgeq_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs,
                            int16_t *output)
{
    EDGEQ_BMM_LOOP(int16_t, int64_t, edgeq_mul_by_quantized_multiplier64);
}
