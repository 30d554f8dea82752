/* TRANSPOSE_CONV, int8 and int16x8: TFLM's scatter. Each input pixel's products with the
 * filter are added into an accumulator per output element (the scratch: int32 for int8,
 * int64 for int16x8), then every output gets its bias, the per-channel requantization, the
 * output offset and the activation clamp. */
#include <string.h>

#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

/* The scatter into `acc` (ACC_T, zeroed here) of an IN_T input plus `input_offset`; each
 * pixel's sum over the input channels is added with EDGEQ_TCONV_ADD. */
#define EDGEQ_TCONV_SCATTER(IN_T, ACC_T)                                                           \
    do {                                                                                           \
        int32_t b, iy, ix, ky, kx, oc, ic;                                                         \
        memset(acc, 0, (size_t)n * sizeof(ACC_T));                                                 \
        for (b = 0; b < p->batches; ++b) {                                                         \
            for (iy = 0; iy < p->in_h; ++iy) {                                                     \
                for (ix = 0; ix < p->in_w; ++ix) {                                                 \
                    const IN_T *px = input + (((size_t)b * p->in_h + iy) * p->in_w + ix) * in_c;   \
                    const int32_t oy0 = iy * p->stride_h - p->pad_h, ox0 = ix * p->stride_w - p->pad_w; \
                    for (ky = 0; ky < p->k_h; ++ky) {                                              \
                        const int32_t oy = oy0 + ky;                                               \
                        if (oy < 0 || oy >= p->out_h) {                                            \
                            continue;                                                              \
                        }                                                                          \
                        for (kx = 0; kx < p->k_w; ++kx) {                                          \
                            const int32_t ox = ox0 + kx;                                           \
                            ACC_T *out_acc;                                                        \
                            if (ox < 0 || ox >= p->out_w) {                                        \
                                continue;                                                          \
                            }                                                                      \
                            out_acc = acc + (((size_t)b * p->out_h + oy) * p->out_w + ox) * out_c; \
                            for (oc = 0; oc < out_c; ++oc) {                                       \
                                const int8_t *f = filter + (((size_t)oc * p->k_h + ky) * p->k_w + kx) * in_c; \
                                ACC_T sum = 0;                                                     \
                                for (ic = 0; ic < in_c; ++ic) {                                    \
                                    sum += (ACC_T)(((int32_t)px[ic] + p->input_offset) * (int32_t)f[ic]); \
                                }                                                                  \
                                out_acc[oc] = EDGEQ_TCONV_ADD(out_acc[oc], sum);                   \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

void edgeq_transpose_conv_s8(const edgeq_transpose_conv_params_t *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, int8_t *output,
                             void *scratch)
{
    int32_t *acc = (int32_t *)scratch;
    const int32_t in_c = p->in_c, out_c = p->out_c;
    const int32_t n = p->batches * p->out_h * p->out_w * out_c;
    int32_t i;
#define EDGEQ_TCONV_ADD(a, s) edgeq_wrap_add((a), (s))
    EDGEQ_TCONV_SCATTER(int8_t, int32_t);
#undef EDGEQ_TCONV_ADD
    for (i = 0; i < n; ++i) {
        const int32_t c = i % out_c;
        int32_t v = acc[i];
        if (bias) {
            v = edgeq_wrap_add(v, bias[c]);
        }
        v = edgeq_mul_by_quantized_multiplier(v, p->multiplier[c], p->shift[c]) + p->output_offset;
        output[i] = (int8_t)edgeq_clamp(v, p->act_min, p->act_max);
    }
}

/* int16x8: inputs have zero point 0 (input_offset 0), int64 sums, an int64 (or int16) bias,
 * TFLM's 64-bit requantization. */
void edgeq_transpose_conv_s16(const edgeq_transpose_conv_params_t *p, const int16_t *input,
                              const int8_t *filter, const void *bias, int16_t *output, void *scratch)
{
    int64_t *acc = (int64_t *)scratch;
    const int32_t in_c = p->in_c, out_c = p->out_c;
    const int32_t n = p->batches * p->out_h * p->out_w * out_c;
    int32_t i;
#define EDGEQ_TCONV_ADD(a, s) ((a) + (s))
    EDGEQ_TCONV_SCATTER(int16_t, int64_t);
#undef EDGEQ_TCONV_ADD
    for (i = 0; i < n; ++i) {
        const int32_t c = i % out_c;
        int64_t v = acc[i];
        int32_t out;
        if (bias) {
            v += p->bias16 ? (int64_t)((const int16_t *)bias)[c] : ((const int64_t *)bias)[c];
        }
        out = edgeq_mul_by_quantized_multiplier64(v, p->multiplier[c], p->shift[c]);
        output[i] = (int16_t)edgeq_clamp(out, p->act_min, p->act_max);
    }
}
