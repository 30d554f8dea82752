/* DEPTHWISE_CONV_2D, int8, Helium (MVE) variant, depth multiplier 1, horizontal dilation 1,
 * a channel count that is a multiple of 4: 4 channels (a "group") a vector, each tap a VMUL and a VADD of 32-bit lanes,
 * two horizontally adjacent output pixels sharing each weight load.
 * For each output row the scratch holds a band: its k_h input rows (dilation applied),
 * band_w pixels from column -pad_w, stored group by group (a group's plane: band_w columns
 * of k_h words, a word = the group's 4 channels of a pixel), with the input zero point
 * outside the image; a window's k_h * k_w taps are then consecutive words. The products are of raw input bytes, from the bias with the input
 * offset folded in (the code generator's bias_folded: bias + input_offset * the channel's
 * weight sum); the zero point's products cancel the folded offset, as TFLM's skipped taps
 * contribute nothing. The weights: int16, group by group, tap by tap (4 a tap), re-laid-out
 * by the code generator (edgeq/ops/depthwise_conv_2d.py). Requantization: 4 channels at
 * once (edgeq_mve_requant). The same bytes as depthwise_conv_2d.c; an output row is written
 * after its band was copied, so the in-place contract of the reference holds. An
 * always-inline header: edgeq_model.c includes it and each call folds its op's constants. */
#ifndef EDGEQ_DEPTHWISE_CONV_2D_MVE_H
#define EDGEQ_DEPTHWISE_CONV_2D_MVE_H

#include "edgeq_micro.h"
#include "edgeq_mve.h"
#include "edgeq_mve_gemm.h"

/* What edgeq_dw_mve_row reads: one output row of the band. */
typedef struct {
    const int8_t *band;       /* group 0's plane */
    int32_t plane;            /* bytes a group plane */
    const int16_t *filter;    /* group 0's taps */
    const int32_t *bias;      /* bias_folded */
    const int32_t *mult;
    const int32_t *neg_right;
    int8_t *out;              /* the row's first pixel, channel 0 */
    int32_t groups;           /* channels / 4 */
    int32_t pixels;           /* out_w */
    int32_t out_pixel;        /* bytes from one output pixel to the next (channels) */
    int32_t pixel_step;       /* band bytes from a pixel's window to the next's: 4 * k_h * stride_w */
    int32_t taps;             /* k_h * k_w */
    int32_t output_offset, act_min, act_max;
} edgeq_dw_mve_row_t;

#if defined(EDGEQ_MVE_NATIVE) && defined(__GNUC__)
_Static_assert(__builtin_offsetof(edgeq_dw_mve_row_t, plane) == 4 && __builtin_offsetof(edgeq_dw_mve_row_t, filter) == 8 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, bias) == 12 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, mult) == 16 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, neg_right) == 20 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, out) == 24 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, groups) == 28 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, pixels) == 32 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, out_pixel) == 36 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, pixel_step) == 40 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, taps) == 44 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, output_offset) == 48 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, act_min) == 52 &&
                   __builtin_offsetof(edgeq_dw_mve_row_t, act_max) == 56,
               "edgeq_dw_mve_row_t: the offsets the assembly reads");

/* The requantization of q (edgeq_mve_requant): multipliers q4, shifts q5, clamp q6 / q7,
 * output offset r0, temporary q2. */
#define EDGEQ_DW_MVE_REQ(q)               \
    "vqrdmulh.s32 " q ", " q ", q4\n\t"   \
    "vshr.s32    q2, " q ", #31\n\t"      \
    "vadd.i32    " q ", " q ", q2\n\t"    \
    "vrshl.s32   " q ", " q ", q5\n\t"    \
    "vadd.i32    " q ", " q ", r0\n\t"    \
    "vmax.s32    " q ", " q ", q6\n\t"    \
    "vmin.s32    " q ", " q ", q7\n\t"

/* Naked assembly for the same reason as edgeq_mve_gemm.h's: the compiler's code for these
 * loops spilled its vectors. Group by group (r10: its plane, r11: its taps, r8: 16 * group),
 * pixel pairs (r4: the pair's window, r12 the pixel step, r5: its output, r6: pixels left)
 * and taps: a weight load, then for each pixel a load, a VMUL and a VADD (accumulators q0,
 * q1), two taps an iteration of a low-overhead loop with the next tap's loads beside the
 * current tap's arithmetic (two register sets; nothing is loaded past the last tap). An odd
 * last pixel's partner reads band words past it (the band is one pixel wider) and is not
 * stored. Frame: [sp] the group's output, [sp+4] groups left, [sp+16..79] the group's
 * multipliers and shifts, the clamp vectors. */
/* One tap of the pair: product of weights w with the two pixels' words x0, x1 (products
 * into x0, x1), accumulated into q0, q1. */
#define EDGEQ_DW_TAP_MUL(w, x0, x1) "vmul.i32    " x0 ", " x0 ", " w "\n\t" "vmul.i32    " x1 ", " x1 ", " w "\n\t"
#define EDGEQ_DW_TAP_ADD(x0, x1) "vadd.i32    q0, q0, " x0 "\n\t" "vadd.i32    q1, q1, " x1 "\n\t"

__attribute__((naked, noinline, unused)) static void edgeq_dw_mve_row(const edgeq_dw_mve_row_t *a)
{
    __asm__ volatile(
        "push        {r4-r11, lr}\n\t"
        "vpush       {d8-d15}\n\t"
        "sub         sp, sp, #80\n\t"
        "mov         r9, r0\n\t"
        "ldr         r12, [r9, #40]\n\t"
        "ldr         r1, [r9, #24]\n\t"
        "str         r1, [sp]\n\t"
        "ldr         r1, [r9, #28]\n\t"
        "str         r1, [sp, #4]\n\t"
        "ldr         r10, [r9]\n\t"
        "ldr         r11, [r9, #8]\n\t"
        "movs        r8, #0\n\t"
        "ldr         r1, [r9, #52]\n\t"
        "vdup.32     q6, r1\n\t"
        "vstrw.32    q6, [sp, #48]\n\t"
        "ldr         r1, [r9, #56]\n\t"
        "vdup.32     q7, r1\n\t"
        "vstrw.32    q7, [sp, #64]\n"
        "1:\n\t" /* a group: its multipliers and shifts to the frame */
        "ldr         r1, [r9, #16]\n\t"
        "add         r1, r1, r8\n\t"
        "vldrw.u32   q4, [r1]\n\t"
        "vstrw.32    q4, [sp, #16]\n\t"
        "ldr         r1, [r9, #20]\n\t"
        "add         r1, r1, r8\n\t"
        "vldrw.u32   q5, [r1]\n\t"
        "vstrw.32    q5, [sp, #32]\n\t"
        "ldr         r3, [r9, #12]\n\t"
        "add         r3, r3, r8\n\t"
        "mov         r4, r10\n\t"
        "ldr         r5, [sp]\n\t"
        "ldr         r6, [r9, #32]\n"
        "2:\n\t" /* a pixel pair: the window's taps are consecutive words from r4 */
        "vldrw.u32   q0, [r3]\n\t"
        "vmov        q1, q0\n\t"
        "mov         r2, r11\n\t"
        "mov         r0, r4\n\t"
        "add         r1, r4, r12\n\t"
        "vldrh.s32   q2, [r2], #8\n\t" /* tap 0 ahead: set A = q2 (w), q3, q4 */
        "vldrb.s32   q3, [r0], #4\n\t"
        "vldrb.s32   q4, [r1], #4\n\t"
        "ldr         r7, [r9, #44]\n\t"
        "subs        r7, r7, #1\n\t"
        "lsrs        r7, r7, #1\n\t"
        "wls         lr, r7, 6f\n"
        "4:\n\t" /* two taps: A's products while B (q5, q6, q7) loads, then the other way */
        "vmul.i32    q3, q3, q2\n\t"
        "vldrh.s32   q5, [r2], #8\n\t"
        "vmul.i32    q4, q4, q2\n\t"
        "vldrb.s32   q6, [r0], #4\n\t"
        "vadd.i32    q0, q0, q3\n\t"
        "vldrb.s32   q7, [r1], #4\n\t"
        "vadd.i32    q1, q1, q4\n\t"
        "vmul.i32    q6, q6, q5\n\t"
        "vldrh.s32   q2, [r2], #8\n\t"
        "vmul.i32    q7, q7, q5\n\t"
        "vldrb.s32   q3, [r0], #4\n\t"
        "vadd.i32    q0, q0, q6\n\t"
        "vldrb.s32   q4, [r1], #4\n\t"
        "vadd.i32    q1, q1, q7\n\t"
        "le          lr, 4b\n"
        "6:\n\t" /* the last tap (A) or two (A, B): nothing loaded ahead */
        "ldr         r7, [r9, #44]\n\t"
        "tst         r7, #1\n\t"
        "bne         7f\n\t"
        "vldrh.s32   q5, [r2], #8\n\t"
        "vldrb.s32   q6, [r0], #4\n\t"
        "vldrb.s32   q7, [r1], #4\n\t"
        EDGEQ_DW_TAP_MUL("q2", "q3", "q4")
        EDGEQ_DW_TAP_ADD("q3", "q4")
        EDGEQ_DW_TAP_MUL("q5", "q6", "q7")
        EDGEQ_DW_TAP_ADD("q6", "q7")
        "b           8f\n"
        "7:\n\t"
        EDGEQ_DW_TAP_MUL("q2", "q3", "q4")
        EDGEQ_DW_TAP_ADD("q3", "q4")
        "8:\n\t"
        "vldrw.u32   q4, [sp, #16]\n\t"
        "vldrw.u32   q5, [sp, #32]\n\t"
        "vldrw.u32   q6, [sp, #48]\n\t"
        "vldrw.u32   q7, [sp, #64]\n\t"
        "ldr         r0, [r9, #48]\n\t"
        EDGEQ_DW_MVE_REQ("q0")
        EDGEQ_DW_MVE_REQ("q1")
        "ldr         r1, [r9, #36]\n\t"
        "vstrb.32    q0, [r5]\n\t"
        "add         r5, r5, r1\n\t"
        "cmp         r6, #1\n\t"
        "beq         5f\n\t"
        "vstrb.32    q1, [r5]\n\t"
        "add         r5, r5, r1\n"
        "5:\n\t"
        "add         r4, r4, r12, lsl #1\n\t"
        "subs        r6, r6, #2\n\t"
        "bgt         2b\n\t"
        "mov         r11, r2\n\t" /* the next group's taps */
        "ldr         r1, [r9, #4]\n\t"
        "add         r10, r10, r1\n\t"
        "ldr         r1, [sp]\n\t"
        "adds        r1, r1, #4\n\t"
        "str         r1, [sp]\n\t"
        "add         r8, r8, #16\n\t"
        "ldr         r1, [sp, #4]\n\t"
        "subs        r1, r1, #1\n\t"
        "str         r1, [sp, #4]\n\t"
        "bne         1b\n\t"
        "add         sp, sp, #80\n\t"
        "vpop        {d8-d15}\n\t"
        "pop         {r4-r11, pc}\n\t");
}
#else
/* C: the portable model's lanes, or the intrinsics off GCC. */
EDGEQ_MVE_DOT void edgeq_dw_mve_row(const edgeq_dw_mve_row_t *a)
{
    const int32x4_t lo = vdupq_n_s32(a->act_min), hi = vdupq_n_s32(a->act_max);
    const int16_t *w = a->filter;
    int32_t g, n, k;
    for (g = 0; g < a->groups; ++g) {
        const int8_t *plane = a->band + g * a->plane;
        const int32x4_t m = vldrwq_s32(a->mult + 4 * g), sh = vldrwq_s32(a->neg_right + 4 * g);
        const int16_t *wg = w;
        for (n = 0; n < a->pixels; n += 2) {
            const int8_t *x = plane + n * a->pixel_step;
            int32x4_t a0 = vldrwq_s32(a->bias + 4 * g), a1 = a0;
            int8_t *o = a->out + n * a->out_pixel + 4 * g;
            w = wg;
            for (k = 0; k < a->taps; ++k, w += 4) {
                const int8_t *t = x + 4 * k;
                const int32x4_t wv = edgeq_v4(w[0], w[1], w[2], w[3]);
                a0 = vaddq_s32(a0, vmulq_s32(vldrbq_s32(t), wv));
                a1 = vaddq_s32(a1, vmulq_s32(vldrbq_s32(t + a->pixel_step), wv));
            }
            vstrbq_s32(o, edgeq_mve_requant(a0, m, sh, a->output_offset, lo, hi));
            if (n + 1 < a->pixels) {
                vstrbq_s32(o + a->out_pixel, edgeq_mve_requant(a1, m, sh, a->output_offset, lo, hi));
            }
        }
    }
}
#endif

/* Output row oy's band (see above): band row ky is input row oy * stride_h - pad_h +
 * ky * dilation_h, band column j input column j - pad_w; a plane stores column by column
 * (a column's k_h words together), so a window's taps are consecutive words (dilation_w 1). */
EDGEQ_INLINE void edgeq_dw_mve_band(const edgeq_dwconv_mve_params_t *p, const int8_t *in, int32_t oy, int8_t *band)
{
    const int32_t C = p->in_c, groups = C >> 2, plane = p->k_h * p->band_w * 4;
    const int32_t y0 = oy * p->stride_h - p->pad_h;
    const int32_t zp = (int32_t)(uint8_t)(int8_t)(-p->input_offset) * 0x01010101;
    const uint32x4_t offsets = vreinterpretq_u32_s32(edgeq_v4(0, plane, 2 * plane, 3 * plane));
    const int32x4_t zeros = vdupq_n_s32(zp);
    int32_t ky, j, g;
    for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = y0 + p->dilation_h * ky;
        const int32_t row_in = iy >= 0 && iy < p->in_h;
        int32_t *dst = (int32_t *)(void *)(band + ky * 4);
        for (j = 0; j < p->band_w; ++j, dst += p->k_h) {
            const int32_t ix = j - p->pad_w;
            int32_t *d = dst;
            if (row_in && ix >= 0 && ix < p->in_w && (C & 15) == 0) { /* whole 16-byte loads */
                const int8_t *src = in + (iy * p->in_w + ix) * C;
                for (g = 0; g < groups; g += 4, src += 16, d += 4 * plane / 4) {
                    vstrwq_scatter_offset_s32(d, offsets, vreinterpretq_s32_s8(vldrbq_s8(src)));
                }
            } else if (row_in && ix >= 0 && ix < p->in_w) {
                const int8_t *src = in + (iy * p->in_w + ix) * C;
                for (g = 0; g < groups; g += 4, src += 16, d += 4 * plane / 4) {
                    const int32_t left = C - 4 * g;
                    vstrwq_scatter_offset_p_s32(d, offsets, vreinterpretq_s32_s8(vldrbq_z_s8(src, vctp8q((uint32_t)left))),
                                                vctp32q((uint32_t)(groups - g)));
                }
            } else if ((C & 15) == 0) {
                for (g = 0; g < groups; g += 4, d += 4 * plane / 4) {
                    vstrwq_scatter_offset_s32(d, offsets, zeros);
                }
            } else {
                for (g = 0; g < groups; g += 4, d += 4 * plane / 4) {
                    vstrwq_scatter_offset_p_s32(d, offsets, zeros, vctp32q((uint32_t)(groups - g)));
                }
            }
        }
    }
}

EDGEQ_INLINE void edgeq_depthwise_conv_2d_s8_mve(const edgeq_dwconv_mve_params_t *p, const int8_t *input,
                                                 const int16_t *filter, int8_t *output, int8_t *band)
{
    const int32_t C = p->in_c;
    edgeq_dw_mve_row_t a;
    int32_t b, oy;
    a.band = band;
    a.plane = p->k_h * p->band_w * 4;
    a.filter = filter;
    a.bias = p->bias_folded;
    a.mult = p->multiplier;
    a.neg_right = p->neg_right;
    a.groups = C >> 2;
    a.pixels = p->out_w;
    a.out_pixel = C;
    a.pixel_step = 4 * p->k_h * p->stride_w;
    a.taps = p->k_h * p->k_w;
    a.output_offset = p->output_offset;
    a.act_min = p->act_min;
    a.act_max = p->act_max;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->in_h * p->in_w * C;
        for (oy = 0; oy < p->out_h; ++oy) {
            edgeq_dw_mve_band(p, in, oy, band);
            a.out = output + ((b * p->out_h + oy) * p->out_w) * C;
            edgeq_dw_mve_row(&a);
        }
    }
}

#endif /* EDGEQ_DEPTHWISE_CONV_2D_MVE_H */
