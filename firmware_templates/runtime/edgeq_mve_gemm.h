/* edgeq-micro: the matrix-product core of the Helium (MVE) CONV_2D and FULLY_CONNECTED
 * kernels.
 *
 * A "column" is one output pixel's input window (the input itself for a 1x1 convolution,
 * else an im2col copy) or one FULLY_CONNECTED input row: `depth` raw int8 input bytes, no
 * offset added. The code generator folds the input offset into the bias
 * (bias + input_offset * row sum: the products of raw bytes then sum to TFLM's
 * accumulator), and an im2col copy holds the input zero point in the padding, whose
 * products with the folded offset cancel, as TFLM's zeros do.
 * Filter rows: in blocks of 4 rows (the last block completed with zero rows), each row
 * zero-padded to whole 16-byte chunks, a block stored chunk by chunk (row 0's chunk j, row
 * 1's, row 2's, row 3's), so one pointer walks a block. The bias, multipliers and
 * negated right shifts: 4 a block (padded alike).
 * The products: VMLADAVA.S8, 16 multiply-accumulates into a scalar accumulator each;
 * a column's last partial chunk is read with a tail predicate (no byte past its end).
 * Requantization and stores: one vector of 4 channels a column (edgeq_mve_requant), stored
 * with a lane predicate on the last block.
 */
#ifndef EDGEQ_MVE_GEMM_H
#define EDGEQ_MVE_GEMM_H

#include <stdint.h>

#include "edgeq_mve.h"

#if defined(__GNUC__)
#define EDGEQ_MVE_DOT static __attribute__((noinline, unused))
#else
#define EDGEQ_MVE_DOT static
#endif

/* What edgeq_mve_gemm_* read: the op's constants. */
typedef struct {
    const int8_t *filter;   /* blocks of 4 rows, chunk-interleaved */
    const int32_t *bias;    /* 4 a block, input offset folded in */
    const int32_t *mult;    /* 4 a block */
    const int32_t *neg_right; /* 4 a block: minus the right shift */
    int32_t chunks;         /* whole 16-byte chunks of a column */
    int32_t tail;           /* bytes of the last, partial chunk (0: none) */
    int32_t rows;           /* outputs a column */
    int32_t output_offset, act_min, act_max;
} edgeq_mve_gemm_t;

#if defined(EDGEQ_MVE_NATIVE) && defined(__GNUC__)
/* The two functions below on the core: naked assembly, because VMLADAVA takes its
 * accumulator in an even register only (r0, r2, ... r12, lr: eight of them, all
 * accumulators of a 4-row x 2-column block), which the compiler's allocation of eight
 * live accumulators does not manage without moves and spills in the loop. A chunk is 6
 * loads and 8 VMLADAVAs (128 multiply-accumulates) and the loop's SUBS/BNE, the loads of
 * edgeq_mve_gemm_x2 interleaved with the multiplies (the Cortex-M55 runs them on two pipes
 * side by side: 16 cycles of multiplies a chunk); the partial chunk is read under a VCTP.8
 * predicate. The struct's field offsets are fixed here. */
_Static_assert(__builtin_offsetof(edgeq_mve_gemm_t, filter) == 0 && __builtin_offsetof(edgeq_mve_gemm_t, bias) == 4 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, mult) == 8 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, neg_right) == 12 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, chunks) == 16 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, tail) == 20 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, rows) == 24 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, output_offset) == 28 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, act_min) == 32 &&
                   __builtin_offsetof(edgeq_mve_gemm_t, act_max) == 36,
               "edgeq_mve_gemm_t: the offsets the assembly reads");

/* One chunk of 4 rows (r5, advanced) against columns x (r1) and y (r3) (q0, q1: loaded by
 * the caller): accumulators r0, r2, r4, r6 (x) and r8, r10, r12, lr (y). */
#define EDGEQ_MVE_X2_MACS                 \
    "vldrb.8     q2, [r5], #16\n\t"       \
    "vldrb.8     q3, [r5], #16\n\t"       \
    "vmladava.s8 r0, q2, q0\n\t"          \
    "vmladava.s8 r8, q2, q1\n\t"          \
    "vldrb.8     q2, [r5], #16\n\t"       \
    "vmladava.s8 r2, q3, q0\n\t"          \
    "vmladava.s8 r10, q3, q1\n\t"         \
    "vldrb.8     q3, [r5], #16\n\t"       \
    "vmladava.s8 r4, q2, q0\n\t"          \
    "vmladava.s8 r12, q2, q1\n\t"         \
    "vmladava.s8 r6, q3, q0\n\t"          \
    "vmladava.s8 lr, q3, q1\n\t"

/* Four accumulators into the lanes of q, one VMOV a lane: the two-lane form
 * (VMOV Qd[idx], Qd[idx2], Rt, Rt2) is read with its registers in opposite lane orders by
 * the GNU assembler + QEMU and by LLVM's documentation of it, so it is not used. */
#define EDGEQ_MVE_LANES(q, a, b, c, d)     \
    "vmov.32     " q "[0], " a "\n\t"      \
    "vmov.32     " q "[1], " b "\n\t"      \
    "vmov.32     " q "[2], " c "\n\t"      \
    "vmov.32     " q "[3], " d "\n\t"

/* The requantization of q0 (and q1) for the block at byte offset r11 of the arrays of g
 * (r9): multipliers q2, shifts q3, clamp q4 / q5 (loaded at entry), temporary q6. */
#define EDGEQ_MVE_REQ_LOAD                \
    "ldr         r0, [r9, #8]\n\t"        \
    "add         r0, r0, r11\n\t"         \
    "vldrw.u32   q2, [r0]\n\t"            \
    "ldr         r0, [r9, #12]\n\t"       \
    "add         r0, r0, r11\n\t"         \
    "vldrw.u32   q3, [r0]\n\t"            \
    "ldr         r0, [r9, #28]\n\t"
#define EDGEQ_MVE_REQ(q)                  \
    "vqrdmulh.s32 " q ", " q ", q2\n\t"   \
    "vshr.s32    q6, " q ", #31\n\t"      \
    "vadd.i32    " q ", " q ", q6\n\t"    \
    "vrshl.s32   " q ", " q ", q3\n\t"    \
    "vadd.i32    " q ", " q ", r0\n\t"    \
    "vmax.s32    " q ", " q ", q4\n\t"    \
    "vmin.s32    " q ", " q ", q5\n\t"

/* Entry: g in r9, the filter pointer r5, the clamp vectors, r11 = 0. */
#define EDGEQ_MVE_ENTRY                   \
    "push        {r4-r11, lr}\n\t"        \
    "vpush       {d8-d15}\n\t"            \
    "sub         sp, sp, #24\n\t"         \
    "mov         r9, r0\n\t"              \
    "ldr         r5, [r9]\n\t"            \
    "ldr         r4, [r9, #32]\n\t"       \
    "vdup.32     q4, r4\n\t"              \
    "ldr         r4, [r9, #36]\n\t"       \
    "vdup.32     q5, r4\n\t"              \
    "ldr         r4, [r9, #24]\n\t"       \
    "str         r4, [sp, #16]\n\t"       \
    "movs        r11, #0\n\t"
#define EDGEQ_MVE_EXIT                    \
    "add         sp, sp, #24\n\t"         \
    "vpop        {d8-d15}\n\t"            \
    "pop         {r4-r11, pc}\n\t"

/* Frame: [sp] c0, [sp+4] c1, [sp+8] o0, [sp+12] o1, [sp+16] rows left; the fifth argument
 * (o1) above the saved registers (9 words), the saved q4-q7 (16 words) and the frame. */
__attribute__((naked, noinline, unused)) static void edgeq_mve_gemm_x2(const edgeq_mve_gemm_t *g, const int8_t *c0,
                                                                       const int8_t *c1, int8_t *o0, int8_t *o1)
{
    __asm__ volatile(
        EDGEQ_MVE_ENTRY
        "ldr         r4, [sp, #124]\n\t"
        "strd        r1, r2, [sp]\n\t"
        "strd        r3, r4, [sp, #8]\n"
        "1:\n\t" /* a block of 4 rows: accumulators from the bias */
        "ldr         r7, [r9, #4]\n\t"
        "add         r7, r7, r11\n\t"
        "ldrd        r0, r2, [r7]\n\t"
        "ldrd        r4, r6, [r7, #8]\n\t"
        "mov         r8, r0\n\t"
        "mov         r10, r2\n\t"
        "mov         r12, r4\n\t"
        "mov         lr, r6\n\t"
        "ldrd        r1, r3, [sp]\n\t"
        "ldr         r7, [r9, #16]\n\t"
        "cbz         r7, 3f\n\t"
        /* software-pipelined: a chunk's loads run on the load/store pipe beside the
         * previous multiplies (x, y, w0, w1 loaded ahead; the last chunk loads nothing
         * ahead, so no byte past a column or the filter is read) */
        "vldrb.8     q0, [r1], #16\n\t"
        "vldrb.8     q1, [r3], #16\n\t"
        "vldrb.8     q2, [r5], #16\n\t"
        "vldrb.8     q3, [r5], #16\n\t"
        "subs        r7, r7, #1\n\t"
        "beq         5f\n"
        "2:\n\t"
        "vmladava.s8 r0, q2, q0\n\t"
        "vldrb.8     q6, [r5], #16\n\t"
        "vmladava.s8 r8, q2, q1\n\t"
        "vldrb.8     q7, [r5], #16\n\t"
        "vmladava.s8 r2, q3, q0\n\t"
        "vldrb.8     q2, [r5], #16\n\t"
        "vmladava.s8 r10, q3, q1\n\t"
        "vldrb.8     q3, [r5], #16\n\t"
        "vmladava.s8 r4, q6, q0\n\t"
        "vmladava.s8 r12, q6, q1\n\t"
        "vmladava.s8 r6, q7, q0\n\t"
        "vldrb.8     q0, [r1], #16\n\t"
        "vmladava.s8 lr, q7, q1\n\t"
        "vldrb.8     q1, [r3], #16\n\t"
        "subs        r7, r7, #1\n\t"
        "bne         2b\n"
        "5:\n\t"
        "vmladava.s8 r0, q2, q0\n\t"
        "vldrb.8     q6, [r5], #16\n\t"
        "vmladava.s8 r8, q2, q1\n\t"
        "vldrb.8     q7, [r5], #16\n\t"
        "vmladava.s8 r2, q3, q0\n\t"
        "vmladava.s8 r10, q3, q1\n\t"
        "vmladava.s8 r4, q6, q0\n\t"
        "vmladava.s8 r12, q6, q1\n\t"
        "vmladava.s8 r6, q7, q0\n\t"
        "vmladava.s8 lr, q7, q1\n"
        "3:\n\t"
        "ldr         r7, [r9, #20]\n\t"
        "cbz         r7, 4f\n\t"
        "vctp.8      r7\n\t"
        "vpstt\n\t"
        "vldrbt.8    q0, [r1]\n\t"
        "vldrbt.8    q1, [r3]\n\t"
        EDGEQ_MVE_X2_MACS
        "4:\n\t"
        EDGEQ_MVE_LANES("q0", "r0", "r2", "r4", "r6")
        EDGEQ_MVE_LANES("q1", "r8", "r10", "r12", "lr")
        EDGEQ_MVE_REQ_LOAD
        EDGEQ_MVE_REQ("q0")
        EDGEQ_MVE_REQ("q1")
        "ldrd        r0, r1, [sp, #8]\n\t"
        "ldr         r2, [sp, #16]\n\t"
        "vctp.32     r2\n\t"
        "vpstt\n\t"
        "vstrbt.32   q0, [r0]\n\t"
        "vstrbt.32   q1, [r1]\n\t"
        "adds        r0, r0, #4\n\t"
        "adds        r1, r1, #4\n\t"
        "strd        r0, r1, [sp, #8]\n\t"
        "add         r11, r11, #16\n\t"
        "subs        r2, r2, #4\n\t"
        "str         r2, [sp, #16]\n\t"
        "bgt         1b\n\t"
        EDGEQ_MVE_EXIT);
}

/* One chunk of 4 rows (r5) against the column (q0): accumulators r0, r2, r4, r6. */
#define EDGEQ_MVE_X1_MACS                 \
    "vldrb.8     q2, [r5], #16\n\t"       \
    "vldrb.8     q3, [r5], #16\n\t"       \
    "vmladava.s8 r0, q2, q0\n\t"          \
    "vldrb.8     q2, [r5], #16\n\t"       \
    "vmladava.s8 r2, q3, q0\n\t"          \
    "vldrb.8     q3, [r5], #16\n\t"       \
    "vmladava.s8 r4, q2, q0\n\t"          \
    "vmladava.s8 r6, q3, q0\n\t"

/* Frame: [sp] c, [sp+8] o, [sp+16] rows left. */
__attribute__((naked, noinline, unused)) static void edgeq_mve_gemm_x1(const edgeq_mve_gemm_t *g, const int8_t *c,
                                                                       int8_t *o)
{
    __asm__ volatile(
        EDGEQ_MVE_ENTRY
        "str         r1, [sp]\n\t"
        "str         r2, [sp, #8]\n"
        "1:\n\t"
        "ldr         r7, [r9, #4]\n\t"
        "add         r7, r7, r11\n\t"
        "ldrd        r0, r2, [r7]\n\t"
        "ldrd        r4, r6, [r7, #8]\n\t"
        "ldr         r1, [sp]\n\t"
        "ldr         r7, [r9, #16]\n\t"
        "cbz         r7, 3f\n"
        "2:\n\t"
        "vldrb.8     q0, [r1], #16\n\t"
        EDGEQ_MVE_X1_MACS
        "subs        r7, r7, #1\n\t"
        "bne         2b\n"
        "3:\n\t"
        "ldr         r7, [r9, #20]\n\t"
        "cbz         r7, 4f\n\t"
        "vctp.8      r7\n\t"
        "vpst\n\t"
        "vldrbt.8    q0, [r1]\n\t"
        EDGEQ_MVE_X1_MACS
        "4:\n\t"
        EDGEQ_MVE_LANES("q0", "r0", "r2", "r4", "r6")
        EDGEQ_MVE_REQ_LOAD
        EDGEQ_MVE_REQ("q0")
        "ldr         r0, [sp, #8]\n\t"
        "ldr         r2, [sp, #16]\n\t"
        "vctp.32     r2\n\t"
        "vpst\n\t"
        "vstrbt.32   q0, [r0]\n\t"
        "adds        r0, r0, #4\n\t"
        "str         r0, [sp, #8]\n\t"
        "add         r11, r11, #16\n\t"
        "subs        r2, r2, #4\n\t"
        "str         r2, [sp, #16]\n\t"
        "bgt         1b\n\t"
        EDGEQ_MVE_EXIT);
}

#else /* C: the portable model's lanes, or the intrinsics off GCC */

/* Every block of rows against two columns c0, c1; the outputs of column j at oj[0..rows). */
EDGEQ_MVE_DOT void edgeq_mve_gemm_x2(const edgeq_mve_gemm_t *g, const int8_t *c0, const int8_t *c1, int8_t *o0,
                                     int8_t *o1)
{
    const int8_t *w = g->filter;
    const int32x4_t lo = vdupq_n_s32(g->act_min), hi = vdupq_n_s32(g->act_max);
    int32_t r;
    for (r = 0; r < g->rows; r += 4) {
        const int32_t q = r >> 2;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        const int8_t *x = c0, *y = c1;
        int32_t left;
        /* whole chunks, then the partial one under its tail predicate */
        for (left = 16 * g->chunks + g->tail; left > 0; left -= 16, x += 16, y += 16, w += 64) {
            const mve_pred16_t p = vctp8q((uint32_t)left);
            const int8x16_t xv = vldrbq_z_s8(x, p), yv = vldrbq_z_s8(y, p);
            int8x16_t wv = vldrbq_s8(w);
            a0 = vmladavaq_s8(a0, wv, xv);
            b0 = vmladavaq_s8(b0, wv, yv);
            wv = vldrbq_s8(w + 16);
            a1 = vmladavaq_s8(a1, wv, xv);
            b1 = vmladavaq_s8(b1, wv, yv);
            wv = vldrbq_s8(w + 32);
            a2 = vmladavaq_s8(a2, wv, xv);
            b2 = vmladavaq_s8(b2, wv, yv);
            wv = vldrbq_s8(w + 48);
            a3 = vmladavaq_s8(a3, wv, xv);
            b3 = vmladavaq_s8(b3, wv, yv);
        }
        {
            const int32x4_t bias = vldrwq_s32(g->bias + 4 * q), m = vldrwq_s32(g->mult + 4 * q);
            const int32x4_t sh = vldrwq_s32(g->neg_right + 4 * q);
            const mve_pred16_t p = vctp32q((uint32_t)(g->rows - r));
            int32x4_t v = edgeq_mve_requant(vaddq_s32(edgeq_v4(a0, a1, a2, a3), bias), m, sh, g->output_offset, lo, hi);
            vstrbq_p_s32(o0 + r, v, p);
            v = edgeq_mve_requant(vaddq_s32(edgeq_v4(b0, b1, b2, b3), bias), m, sh, g->output_offset, lo, hi);
            vstrbq_p_s32(o1 + r, v, p);
        }
    }
}

/* Every block of rows against one column c; its outputs at o[0..rows). */
EDGEQ_MVE_DOT void edgeq_mve_gemm_x1(const edgeq_mve_gemm_t *g, const int8_t *c, int8_t *o)
{
    const int8_t *w = g->filter;
    const int32x4_t lo = vdupq_n_s32(g->act_min), hi = vdupq_n_s32(g->act_max);
    int32_t r;
    for (r = 0; r < g->rows; r += 4) {
        const int32_t q = r >> 2;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int8_t *x = c;
        int32_t left;
        for (left = 16 * g->chunks + g->tail; left > 0; left -= 16, x += 16, w += 64) {
            const int8x16_t xv = vldrbq_z_s8(x, vctp8q((uint32_t)left));
            a0 = vmladavaq_s8(a0, vldrbq_s8(w), xv);
            a1 = vmladavaq_s8(a1, vldrbq_s8(w + 16), xv);
            a2 = vmladavaq_s8(a2, vldrbq_s8(w + 32), xv);
            a3 = vmladavaq_s8(a3, vldrbq_s8(w + 48), xv);
        }
        {
            const int32x4_t v = edgeq_mve_requant(vaddq_s32(edgeq_v4(a0, a1, a2, a3), vldrwq_s32(g->bias + 4 * q)),
                                                  vldrwq_s32(g->mult + 4 * q), vldrwq_s32(g->neg_right + 4 * q),
                                                  g->output_offset, lo, hi);
            vstrbq_p_s32(o + r, v, vctp32q((uint32_t)(g->rows - r)));
        }
    }
}

#endif

#endif /* EDGEQ_MVE_GEMM_H */
