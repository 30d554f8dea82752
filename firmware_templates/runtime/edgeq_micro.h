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
    int32_t out_stride;        /* elements from one output pixel to the next: out_c, or more when
                                  the output is a channel slice of a concatenation's output */
} edgeq_conv_params_t;

/* ---- fast variants (runtime/..._fast.h) ----
 * Written as always-inline headers that edgeq_model.c includes: each op's call is compiled
 * with its constant parameter struct in view. Their requantization is edgeq_requant
 * (edgeq_simd.h): TFLM's double rounding for per-channel multipliers below 1 (right shifts
 * 1..31, precomputed with their rounding terms) and accumulators the code generator proved
 * small (|acc| < 2^30 for every input, from the constant weights and bias). */

/* CONV_2D, fast (conv_2d_fast.h): one group (filter_in_c = in_c), the filter re-laid-out by
 * the code generator (edgeq_gemm.h: rows of depth_pad bytes, the k_h * k_w * in_c weights of
 * an output channel then zeros, interleaved in channel pairs), a scratch buffer of 2
 * interleaved columns of depth_pad int16 (im2col: input + input_offset, 0 in the padding). */
typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier; /* one per output channel */
    const int32_t *right;      /* one per output channel: the right shift, 1..31 */
    const int32_t *round;      /* one per output channel: 1 << (right - 1) */
    int32_t out_stride;        /* as in edgeq_conv_params_t */
    int32_t depth;             /* k_h * k_w * in_c */
    int32_t depth_pad;         /* depth rounded up to a multiple of 4 */
} edgeq_conv_fast_params_t;

/* CONV_2D, Helium (conv_2d_mve.h): one group, the filter re-laid-out by the code generator
 * (edgeq_mve_gemm.h: 4-row blocks, 16-byte chunks), the input offset folded into the bias;
 * direct: a 1x1 window without padding (the columns are the input's pixels; a scratch of
 * out_c bytes holds the second pixel of a pair), else a scratch of 2 im2col columns,
 * col_stride bytes apart. */
typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int32_t input_zero_point; /* the im2col padding byte */
    int32_t output_offset, act_min, act_max;
    const int32_t *multiplier; /* 4 a block of rows */
    const int32_t *neg_right;  /* 4 a block of rows: minus the right shift, -1..-31 */
    int32_t out_stride;        /* as in edgeq_conv_params_t */
    int32_t chunks, tail;      /* the depth k_h * k_w * in_c: whole 16-byte chunks, the rest */
    int32_t direct, col_stride;
} edgeq_conv_mve_params_t;

/* DEPTHWISE_CONV_2D, fast (depthwise_conv_2d_fast.h): at most EDGEQ_DW_MAX_TAPS taps, the
 * weights widened to int16 by the code generator. */
#define EDGEQ_DW_MAX_TAPS 64
typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t out_h, out_w, depth_multiplier;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier, *right, *round; /* as in edgeq_conv_fast_params_t */
} edgeq_dwconv_fast_params_t;

/* DEPTHWISE_CONV_2D, Helium (depthwise_conv_2d_mve.h): depth multiplier 1, channels a
 * multiple of 4; the weights re-laid-out by the code generator (int16, group of 4 channels
 * by group, tap by tap); per channel: the bias with the input offset folded in, multipliers
 * and negated right shifts; a scratch band of in_c * k_h * band_w bytes. */
typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *bias_folded;
    const int32_t *multiplier, *neg_right; /* neg_right: -1..-31 */
    int32_t band_w; /* pixels a band row: (out_w rounded up to even - 1) * stride_w + (k_w - 1) * dilation_w + 1 */
} edgeq_dwconv_mve_params_t;

/* FULLY_CONNECTED, fast (fully_connected_fast.h): the weights as rows of depth_pad bytes,
 * interleaved in blocks of 4 rows (edgeq_gemm.h), a scratch column of depth_pad int16. */
typedef struct {
    int32_t batches, depth, depth_pad, out_depth;
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier, *right, *round; /* one per output (per-tensor: repeated) */
} edgeq_fc_fast_params_t;

/* FULLY_CONNECTED, Helium (fully_connected_mve.h): the weights re-laid-out by the code
 * generator (edgeq_mve_gemm.h: 4-row blocks, 16-byte chunks), the input offset folded into
 * the bias. */
typedef struct {
    int32_t batches, depth, out_depth;
    int32_t chunks, tail; /* depth: whole 16-byte chunks, the rest */
    int32_t output_offset, act_min, act_max;
    const int32_t *multiplier, *neg_right; /* 4 a block of rows (neg_right: -1..-31) */
} edgeq_fc_mve_params_t;

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

/* SOFTMAX int16 -> int16: TFLM's two 513-entry lookup tables (exp on [-10, 0] and
 * 1 / (1 + x) on [0, 1]), generated on the host with TFLM's float arithmetic. */
typedef struct {
    int32_t outer, depth;
    int32_t input_multiplier, input_left_shift;
    const int16_t *exp_lut;
    const int16_t *one_over_one_plus_x_lut;
} edgeq_softmax_s16_params_t;

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

/* QUANTIZE between int8 and int16 (mixed int8 / int16x8 models): in_bits, out_bits 8 or 16. */
typedef struct {
    int32_t size, input_zero_point, output_zero_point, multiplier, shift, in_bits, out_bits;
} edgeq_requantize_mixed_params_t;

/* Elementwise binary ops with TFLM's broadcasting (MUL, SUB, MAXIMUM, MINIMUM): the output
 * is walked in row-major order over `dims` dimensions (unit dimensions dropped); the input
 * strides are 0 along broadcast dimensions. broadcast = 0: both inputs have `size` elements. */
typedef struct {
    int32_t size, broadcast, dims;
    int32_t out_shape[EDGEQ_MAX_DIMS];
    int32_t in1_strides[EDGEQ_MAX_DIMS];
    int32_t in2_strides[EDGEQ_MAX_DIMS];
} edgeq_broadcast_t;

typedef struct {
    edgeq_broadcast_t bc;
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift, act_min, act_max;
} edgeq_mul_params_t;

typedef struct {
    edgeq_broadcast_t bc;
    int32_t is_max; /* 1: MAXIMUM, 0: MINIMUM */
} edgeq_maxmin_params_t;

/* MEAN (and REDUCE_MAX / REDUCE_MIN, which use the walk only): for each output (walked over
 * the kept dimensions), the sum over the reduced ones. */
typedef struct {
    int32_t outer_dims, outer_shape[EDGEQ_MAX_DIMS], outer_strides[EDGEQ_MAX_DIMS];
    int32_t inner_dims, inner_shape[EDGEQ_MAX_DIMS], inner_strides[EDGEQ_MAX_DIMS];
    int32_t num_outputs, count; /* count: input elements per output */
    int32_t input_zero_point, output_zero_point, multiplier, shift;
} edgeq_mean_params_t;

/* LOGISTIC and TANH (int8): gemmlowp fixed point with 4 integer bits on the input side. */
typedef struct {
    int32_t size, input_zero_point, input_range_radius, input_multiplier, input_left_shift;
} edgeq_sigmoid_params_t;

/* LOGISTIC and TANH (int16): TFLM's interpolation in its 256-entry sigmoid table (Q0.16). */
typedef struct {
    int32_t size, input_multiplier, input_left_shift; /* multiplier 0: power-of-two scale */
    const uint16_t *table;
} edgeq_sigmoid16_params_t;

typedef struct {
    int32_t size, input_zero_point, output_zero_point;
    int32_t output_multiplier_exponent, reluish_multiplier_exponent;
    int32_t output_multiplier_fixedpoint_int16, reluish_multiplier_fixedpoint_int16;
} edgeq_hard_swish_params_t;

/* RELU (requantizing) and RELU6 (a clamp in the input's scale, as TFLM does it). */
typedef struct {
    int32_t size, input_offset, output_offset, multiplier, shift, act_min, act_max;
} edgeq_relu_params_t;

typedef struct {
    int32_t size, lower, upper;
} edgeq_relu6_params_t;

typedef struct {
    int32_t size, input_offset, output_offset;
    int32_t multiplier_identity, shift_identity, multiplier_alpha, shift_alpha;
} edgeq_leaky_relu_params_t;

/* PAD / PADV2: the output is filled with pad_value, then each innermost input row is
 * copied to its place. */
typedef struct {
    int32_t dims; /* <= 5, leading dims 1-padded */
    int32_t in_shape[5], out_strides[5], before[5];
    int32_t out_size, pad_value;
} edgeq_pad_params_t;

/* TRANSPOSE and STRIDED_SLICE: a gather; output element i (row-major over out_shape) is
 * input[base + sum(idx[d] * step[d])]. elem_size in bytes. */
typedef struct {
    int32_t dims, base, elem_size, size;
    int32_t out_shape[EDGEQ_MAX_DIMS];
    int32_t step[EDGEQ_MAX_DIMS];
} edgeq_gather_params_t;

#define EDGEQ_MAX_SPLIT_OUTPUTS 16

/* SPLIT / SPLIT_V: for each outer step, consecutive slices of the input go to each output. */
typedef struct {
    int32_t outer, num_outputs;
    int32_t copy_size[EDGEQ_MAX_SPLIT_OUTPUTS]; /* bytes per outer step, per output */
} edgeq_split_params_t;

/* TRANSPOSE_CONV: the scatter into an int32 scratch of the whole output, then requantization. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    int32_t stride_h, stride_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier, *shift; /* per output channel */
    int32_t bias16; /* int16x8: the bias is int16 (else int64) */
} edgeq_transpose_conv_params_t;

/* ARG_MAX / ARG_MIN: for each (outer, inner) position, the index along the axis of the
 * first largest / smallest value. */
typedef struct {
    int32_t outer, axis_size, inner;
} edgeq_arg_params_t;

/* GATHER (the op): for each batch, outer step and coordinate, one block of `inner_bytes`
 * from position coords[b][i] along the axis. */
typedef struct {
    int32_t batches, outer, axis_size, inner_bytes, coords;
} edgeq_gather_op_params_t;

/* RSQRT, int8: per element, TFLM's fixed-point inverse square root, then requantization. */
typedef struct {
    int32_t size, input_zero_point, output_zero_point, multiplier, shift;
} edgeq_rsqrt_params_t;

/* BATCH_MATMUL: three broadcast batch dimensions (element strides, 0 where broadcast), the
 * matrix walk as element steps (adj_x / adj_y folded in), TFLM's requantization. */
typedef struct {
    int32_t batch[3], lhs_batch_stride[3], rhs_batch_stride[3];
    int32_t rows, cols, depth, lhs_row_step, lhs_depth_step, rhs_depth_step, rhs_col_step;
    int32_t lhs_offset, rhs_offset, output_offset, multiplier, shift, act_min, act_max;
} edgeq_batch_matmul_params_t;

/* UNIDIRECTIONAL_SEQUENCE_LSTM, TFLM's integer LSTM (no peephole, projection, layer norm or
 * CIFG): int8 activations (input, hidden state, output) with int32 bias, or int16 ones with
 * int64 bias; int8 weights; an int16 cell state. Per step and gate: an input and a recurrent
 * fully connected layer, each requantized to Q3.12 int16, added with saturation, then the
 * int16 sigmoid (tanh for the cell gate) to Q0.15. The cell state becomes
 * forget * cell + input * cell_gate (two requantized products, a saturating add, optional
 * clipping); the hidden state output * tanh(cell), requantized to the hidden state's type.
 * Gates are indexed input, forget, cell, output. */
typedef struct {
    int32_t time_major, batches, steps, input_size, units;
    int32_t input_offset, hidden_offset;                /* minus the zero points */
    int32_t in_weights_offset[4], rec_weights_offset[4]; /* minus the weights' zero points */
    int32_t in_multiplier[4], in_shift[4];               /* input FC -> Q3.12 */
    int32_t rec_multiplier[4], rec_shift[4];             /* recurrent FC -> Q3.12 */
    int32_t forget_multiplier, forget_shift;             /* forget * cell -> cell */
    int32_t input_multiplier, input_shift;               /* input * cell gate -> cell */
    int32_t hidden_multiplier, hidden_shift, hidden_zero_point, hidden_min, hidden_max;
    int32_t cell_clip;                                   /* quantized; 0: no clipping */
    int32_t tanh_multiplier, tanh_shift;                 /* the cell state into tanh's input */
    const uint16_t *table;                               /* TFLM's sigmoid table */
} edgeq_lstm_params_t;

/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8, fast (lstm_fast.h): the reference arithmetic with the
 * four gates' input layers as one matrix of 4 * units rows (gate by gate, bias included) and
 * their recurrent layers as another, each row-padded to a multiple of 4 and interleaved in
 * 4-row blocks by the code generator (edgeq_gemm.h), so one step widens the input row and the
 * hidden state once and runs two products. Scratch: the two int16 columns, then 2 x 4 x
 * units int32 sums. Weights with zero point 0 only. */
typedef struct {
    edgeq_lstm_params_t lstm;
    int32_t in_groups, rec_groups; /* padded depths / 4 */
} edgeq_lstm_fast_params_t;

/* RESIZE_BILINEAR, int8: per output row / column the two source indices and the 10-bit
 * weight of the second one. */
typedef struct {
    int32_t batches, in_h, in_w, out_h, out_w, depth;
    const int32_t *y0, *y1, *wy, *x0, *x1, *wx;
} edgeq_resize_bilinear_params_t;

/* PACK / UNPACK: for each outer step, one block of each of `count` slices in the packed tensor. */
typedef struct {
    int32_t outer, count, block; /* block in bytes */
} edgeq_pack_params_t;

/* RESIZE_NEAREST_NEIGHBOR: output pixel (y, x) copies input pixel (rows[y], cols[x]). */
typedef struct {
    int32_t batches, in_h, in_w, out_h, out_w, pixel_bytes;
    const int32_t *rows, *cols;
} edgeq_resize_nearest_params_t;

/* Advance a row-major multi-index `idx` over shape[0..dims) by one element; returns how much
 * an offset with the given per-dimension strides changes. */
static inline int32_t edgeq_next_index(int32_t dims, const int32_t *shape, const int32_t *strides,
                                       int32_t *idx)
{
    int32_t d, delta = 0;
    for (d = dims - 1; d >= 0; --d) {
        ++idx[d];
        delta += strides[d];
        if (idx[d] < shape[d]) {
            return delta;
        }
        delta -= strides[d] * shape[d];
        idx[d] = 0;
    }
    return delta;
}

/* edgeq_next_index for two offsets at once (the two inputs of a broadcasting binary op). */
static inline void edgeq_next_index2(int32_t dims, const int32_t *shape, const int32_t *strides1,
                                     const int32_t *strides2, int32_t *idx, int32_t *off1,
                                     int32_t *off2)
{
    int32_t d;
    for (d = dims - 1; d >= 0; --d) {
        ++idx[d];
        *off1 += strides1[d];
        *off2 += strides2[d];
        if (idx[d] < shape[d]) {
            return;
        }
        *off1 -= strides1[d] * shape[d];
        *off2 -= strides2[d] * shape[d];
        idx[d] = 0;
    }
}

void edgeq_mul_s8(const edgeq_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                  int8_t *output);
void edgeq_sub_s8(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                  int8_t *output);
void edgeq_maximum_minimum_s8(const edgeq_maxmin_params_t *p, const int8_t *input1,
                              const int8_t *input2, int8_t *output);
void edgeq_mean_s8(const edgeq_mean_params_t *p, const int8_t *input, int8_t *output);
void edgeq_reduce_max_s8(const edgeq_mean_params_t *p, const int8_t *input, int8_t *output);
void edgeq_reduce_min_s8(const edgeq_mean_params_t *p, const int8_t *input, int8_t *output);
void edgeq_logistic_s8(const edgeq_sigmoid_params_t *p, const int8_t *input, int8_t *output);
void edgeq_tanh_s8(const edgeq_sigmoid_params_t *p, const int8_t *input, int8_t *output);
void edgeq_hard_swish_s8(const edgeq_hard_swish_params_t *p, const int8_t *input, int8_t *output);
void edgeq_relu_s8(const edgeq_relu_params_t *p, const int8_t *input, int8_t *output);
void edgeq_relu6_s8(const edgeq_relu6_params_t *p, const int8_t *input, int8_t *output);
void edgeq_leaky_relu_s8(const edgeq_leaky_relu_params_t *p, const int8_t *input, int8_t *output);
void edgeq_pad_s8(const edgeq_pad_params_t *p, const int8_t *input, int8_t *output);
void edgeq_gather(const edgeq_gather_params_t *p, const void *input, void *output);
void edgeq_split(const edgeq_split_params_t *p, const void *input, void *const outputs[]);
void edgeq_transpose_conv_s8(const edgeq_transpose_conv_params_t *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, int8_t *output,
                             void *scratch);
void edgeq_arg_max_s8(const edgeq_arg_params_t *p, const int8_t *input, int32_t *output);
void edgeq_arg_min_s8(const edgeq_arg_params_t *p, const int8_t *input, int32_t *output);
void edgeq_gather_op(const edgeq_gather_op_params_t *p, const void *input, const int32_t *coords,
                     void *output);
void edgeq_squared_difference_s8(const edgeq_add_params_t *p, const int8_t *input1, const int8_t *input2,
                                 int8_t *output);
void edgeq_squared_difference_s16(const edgeq_add_params_t *p, const int16_t *input1,
                                  const int16_t *input2, int16_t *output);
int edgeq_rsqrt_s8(const edgeq_rsqrt_params_t *p, const int8_t *input, int8_t *output);
void edgeq_batch_matmul_s8(const edgeq_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                           int8_t *output);
void edgeq_batch_matmul_s16(const edgeq_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs,
                            int16_t *output);
void edgeq_resize_bilinear_s8(const edgeq_resize_bilinear_params_t *p, const int8_t *input, int8_t *output);
void edgeq_transpose_conv_s16(const edgeq_transpose_conv_params_t *p, const int16_t *input,
                              const int8_t *filter, const void *bias, int16_t *output, void *scratch);
void edgeq_pack(const edgeq_pack_params_t *p, const void *const inputs[], void *output);
void edgeq_unpack(const edgeq_pack_params_t *p, const void *input, void *const outputs[]);
void edgeq_resize_nearest(const edgeq_resize_nearest_params_t *p, const void *input, void *output);
void edgeq_softmax_s8_s16(const edgeq_softmax_params_t *p, const int8_t *input, int16_t *output);
void edgeq_softmax_s16(const edgeq_softmax_s16_params_t *p, const int16_t *input, int16_t *output);
void edgeq_requantize_mixed(const edgeq_requantize_mixed_params_t *p, const void *input, void *output);
void edgeq_quantize_f32_s16(const edgeq_affine_params_t *p, const float *input, int16_t *output);
void edgeq_dequantize_s16_f32(const edgeq_affine_params_t *p, const int16_t *input, float *output);
void edgeq_logistic_s16(const edgeq_sigmoid16_params_t *p, const int16_t *input, int16_t *output);
/* weights: input-to-gate for the 4 gates, then recurrent-to-gate; one bias a gate (b_i, b_f,
 * b_c, b_o); scratch: 4 * rows * units int16 (rows: batches when time major, else 1) */
void edgeq_lstm_s8(const edgeq_lstm_params_t *p, const int8_t *const weights[8], const int32_t *b_i,
                   const int32_t *b_f, const int32_t *b_c, const int32_t *b_o, const int8_t *input,
                   int8_t *hidden, int16_t *cell, int8_t *output, void *scratch);
void edgeq_lstm_s16(const edgeq_lstm_params_t *p, const int8_t *const weights[8], const int64_t *b_i,
                    const int64_t *b_f, const int64_t *b_c, const int64_t *b_o, const int16_t *input,
                    int16_t *hidden, int16_t *cell, int16_t *output, void *scratch);
void edgeq_tanh_s16(const edgeq_sigmoid16_params_t *p, const int16_t *input, int16_t *output);
void edgeq_mul_s16(const edgeq_mul_params_t *p, const int16_t *input1, const int16_t *input2,
                   int16_t *output);
void edgeq_sub_s16(const edgeq_add_params_t *p, const int16_t *input1, const int16_t *input2,
                   int16_t *output);
void edgeq_maximum_minimum_s16(const edgeq_maxmin_params_t *p, const int16_t *input1,
                               const int16_t *input2, int16_t *output);
void edgeq_mean_s16(const edgeq_mean_params_t *p, const int16_t *input, int16_t *output);
void edgeq_relu_s16(const edgeq_relu_params_t *p, const int16_t *input, int16_t *output);
void edgeq_relu6_s16(const edgeq_relu6_params_t *p, const int16_t *input, int16_t *output);
void edgeq_leaky_relu_s16(const edgeq_leaky_relu_params_t *p, const int16_t *input, int16_t *output);
void edgeq_pad_s16(const edgeq_pad_params_t *p, const int16_t *input, int16_t *output);
void edgeq_conv_2d_s16_acc32(const edgeq_conv_params_t *p, const int16_t *input, const int8_t *filter,
                             const int32_t *bias, int16_t *output);
void edgeq_fully_connected_s16_acc32(const edgeq_fc_params_t *p, const int16_t *input,
                                     const int8_t *filter, const int32_t *bias, int16_t *output);
void edgeq_conv_2d_s16(const edgeq_conv_params_t *p, const int16_t *input, const int8_t *filter,
                       const int64_t *bias, int16_t *output);
void edgeq_depthwise_conv_2d_s16(const edgeq_dwconv_params_t *p, const int16_t *input,
                                 const int8_t *filter, const int64_t *bias, int16_t *output);
void edgeq_fully_connected_s16(const edgeq_fc_params_t *p, const int16_t *input,
                               const int8_t *filter, const int64_t *bias, int16_t *output);
void edgeq_add_s16(const edgeq_add_params_t *p, const int16_t *input1, const int16_t *input2,
                   int16_t *output);
void edgeq_max_pool_2d_s16(const edgeq_pool_params_t *p, const int16_t *input, int16_t *output);
void edgeq_average_pool_2d_s16(const edgeq_pool_params_t *p, const int16_t *input, int16_t *output);
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

/* SVDF, int8 input / feature weights / output, int16 (_s16) or int8 (_s8) time weights and
 * state: the state (batch x num_filters x memory_size, a variable tensor) is updated in
 * place; bias may be NULL. multiplier1/shift1: input x feature weights -> state;
 * multiplier2/shift2: state x time weights -> output. */
typedef struct {
    int32_t batch, input_size, num_filters, num_units, rank, memory_size;
    int32_t input_offset, state_zero_point, output_offset;
    int32_t multiplier1, shift1, multiplier2, shift2;
} edgeq_svdf_params_t;

void edgeq_svdf_s8_s16(const edgeq_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                       const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output);
void edgeq_svdf_s8_s8(const edgeq_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                      const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGEQ_MICRO_H */
