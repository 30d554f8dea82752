/* edgeq-micro: what the fast kernels use of the Arm DSP extension, and a portable C model
 * of the same operations.
 *
 * On a core with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4, M7, M33, M55) these are
 * the SIMD instructions themselves, through GCC's <arm_acle.h> or one-instruction inline
 * assembly. Elsewhere (the host, where the golden tests compile the same kernels, or a core
 * without DSP) each is a C function computing the same 32-bit result, so a fast kernel is
 * tested bit for bit on the host and runs its real instructions under QEMU. Defining
 * EDGEQ_SIMD_PORTABLE forces the C model on an Arm core too.
 *
 * Conventions: a "pair" is an int32 holding two int16 lanes, the low lane first in memory
 * (little-endian). sxtb16(x) takes bytes 0 and 2 of x, sign-extended, into the low and high
 * lane; sxtb16_ror8(x) bytes 1 and 3. smlabb / smlatt multiply the low / high lanes and add.
 */
#ifndef EDGEQ_SIMD_H
#define EDGEQ_SIMD_H

#include <stdint.h>
#include <string.h>

/* The fast kernels' functions: always inlined, so that each op's instance is compiled with
 * its constant parameters (shapes, offsets, clamps) in view. */
#if defined(__GNUC__)
#define EDGEQ_INLINE static inline __attribute__((always_inline))
#else
#define EDGEQ_INLINE static inline
#endif

#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#endif

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(EDGEQ_SIMD_PORTABLE)
#define EDGEQ_SIMD_NATIVE 1
#include <arm_acle.h>

static inline int32_t edgeq_sxtb16(int32_t x) { return (int32_t)__sxtb16((uint32_t)x); }

static inline int32_t edgeq_sxtb16_ror8(int32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* a + sxtb16(x), lane by lane (16-bit wrap). */
static inline int32_t edgeq_sxtab16(int32_t a, int32_t x) { return (int32_t)__sxtab16((uint32_t)a, (uint32_t)x); }

static inline int32_t edgeq_sxtab16_ror8(int32_t a, int32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/* acc + lo(a)*lo(b) + hi(a)*hi(b) */
static inline int32_t edgeq_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }

/* (a * b + 2^31) >> 32: the high word of the product, rounded */
static inline int32_t edgeq_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* acc + lo(a)*lo(b), acc + hi(a)*hi(b) */
static inline int32_t edgeq_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }

static inline int32_t edgeq_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }

#else /* the portable model */

static inline int32_t edgeq_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)(uint16_t)hi << 16) | (uint16_t)lo);
}

static inline int32_t edgeq_lo16(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x & 0xFFFFu); }

static inline int32_t edgeq_hi16(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x >> 16); }

static inline int32_t edgeq_sxtb16(int32_t x)
{
    return edgeq_pair((int8_t)(uint8_t)((uint32_t)x & 0xFFu), (int8_t)(uint8_t)(((uint32_t)x >> 16) & 0xFFu));
}

static inline int32_t edgeq_sxtb16_ror8(int32_t x)
{
    return edgeq_sxtb16((int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
}

static inline int32_t edgeq_sxtab16(int32_t a, int32_t x)
{
    const int32_t e = edgeq_sxtb16(x);
    return edgeq_pair(edgeq_lo16(a) + edgeq_lo16(e), edgeq_hi16(a) + edgeq_hi16(e));
}

static inline int32_t edgeq_sxtab16_ror8(int32_t a, int32_t x)
{
    return edgeq_sxtab16(a, (int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
}

static inline int32_t edgeq_smlad(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(edgeq_lo16(a) * edgeq_lo16(b)) +
                     (uint32_t)(edgeq_hi16(a) * edgeq_hi16(b)));
}

static inline int32_t edgeq_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
}

static inline int32_t edgeq_smlabb(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(edgeq_lo16(a) * edgeq_lo16(b)));
}

static inline int32_t edgeq_smlatt(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(edgeq_hi16(a) * edgeq_hi16(b)));
}

#endif

/* Unaligned-safe 32-bit load (one LDR on a Cortex-M: memcpy of 4 bytes compiles to it). */
static inline int32_t edgeq_load32(const void *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void edgeq_store32(void *p, int32_t v) { memcpy(p, &v, 4); }

/* TFLM's MultiplyByQuantizedMultiplier (double rounding) for a multiplier below 1 (a right
 * shift of 1..31, no left shift) and an accumulator the code generator has proven small,
 * |acc| < 2^30 for every input (from the constant weights and bias). Then the saturating
 * rounding doubling high multiply is one rounded high-word multiply of 2 * acc (it cannot
 * saturate), and RoundingDivideByPOT, round half away from zero, is
 * (x - (x < 0) + 2^(right-1)) >> right, which cannot overflow. `round` = 1 << (right - 1),
 * precomputed. (>> of a negative value is an arithmetic shift in GCC and Clang.) */
static inline int32_t edgeq_requant(int32_t acc, int32_t multiplier, int32_t right, int32_t round)
{
    const int32_t x = edgeq_smmulr((int32_t)((uint32_t)acc << 1), multiplier);
    return (x - (int32_t)((uint32_t)x >> 31) + round) >> right;
}

/* The output clamp to [lo, hi] (TFLM's order: max first); one SSAT for the full int8 range. */
static inline int8_t edgeq_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
    if (lo == -128 && hi == 127) {
        return (int8_t)__ssat(v, 8);
    }
#endif
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

#endif /* EDGEQ_SIMD_H */
