/* RSQRT, int8: TFLM's integer path for each element. x - zero_point goes through TFLite's
 * GetInvSqrtQuantizedMultiplierExp (gemmlowp fixed point: five Newton-Raphson steps on a
 * value normalized to [2^27, 2^29), then times sqrt(2)/2), the result is requantized with
 * the prepared 1 / (sqrt(input scale) * output scale). A value of 0 gives the largest int8;
 * a negative one ends the inference with status 1, as TFLM's kernel refuses it. */
#include "edgeq_fixedpoint.h"
#include "edgeq_micro.h"

#define SRDHM edgeq_sat_rounding_doubling_high_mul

/* multiplier and (left) shift of 1 / sqrt(input), TFLite's reverse_shift = -1 convention */
static void inv_sqrt_multiplier_exp(int32_t input, int32_t *multiplier, int *shift)
{
    int s = 11;
    int32_t half_input;
    int32_t x = (int32_t)1 << 28; /* 1.0 with 3 integer bits */
    const int32_t half_three = ((int32_t)1 << 28) + ((int32_t)1 << 27);
    unsigned pairs;
    int i;
    if (input <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    while (input >= ((int32_t)1 << 29)) {
        input /= 4;
        ++s;
    }
    pairs = ((unsigned)__builtin_clz((uint32_t)input) - 1u) / 2u - 1u;
    s -= (int)pairs;
    input <<= 2u * pairs;
    half_input = edgeq_rounding_divide_by_pot(input >> 1, 1);
    for (i = 0; i < 5; ++i) {
        const int32_t x3 = edgeq_sat_mul_pot(SRDHM(SRDHM(x, x), x), 6);
        x = edgeq_sat_mul_pot(edgeq_wrap_sub(SRDHM(half_three, x), SRDHM(half_input, x3)), 3);
    }
    x = SRDHM(x, 1518500250); /* sqrt(2)/2 in Q0.31 */
    if (s < 0) {
        x = edgeq_wrap_shl(x, -s);
        s = 0;
    }
    *multiplier = x;
    *shift = -s;
}

int edgeq_rsqrt_s8(const edgeq_rsqrt_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t value = (int32_t)input[i] - p->input_zero_point;
        int32_t m, data, out;
        int s;
        if (value < 0) {
            return 1;
        }
        if (value == 0) {
            output[i] = INT8_MAX;
            continue;
        }
        inv_sqrt_multiplier_exp(value, &m, &s);
        data = edgeq_mul_by_quantized_multiplier(1, m, s + 20);
        out = edgeq_mul_by_quantized_multiplier(data, p->multiplier, p->shift - 20) + p->output_zero_point;
        output[i] = (int8_t)edgeq_clamp(out, INT8_MIN, INT8_MAX);
    }
    return 0;
}
