/* edgeq-micro: what the Helium (MVE) kernels use of the M-profile Vector Extension, and a
 * portable C model of the same intrinsics.
 *
 * On a core with MVE (__ARM_FEATURE_MVE: Cortex-M55, M85) with EDGEQ_MVE set by the code
 * generator, these are GCC's <arm_mve.h> intrinsics themselves. Elsewhere (the host, where
 * the golden tests compile the same kernels) each intrinsic the kernels use is a C function
 * of the same name computing the same lanes, so an MVE kernel is tested bit for bit on the
 * host and runs its real instructions under QEMU. EDGEQ_SIMD_PORTABLE forces the model.
 *
 * Conventions (the architecture's): a predicate (mve_pred16_t) has one bit a byte lane;
 * a predicated load (_z) leaves inactive lanes 0 and does not read their memory; a
 * predicated store (_p) does not write them. vldrbq_s32 loads 4 bytes sign-extended into
 * 32-bit lanes; vstrbq_s32 stores the low byte of each 32-bit lane.
 */
#ifndef EDGEQ_MVE_H
#define EDGEQ_MVE_H

#include <stdint.h>

#include "edgeq_config.h"
#include "edgeq_simd.h"

#if EDGEQ_MVE && defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(EDGEQ_SIMD_PORTABLE)
#define EDGEQ_MVE_NATIVE 1
#include <arm_mve.h>

/* Four scalars into the lanes of a vector (two VMOVs of register pairs). */
EDGEQ_INLINE int32x4_t edgeq_v4(int32_t a, int32_t b, int32_t c, int32_t d)
{
    int32x4_t v = vdupq_n_s32(a);
    v = vsetq_lane_s32(b, v, 1);
    v = vsetq_lane_s32(c, v, 2);
    return vsetq_lane_s32(d, v, 3);
}

#else /* the portable model */

typedef struct {
    int8_t v[16];
} int8x16_t;
typedef struct {
    int32_t v[4];
} int32x4_t;
typedef struct {
    uint32_t v[4];
} uint32x4_t;
typedef struct {
    int16_t v[8];
} int16x8_t;
typedef uint16_t mve_pred16_t;

static inline uint32x4_t vreinterpretq_u32_s32(int32x4_t a)
{
    uint32x4_t r;
    int i;
    for (i = 0; i < 4; ++i) {
        r.v[i] = (uint32_t)a.v[i];
    }
    return r;
}

static inline mve_pred16_t vctp8q(uint32_t n)
{
    return (mve_pred16_t)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
}

static inline mve_pred16_t vctp32q(uint32_t n)
{
    return (mve_pred16_t)(n >= 4 ? 0xFFFFu : (1u << (4 * n)) - 1u);
}

static inline int8x16_t vldrbq_z_s8(const int8_t *p, mve_pred16_t pred)
{
    int8x16_t r;
    int i;
    for (i = 0; i < 16; ++i) {
        r.v[i] = (pred >> i) & 1u ? p[i] : 0;
    }
    return r;
}

static inline int8x16_t vldrbq_s8(const int8_t *p) { return vldrbq_z_s8(p, 0xFFFFu); }

static inline mve_pred16_t vctp16q(uint32_t n)
{
    return (mve_pred16_t)(n >= 8 ? 0xFFFFu : (1u << (2 * n)) - 1u);
}

/* 8 bytes sign-extended into 16-bit lanes; lane i active when predicate bit 2i is set */
static inline int16x8_t vldrbq_z_s16(const int8_t *p, mve_pred16_t pred)
{
    int16x8_t r;
    int i;
    for (i = 0; i < 8; ++i) {
        r.v[i] = (pred >> (2 * i)) & 1u ? p[i] : 0;
    }
    return r;
}

static inline int16x8_t vdupq_n_s16(int16_t a)
{
    int16x8_t r;
    int i;
    for (i = 0; i < 8; ++i) {
        r.v[i] = a;
    }
    return r;
}

static inline int16x8_t vaddq_s16(int16x8_t a, int16x8_t b)
{
    int16x8_t r;
    int i;
    for (i = 0; i < 8; ++i) {
        r.v[i] = (int16_t)(uint16_t)((uint32_t)(uint16_t)a.v[i] + (uint32_t)(uint16_t)b.v[i]);
    }
    return r;
}

static inline void vst1q_s16(int16_t *p, int16x8_t v)
{
    int i;
    for (i = 0; i < 8; ++i) {
        p[i] = v.v[i];
    }
}

static inline int8x16_t vmaxq_s8(int8x16_t a, int8x16_t b)
{
    int8x16_t r;
    int i;
    for (i = 0; i < 16; ++i) {
        r.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];
    }
    return r;
}

static inline int8x16_t vminq_s8(int8x16_t a, int8x16_t b)
{
    int8x16_t r;
    int i;
    for (i = 0; i < 16; ++i) {
        r.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];
    }
    return r;
}

static inline int32x4_t vldrbq_z_s32(const int8_t *p, mve_pred16_t pred)
{
    int32x4_t r;
    int i;
    for (i = 0; i < 4; ++i) {
        r.v[i] = (pred >> (4 * i)) & 1u ? p[i] : 0;
    }
    return r;
}

static inline int32x4_t vldrbq_s32(const int8_t *p) { return vldrbq_z_s32(p, 0xFFFFu); }

static inline int32x4_t vldrwq_s32(const int32_t *p)
{
    int32x4_t r;
    int i;
    for (i = 0; i < 4; ++i) {
        r.v[i] = p[i];
    }
    return r;
}

static inline void vstrbq_p_s32(int8_t *p, int32x4_t v, mve_pred16_t pred)
{
    int i;
    for (i = 0; i < 4; ++i) {
        if ((pred >> (4 * i)) & 1u) {
            p[i] = (int8_t)(uint8_t)((uint32_t)v.v[i] & 0xFFu);
        }
    }
}

static inline void vstrbq_s32(int8_t *p, int32x4_t v) { vstrbq_p_s32(p, v, 0xFFFFu); }

static inline void vstrbq_p_s8(int8_t *p, int8x16_t v, mve_pred16_t pred)
{
    int i;
    for (i = 0; i < 16; ++i) {
        if ((pred >> i) & 1u) {
            p[i] = v.v[i];
        }
    }
}

static inline int8x16_t vdupq_n_s8(int8_t a)
{
    int8x16_t r;
    int i;
    for (i = 0; i < 16; ++i) {
        r.v[i] = a;
    }
    return r;
}

static inline int32x4_t vdupq_n_s32(int32_t a)
{
    int32x4_t r;
    r.v[0] = r.v[1] = r.v[2] = r.v[3] = a;
    return r;
}

static inline int32x4_t edgeq_v4(int32_t a, int32_t b, int32_t c, int32_t d)
{
    int32x4_t r;
    r.v[0] = a;
    r.v[1] = b;
    r.v[2] = c;
    r.v[3] = d;
    return r;
}

/* the 16 bytes of v as 4 words (lane i: bytes 4i..4i+3, little-endian) */
static inline int32x4_t vreinterpretq_s32_s8(int8x16_t v)
{
    int32x4_t r;
    int i;
    for (i = 0; i < 4; ++i) {
        r.v[i] = (int32_t)((uint32_t)(uint8_t)v.v[4 * i] | ((uint32_t)(uint8_t)v.v[4 * i + 1] << 8) |
                           ((uint32_t)(uint8_t)v.v[4 * i + 2] << 16) | ((uint32_t)(uint8_t)v.v[4 * i + 3] << 24));
    }
    return r;
}

/* word i of v to base + offset[i] bytes, where lane i is active */
static inline void vstrwq_scatter_offset_p_s32(int32_t *base, uint32x4_t offset, int32x4_t v, mve_pred16_t pred)
{
    int i;
    for (i = 0; i < 4; ++i) {
        if ((pred >> (4 * i)) & 1u) {
            memcpy((char *)base + offset.v[i], &v.v[i], 4);
        }
    }
}

static inline void vstrwq_scatter_offset_s32(int32_t *base, uint32x4_t offset, int32x4_t v)
{
    vstrwq_scatter_offset_p_s32(base, offset, v, 0xFFFFu);
}

/* acc + the sum of the 16 lane products (32-bit wrap) */
static inline int32_t vmladavaq_s8(int32_t acc, int8x16_t a, int8x16_t b)
{
    uint32_t s = (uint32_t)acc;
    int i;
    for (i = 0; i < 16; ++i) {
        s += (uint32_t)(a.v[i] * b.v[i]);
    }
    return (int32_t)s;
}

#define EDGEQ_MVE_LANES(expr)          \
    int32x4_t r;                       \
    int i;                             \
    for (i = 0; i < 4; ++i) {          \
        r.v[i] = (expr);               \
    }                                  \
    return r

static inline int32x4_t vaddq_s32(int32x4_t a, int32x4_t b)
{
    EDGEQ_MVE_LANES((int32_t)((uint32_t)a.v[i] + (uint32_t)b.v[i]));
}

static inline int32x4_t vaddq_n_s32(int32x4_t a, int32_t b)
{
    EDGEQ_MVE_LANES((int32_t)((uint32_t)a.v[i] + (uint32_t)b));
}

static inline int32x4_t vmulq_s32(int32x4_t a, int32x4_t b)
{
    EDGEQ_MVE_LANES((int32_t)((uint32_t)a.v[i] * (uint32_t)b.v[i]));
}

static inline int32x4_t vmaxq_s32(int32x4_t a, int32x4_t b) { EDGEQ_MVE_LANES(a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }

static inline int32x4_t vminq_s32(int32x4_t a, int32x4_t b) { EDGEQ_MVE_LANES(a.v[i] < b.v[i] ? a.v[i] : b.v[i]); }

static inline int32x4_t vshrq_n_s32(int32x4_t a, int n) { EDGEQ_MVE_LANES(a.v[i] >> n); }

static inline int32x4_t vshlq_n_s32(int32x4_t a, int n) { EDGEQ_MVE_LANES((int32_t)((uint32_t)a.v[i] << n)); }

/* saturate((2 a b + 2^31) >> 32): only a = b = INT32_MIN saturates */
static inline int32_t edgeq_qrdmulh(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * b + ((int64_t)1 << 30)) >> 31);
}

static inline int32x4_t vqrdmulhq_s32(int32x4_t a, int32x4_t b) { EDGEQ_MVE_LANES(edgeq_qrdmulh(a.v[i], b.v[i])); }

static inline int32x4_t vqrdmulhq_n_s32(int32x4_t a, int32_t b) { EDGEQ_MVE_LANES(edgeq_qrdmulh(a.v[i], b)); }

/* a shifted by the signed low byte of b: left when positive, right with rounding (half up,
 * on the exact value) when negative; the kernels only shift right by 1..31 */
static inline int32_t edgeq_rshl(int32_t a, int32_t b)
{
    const int32_t n = (int8_t)(uint8_t)((uint32_t)b & 0xFFu);
    if (n >= 0) {
        return (int32_t)((uint32_t)a << n);
    }
    return (int32_t)(((int64_t)a + ((int64_t)1 << (-n - 1))) >> -n);
}

static inline int32x4_t vrshlq_s32(int32x4_t a, int32x4_t b) { EDGEQ_MVE_LANES(edgeq_rshl(a.v[i], b.v[i])); }

static inline int32x4_t vrshlq_n_s32(int32x4_t a, int32_t b) { EDGEQ_MVE_LANES(edgeq_rshl(a.v[i], b)); }

#undef EDGEQ_MVE_LANES

#endif

/* n bytes from src to dst, 16 a step (the last step tail-predicated). */
EDGEQ_INLINE void edgeq_mve_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n > 0; n -= 16, src += 16, dst += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
    }
}

/* n bytes of dst set to v. */
EDGEQ_INLINE void edgeq_mve_fill(int8_t *dst, int8_t v, int32_t n)
{
    const int8x16_t d = vdupq_n_s8(v);
    for (; n > 0; n -= 16, dst += 16) {
        vstrbq_p_s8(dst, d, vctp8q((uint32_t)n));
    }
}

/* TFLM's requantization (MultiplyByQuantizedMultiplier, double rounding) of 4 accumulators
 * at once, multipliers below 1: VQRDMULH is SaturatingRoundingDoublingHighMul exactly (its
 * rounding of 2ab + 2^31 equals gemmlowp's sign-dependent nudge with truncating division);
 * RoundingDivideByPOT (half away from zero) is VRSHL's half-up rounding right shift of
 * x - (x < 0). neg_right: minus the right shift (1..31), lane by lane. Then the output
 * offset and the clamp. */
EDGEQ_INLINE int32x4_t edgeq_mve_requant(int32x4_t acc, int32x4_t mult, int32x4_t neg_right, int32_t out_offset,
                                         int32x4_t lo, int32x4_t hi)
{
    int32x4_t x = vqrdmulhq_s32(acc, mult);
    x = vaddq_s32(x, vshrq_n_s32(x, 31));
    x = vaddq_n_s32(vrshlq_s32(x, neg_right), out_offset);
    return vminq_s32(vmaxq_s32(x, lo), hi);
}

#endif /* EDGEQ_MVE_H */
