/* edgeq-micro: the matrix-product core of the fast CONV_2D and FULLY_CONNECTED kernels.
 *
 * A "column" is one output pixel's input window (im2col) or one FULLY_CONNECTED input row,
 * widened to int16 with the input offset added (a window position in the padding is 0),
 * depth_pad (a multiple of 4) entries long; entries past the real depth meet zero weights.
 * Everything is stored in groups of 4 depth positions:
 *   - filter rows interleaved by the code generator, a group of each row of a block in turn:
 *     CONV_2D blocks of 2 output channels (an odd last channel alone), FULLY_CONNECTED
 *     blocks of 4 rows (the last out_depth % 4 rows alone), so one pointer walks a block;
 *   - CONV_2D's two columns (two output pixels) interleaved the same way in the scratch.
 * With EDGEQ_DSP (edgeq_config.h: set by the code generator for a core with the DSP
 * extension) the products are SMLADs of int16 pairs: 4 filter bytes give two pairs through
 * SXTB16 (bytes 0,2) and SXTB16 ROR 8 (bytes 1,3), so within a group a column holds depth
 * positions k, k+2, k+1, k+3 (edgeq_col_at) and the pairs line up without shuffling.
 * Without it, portable C: natural order, one multiply-accumulate a product, every load
 * feeding two or four of them.
 */
#ifndef EDGEQ_GEMM_H
#define EDGEQ_GEMM_H

#include <stdint.h>

#include "edgeq_config.h"
#include "edgeq_simd.h"

/* The inner products: compiled once, out of line, so that their loops get every register
 * (inlined into a large edgeq_invoke_n they spilled accumulators to the stack). */
#if defined(__GNUC__)
#define EDGEQ_DOT static __attribute__((noinline, unused))
#else
#define EDGEQ_DOT static
#endif

/* Where depth position k of a column lies when `cols` columns are interleaved (1 or 2) and
 * this is column j (unsigned: positions are never negative). */
EDGEQ_INLINE uint32_t edgeq_col_at(uint32_t k, uint32_t cols, uint32_t j)
{
#if EDGEQ_DSP
    const uint32_t in_group = ((k & 1u) << 1) | ((k >> 1) & 1u);
#else
    const uint32_t in_group = k & 3u;
#endif
    return (k >> 2) * 4u * cols + 4u * j + in_group;
}

#if EDGEQ_DSP
/* acc plus the 4 products of the 4 weight bytes in w with a column group's two pairs (x0:
 * positions k, k+2; x1: k+1, k+3). */
EDGEQ_INLINE int32_t edgeq_mac_group(int32_t w, int32_t x0, int32_t x1, int32_t acc)
{
    return edgeq_smlad(edgeq_sxtb16_ror8(w), x1, edgeq_smlad(edgeq_sxtb16(w), x0, acc));
}
#endif

/* Column j of `cols`: positions k .. k+n-1 = src[0 .. n-1] + offset. */
EDGEQ_INLINE void edgeq_widen(int16_t *col, int32_t cols, int32_t j, int32_t k, const int8_t *src, int32_t n,
                               int32_t offset)
{
    int32_t i = 0;
    if ((k & 3) == 0) {
        int16_t *dst = col + (k >> 2) * 4 * cols + 4 * j;
        const int32_t step = 4 * cols;
#if EDGEQ_DSP
        /* 4 bytes -> (b0, b2) and (b1, b3), each + offset: the group's order, two words */
        const int32_t pair = (int32_t)(((uint32_t)offset << 16) | ((uint32_t)offset & 0xFFFFu));
        for (; i + 4 <= n; i += 4, dst += step) {
            const int32_t v = edgeq_load32(src + i);
            edgeq_store32(dst, edgeq_sxtab16(pair, v));
            edgeq_store32(dst + 2, edgeq_sxtab16_ror8(pair, v));
        }
#else
        for (; i + 4 <= n; i += 4, dst += step) {
            dst[0] = (int16_t)(src[i] + offset);
            dst[1] = (int16_t)(src[i + 1] + offset);
            dst[2] = (int16_t)(src[i + 2] + offset);
            dst[3] = (int16_t)(src[i + 3] + offset);
        }
#endif
    }
    for (; i < n; ++i) {
        col[edgeq_col_at((uint32_t)(k + i), (uint32_t)cols, (uint32_t)j)] = (int16_t)(src[i] + offset);
    }
}

/* Column j of `cols`: positions k .. k+n-1 = 0 (the window in the padding). */
EDGEQ_INLINE void edgeq_zero(int16_t *col, int32_t cols, int32_t j, int32_t k, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        col[edgeq_col_at((uint32_t)(k + i), (uint32_t)cols, (uint32_t)j)] = 0;
    }
}

/* A block of 2 interleaved filter rows w against 2 interleaved columns c:
 * s[0] += w0.c0, s[1] += w0.c1, s[2] += w1.c0, s[3] += w1.c1 (edgeq_gemm_2x2's C form). */
EDGEQ_DOT void edgeq_dot_2x2(const int8_t *w, const int16_t *c, int32_t groups, int32_t *s)
{
    int32_t s00 = s[0], s01 = s[1], s10 = s[2], s11 = s[3];
#if EDGEQ_DSP
    while (groups-- > 0) {
        const int32_t wa = edgeq_load32(w), wb = edgeq_load32(w + 4);
        const int32_t x00 = edgeq_load32(c), x01 = edgeq_load32(c + 2);
        const int32_t x10 = edgeq_load32(c + 4), x11 = edgeq_load32(c + 6);
        int32_t t = edgeq_sxtb16(wa);
        s00 = edgeq_smlad(t, x00, s00);
        s01 = edgeq_smlad(t, x10, s01);
        t = edgeq_sxtb16_ror8(wa);
        s00 = edgeq_smlad(t, x01, s00);
        s01 = edgeq_smlad(t, x11, s01);
        t = edgeq_sxtb16(wb);
        s10 = edgeq_smlad(t, x00, s10);
        s11 = edgeq_smlad(t, x10, s11);
        t = edgeq_sxtb16_ror8(wb);
        s10 = edgeq_smlad(t, x01, s10);
        s11 = edgeq_smlad(t, x11, s11);
        w += 8;
        c += 8;
    }
#else
    while (groups-- > 0) {
        int32_t i;
        for (i = 0; i < 4; ++i) {
            const int32_t a = w[i], b = w[4 + i], x = c[i], y = c[4 + i];
            s00 += a * x;
            s01 += a * y;
            s10 += b * x;
            s11 += b * y;
        }
        w += 8;
        c += 8;
    }
#endif
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
}


/* What edgeq_gemm_2x2 reads besides its first three arguments. */
typedef struct {
    const int32_t *bias; /* one per row (never NULL: the generator passes zeros) */
    int32_t *acc;        /* out: 4 a block */
    int32_t blocks;      /* blocks of 2 rows, at least 1 */
} edgeq_gemm_args_t;

/* `blocks` consecutive blocks of 2 interleaved filter rows against 2 interleaved columns:
 * for block p, acc[4p..4p+3] = bias[2p] + w0.c0, bias[2p] + w0.c1, bias[2p+1] + w1.c0,
 * bias[2p+1] + w1.c1 (the convolution's channel pairs against its two pixels, in one call). */
#if EDGEQ_DSP && defined(EDGEQ_SIMD_NATIVE) && defined(__GNUC__)
/* One group: weights wa (r8), wb (r9); column 0's and 1's first pairs (r10, r12), then their
 * second pairs (lr, r10). Ordered for the Cortex-M7's dual issue as well: each SXTB16 (which
 * issues first of a pair) sits before a multiply that does not need it, and loads come in
 * pairs (the Cortex-M4 pipelines the second). */
#define EDGEQ_GEMM22_GROUP(wo, co)            \
    "ldr    r8, [r0, #" #wo "]\n\t"           \
    "ldr    r9, [r0, #" #wo "+4]\n\t"         \
    "ldr    r10, [r1, #" #co "]\n\t"          \
    "ldr    r12, [r1, #" #co "+8]\n\t"        \
    "sxtb16 r3, r8\n\t"                       \
    "sxtb16 r11, r9\n\t"                      \
    "sxtb16 r8, r8, ror #8\n\t"               \
    "smlad  r4, r3, r10, r4\n\t"              \
    "sxtb16 r9, r9, ror #8\n\t"               \
    "smlad  r5, r3, r12, r5\n\t"              \
    "smlad  r6, r11, r10, r6\n\t"             \
    "ldr    lr, [r1, #" #co "+4]\n\t"         \
    "ldr    r10, [r1, #" #co "+12]\n\t"       \
    "smlad  r7, r11, r12, r7\n\t"             \
    "smlad  r4, r8, lr, r4\n\t"               \
    "smlad  r5, r8, r10, r5\n\t"              \
    "smlad  r6, r9, lr, r6\n\t"               \
    "smlad  r7, r9, r10, r7\n\t"
/* The loops of edgeq_gemm_2x2 and edgeq_gemm_4x1 on the core (14 registers, back-to-back
 * loads, two groups an iteration); the column start, group count, blocks left, bias and acc
 * pointers on the stack. INIT loads a block's accumulators from bias (r3 = bias pointer,
 * advanced), GROUP(w offset, c offset) is one group, WS/CS its weight and column strides. */
#define EDGEQ_GEMM_ASM(INIT, GROUP, WS, CS, WS2, CS2) \
    "push   {r4-r11, lr}\n\t"                  \
    "sub    sp, sp, #20\n\t"                   \
    "str    r1, [sp]\n\t"                      \
    "str    r2, [sp, #4]\n\t"                  \
    "ldr    r4, [r3]\n\t"                      \
    "str    r4, [sp, #16]\n\t"                 \
    "ldr    r4, [r3, #4]\n\t"                  \
    "str    r4, [sp, #12]\n\t"                 \
    "ldr    r4, [r3, #8]\n\t"                  \
    "str    r4, [sp, #8]\n"                     \
    "4:\n\t"                                   \
    "ldr    r3, [sp, #16]\n\t"                 \
    INIT                                       \
    "str    r3, [sp, #16]\n\t"                 \
    "ldr    r1, [sp]\n\t"                      \
    "ldr    r2, [sp, #4]\n\t"                  \
    "tst    r2, #1\n\t"                        \
    "beq    2f\n\t"                            \
    GROUP(0, 0)                                \
    "add    r0, r0, #" #WS "\n\t"              \
    "add    r1, r1, #" #CS "\n"                 \
    "2:\n\t"                                   \
    "lsrs   r2, r2, #1\n\t"                    \
    "beq    3f\n"                               \
    "1:\n\t"                                   \
    GROUP(0, 0)                                \
    GROUP(WS, CS)                              \
    "add    r0, r0, #" #WS2 "\n\t"             \
    "add    r1, r1, #" #CS2 "\n\t"             \
    "subs   r2, r2, #1\n\t"                    \
    "bne    1b\n"                               \
    "3:\n\t"                                   \
    "ldr    r3, [sp, #12]\n\t"                 \
    "stm    r3!, {r4-r7}\n\t"                  \
    "str    r3, [sp, #12]\n\t"                 \
    "ldr    r2, [sp, #8]\n\t"                  \
    "subs   r2, r2, #1\n\t"                    \
    "str    r2, [sp, #8]\n\t"                  \
    "bne    4b\n\t"                            \
    "add    sp, sp, #20\n\t"                   \
    "pop    {r4-r11, pc}\n\t"

/* A block of 2 rows: s00 = s01 = bias[2p], s10 = s11 = bias[2p+1]. */
#define EDGEQ_GEMM22_INIT     \
    "ldr    r4, [r3]\n\t"    \
    "ldr    r6, [r3, #4]\n\t" \
    "add    r3, r3, #8\n\t"  \
    "mov    r5, r4\n\t"      \
    "mov    r7, r6\n\t"

__attribute__((naked, noinline, unused)) static void edgeq_gemm_2x2(const int8_t *w, const int16_t *c,
                                                                    int32_t groups, const edgeq_gemm_args_t *a)
{
    __asm__ volatile(EDGEQ_GEMM_ASM(EDGEQ_GEMM22_INIT, EDGEQ_GEMM22_GROUP, 8, 16, 16, 32));
}
#else
EDGEQ_DOT void edgeq_gemm_2x2(const int8_t *w, const int16_t *c, int32_t groups, const edgeq_gemm_args_t *a)
{
    int32_t p;
    for (p = 0; p < a->blocks; ++p) {
        int32_t *s = a->acc + 4 * p;
        s[0] = s[1] = a->bias[2 * p];
        s[2] = s[3] = a->bias[2 * p + 1];
        edgeq_dot_2x2(w + p * 8 * groups, c, groups, s);
    }
}
#endif

/* A block of 2 interleaved filter rows against column 0 of 2 interleaved columns:
 * s[0] += w0.c0, s[2] += w1.c0 (s[1], s[3] untouched). */
EDGEQ_DOT void edgeq_dot_2x1(const int8_t *w, const int16_t *c, int32_t groups, int32_t *s)
{
    int32_t s0 = s[0], s1 = s[2];
#if EDGEQ_DSP
    while (groups-- > 0) {
        const int32_t x0 = edgeq_load32(c), x1 = edgeq_load32(c + 2);
        s0 = edgeq_mac_group(edgeq_load32(w), x0, x1, s0);
        s1 = edgeq_mac_group(edgeq_load32(w + 4), x0, x1, s1);
        w += 8;
        c += 8;
    }
#else
    while (groups-- > 0) {
        int32_t i;
        for (i = 0; i < 4; ++i) {
            s0 += w[i] * c[i];
            s1 += w[4 + i] * c[i];
        }
        w += 8;
        c += 8;
    }
#endif
    s[0] = s0;
    s[2] = s1;
}

/* One filter row (groups of 4 contiguous) against column j of `cols` interleaved columns. */
EDGEQ_DOT int32_t edgeq_dot_1(const int8_t *w, const int16_t *c, int32_t cols, int32_t groups, int32_t acc)
{
    const int32_t step = 4 * cols;
#if EDGEQ_DSP
    while (groups-- > 0) {
        acc = edgeq_mac_group(edgeq_load32(w), edgeq_load32(c), edgeq_load32(c + 2), acc);
        w += 4;
        c += step;
    }
#else
    while (groups-- > 0) {
        acc += w[0] * c[0] + w[1] * c[1] + w[2] * c[2] + w[3] * c[3];
        w += 4;
        c += step;
    }
#endif
    return acc;
}

#if EDGEQ_DSP && defined(EDGEQ_SIMD_NATIVE) && defined(__GNUC__)
/* One group of 4 rows against the column, for edgeq_gemm_4x1's loop (its registers): the
 * even halves first, each multiply two instructions after the SXTB16 it needs (the Cortex-M7
 * pairs an SXTB16 with the independent multiply after it), then the odd halves. */
#define EDGEQ_DOT41_GROUP(wo, co)              \
    "ldr    r8, [r1, #" #co "]\n\t"            \
    "ldr    r9, [r1, #" #co "+4]\n\t"          \
    "ldr    r10, [r0, #" #wo "]\n\t"           \
    "ldr    r11, [r0, #" #wo "+4]\n\t"         \
    "ldr    r12, [r0, #" #wo "+8]\n\t"         \
    "ldr    lr, [r0, #" #wo "+12]\n\t"         \
    "sxtb16 r3, r10\n\t"                       \
    "sxtb16 r10, r10, ror #8\n\t"              \
    "smlad  r4, r3, r8, r4\n\t"                \
    "sxtb16 r3, r11\n\t"                       \
    "sxtb16 r11, r11, ror #8\n\t"              \
    "smlad  r5, r3, r8, r5\n\t"                \
    "sxtb16 r3, r12\n\t"                       \
    "sxtb16 r12, r12, ror #8\n\t"              \
    "smlad  r6, r3, r8, r6\n\t"                \
    "sxtb16 r3, lr\n\t"                        \
    "sxtb16 lr, lr, ror #8\n\t"                \
    "smlad  r7, r3, r8, r7\n\t"                \
    "smlad  r4, r10, r9, r4\n\t"               \
    "smlad  r5, r11, r9, r5\n\t"               \
    "smlad  r6, r12, r9, r6\n\t"               \
    "smlad  r7, lr, r9, r7\n\t"
#endif

/* A block of 4 interleaved filter rows against one column: s[r] += w_r.c (edgeq_gemm_4x1's
 * C form). */
EDGEQ_DOT void edgeq_dot_4x1(const int8_t *w, const int16_t *c, int32_t groups, int32_t *s)
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
#if EDGEQ_DSP
    while (groups-- > 0) {
        const int32_t x0 = edgeq_load32(c), x1 = edgeq_load32(c + 2);
        s0 = edgeq_mac_group(edgeq_load32(w), x0, x1, s0);
        s1 = edgeq_mac_group(edgeq_load32(w + 4), x0, x1, s1);
        s2 = edgeq_mac_group(edgeq_load32(w + 8), x0, x1, s2);
        s3 = edgeq_mac_group(edgeq_load32(w + 12), x0, x1, s3);
        w += 16;
        c += 4;
    }
#else
    while (groups-- > 0) {
        int32_t i;
        for (i = 0; i < 4; ++i) {
            const int32_t x = c[i];
            s0 += w[i] * x;
            s1 += w[4 + i] * x;
            s2 += w[8 + i] * x;
            s3 += w[12 + i] * x;
        }
        w += 16;
        c += 4;
    }
#endif
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* `blocks` consecutive blocks of 4 interleaved filter rows against one column:
 * acc[4p + r] = bias[4p + r] + w_r.c (all of a FULLY_CONNECTED's 4-row blocks in one call). */
#if EDGEQ_DSP && defined(EDGEQ_SIMD_NATIVE) && defined(__GNUC__)
/* A block of 4 rows: s_r = bias[4p + r]. */
#define EDGEQ_GEMM41_INIT "ldm    r3!, {r4-r7}\n\t"

__attribute__((naked, noinline, unused)) static void edgeq_gemm_4x1(const int8_t *w, const int16_t *c,
                                                                    int32_t groups, const edgeq_gemm_args_t *a)
{
    __asm__ volatile(EDGEQ_GEMM_ASM(EDGEQ_GEMM41_INIT, EDGEQ_DOT41_GROUP, 16, 8, 32, 16));
}
#else
EDGEQ_DOT void edgeq_gemm_4x1(const int8_t *w, const int16_t *c, int32_t groups, const edgeq_gemm_args_t *a)
{
    int32_t p, r;
    for (p = 0; p < a->blocks; ++p) {
        int32_t *s = a->acc + 4 * p;
        for (r = 0; r < 4; ++r) {
            s[r] = a->bias[4 * p + r];
        }
        edgeq_dot_4x1(w + p * 16 * groups, c, groups, s);
    }
}
#endif

/* An accumulator of output channel c to int8: requantized, offset, clamped. */
#define EDGEQ_OUT_S8(p, acc, c) \
    edgeq_clamp_s8(edgeq_requant((acc), (p)->multiplier[c], (p)->right[c], (p)->round[c]) + (p)->output_offset, \
                   (p)->act_min, (p)->act_max)

#endif /* EDGEQ_GEMM_H */
