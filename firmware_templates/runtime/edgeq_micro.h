/* edgeq-micro: interpreter-less int8 kernels.
 *
 * One source file per op (conv_2d.c, depthwise_conv_2d.c, ...); each defines the kernel
 * declared here and nothing else. Parameters are computed on the host at code-generation
 * time (what TFLite Micro's Prepare() computes) and passed as const structs, so kernels
 * never allocate, never touch floats (except QUANTIZE/DEQUANTIZE of float tensors) and
 * are bit-exact with TFLite Micro's reference kernels.
 *
 * Optimized variants: a file providing the same function (e.g. conv_2d_cmsis.c) replaces
 * the reference file for that op; the code generator picks one source per op.
 *
 * Layouts are TFLite's: activations NHWC, CONV_2D filters [out_c, k_h, k_w, in_c/groups],
 * DEPTHWISE_CONV_2D filters [1, k_h, k_w, out_c], FULLY_CONNECTED weights [out, in].
 */
#ifndef EDGEQ_MICRO_H
#define EDGEQ_MICRO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEQ_MAX_DIMS 6

typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w, filter_in_c; /* filter_in_c = in_c / groups */
    int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier; /* one per output channel */
    const int32_t *shift;      /* one per output channel; > 0 is a left shift */
} edgeq_conv_params_t;

typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t out_h, out_w, depth_multiplier; /* out_c = in_c * depth_multiplier */
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier; /* one per output channel */
    const int32_t *shift;
} edgeq_dwconv_params_t;

typedef struct {
    int32_t batches, accum_depth, out_depth;
    int32_t input_offset, filter_offset, output_offset, act_min, act_max;
    int32_t per_channel; /* 0: multiplier[0]/shift[0] for every output */
    const int32_t *multiplier;
    const int32_t *shift;
} edgeq_fc_params_t;

typedef struct {
    int32_t batches, in_h, in_w, channels;
    int32_t out_h, out_w, k_h, k_w;
    int32_t stride_h, stride_w, pad_h, pad_w;
    int32_t act_min, act_max;
} edgeq_pool_params_t;

typedef struct {
    int32_t size;      /* output elements */
    int32_t broadcast; /* 0: both inputs have the output's shape */
    int32_t dims;      /* broadcast only: number of entries used below */
    int32_t out_shape[EDGEQ_MAX_DIMS];
    int32_t in1_strides[EDGEQ_MAX_DIMS]; /* 0 along broadcast dimensions */
    int32_t in2_strides[EDGEQ_MAX_DIMS];
    int32_t input1_offset, input2_offset, left_shift;
    int32_t input1_multiplier, input1_shift, input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift, output_offset, act_min, act_max;
} edgeq_add_params_t;

typedef struct {
    int32_t outer, depth;
    int32_t input_multiplier, input_left_shift, diff_min;
} edgeq_softmax_params_t;

#define EDGEQ_MAX_CONCAT_INPUTS 16

typedef struct {
    int32_t outer, num_inputs;
    int32_t copy_size[EDGEQ_MAX_CONCAT_INPUTS]; /* bytes per outer step, per input */
} edgeq_concat_params_t;

typedef struct {
    int32_t size, input_zero_point, output_zero_point, multiplier, shift;
} edgeq_requantize_params_t;

typedef struct {
    int32_t size, zero_point;
    float scale;
} edgeq_affine_params_t;

void edgeq_conv_2d_s8(const edgeq_conv_params_t *p, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output);
void edgeq_depthwise_conv_2d_s8(const edgeq_dwconv_params_t *p, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output);
void edgeq_fully_connected_s8(const edgeq_fc_params_t *p, const int8_t *input,
                              const int8_t *filter, const int32_t *bias, int8_t *output);
void edgeq_average_pool_2d_s8(const edgeq_pool_params_t *p, const int8_t *input, int8_t *output);
void edgeq_max_pool_2d_s8(const edgeq_pool_params_t *p, const int8_t *input, int8_t *output);
void edgeq_add_s8(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                  int8_t *output);
void edgeq_softmax_s8(const edgeq_softmax_params_t *p, const int8_t *input, int8_t *output);
void edgeq_concatenation_s8(const edgeq_concat_params_t *p, const int8_t *const inputs[],
                            int8_t *output);
void edgeq_requantize_s8(const edgeq_requantize_params_t *p, const int8_t *input, int8_t *output);
void edgeq_quantize_f32_s8(const edgeq_affine_params_t *p, const float *input, int8_t *output);
void edgeq_dequantize_s8_f32(const edgeq_affine_params_t *p, const int8_t *input, float *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGEQ_MICRO_H */
