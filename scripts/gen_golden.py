#!/usr/bin/env python
"""Generate the small int8 models the native runtime's golden tests run.

Two sets, both committed (conversion is slow; regenerate when this file changes):

* ``--mlperf`` -> ``tests/models/``: MLPerf-Tiny-style third-party models with random
  weights (DS-CNN keyword spotting, MobileNetV1 0.25 visual wake words, ResNet-8 CIFAR-10,
  a fully-connected autoencoder).
* ``--golden`` -> ``tests/golden/models/``: one small model per op variant (or a few
  variants combined), covering every op and parameter the native runtime supports.

Every model is built with Keras 3 (fixed seeds), exported as a SavedModel with a batch of
1 and converted by TFLite with random representative data, int8 in and out (float I/O for
the few models that test QUANTIZE float->int8 / DEQUANTIZE; int16 activations, int8 weights
and int16 I/O for the ``i16_*`` models, as ``edgeq quantize --mode int16x8`` converts).

    .venv/bin/python scripts/gen_golden.py --mlperf --golden [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MLPERF_DIR = ROOT / "tests" / "models"
GOLDEN_DIR = ROOT / "tests" / "golden" / "models"
CALIB_SAMPLES = 24


def _tf():
    import tensorflow as tf

    return tf


def convert(model, *, float_io: bool = False, per_tensor: bool = False, seed: int = 0,
            input_range: float = 1.0, dynamic_batch: bool = False, fit: bool = False,
            int16: bool = False) -> bytes:
    """Keras model -> full-integer .tflite bytes (int8 I/O unless ``float_io``; with
    ``int16``, int16 activations and int8 weights with int16 I/O, as ``edgeq quantize
    --mode int16x8`` converts)."""
    tf = _tf()
    shapes = [tuple(int(d) for d in inp.shape[1:]) for inp in model.inputs]
    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(CALIB_SAMPLES):
            # asymmetric range: the input zero point is not 0, so input offsets are exercised
            yield [rng.uniform(-0.5 * input_range, 1.5 * input_range, (1, *s)).astype(np.float32)
                   for s in shapes]

    if fit:
        _fit(model, seed)
    with tempfile.TemporaryDirectory() as tmp:
        # a dynamic batch keeps SQUEEZE/EXPAND_DIMS (with batch 1 they become RESHAPE)
        sig = [tf.TensorSpec((None if dynamic_batch else 1, *s), tf.float32) for s in shapes]
        model.export(tmp, format="tf_saved_model", input_signature=sig, verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = rep
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io_type = tf.int8
        if int16:
            conv.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            io_type = tf.int16
        if not float_io:
            conv.inference_input_type = io_type
            conv.inference_output_type = io_type
        if per_tensor:
            conv._experimental_disable_per_channel = True
        return conv.convert()


def _fit(model, seed: int, samples: int = 384, epochs: int = 3) -> None:
    """Briefly fit random-weight models so their outputs depend on the input: global
    pooling of random features is nearly constant, which would make a golden test that
    compares outputs weak. Classifiers learn a random linear labelling of their inputs;
    models whose output has the input's size learn to reconstruct it."""
    import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            # moving statistics must catch up with the fitted weights within a few steps
            layer.momentum = 0.5
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    x = rng.uniform(-0.5, 1.5, (samples, *shape)).astype(np.float32)
    out_units = int(model.outputs[0].shape[-1])
    if out_units == int(np.prod(shape)):
        model.compile(optimizer="adam", loss="mse")
        y = x.reshape(samples, -1)
    else:
        proj = rng.standard_normal((int(np.prod(shape)), out_units)).astype(np.float32)
        y = np.argmax(x.reshape(samples, -1) @ proj, axis=1)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, shuffle=False)


def _randomize_bn(model, seed: int) -> None:
    """Give BatchNorm layers non-trivial statistics and biases non-zero values (Keras
    initializes them to zero), so folded weights and bias additions are exercised."""
    import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        bias = getattr(layer, "bias", None)
        if bias is not None and not isinstance(layer, keras.layers.BatchNormalization):
            bias.assign(rng.uniform(-0.3, 0.3, tuple(bias.shape)).astype(np.float32))
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, g.shape).astype(np.float32),
                rng.uniform(-0.2, 0.2, b.shape).astype(np.float32),
                rng.uniform(-0.1, 0.1, m.shape).astype(np.float32),
                rng.uniform(0.5, 2.0, v.shape).astype(np.float32),
            ])


# ---- MLPerf Tiny style models --------------------------------------------------------------

def ds_cnn_kws():
    import keras
    from keras import layers as L

    x = inp = keras.Input((49, 10, 1))
    x = L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    for _ in range(4):
        x = L.DepthwiseConv2D((3, 3), padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.Conv2D(64, (1, 1), use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
    x = L.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])))(x)
    x = L.Flatten()(x)
    x = L.Dense(12, activation="softmax")(x)
    return keras.Model(inp, x)


def mobilenet_v1_vww():
    import keras
    from keras import layers as L

    def relu6(t):
        return L.ReLU(max_value=6.0)(t)

    x = inp = keras.Input((96, 96, 3))
    x = relu6(L.BatchNormalization()(L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)))
    for filters, stride in [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1),
                            (128, 1), (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]:
        x = relu6(L.BatchNormalization()(L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)))
        x = relu6(L.BatchNormalization()(L.Conv2D(filters, 1, use_bias=False)(x)))
    x = L.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])))(x)
    x = L.Flatten()(x)
    x = L.Dense(2, activation="softmax")(x)
    return keras.Model(inp, x)


def resnet8_cifar10():
    import keras
    from keras import layers as L

    def block(x, filters, stride):
        y = L.Conv2D(filters, 3, strides=stride, padding="same")(x)
        y = L.ReLU()(L.BatchNormalization()(y))
        y = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(y))
        if stride != 1 or int(x.shape[-1]) != filters:
            x = L.Conv2D(filters, 1, strides=stride)(x)
        return L.ReLU()(L.Add()([x, y]))

    x = inp = keras.Input((32, 32, 3))
    x = L.ReLU()(L.BatchNormalization()(L.Conv2D(16, 3, padding="same")(x)))
    x = block(x, 16, 1)
    x = block(x, 32, 2)
    x = block(x, 64, 2)
    x = L.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])))(x)
    x = L.Flatten()(x)
    x = L.Dense(10, activation="softmax")(x)
    return keras.Model(inp, x)


def fc_autoencoder():
    import keras
    from keras import layers as L

    x = inp = keras.Input((640,))
    for units in [128, 128, 128, 128, 8, 128, 128, 128, 128]:
        x = L.ReLU()(L.BatchNormalization()(L.Dense(units)(x)))
    x = L.Dense(640)(x)
    return keras.Model(inp, x)


MLPERF = {
    "ds_cnn_kws": ds_cnn_kws,
    "mobilenet_v1_vww": mobilenet_v1_vww,
    "resnet8_cifar10": resnet8_cifar10,
    "fc_autoencoder": fc_autoencoder,
}


# ---- golden op-variant models -------------------------------------------------------------
# Each entry: name -> (builder, convert kwargs). Builders take no arguments; seeds are set
# by the caller before each build so every model is reproducible on its own.

def _seq(input_shape, *layers):
    import keras

    x = inp = keras.Input(input_shape)
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x)


def _golden():
    import keras
    from keras import layers as L

    g: dict[str, tuple] = {}

    def add(name, builder, **kw):
        g[name] = (builder, kw)

    # CONV_2D: paddings, strides, dilations, activations, odd shapes, per-tensor weights.
    add("conv_same_s1_relu", lambda: _seq((9, 9, 3), L.Conv2D(8, 3, padding="same", activation="relu")))
    add("conv_valid_s2_none", lambda: _seq((11, 10, 4), L.Conv2D(5, 3, strides=2, padding="valid")))
    add("conv_same_s2_odd_relu6", lambda: _seq((7, 13, 3), L.Conv2D(6, (3, 5), strides=(2, 3), padding="same"),
                                               L.ReLU(max_value=6.0)))
    add("conv_dilation2_same", lambda: _seq((12, 11, 2), L.Conv2D(4, 3, dilation_rate=2, padding="same")))
    add("conv_dilation_valid_3x2", lambda: _seq((13, 12, 3), L.Conv2D(5, (2, 3), dilation_rate=(3, 2),
                                                                       padding="valid", activation="relu")))
    # use_bias=False: the converter still adds a zero bias (bias-less kernels: FC and the fuzz test)
    add("conv_1x1_nobias", lambda: _seq((6, 6, 16), L.Conv2D(10, 1, use_bias=False)))
    add("conv_per_tensor", lambda: _seq((8, 8, 3), L.Conv2D(6, 3, padding="same", activation="relu")), per_tensor=True)
    add("conv_clip_n1_1", lambda: _seq((8, 7, 2), L.Conv2D(4, 3, padding="same"),
                                       L.Lambda(lambda t: keras.ops.clip(t, -1.0, 1.0))))
    add("conv_large_kernel_stride4", lambda: _seq((17, 19, 1), L.Conv2D(3, 5, strides=4, padding="same")))
    # DEPTHWISE_CONV_2D: depth multipliers, strides, dilations, paddings, activations.
    add("dw_same_s1_relu", lambda: _seq((9, 9, 5), L.DepthwiseConv2D(3, padding="same", activation="relu")))
    add("dw_valid_s2", lambda: _seq((10, 11, 4), L.DepthwiseConv2D(3, strides=2, padding="valid")))
    add("dw_mult2_same", lambda: _seq((8, 8, 3), L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")))
    add("dw_mult8_s2_relu6", lambda: _seq((9, 7, 1), L.DepthwiseConv2D((3, 2), strides=2, depth_multiplier=8,
                                                                       padding="same"), L.ReLU(max_value=6.0)))
    add("dw_dilation2", lambda: _seq((12, 12, 4), L.DepthwiseConv2D(3, dilation_rate=2, padding="same")))
    add("dw_per_tensor", lambda: _seq((8, 8, 4), L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)), per_tensor=True)
    # FULLY_CONNECTED
    add("fc_relu", lambda: _seq((20,), L.Dense(16, activation="relu")))
    add("fc_nobias_odd", lambda: _seq((37,), L.Dense(13, use_bias=False)))
    add("fc_relu6_per_tensor", lambda: _seq((24,), L.Dense(9), L.ReLU(max_value=6.0)), per_tensor=True)
    add("fc_3d_input", lambda: _seq((5, 12), L.Dense(7)))
    # Pooling
    add("avgpool_valid_s2", lambda: _seq((10, 9, 3), L.AveragePooling2D(2, strides=2, padding="valid")))
    add("avgpool_same_3x3_s2", lambda: _seq((11, 10, 4), L.AveragePooling2D(3, strides=2, padding="same")))
    add("avgpool_same_odd_s1", lambda: _seq((7, 5, 2), L.AveragePooling2D((3, 2), strides=1, padding="same")))
    add("maxpool_valid_s2", lambda: _seq((10, 10, 3), L.MaxPooling2D(2)))
    add("maxpool_same_3x3_s2", lambda: _seq((11, 9, 5), L.MaxPooling2D(3, strides=2, padding="same")))
    add("maxpool_conv_relu", lambda: _seq((12, 12, 2), L.MaxPooling2D((2, 3), strides=(1, 2), padding="same"),
                                          L.Conv2D(3, 3, activation="relu")))
    # ADD: same shapes, broadcasting, fused activation
    add("add_relu", _add_relu)
    add("add_broadcast_channel", _add_broadcast_channel)
    add("add_broadcast_spatial", _add_broadcast_spatial)
    # SOFTMAX
    add("softmax_fc", lambda: _seq((16,), L.Dense(10), L.Softmax()))
    add("softmax_spatial", lambda: _seq((4, 5, 6), L.Dense(6), L.Softmax()))
    # the converter folds the 0.5 into the FC (beta stays 1); betas != 1: see the fuzz test
    add("softmax_beta", lambda: _seq((12,), L.Dense(5), L.Lambda(lambda t: keras.ops.softmax(t * 0.5))))
    # RESHAPE / SQUEEZE / EXPAND_DIMS aliases
    add("reshape_flatten_fc", lambda: _seq((4, 4, 3), L.Conv2D(4, 3, padding="same"), L.Flatten(), L.Dense(5)))
    add("reshape_squeeze_expand", _squeeze_expand)
    add("squeeze_expand_dims", _squeeze_expand_dynamic, dynamic_batch=True, squeeze=True)
    # QUANTIZE int8->int8 (concatenation of differently scaled tensors) and float I/O
    add("requantize", _requantize)
    add("float_io_conv", lambda: _seq((6, 6, 2), L.Conv2D(3, 3, padding="same"), L.Flatten(), L.Dense(4)),
        float_io=True)
    # MEAN (Keras' global average pooling converts to it), any axes, keep_dims or not
    add("mean_global_avg", lambda: _seq((7, 6, 5), L.Conv2D(8, 3, padding="same"), L.GlobalAveragePooling2D()))
    add("mean_last_axis_keepdims", lambda: _seq((4, 5, 6), L.Dense(6),
                                                L.Lambda(lambda t: keras.ops.mean(t, axis=-1, keepdims=True))))
    add("mean_axis1", lambda: _seq((9, 4, 3), L.Conv2D(5, 1), L.Lambda(lambda t: keras.ops.mean(t, axis=1))))
    # MUL / SUB: same shapes, broadcasting (channel, spatial, constant), fused activation
    add("mul_broadcast", _mul_broadcast)
    add("mul_relu", _mul_relu)
    add("sub_broadcast", _sub_broadcast)
    # activations as ops of their own
    add("logistic", lambda: _seq((24,), L.Dense(16), L.Activation("sigmoid")))
    add("tanh", lambda: _seq((5, 6), L.Dense(7), L.Activation("tanh")))
    add("hard_swish", lambda: _seq((6, 6, 3), L.Conv2D(8, 3, padding="same"),
                                   L.Lambda(lambda t: keras.activations.hard_swish(t))))
    add("relu_relu6_leaky", _relu_relu6_leaky)
    # PAD / PADV2
    add("pad_conv", lambda: _seq((6, 5, 3), L.ZeroPadding2D(((1, 2), (0, 3))), L.Conv2D(4, 3)))
    add("padv2", lambda: _seq((5, 4, 2), L.Conv2D(3, 1),
                              L.Lambda(lambda t: keras.ops.pad(t, ((0, 0), (2, 1), (1, 1), (0, 2)),
                                                               constant_values=0.25))))
    # MAXIMUM / MINIMUM
    add("maximum_minimum", _maximum_minimum)
    # TRANSPOSE / STRIDED_SLICE / SPLIT / SPLIT_V
    add("transpose", lambda: _seq((4, 5, 6), L.Dense(6), L.Permute((3, 1, 2)),
                                  L.Lambda(lambda t: keras.ops.transpose(t, (0, 2, 1, 3))), L.Dense(3)))
    add("strided_slice", lambda: _seq((9, 8, 5), L.Conv2D(4, 1),
                                      L.Lambda(lambda t: t[:, 1:8:2, ::-1, 1:])))
    add("strided_slice_shrink", lambda: _seq((6, 7), L.Dense(7), L.Lambda(lambda t: t[:, 2, 1:-1])))
    add("split", _split)
    add("split_v", _split_v)
    # A MobileNetV2-style model as PyTorch exports it: NCHW input, TRANSPOSE, explicit PAD,
    # inverted residual blocks, MEAN
    add("pt_mobilenetv2_style", _pt_mobilenetv2_style, fit=True)
    # A MobileNetV3-style block: HARD_SWISH, squeeze-and-excite (MEAN, hard sigmoid, MUL)
    add("mnv3_block", _mnv3_block, fit=True)
    # int16x8: int16 activations, int8 weights (edgeq quantize --mode int16x8)
    add("i16_conv_relu", lambda: _seq((8, 7, 3), L.Conv2D(6, 3, padding="same", activation="relu")), int16=True)
    add("i16_conv_valid_s2", lambda: _seq((9, 9, 2), L.Conv2D(4, 3, strides=2), L.ReLU(max_value=6.0)), int16=True)
    add("i16_dw", lambda: _seq((8, 8, 4), L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)), int16=True)
    add("i16_fc", lambda: _seq((20,), L.Dense(12, activation="relu"), L.Dense(5)), int16=True)
    add("i16_add", _add_relu, int16=True)
    add("i16_softmax", lambda: _seq((16,), L.Dense(10), L.Softmax()), int16=True)
    add("i16_logistic_tanh", _logistic_tanh, int16=True)
    add("i16_cnn", _i16_cnn, int16=True, fit=True)
    # CONCATENATION by placement: producers write straight into their slice of the output
    add("concat_dense_branches", _concat_dense_branches)
    add("concat_second_consumer", _concat_second_consumer)
    add("concat_nested_mul", _concat_nested_mul)
    add("concat_graph_output", _concat_graph_output)
    add("concat_flatten_conv", _concat_flatten_conv)
    add("concat_fire_module", _concat_fire_module, fit=True)
    add("i16_concat_dense_branches", _concat_dense_branches, int16=True)
    add("i16_concat_fire_module", _concat_fire_module, int16=True, fit=True)
    # ops of the layers users train (issue 17): RESIZE_NEAREST_NEIGHBOR (UpSampling2D as
    # edgeq quantize rewrites it; a fractional factor too), REDUCE_MAX (GlobalMaxPooling2D) and
    # REDUCE_MIN, UNPACK and PACK (an unrolled SimpleRNN returning sequences), TRANSPOSE_CONV
    add("resize_nearest", lambda: _seq((5, 6, 3), L.Conv2D(4, 1),
                                       L.Lambda(lambda t: keras.ops.image.resize(t, (10, 12), interpolation="nearest")),
                                       L.Lambda(lambda t: keras.ops.image.resize(t, (7, 9), interpolation="nearest"))))
    add("reduce_max_min", _reduce_max_min)
    add("rnn_unpack_pack", lambda: _seq((6, 4), L.SimpleRNN(5, return_sequences=True, unroll=True), L.Dense(3)))
    add("transpose_conv", lambda: _seq((5, 4, 3), L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu"),
                                       L.Conv2DTranspose(2, (2, 3), strides=(1, 2), padding="valid")))
    add("depth_space", _depth_space)
    add("arg_max_min", _arg_max_min)
    add("gather", _gather)
    add("norm_ops", _norm_ops)
    add("attention", _attention)
    add("resize_bilinear", lambda: _seq((5, 6, 3), L.Conv2D(4, 1),
                                        L.Lambda(lambda t: keras.ops.image.resize(t, (9, 13), interpolation="bilinear")),
                                        L.Conv2D(2, 3)))
    add("sum", lambda: _seq((5, 4, 3), L.Conv2D(6, 3, padding="same", activation="relu"),
                            L.Lambda(lambda t: keras.ops.sum(t, axis=(1, 2))), L.Dense(3)))
    return g


def _attention():
    """Single-head attention written out: BATCH_MATMUL of two activations (q k^T, adj_y) and of
    the softmax with v."""
    import keras
    import tensorflow as tf
    from keras import layers as L

    inp = keras.Input((6, 8))
    q, k, v = L.Dense(8)(inp), L.Dense(8)(inp), L.Dense(8)(inp)
    scores = L.Lambda(lambda t: tf.nn.softmax(tf.matmul(t[0], t[1], transpose_b=True) / 8 ** 0.5))([q, k])
    return keras.Model(inp, L.Dense(4)(L.Lambda(lambda t: tf.matmul(t[0], t[1]))([scores, v])))


def _norm_ops():
    """A layer normalization written out in ops: MEAN, SQUARED_DIFFERENCE, ADD (epsilon), RSQRT,
    SUB, MUL (what a LayerNormalization becomes once its float NEG is rewritten away)."""
    import keras
    import tensorflow as tf
    from keras import layers as L

    def norm(t):
        mean = tf.reduce_mean(t, axis=-1, keepdims=True)
        var = tf.reduce_mean(tf.math.squared_difference(t, mean), axis=-1, keepdims=True)
        return (t - mean) * tf.math.rsqrt(var + 1e-3)

    inp = keras.Input((6, 8))
    x = L.Dense(8)(inp)
    return keras.Model(inp, L.Dense(4)(L.Lambda(norm)(x)))


def _gather():
    """GATHER with constant coordinates: channels picked (and repeated) after a conv, rows of a map."""
    import keras
    import tensorflow as tf
    from keras import layers as L

    inp = keras.Input((5, 4, 3))
    x = L.Conv2D(6, 3, padding="same")(inp)
    x = L.Lambda(lambda t: tf.gather(t, [4, 0, 2, 2], axis=-1))(x)
    x = L.Lambda(lambda t: tf.gather(t, [3, 1], axis=1))(x)
    return keras.Model(inp, L.Conv2D(2, 1)(x))


def _depth_space():
    """DEPTH_TO_SPACE (a sub-pixel upsampling head) and SPACE_TO_DEPTH (a space-to-depth stem)."""
    import keras
    import tensorflow as tf
    from keras import layers as L

    inp = keras.Input((4, 6, 2))
    x = L.Conv2D(8, 3, padding="same")(inp)
    x = L.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(x)  # 8x12x2
    x = L.Lambda(lambda t: tf.nn.space_to_depth(t, 4))(x)  # 2x3x32
    return keras.Model(inp, L.Conv2D(3, 1)(x))


def _arg_max_min():
    """ARG_MAX over the classes of a Dense head and ARG_MIN over one axis of a conv map (int32 outputs)."""
    import keras
    import tensorflow as tf
    from keras import layers as L

    inp = keras.Input((5, 4, 3))
    x = L.Conv2D(6, 3, padding="same")(inp)
    logits = L.Dense(7)(L.Flatten()(x))
    return keras.Model(inp, [L.Lambda(lambda t: tf.argmax(t, axis=-1, output_type=tf.int32))(logits),
                             L.Lambda(lambda t: tf.argmin(t, axis=1, output_type=tf.int32))(x)])


def _reduce_max_min():
    import keras
    from keras import layers as L

    inp = keras.Input((6, 5, 3))
    x = L.Conv2D(6, 3, padding="same")(inp)
    return keras.Model(inp, [L.GlobalMaxPooling2D()(x), L.Lambda(lambda t: keras.ops.min(t, axis=1))(x)])


def _concat_dense_branches():
    """Two FULLY_CONNECTED branches concatenated on axis 1 of [1, N] (one contiguous slice each)."""
    import keras
    from keras import layers as L

    inp = keras.Input((16,))
    a = L.Dense(12, activation="relu")(inp)
    b = L.Dense(20)(inp)
    return keras.Model(inp, L.Dense(8)(L.Concatenate()([a, b])))


def _concat_second_consumer():
    """A concatenation input read again after the concatenation, and a concatenation of a
    concatenation (nested slices)."""
    import keras
    from keras import layers as L

    inp = keras.Input((16,))
    a = L.Dense(12, activation="relu")(inp)
    b = L.Dense(20, activation="relu")(inp)
    c = L.Dense(7)(inp)
    y = L.Concatenate()([L.Concatenate()([a, b]), c])
    return keras.Model(inp, L.Add()([L.Dense(6)(y), L.Dense(6)(a)]))


def _concat_nested_mul():
    """An elementwise op (MUL, in place when it may) reads a placed input and writes another
    slice of the outer concatenation, whose other input is the inner concatenation."""
    import keras
    from keras import layers as L

    inp = keras.Input((16,))
    a = L.Dense(12, activation="relu")(inp)
    b = L.Dense(20, activation="relu")(inp)
    y = L.Concatenate()([a, b])
    z = L.Dense(12)(y)
    return keras.Model(inp, L.Dense(5)(L.Concatenate()([L.Multiply()([z, a]), y])))


def _concat_graph_output():
    """The concatenation is the graph output: its inputs are written into the caller's buffer."""
    import keras
    from keras import layers as L

    inp = keras.Input((10,))
    h = L.Dense(12, activation="relu")(inp)
    return keras.Model(inp, L.Concatenate()([L.Dense(6)(h), L.Dense(5)(h)]))


def _concat_flatten_conv():
    """Flattened (RESHAPE: a view) convolution outputs concatenated: the views' roots are placed."""
    import keras
    from keras import layers as L

    inp = keras.Input((6, 6, 2))
    a = L.Flatten()(L.Conv2D(4, 3, padding="same")(inp))
    b = L.Flatten()(L.Conv2D(3, 3, strides=2)(inp))
    return keras.Model(inp, L.Dense(5)(L.Concatenate()([a, b])))


def _concat_fire_module():
    """SqueezeNet "fire" modules: a 1x1 squeeze, then 1x1 and 3x3 expands concatenated on
    channels (each expand writes its channels of every output pixel)."""
    import keras
    from keras import layers as L

    def fire(x, squeeze, expand):
        s = L.Conv2D(squeeze, 1, activation="relu")(x)
        return L.Concatenate()([L.Conv2D(expand, 1, activation="relu")(s),
                                L.Conv2D(expand + 1, 3, padding="same", activation="relu")(s)])

    inp = keras.Input((10, 10, 3))
    x = L.Conv2D(8, 3, activation="relu")(inp)
    x = fire(x, 4, 6)
    x = L.MaxPooling2D(2)(x)
    x = fire(x, 4, 5)
    x = L.Conv2D(6, 1)(x)
    return keras.Model(inp, L.Dense(4)(L.GlobalAveragePooling2D()(x)))


def _mul_broadcast():
    import keras
    from keras import layers as L

    inp = keras.Input((5, 6, 4))
    a = L.Conv2D(4, 3, padding="same")(inp)
    b = L.GlobalAveragePooling2D(keepdims=True)(L.Conv2D(4, 1)(inp))  # [1,1,1,4]
    c = L.Conv2D(1, 1)(inp)  # [1,5,6,1]
    x = L.Multiply()([a, b])
    x = L.Multiply()([x, c])
    const = keras.ops.convert_to_tensor(np.linspace(0.5, 1.5, 6 * 4).reshape(1, 1, 6, 4).astype(np.float32))
    return keras.Model(inp, L.Lambda(lambda t: t * const)(x))


def _mul_relu():
    import keras
    from keras import layers as L

    inp = keras.Input((6, 5, 3))
    a = L.Conv2D(3, 3, padding="same")(inp)
    b = L.Conv2D(3, 1)(inp)
    return keras.Model(inp, L.ReLU()(L.Multiply()([a, b])))


def _sub_broadcast():
    import keras
    from keras import layers as L

    inp = keras.Input((6, 5, 3))
    a = L.Conv2D(3, 1)(inp)
    b = L.Conv2D(3, 3, padding="same")(inp)
    c = L.Conv2D(1, 1)(inp)  # broadcast over channels
    x = L.Subtract()([a, b])
    x = L.Subtract()([c, x])
    const = keras.ops.convert_to_tensor(np.linspace(-1, 1, 3).reshape(1, 1, 1, 3).astype(np.float32))
    return keras.Model(inp, L.Lambda(lambda t: t - const)(x))


def _relu_relu6_leaky():
    """Standalone RELU / RELU6 (after ops that cannot fuse them) and LEAKY_RELU."""
    import keras
    from keras import layers as L

    inp = keras.Input((6, 6, 3))
    a = L.Conv2D(4, 3, padding="same")(inp)
    r = L.ReLU()(L.Lambda(lambda t: keras.ops.mean(t, axis=-1, keepdims=True))(a))
    r6 = L.ReLU(max_value=6.0)(L.Lambda(lambda t: keras.ops.transpose(t, (0, 2, 1, 3)))(a))
    lk = L.LeakyReLU(negative_slope=0.2)(L.Conv2D(4, 1)(inp))
    return keras.Model(inp, L.Concatenate()([r, r6, lk]))


def _maximum_minimum():
    import keras
    from keras import layers as L

    inp = keras.Input((5, 6, 4))
    a = L.Conv2D(4, 3, padding="same")(inp)
    b = L.Conv2D(4, 1)(inp)
    x = L.Maximum()([a, b])
    y = L.Minimum()([a, b])
    const = keras.ops.convert_to_tensor(np.linspace(-0.5, 0.5, 4).reshape(1, 1, 1, 4).astype(np.float32))
    x = L.Lambda(lambda t: keras.ops.minimum(t, const))(x)
    y = L.Lambda(lambda t: keras.ops.maximum(t, const * 0.5 - 0.2))(y)
    return keras.Model(inp, L.Concatenate()([x, y]))


def _split():
    import keras
    from keras import layers as L

    inp = keras.Input((5, 6, 3))
    x = L.Conv2D(6, 3, padding="same")(inp)
    a, b, c = L.Lambda(lambda t: keras.ops.split(t, 3, axis=-1))(x)
    return keras.Model(inp, [L.Conv2D(2, 1)(a), b, c])


def _split_v():
    import keras
    from keras import layers as L

    inp = keras.Input((6, 7))
    x = L.Dense(7)(inp)
    a, b, c = L.Lambda(lambda t: keras.ops.split(t, [2, 5], axis=1))(x)
    return keras.Model(inp, [L.Dense(3)(a), b, c])


def _pt_mobilenetv2_style():
    """MobileNetV2 building blocks in PyTorch's conventions: an NCHW input transposed to NHWC,
    explicit zero padding before strided convolutions, inverted residuals (expand 1x1, ReLU6,
    depthwise 3x3, project 1x1, residual ADD) and a MEAN over H and W before the classifier."""
    import keras
    from keras import layers as L

    def conv_bn(x, filters, k, stride, act=True):
        if stride > 1:
            x = L.ZeroPadding2D(1)(x)
        x = L.Conv2D(filters, k, strides=stride, padding="valid" if stride > 1 else "same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        return L.ReLU(max_value=6.0)(x) if act else x

    def dw_bn(x, stride):
        if stride > 1:
            x = L.ZeroPadding2D(1)(x)
        x = L.DepthwiseConv2D(3, strides=stride, padding="valid" if stride > 1 else "same", use_bias=False)(x)
        return L.ReLU(max_value=6.0)(L.BatchNormalization()(x))

    def block(x, expand, out, stride):
        y = conv_bn(x, int(x.shape[-1]) * expand, 1, 1)
        y = dw_bn(y, stride)
        y = conv_bn(y, out, 1, 1, act=False)
        return L.Add()([x, y]) if stride == 1 and int(x.shape[-1]) == out else y

    inp = keras.Input((3, 24, 24))
    x = L.Lambda(lambda t: keras.ops.transpose(t, (0, 2, 3, 1)))(inp)
    x = conv_bn(x, 8, 3, 2)
    x = block(x, 1, 8, 1)
    x = block(x, 4, 12, 2)
    x = block(x, 4, 12, 1)
    x = block(x, 4, 16, 2)
    x = L.Lambda(lambda t: keras.ops.mean(t, axis=(1, 2)))(x)
    return keras.Model(inp, L.Dense(10)(x))


def _mnv3_block():
    import keras
    from keras import layers as L

    hs = L.Lambda(lambda t: keras.activations.hard_swish(t))
    inp = keras.Input((12, 12, 3))
    x = L.BatchNormalization()(L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inp))
    x = L.Lambda(lambda t: keras.activations.hard_swish(t))(x)
    y = L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x))
    y = L.ReLU()(y)
    se = L.GlobalAveragePooling2D(keepdims=True)(y)
    se = L.Conv2D(4, 1, activation="relu")(se)
    se = L.Conv2D(8, 1)(se)
    se = L.Lambda(lambda t: keras.activations.hard_sigmoid(t))(se)
    y = L.Multiply()([y, se])
    y = L.BatchNormalization()(L.Conv2D(8, 1, use_bias=False)(y))
    x = L.Add()([x, y])
    x = hs(L.Conv2D(16, 1)(x))
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Dense(5)(x))


def _logistic_tanh():
    import keras
    from keras import layers as L

    inp = keras.Input((12,))
    a = L.Activation("sigmoid")(L.Dense(8)(inp))
    b = L.Activation("tanh")(L.Dense(8)(inp))
    return keras.Model(inp, [a, b])


def _i16_cnn():
    """A small int16x8 CNN: conv, depthwise, residual ADD, pooling, dense, softmax."""
    import keras
    from keras import layers as L

    inp = keras.Input((12, 12, 1))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    y = L.Conv2D(8, 1)(y)
    x = L.ReLU()(L.Add()([x, y]))
    x = L.MaxPooling2D(2)(x)
    x = L.Flatten()(x)
    return keras.Model(inp, L.Dense(4, activation="softmax")(L.Dense(16, activation="relu")(x)))


def _add_relu():
    import keras
    from keras import layers as L

    inp = keras.Input((6, 7, 4))
    a = L.Conv2D(4, 3, padding="same")(inp)
    b = L.Conv2D(4, 1)(inp)
    return keras.Model(inp, L.ReLU()(L.Add()([a, b])))


def _add_broadcast_channel():
    import keras
    from keras import layers as L

    inp = keras.Input((5, 6, 4))
    a = L.Conv2D(4, 3, padding="same")(inp)
    b = L.AveragePooling2D(pool_size=(5, 6))(L.Conv2D(4, 1)(inp))  # [1,1,1,4]
    return keras.Model(inp, L.Add()([a, b]))


def _add_broadcast_spatial():
    import keras
    from keras import layers as L

    inp = keras.Input((6, 5, 3))
    a = L.Conv2D(3, 1)(inp)
    b = L.Conv2D(1, 3, padding="same")(inp)  # [1,6,5,1] broadcast over channels
    c = L.Add()([a, b])
    const = keras.ops.convert_to_tensor(np.linspace(-1, 1, 5 * 3).reshape(1, 1, 5, 3).astype(np.float32))
    return keras.Model(inp, L.Lambda(lambda t: t + const)(c))


def _squeeze_expand():
    import keras
    from keras import layers as L

    inp = keras.Input((1, 9, 4))
    x = L.Conv2D(6, (1, 3), padding="same")(inp)
    x = L.Lambda(lambda t: keras.ops.squeeze(t, axis=1))(x)  # [1,9,6]
    x = L.Dense(5)(x)
    x = L.Lambda(lambda t: keras.ops.expand_dims(t, axis=2))(x)  # [1,9,1,5]
    x = L.Conv2D(3, (2, 1), activation="relu")(x)
    return keras.Model(inp, x)


def _squeeze_expand_dynamic():
    import keras
    from keras import layers as L

    inp = keras.Input((1, 9, 4))
    x = L.Conv2D(6, (1, 3), padding="same")(inp)
    x = L.Lambda(lambda t: keras.ops.squeeze(t, axis=1))(x)  # SQUEEZE [1,9,6]
    x = L.Lambda(lambda t: keras.ops.expand_dims(t, axis=2))(x)  # EXPAND_DIMS [1,9,1,6]
    x = L.Conv2D(3, (2, 1), activation="relu")(x)
    return keras.Model(inp, x)


def _requantize():
    """Softmax pins its output to scale 1/256; CONCATENATION needs one scale for all its
    inputs, so the converter requantizes the other input (QUANTIZE int8 -> int8)."""
    import keras
    from keras import layers as L

    inp = keras.Input((6, 6, 3))
    a = L.Conv2D(4, 3, padding="same")(inp)
    s = L.Softmax()(a)
    x = L.Concatenate()([s, a])
    return keras.Model(inp, L.Conv2D(3, 1)(x))


def reshape_to_squeeze(data: bytes) -> bytes:
    """Rewrite every RESHAPE that only drops unit dimensions into a SQUEEZE.

    TF's converter turns ``tf.squeeze`` into RESHAPE whenever shapes are static, so a model
    holding SQUEEZE (which older converters and other tools emit) is made by editing the
    flatbuffer with the schema module shipped in tflite-micro.
    """
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    m = schema.ModelT.InitFromPackedBuf(data, 0)
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.SQUEEZE
    code.version = 1
    m.operatorCodes.append(code)
    squeeze_index = len(m.operatorCodes) - 1
    for sg in m.subgraphs:
        for op in sg.operators:
            if m.operatorCodes[op.opcodeIndex].builtinCode != schema.BuiltinOperator.RESHAPE:
                continue
            src = list(sg.tensors[op.inputs[0]].shape)
            dst = list(sg.tensors[op.outputs[0]].shape)
            dims = [i for i, d in enumerate(src) if d == 1]
            for drop in dims:
                if src[:drop] + src[drop + 1:] == dst:
                    opts = schema.SqueezeOptionsT()
                    opts.squeezeDims = [drop]
                    op.opcodeIndex = squeeze_index
                    op.inputs = [op.inputs[0]]
                    op.builtinOptionsType = schema.BuiltinOptions.SqueezeOptions
                    op.builtinOptions = opts
                    break
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def build(builder, seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    model = builder()
    _randomize_bn(model, seed)
    return model


def _built() -> dict:
    """Models no Keras layer converts to (SVDF; an int16x8 LSTM: Keras 3's LSTM is unrolled),
    written from fixed seeds with the tests' schema builder (tests/golden/tflite_builder.py)
    and their random-case makers: name -> a function returning the .tflite bytes."""
    sys.path.insert(0, str(ROOT / "tests" / "golden"))
    from test_fuzz_lstm import lstm_case
    from test_fuzz_svdf import svdf_case
    from tflite_builder import build as build_tflite

    return {
        "svdf": lambda: build_tflite(svdf_case(np.random.default_rng(14), time_dtype="INT16", min_memory=6)),
        "lstm_int16": lambda: build_tflite(lstm_case(np.random.default_rng(5), int16=True, b=1, steps=6, n_in=6,
                                                     units=8, major=False)),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mlperf", action="store_true", help="write tests/models/*.tflite")
    ap.add_argument("--golden", action="store_true", help="write tests/golden/models/*.tflite")
    ap.add_argument("--only", nargs="*", default=None, help="only these model names")
    args = ap.parse_args(argv)
    jobs: list[tuple[str, Path, object, dict]] = []
    if args.mlperf:
        for name, fn in MLPERF.items():
            jobs.append((name, MLPERF_DIR, fn, {"input_range": 1.0, "fit": True}))
    if args.golden:
        for name, (fn, kw) in _golden().items():
            jobs.append((name, GOLDEN_DIR, fn, kw))
        for name, fn in _built().items():
            jobs.append((name, GOLDEN_DIR, fn, {"built": True}))
    if args.only:
        jobs = [j for j in jobs if j[0] in args.only]
    for i, (name, out_dir, fn, kw) in enumerate(jobs):
        out_dir.mkdir(parents=True, exist_ok=True)
        seed = 1000 + sum(map(ord, name))
        kw = dict(kw)
        squeeze = kw.pop("squeeze", False)
        data = fn() if kw.pop("built", False) else convert(build(fn, seed), seed=seed, **kw)
        if squeeze:
            data = reshape_to_squeeze(data)
        (out_dir / f"{name}.tflite").write_bytes(data)
        print(f"[{i + 1}/{len(jobs)}] {name}: {len(data)} bytes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
