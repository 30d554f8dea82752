"""Quantization-aware training (QAT) for Keras 3 models, exported as full-integer int8 .tflite.

``quantize_aware(model)`` rebuilds a trained float Keras 3 model (Functional or Sequential,
TensorFlow backend) so that its forward pass computes what the int8 TFLite model will
compute, and returns a model the user compiles and fits as usual. ``export(qat_model,
path)`` converts it without calibration data: every scale in the file comes from the
ranges held by the QAT model.

What is simulated, layer by layer (the TFLite int8 quantization rules):

* model inputs: asymmetric int8 fake-quant with a moving-average range;
* Conv2D / DepthwiseConv2D (+ a following BatchNormalization, folded; + ReLU/ReLU6, fused):
  ``act(conv(x, fq_per_channel(w_folded)) + b_folded)`` then asymmetric fake-quant of the
  output. Weights are symmetric per-channel int8 (``narrow_range``: [-127, 127]), which is
  what TFLite uses for CONV_2D and DEPTHWISE_CONV_2D;
* Dense (+ BN, + ReLU/ReLU6): the same with *per-tensor* symmetric weights. TF 2.21's
  converter fails on a per-channel fake-quant of a MatMul kernel (its FULLY_CONNECTED
  lowering transposes the kernel without moving the quantized axis), so a fake-quant graph
  can only become a per-tensor FULLY_CONNECTED (tfmot's Dense is per-tensor too); PTQ,
  calibrating float weights, produces per-channel FULLY_CONNECTED weights;
* Add, Concatenate, GlobalAveragePooling (MEAN), standalone ReLU/ReLU6: own output range;
* MaxPooling, Reshape, Flatten, Dropout, ZeroPadding: no new range (TFLite keeps the input's
  scale), AveragePooling: re-rounded onto the input's grid (TFLite requires the same scale);
* Softmax / sigmoid outputs: the fixed int8 ranges TFLite mandates (scale 1/256, zero point
  -128); tanh: 1/128, 0.

BatchNormalization is folded with its *moving* statistics, which stay frozen during QAT
(gamma and beta train): the training forward pass is then exactly the inference one, which
is what the converter sees. Activation ranges are exponential moving averages of the batch
min/max (initialised from the first training batch, always containing 0), as in
tensorflow-model-optimization; weight ranges are the current max |w| per channel (per tensor
for Dense).

Concatenate: TFLite's CONCATENATION has one scale for its inputs and output, so every input
is fake-quantized with the concat's range (an input produced only for the concat is not
quantized by its producer, which then writes in the concat's scale). A model input or a
tensor also used elsewhere feeding a Concatenate directly is refused: TF 2.21's converter
cannot requantize it into the concat's scale.

Not simulated: the int32 rounding of biases (one bias step is input scale × weight scale,
far below an output step). The QAT model is saved with ``save_weights`` (its layers hold no serializable
config) or written with :func:`export`.

Usage::

    import keras
    from edgeq import qat

    q = qat.quantize_aware(model)            # model: trained float Keras 3 model
    q.compile(optimizer=keras.optimizers.Adam(1e-4), loss=..., metrics=["accuracy"])
    q.fit(x_train, y_train, epochs=3)
    qat.export(q, "model_int8.tflite")      # int8 in/out, no calibration data

or ``edgeq qat MODEL.keras --train DATA.npz [--val DATA.npz] [--epochs N] -o OUT.tflite``.

Legacy ``tf_keras`` models (``pip install 'edgeq[tfkeras]'``): :func:`quantize_aware`
routes them to tensorflow-model-optimization's ``quantize_model`` (its default 8-bit
scheme) and :func:`export` converts the result with the same int8 checks. tfmot is imported
only on that path, never for Keras 3 models: importing it sets ``TF_USE_LEGACY_KERAS=1``
for the whole process. The ``edgeq qat`` command takes Keras 3 model files.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from edgeq.errors import DataError, EdgeqError, InputFileError
from edgeq.fileio import write_atomic
from edgeq.harness.npzio import read_npz

log = logging.getLogger(__name__)

__all__ = [
    "quantize_aware",
    "export",
    "QatExportReport",
    "UnsupportedLayerError",
    "activation_ranges",
    "expected_quant_params",
    "convert",
    "train_file",
    "tflm_accuracy",
    "keras_accuracy",
    "quantize_aware_tfkeras",
]

#: Fixed int8 output ranges TFLite imposes, as fake-quant (min, max) with 8 bits:
#: softmax/logistic: scale 1/256, zero point -128; tanh: scale 1/128, zero point 0.
_FIXED_RANGES = {
    "softmax": (0.0, 255.0 / 256.0),
    "sigmoid": (0.0, 255.0 / 256.0),
    "tanh": (-1.0, 127.0 / 128.0),
}
_FUSABLE = ("linear", "relu", "relu6")  # fused activations TFLite kernels implement


class UnsupportedLayerError(EdgeqError):
    """The model holds layers QAT cannot simulate; the message names each one."""


def _silence_tf() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


# --------------------------------------------------------------------------------------
# Fake-quant layers. Imported lazily (they subclass keras.layers.Layer).
# --------------------------------------------------------------------------------------

_LAYERS: dict[str, type] = {}


def _layers() -> dict[str, type]:
    """Define the QAT layer classes on first use (keeps ``import edgeq.qat`` light)."""
    if _LAYERS:
        return _LAYERS
    import keras
    import tensorflow as tf

    class _Ref:
        """Holds a layer without Keras tracking it (a range shared by another layer)."""

        def __init__(self, obj):
            self.obj = obj

    def act_fn(name: str):
        if name == "linear":
            return lambda x: x
        if name == "relu":
            return tf.nn.relu
        if name == "relu6":
            return tf.nn.relu6
        raise ValueError(name)

    class _RangeMixin:
        """An output range: EMA of batch min/max in training, fixed at inference."""

        def _add_range(self, fixed: tuple[float, float] | None, decay: float) -> None:
            self.fixed_range = None if fixed is None else (float(fixed[0]), float(fixed[1]))
            self.ema_decay = float(decay)
            # Set when this output feeds only a Concatenate: the concat's range quantizes it.
            self.deferred = False
            if self.fixed_range is None:
                self.out_min = self.add_weight(
                    name="out_min", shape=(), initializer=keras.initializers.Constant(-6.0), trainable=False
                )
                self.out_max = self.add_weight(
                    name="out_max", shape=(), initializer=keras.initializers.Constant(6.0), trainable=False
                )
                self.out_init = self.add_weight(
                    name="out_initialized", shape=(), initializer="zeros", trainable=False
                )

        def _quantize_output(self, x, training):
            if self.deferred:
                return x
            if self.fixed_range is not None:
                return tf.quantization.fake_quant_with_min_max_args(
                    x, min=self.fixed_range[0], max=self.fixed_range[1], num_bits=8
                )
            if training:
                self._update_range(x)
            return tf.quantization.fake_quant_with_min_max_vars(
                x, tf.convert_to_tensor(self.out_min), tf.convert_to_tensor(self.out_max), num_bits=8
            )

        def _update_range(self, x):
            """EMA of the batch min/max (the first training batch sets the range)."""
            x32 = tf.cast(x, tf.float32)
            bmin = tf.stop_gradient(tf.reduce_min(x32))
            bmax = tf.stop_gradient(tf.reduce_max(x32))
            first = tf.equal(self.out_init, 0.0)
            d = self.ema_decay
            new_min = tf.where(first, bmin, d * self.out_min + (1.0 - d) * bmin)
            new_max = tf.where(first, bmax, d * self.out_max + (1.0 - d) * bmax)
            # The range always holds 0 (so zero is exact) and is never empty.
            new_min = tf.minimum(new_min, 0.0)
            new_max = tf.maximum(tf.maximum(new_max, 0.0), new_min + 1e-6)
            self.out_min.assign(new_min)
            self.out_max.assign(new_max)
            self.out_init.assign(1.0)

        def output_range(self) -> tuple[float, float]:
            """The (min, max) the exported model's output tensor is quantized with (None when
            deferred to a following Concatenate's range)."""
            if self.deferred:
                return None
            if self.fixed_range is not None:
                return self.fixed_range
            return float(self.out_min.numpy()), float(self.out_max.numpy())

    def fq_weights(w, per_channel: bool = True):
        """Symmetric int8 fake-quant (narrow range [-127, 127]), per channel over the last axis."""
        axes = list(range(len(w.shape) - 1)) if per_channel else None
        m = tf.stop_gradient(tf.reduce_max(tf.abs(w), axis=axes))
        m = tf.maximum(m, 1e-8)  # an all-zero channel: any positive scale represents it
        if per_channel:
            return tf.quantization.fake_quant_with_min_max_vars_per_channel(w, -m, m, num_bits=8, narrow_range=True)
        return tf.quantization.fake_quant_with_min_max_vars(w, -m, m, num_bits=8, narrow_range=True)

    class QuantInput(_RangeMixin, keras.layers.Layer):
        """Fake-quant of a model input (the int8 input tensor's range)."""

        def __init__(self, ema_decay: float = 0.99, **kwargs):
            super().__init__(**kwargs)
            self._add_range(None, ema_decay)

        def call(self, x, training=False):
            return self._quantize_output(x, training)

    class QuantOutput(_RangeMixin, keras.layers.Layer):
        """Run a weightless (or float-kept) layer, a fused activation, then fake-quant its output."""

        def __init__(self, inner, activation="linear", fixed_range=None, ema_decay=0.99, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner
            self.activation_name = activation
            self._add_range(fixed_range, ema_decay)

        def call(self, inputs, training=False):
            kwargs = {"training": training} if getattr(self.inner, "_call_has_training_arg", False) else {}
            y = self.inner(inputs, **kwargs)
            return self._quantize_output(act_fn(self.activation_name)(y), training)

    class QuantConcat(_RangeMixin, keras.layers.Layer):
        """Concatenate with one range for its output *and every input*: TFLite's CONCATENATION
        needs a single scale, so each input is requantized into the concat's range (the
        converter writes a QUANTIZE for an input with another scale, or gives the producing
        op this scale when its output was deferred). The range tracks the unclipped values."""

        def __init__(self, axis=-1, ema_decay=0.99, **kwargs):
            super().__init__(**kwargs)
            self.axis = int(axis)
            self._add_range(None, ema_decay)

        def call(self, inputs, training=False):
            if training:
                self._update_range(tf.concat(list(inputs), axis=self.axis))
            lo, hi = tf.convert_to_tensor(self.out_min), tf.convert_to_tensor(self.out_max)
            parts = [tf.quantization.fake_quant_with_min_max_vars(x, lo, hi, num_bits=8) for x in inputs]
            return tf.concat(parts, axis=self.axis)

    class QuantSameScale(keras.layers.Layer):
        """Re-round onto another tensor's grid (TFLite AVERAGE_POOL_2D keeps its input's scale)."""

        def __init__(self, inner, source, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner
            self._source = _Ref(source)

        def call(self, x, training=False):
            y = self.inner(x)
            src = self._source.obj
            if src.fixed_range is not None:
                return tf.quantization.fake_quant_with_min_max_args(
                    y, min=src.fixed_range[0], max=src.fixed_range[1], num_bits=8
                )
            return tf.quantization.fake_quant_with_min_max_vars(
                y, tf.convert_to_tensor(src.out_min), tf.convert_to_tensor(src.out_max), num_bits=8
            )

    class QuantWeighted(_RangeMixin, keras.layers.Layer):
        """Conv2D / DepthwiseConv2D / Dense with BatchNormalization folded in and a fused
        ReLU/ReLU6: ``fq_out(act(op(x, fq_w(w * g)) + (b - mean) * g + beta))``, where
        ``g = gamma / sqrt(var + eps)`` from the BN's moving statistics (frozen)."""

        def __init__(self, kind, config, weights, bn=None, activation="linear", ema_decay=0.99, **kwargs):
            super().__init__(**kwargs)
            self.kind = kind  # "conv", "conv1d", "depthwise", "dense"
            self.op_config = dict(config)
            self.activation_name = activation
            self._init = [np.asarray(w, np.float32) for w in weights]
            self._bn_init = None if bn is None else {k: np.asarray(v, np.float32) for k, v in bn.items() if k != "epsilon"}
            self.bn_epsilon = None if bn is None else float(bn["epsilon"])
            self._add_range(None, ema_decay)

        def build(self, input_shape):
            kernel = self._init[0]
            self.kernel = self.add_weight(
                name="kernel", shape=kernel.shape, initializer=keras.initializers.Constant(kernel), trainable=True
            )
            channels = self.channels
            bias = self._init[1] if len(self._init) > 1 else np.zeros((channels,), np.float32)
            self.bias = self.add_weight(
                name="bias", shape=(channels,), initializer=keras.initializers.Constant(bias), trainable=True
            )
            if self._bn_init is not None:
                for key, trainable in (("gamma", True), ("beta", True), ("moving_mean", False), ("moving_variance", False)):
                    setattr(
                        self,
                        "bn_" + key,
                        self.add_weight(
                            name="bn_" + key, shape=(channels,),
                            initializer=keras.initializers.Constant(self._bn_init[key]), trainable=trainable,
                        ),
                    )

        @property
        def channels(self) -> int:
            shape = self._init[0].shape
            if self.kind == "depthwise":
                return int(shape[2] * shape[3])
            return int(shape[-1])

        def folded(self):
            """The float (kernel, bias) the int8 op is built from, BN folded in."""
            kernel = tf.convert_to_tensor(self.kernel)
            bias = tf.convert_to_tensor(self.bias)
            if self.bn_epsilon is None:
                return kernel, bias
            g = self.bn_gamma * tf.math.rsqrt(self.bn_moving_variance + self.bn_epsilon)
            if self.kind == "depthwise":
                shape = self._init[0].shape
                kernel = kernel * tf.reshape(g, (1, 1, shape[2], shape[3]))
            else:
                kernel = kernel * g
            return kernel, (bias - self.bn_moving_mean) * g + self.bn_beta

        def quantized_kernel(self, kernel):
            if self.kind == "depthwise":
                # TFLite's depthwise filter is (1, kh, kw, in*mult): channel i*mult + m.
                shape = self._init[0].shape
                flat = tf.reshape(kernel, (shape[0], shape[1], shape[2] * shape[3]))
                return tf.reshape(fq_weights(flat), shape)
            # Dense: per-tensor. TF 2.21's converter rejects a per-channel fake-quant of a MatMul
            # kernel ("tfl.transpose op has mismatched quantized axes"), so per-tensor is what a
            # fake-quant graph can become (tfmot's Dense uses per-tensor too).
            return fq_weights(kernel, per_channel=self.kind != "dense")

        def call(self, x, training=False):
            kernel, bias = self.folded()
            if self.kind == "conv1d":
                # quantized as the (1, k, in, out) kernel of the CONV_2D TF lowers Conv1D to: a
                # fake-quant before the ExpandDims makes TF 2.21's converter fail
                kernel = tf.expand_dims(kernel, 0)
            qk = self.quantized_kernel(kernel)
            c = self.op_config
            if self.kind == "dense":
                y = tf.matmul(x, qk) if len(x.shape) == 2 else tf.tensordot(x, qk, axes=[[len(x.shape) - 1], [0]])
            elif self.kind == "conv1d":  # as TF lowers it: a CONV_2D on (N, 1, W, C)
                y = tf.squeeze(tf.nn.conv2d(
                    tf.expand_dims(x, 1), qk, strides=(1, c["strides"][0]),
                    padding=c["padding"].upper(), dilations=(1, c["dilation_rate"][0])), 1)
            elif self.kind == "conv":
                y = tf.nn.conv2d(
                    x, qk, strides=c["strides"], padding=c["padding"].upper(), dilations=c["dilation_rate"]
                )
            else:
                y = tf.nn.depthwise_conv2d(
                    x, qk, strides=(1, *c["strides"], 1), padding=c["padding"].upper(), dilations=c["dilation_rate"]
                )
            y = tf.nn.bias_add(y, bias)
            return self._quantize_output(act_fn(self.activation_name)(y), training)

    class ConstMul(keras.layers.Layer):
        """``x * c`` (a constant broadcast over the last axis): one MUL in TFLite."""

        def __init__(self, value, **kwargs):
            super().__init__(**kwargs)
            self.value = np.asarray(value, np.float32)

        def call(self, x):
            return x * tf.constant(self.value)

    class ConstAdd(ConstMul):
        """``x + c``: one ADD in TFLite."""

        def call(self, x):
            return x + tf.constant(self.value)

    _LAYERS.update(
        QuantConcat=QuantConcat, QuantInput=QuantInput, QuantOutput=QuantOutput, QuantSameScale=QuantSameScale,
        QuantWeighted=QuantWeighted, ConstMul=ConstMul, ConstAdd=ConstAdd,
    )
    return _LAYERS


# --------------------------------------------------------------------------------------
# Graph rewrite
# --------------------------------------------------------------------------------------


def _activation_name(layer: Any) -> str | None:
    """'relu', 'relu6', 'linear', 'softmax', ... for activation-only layers; None otherwise."""
    import keras

    L = keras.layers
    if isinstance(layer, L.ReLU):
        c = layer.get_config()
        if c.get("negative_slope", 0) or c.get("threshold", 0):
            return None
        mv = c.get("max_value")
        if mv is None:
            return "relu"
        return "relu6" if float(mv) == 6.0 else None
    if isinstance(layer, L.Activation):
        return _fn_name(layer.activation)
    if isinstance(layer, L.Softmax):
        return "softmax" if layer.get_config().get("axis", -1) in (-1, [-1]) else None
    return None


def _fn_name(fn: Any) -> str | None:
    name = getattr(fn, "__name__", None) or str(fn)
    return {"linear": "linear", "relu": "relu", "relu6": "relu6", "softmax": "softmax", "sigmoid": "sigmoid", "tanh": "tanh"}.get(name)


@dataclass
class _Plan:
    """How each original layer maps into the QAT model."""

    absorbed: set  # ids of layers folded into a producer (BN, fused activations)
    sole: dict  # id(original tensor) -> its only consumer node (absent: several, or a model output)
    bn_for: dict  # id(weighted layer) -> BN layer
    act_for: dict  # id(layer) -> fused activation name


def _graph_nodes(model: Any) -> list:
    """(node) list of a functional graph in execution order."""
    nodes = []
    for depth in sorted(model._nodes_by_depth, reverse=True):
        nodes.extend(model._nodes_by_depth[depth])
    return nodes


def _functional_of(model: Any) -> Any:
    """The functional graph of a Functional or Sequential model (an error for anything else)."""
    import keras
    from keras.src.models.functional import Functional

    if isinstance(model, keras.Sequential):
        fn = getattr(model, "_functional", None)
        if fn is None:
            raise EdgeqError(
                "the Sequential model has no known input shape: start it with keras.Input(shape) "
                "(or build it) before quantize_aware"
            )
        return fn
    if isinstance(model, Functional):
        return model
    raise EdgeqError(
        f"quantize_aware takes a Functional or Sequential Keras 3 model, not {type(model).__name__}; "
        "rebuild a subclassed model with the functional API"
    )


def _make_plan(fmodel: Any) -> _Plan:
    import keras

    L = keras.layers
    nodes = [n for n in _graph_nodes(fmodel) if n.operation is not None and not n.is_input]
    consumers: dict[int, list] = {}
    for n in nodes:
        for t in n.input_tensors:
            consumers.setdefault(id(t), []).append(n)
    outputs = {id(t) for t in fmodel.outputs}

    def sole_consumer(tensor):
        cs = consumers.get(id(tensor), [])
        if len(cs) != 1 or id(tensor) in outputs:
            return None
        return cs[0]

    plan = _Plan(set(), {}, {}, {})
    for t_id, cs in consumers.items():
        if len(cs) == 1 and t_id not in outputs:
            plan.sole[t_id] = cs[0]
    for n in nodes:
        layer = n.operation
        if not isinstance(layer, (L.Conv2D, L.Conv1D, L.SeparableConv2D, L.DepthwiseConv2D, L.Dense, L.Add)):
            continue
        if isinstance(layer, (L.Conv2D, L.Conv1D)) and type(layer) not in (L.Conv2D, L.Conv1D):
            continue
        out = n.output_tensors[0]
        act = "linear" if isinstance(layer, L.Add) else _fn_name(layer.activation)
        if act != "linear":
            continue  # fused already (or softmax & co., split when rebuilt)
        nxt = sole_consumer(out)
        if nxt is not None and not isinstance(layer, L.Add) and isinstance(nxt.operation, L.BatchNormalization):
            bn = nxt.operation
            axis = bn.get_config()["axis"]
            axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
            if axis in (-1, len(out.shape) - 1) and bn.get_config().get("center", True) is not None:
                plan.bn_for[id(layer)] = bn
                plan.absorbed.add(id(bn))
                out = nxt.output_tensors[0]
                nxt = sole_consumer(out)
        if nxt is not None and _activation_name(nxt.operation) in ("relu", "relu6"):
            plan.act_for[id(layer)] = _activation_name(nxt.operation)
            plan.absorbed.add(id(nxt.operation))
    return plan


def _clone_layer(layer: Any) -> Any:
    """A fresh copy of a layer (config + weights), so QAT never trains the float model's variables."""
    new = layer.__class__.from_config(layer.get_config())
    return new


def _affine_of(layer: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(scale, offset) of a Rescaling or (not inverted) Normalization layer over the last
    axis, as Keras computes it: Normalization is ``(x - mean) / max(sqrt(var), epsilon)``."""
    import keras

    c = layer.get_config()
    if isinstance(layer, keras.layers.Rescaling):
        return np.asarray(c["scale"], np.float32).reshape(-1), np.asarray(c["offset"], np.float32).reshape(-1)
    if c.get("invert") or c.get("axis") not in (-1, [-1], (-1,), None):
        return None
    mean = getattr(layer, "adapt_mean", None)
    var = getattr(layer, "adapt_variance", None)
    if mean is None:
        mean, var = c.get("mean"), c.get("variance")
    if mean is None or var is None:
        return None
    mean = np.asarray(mean, np.float64).reshape(-1)
    std = np.maximum(np.sqrt(np.asarray(var, np.float64).reshape(-1)), keras.backend.epsilon())
    return (1.0 / std).astype(np.float32), (-mean / std).astype(np.float32)


def _copy_weights(src: Any, dst: Any) -> None:
    """``src``'s weights into its clone ``dst``, and the state derived from them recomputed
    (an adapted Normalization keeps its mean and variance as tensors made when it was built,
    inside the functional graph being traced: stale and out of scope without this)."""
    if src.weights:
        dst.set_weights(src.get_weights())
        finalize = getattr(dst, "finalize_state", None)
        if callable(finalize) and getattr(dst, "built", False):
            finalize()


def _bn_params(bn: Any) -> dict:
    c = bn.get_config()
    ch = int(bn.moving_mean.shape[0])
    gamma = bn.gamma.numpy() if c.get("scale", True) else np.ones(ch, np.float32)
    beta = bn.beta.numpy() if c.get("center", True) else np.zeros(ch, np.float32)
    return dict(
        gamma=gamma, beta=beta, moving_mean=bn.moving_mean.numpy(),
        moving_variance=bn.moving_variance.numpy(), epsilon=float(c["epsilon"]),
    )


def quantize_aware(model: Any, *, keep_float: Sequence[str] | bool = (), ema_decay: float = 0.99) -> Any:
    """A trainable model that simulates the int8 TFLite model of ``model`` (see the module doc).

    Args:
        model: a trained float Keras 3 model, Functional or Sequential, TensorFlow backend.
        keep_float: names of layers TFLite cannot run in int8 (or QAT cannot simulate) to keep
            in float, or ``True`` for all of them; their outputs get a quantized range, and
            :func:`export` then needs ``allow_float=True``. By default such a layer is an
            error (:class:`UnsupportedLayerError`) naming each one.
        ema_decay: decay of the moving averages of the activation ranges (0.99 suits
            fine-tuning runs of a few epochs; tfmot uses 0.999).

    Returns:
        a new, uncompiled ``keras.Model`` (the float model's variables are copied, not shared);
        compile and fit it as usual, then write it with :func:`export`.
    """
    _silence_tf()
    import keras

    if _is_tf_keras(model):
        # Legacy tf_keras: tensorflow-model-optimization does QAT (edgeq[tfkeras]).
        return quantize_aware_tfkeras(model)
    if keras.backend.backend() != "tensorflow":
        raise EdgeqError(f"edgeq QAT needs the TensorFlow Keras backend (KERAS_BACKEND=tensorflow), not {keras.backend.backend()!r}")
    if not 0.0 < ema_decay < 1.0:
        raise EdgeqError(f"ema_decay must be between 0 and 1, got {ema_decay}")
    fmodel = _functional_of(model)
    Q = _layers()
    L = keras.layers
    plan = _make_plan(fmodel)

    nodes = _graph_nodes(fmodel)
    # Shared layers (one layer called twice) would need a rule per call; refuse them.
    seen: dict[int, int] = {}
    for n in nodes:
        if n.operation is not None and not n.is_input:
            seen[id(n.operation)] = seen.get(id(n.operation), 0) + 1
    shared = sorted({n.operation.name for n in nodes if n.operation is not None and seen.get(id(n.operation), 0) > 1})
    if shared:
        raise UnsupportedLayerError(f"layers called more than once are not supported by QAT: {', '.join(shared)}")

    keep_all = keep_float is True
    keep_names = set() if keep_float is True else set(keep_float or ())
    names = {n.operation.name for n in nodes if n.operation is not None}
    unknown_keep = sorted(keep_names - names)
    if unknown_keep:
        raise EdgeqError(f"keep_float names layers the model does not have: {', '.join(unknown_keep)}")

    tensors: dict[int, Any] = {}  # id(original tensor) -> new tensor
    fq_outputs: set[int] = set()  # ids of new tensors that are straight fake-quant outputs
    ranges: dict[int, Any] = {}  # id(new tensor) -> the layer whose range quantizes it
    new_inputs = []
    for i, t in enumerate(fmodel.inputs):
        if any(d is None for d in t.shape[1:]):
            raise EdgeqError(f"model input {t.name!r} has an unknown dimension {tuple(t.shape)}; give it a fixed shape")
        inp = keras.Input(shape=tuple(t.shape[1:]), dtype=t.dtype, name=getattr(t, "name", None) or f"input_{i}")
        qlayer = Q["QuantInput"](ema_decay=ema_decay, name=f"quant_{inp.name}" if inp.name else None)
        q = qlayer(inp)
        new_inputs.append(inp)
        tensors[id(t)] = q
        ranges[id(q)] = qlayer
        fq_outputs.add(id(q))

    unsupported: list[str] = []

    def out_layer(inner, name, activation="linear", fixed=None):
        return Q["QuantOutput"](inner, activation=activation, fixed_range=fixed, ema_decay=ema_decay, name=f"quant_{name}")

    for node in nodes:
        layer = node.operation
        if layer is None or node.is_input:
            continue
        if any(id(x) not in tensors for x in node.input_tensors):
            continue
        args, kwargs = node.arguments.fill_in(tensors)
        kwargs.pop("training", None)
        kwargs.pop("mask", None)
        ins = [tensors[id(x)] for x in node.input_tensors]
        name = layer.name
        result = None
        src_range = ranges.get(id(ins[0])) if ins else None

        if id(layer) in plan.absorbed:
            result = ins[0]
        elif name in keep_names:
            result = None  # handled below as float
        elif isinstance(layer, (L.Conv2D, L.Conv1D, L.SeparableConv2D, L.DepthwiseConv2D, L.Dense)) \
                and _weighted_ok(layer):
            kind = ("dense" if isinstance(layer, L.Dense) else "depthwise" if isinstance(layer, L.DepthwiseConv2D)
                    else "conv1d" if isinstance(layer, L.Conv1D) else "conv")
            cfg = layer.get_config()
            act = _fn_name(layer.activation)
            fused = plan.act_for.get(id(layer), act if act in _FUSABLE else "linear")
            bn = plan.bn_for.get(id(layer))
            weights = [np.asarray(w) for w in layer.get_weights()]
            geometry = {k: cfg.get(k) for k in ("strides", "padding", "dilation_rate")}
            x_in = ins[0]
            if isinstance(layer, L.SeparableConv2D):
                # as TFLite runs it: a DEPTHWISE_CONV_2D (no bias, its own int8 output), then a
                # 1x1 CONV_2D with the bias, folded BN and activation
                dw = Q["QuantWeighted"]("depthwise", geometry, weights[:1], ema_decay=ema_decay,
                                        name=f"quant_{name}_depthwise")
                x_in = dw(x_in)
                ranges[id(x_in)] = dw
                fq_outputs.add(id(x_in))
                geometry = {"strides": (1, 1), "padding": "valid", "dilation_rate": (1, 1)}
                weights = weights[1:]
            qlayer = Q["QuantWeighted"](
                kind,
                geometry,
                weights,
                bn=_bn_params(bn) if bn is not None else None,
                activation=fused,
                ema_decay=ema_decay,
                name=f"quant_{name}",
            )
            y = qlayer(x_in)
            ranges[id(y)] = qlayer
            fq_outputs.add(id(y))
            if act in _FIXED_RANGES:  # Dense(activation="softmax"): logits, then the fixed-range op
                inner = L.Softmax() if act == "softmax" else L.Activation(act)
                q2 = out_layer(inner, f"{name}_{act}", fixed=_FIXED_RANGES[act])
                y = q2(y)
                ranges[id(y)] = q2
                fq_outputs.add(id(y))
            result = y
        elif isinstance(layer, (L.Add, L.Concatenate)):
            if isinstance(layer, L.Concatenate):
                # TFLite's CONCATENATION needs one scale for all its inputs and its output.
                # Left alone, TF 2.21's converter gives the concat the scale of one input and
                # clips the others into it. So every input is fake-quantized with the concat's
                # range (QuantConcat); an input produced only for this concat is not quantized
                # by its producer at all (like tfmot), and the converter gives the producing
                # op the concat's scale; an input behind a same-scale op (pooling, reshape)
                # gets a QUANTIZE (requantize) op. An input straight out of another
                # fake-quant that cannot defer (a model input, a tensor used elsewhere) makes
                # the converter fail ("same scale constraint"): refused with that reason.
                for orig, new_t in zip(node.input_tensors, ins):
                    producer = ranges.get(id(new_t))
                    direct = id(new_t) in fq_outputs
                    if (
                        direct and hasattr(producer, "deferred") and producer.fixed_range is None
                        and not isinstance(producer, Q["QuantInput"]) and plan.sole.get(id(orig)) is node
                    ):
                        producer.deferred = True
                    elif direct:
                        unsupported.append(
                            f"{name} (Concatenate: its input {orig.name!r} is a model input, a fixed-range output "
                            "or a tensor also used elsewhere, which TF 2.21's converter cannot requantize into one "
                            "concat scale; add a layer between or keep it float)"
                        )
                qlayer = Q["QuantConcat"](axis=layer.get_config()["axis"], ema_decay=ema_decay, name=f"quant_{name}")
            else:
                qlayer = out_layer(_clone_layer(layer), name, activation=plan.act_for.get(id(layer), "linear"))
            result = qlayer(args[0] if len(args) == 1 else list(args))
            ranges[id(result)] = qlayer
            fq_outputs.add(id(result))
        elif isinstance(layer, (L.Rescaling, L.Normalization)) and (affine := _affine_of(layer)) is not None:
            # x * scale + offset as TFLite runs it: a MUL, then an ADD, each with its own int8
            # output range (a float tensor between two fake-quants would stay float)
            scale, offset = affine
            result = ins[0]
            steps = [(Q["ConstMul"], scale, "scale")] if np.any(scale != 1) else []
            steps += [(Q["ConstAdd"], offset, "offset")] if np.any(offset != 0) else []
            for k, (cls, value, what) in enumerate(steps):
                qlayer = out_layer(cls(value), name if k == len(steps) - 1 else f"{name}_{what}")
                result = qlayer(result)
                ranges[id(result)] = qlayer
                fq_outputs.add(id(result))
            if not steps and src_range is not None:
                ranges[id(result)] = src_range
        elif isinstance(layer, L.UpSampling2D):
            # RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR keep their input's scale
            from edgeq import rewrite

            clone = rewrite.resize_layer().from_config(layer.get_config()) \
                if layer.get_config().get("interpolation") == "nearest" else _clone_layer(layer)
            result = clone(ins[0])
            if src_range is not None:
                ranges[id(result)] = src_range
        elif isinstance(layer, (L.GlobalAveragePooling2D, L.GlobalAveragePooling1D)):
            qlayer = out_layer(_clone_layer(layer), name)
            result = qlayer(ins[0])
            ranges[id(result)] = qlayer
            fq_outputs.add(id(result))
        elif isinstance(layer, (L.AveragePooling2D, L.AveragePooling1D)) and src_range is not None:
            result = Q["QuantSameScale"](_clone_layer(layer), src_range, name=f"quant_{name}")(ins[0])
            ranges[id(result)] = src_range
            fq_outputs.add(id(result))
        elif isinstance(layer, (L.MaxPooling2D, L.MaxPooling1D, L.GlobalMaxPooling2D, L.GlobalMaxPooling1D,
                                L.Flatten, L.Reshape, L.Dropout, L.ZeroPadding2D, L.ZeroPadding1D,
                                L.SpatialDropout2D, L.GaussianNoise, L.Identity)):
            result = _clone_layer(layer)(ins[0])
            if src_range is not None:
                ranges[id(result)] = src_range
        elif (act := _activation_name(layer)) is not None:
            if act == "linear":
                result = ins[0]
                if src_range is not None:
                    ranges[id(result)] = src_range
            else:
                qlayer = out_layer(_clone_layer(layer), name, fixed=_FIXED_RANGES.get(act))
                result = qlayer(ins[0])
                ranges[id(result)] = qlayer
                fq_outputs.add(id(result))
        elif isinstance(layer, keras.layers.InputLayer):
            result = ins[0]

        if result is None:
            if not (keep_all or name in keep_names):
                unsupported.append(f"{name} ({type(layer).__name__}{_why(layer, plan)})")
                try:  # go on with the float layer, so that every unsupported layer gets named
                    clone = _clone_layer(layer)
                    result = clone(args[0] if len(args) == 1 else list(args))
                    _copy_weights(layer, clone)
                except Exception:
                    break
                for orig, new_t in zip(node.output_tensors, result if isinstance(result, (list, tuple)) else [result]):
                    tensors[id(orig)] = new_t
                continue
            if len(node.output_tensors) != 1:
                raise UnsupportedLayerError(f"{name}: layers with several outputs cannot be kept float")
            inner = _clone_layer(layer)
            qlayer = out_layer(inner, name)
            result = qlayer(args[0] if len(args) == 1 else list(args))
            ranges[id(result)] = qlayer
            fq_outputs.add(id(result))
            _copy_weights(layer, inner)
        outs = node.output_tensors
        if len(outs) != 1:
            raise UnsupportedLayerError(f"{name}: layers with several outputs are not supported")
        tensors[id(outs[0])] = result

    if unsupported:
        raise UnsupportedLayerError(
            "QAT cannot simulate these layers in int8: " + "; ".join(unsupported)
            + " (replace them, or pass keep_float=[names] / --keep-float to keep them float)"
        )
    outputs = [tensors[id(t)] for t in fmodel.outputs]
    for t in outputs:
        if id(t) not in ranges:
            raise UnsupportedLayerError(f"model output {t.name!r} has no quantized range")
    qmodel = keras.Model(new_inputs if len(new_inputs) > 1 else new_inputs[0],
                         outputs if len(outputs) > 1 else outputs[0], name=f"{model.name}_qat")
    return qmodel


def _weighted_ok(layer: Any) -> bool:
    import keras

    c = layer.get_config()
    if c.get("data_format", "channels_last") != "channels_last":
        return False
    L = keras.layers
    if isinstance(layer, (L.Conv2D, L.Conv1D)) and type(layer) not in (L.Conv2D, L.Conv1D):
        return False
    if isinstance(layer, (L.Conv2D, L.Conv1D)) and c.get("groups", 1) != 1:
        return False
    if c.get("padding") == "causal" or (isinstance(layer, L.SeparableConv2D) and c.get("depth_multiplier", 1) < 1):
        return False
    act = _fn_name(layer.activation)
    return act in _FUSABLE or act in _FIXED_RANGES


def _why(layer: Any, plan: _Plan) -> str:
    import keras

    L = keras.layers
    if isinstance(layer, (L.RNN, L.Bidirectional)):
        return ": QAT does not simulate recurrent layers; quantize this model with edgeq quantize (PTQ), which unrolls them"
    if isinstance(layer, (L.Conv2DTranspose, L.Conv1DTranspose, L.Conv3D, L.Conv3DTranspose)):
        return ": QAT does not simulate transposed or 3-D convolutions; quantize this model with edgeq quantize (PTQ)"
    if isinstance(layer, L.Conv1D) and layer.get_config().get("padding") == "causal":
        return ": causal padding is not simulated; pad with ZeroPadding1D and use padding='valid'"
    if isinstance(layer, keras.layers.BatchNormalization):
        return ": only a BatchNormalization right after a Conv2D/DepthwiseConv2D/Dense (with no activation) folds"
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
        return ": only channels_last, ungrouped, with a linear/relu/relu6/softmax activation"
    return ""


def _is_tf_keras(model: Any) -> bool:
    mod = type(model).__module__
    return mod.startswith("tf_keras") or mod.startswith("keras.src.engine") or mod.startswith("tensorflow.python.keras")


# --------------------------------------------------------------------------------------
# Ranges and export
# --------------------------------------------------------------------------------------


def expected_quant_params(rmin: float, rmax: float, num_bits: int = 8) -> tuple[float, int]:
    """The (scale, int8 zero point) that ``fake_quant_with_min_max_vars`` uses for [rmin, rmax]
    after its nudging (TF's ``Nudge``, in float32), i.e. what the int8 tensor gets."""
    f = np.float32
    quant_min, quant_max = f(0), f(2**num_bits - 1)
    rmin, rmax = f(rmin), f(rmax)
    scale = f((rmax - rmin) / (quant_max - quant_min))
    zp_from_min = f(quant_min - rmin / scale)
    if zp_from_min < quant_min:
        nudged = quant_min
    elif zp_from_min > quant_max:
        nudged = quant_max
    else:
        # std::round: half away from zero (zp_from_min >= 0 here)
        fl = np.floor(zp_from_min)
        nudged = f(fl + 1 if zp_from_min - fl >= 0.5 else fl)
    return float(scale), int(nudged) - 2 ** (num_bits - 1)


def activation_ranges(qat_model: Any) -> dict[str, tuple[float, float]]:
    """Layer name -> the (min, max) range its output is quantized with in the exported model."""
    return {
        l.name: l.output_range()
        for l in qat_model.layers
        if hasattr(l, "output_range") and l.output_range() is not None
    }


@dataclass(frozen=True)
class QatExportReport:
    """What :func:`export` wrote and the checks on it."""

    path: Path | None
    int8_bytes: int
    seconds: float
    float_ops: tuple  # edgeq.ptq.FloatOp entries (empty: fully integer)
    op_counts: tuple[tuple[str, int], ...]
    input_quant: tuple[float, int]
    output_quant: tuple[float, int]

    @property
    def fully_integer(self) -> bool:
        return not self.float_ops


def convert(qat_model: Any, *, allow_float: bool = False) -> tuple[bytes, QatExportReport]:
    """The int8 flatbuffer of a QAT model (no calibration: scales are the trained ranges)."""
    _silence_tf()
    from edgeq import convert_worker, ptq
    from edgeq.model import signature

    if _is_tf_keras(qat_model):
        return _convert_tfkeras(qat_model, allow_float)
    if not any(hasattr(l, "output_range") for l in getattr(qat_model, "layers", [])):
        raise EdgeqError("export takes the model returned by edgeq.qat.quantize_aware (it holds no quantization ranges)")
    uninitialised = [
        l.name for l in qat_model.layers
        if getattr(l, "fixed_range", 1) is None and not l.deferred and float(l.out_init.numpy()) == 0.0
    ]
    if uninitialised:
        log.warning("ranges never trained (default [-6, 6]) for: %s; fit the QAT model first", ", ".join(uninitialised))
    shapes = ptq._input_shapes(qat_model)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="edgeq-qat-") as tmp:
        saved = ptq._saved_model_dir(qat_model, shapes, Path(tmp))
        flatbuffer = signature.reorder_io(convert_worker.convert(saved, "qat", Path(tmp)),
                                          *ptq.keras_io_names(qat_model))
        conv = ptq.check_conversion(flatbuffer, mode="int8", allow_float=allow_float,
                                    label="the converted QAT model", advice="nothing written")
    seconds = time.perf_counter() - start
    report = QatExportReport(
        path=None, int8_bytes=len(conv.flatbuffer), seconds=seconds, float_ops=conv.float_ops,
        op_counts=conv.op_counts, input_quant=conv.input_quant, output_quant=conv.output_quant,
    )
    return conv.flatbuffer, report


def export(qat_model: Any, path: str | Path, *, allow_float: bool = False) -> QatExportReport:
    """Write ``qat_model`` (from :func:`quantize_aware`, trained) as a full-integer int8 .tflite.

    Inputs and outputs are int8; every activation scale and zero point is the one
    ``fake_quant_with_min_max_vars`` derives from the trained range; weights are per-channel
    symmetric int8. The result is checked like ``edgeq quantize`` checks its output: a model
    with float ops raises :class:`NotFullyIntegerError` (nothing written) unless
    ``allow_float`` (for layers kept float with ``keep_float``).
    """
    path = Path(path)
    if path.suffix.lower() != ".tflite":
        raise InputFileError(f"output {path} should end in .tflite")
    if not path.parent.exists():
        raise InputFileError(f"{path.parent}: output directory does not exist")
    flatbuffer, report = convert(qat_model, allow_float=allow_float)
    write_atomic(path, flatbuffer)
    log.info("wrote %s (%d bytes, %.1f s)", path, len(flatbuffer), report.seconds)
    return replace(report, path=path)


# --------------------------------------------------------------------------------------
# Evaluation helpers and the `edgeq qat` command's work
# --------------------------------------------------------------------------------------


def tflm_accuracy(flatbuffer: bytes, xs: np.ndarray | Sequence[np.ndarray], y: np.ndarray) -> float:
    """Top-1 accuracy of an int8 .tflite measured with the TFLM interpreter (edgeq's oracle)."""
    from edgeq.harness.oracle import TflmReference

    xs = [xs] if isinstance(xs, np.ndarray) else list(xs)
    out = TflmReference(flatbuffer).run(*xs)[0]
    return float(np.mean(out.reshape(out.shape[0], -1).argmax(axis=1) == np.asarray(y).reshape(-1)))


def keras_accuracy(model: Any, xs: np.ndarray | Sequence[np.ndarray], y: np.ndarray, batch_size: int = 256) -> float:
    """Top-1 accuracy of a Keras model (float or QAT) on the same data."""
    xs = [xs] if isinstance(xs, np.ndarray) else list(xs)
    out = model.predict(xs if len(xs) > 1 else xs[0], batch_size=batch_size, verbose=0)
    out = np.asarray(out[0] if isinstance(out, (list, tuple)) else out)
    return float(np.mean(out.reshape(out.shape[0], -1).argmax(axis=1) == np.asarray(y).reshape(-1)))


def outputs_probabilities(model: Any, index: int = 0) -> bool:
    """Whether the model's output ``index`` is a softmax (so the loss takes probabilities)."""
    import keras

    fmodel = _functional_of(model)
    layer = fmodel.outputs[index]._keras_history.operation
    if isinstance(layer, keras.layers.Softmax):
        return True
    return _fn_name(getattr(layer, "activation", None)) == "softmax"


@dataclass(frozen=True)
class QatOutcome:
    """What `edgeq qat` did: the file, its checks, and accuracies on the validation data."""

    output: Path
    report: QatExportReport
    epochs: int
    train_samples: int
    val_samples: int  # 0 without --val
    float_accuracy: float | None  # of the first classification output
    qat_accuracy: float | None  # the Keras QAT model
    int8_accuracy: float | None  # the exported file, TFLM interpreter
    # every output on the validation data: (float, QAT, int8) edgeq.harness.metrics.Score each
    val_scores: tuple = ()


def train_file(
    model_path: str | Path,
    train_path: str | Path,
    output: str | Path,
    *,
    val_path: str | Path | None = None,
    epochs: int = 3,
    batch_size: int = 32,
    learning_rate: float = 1e-4,
    keep_float: Sequence[str] = (),
    allow_float: bool = False,
    seed: int = 0,
) -> QatOutcome:
    """`edgeq qat`: fine-tune a Keras model quantization-aware on an .npz (``x``, labels ``y``:
    sparse categorical cross-entropy, Adam), write the int8 .tflite, and measure the float,
    QAT and int8 (TFLM) accuracy on ``val_path`` when given. Every input is checked before
    training; the output is written atomically at the end."""
    from edgeq import ptq

    output = Path(output)
    if output.suffix.lower() != ".tflite":
        raise InputFileError(f"output {output} should end in .tflite")
    if not output.parent.exists():
        raise InputFileError(f"{output.parent}: output directory does not exist")
    if epochs < 1:
        raise EdgeqError("--epochs must be at least 1")
    if keep_float and not allow_float:
        raise EdgeqError(f"--keep-float {', '.join(keep_float)} leaves float ops in the model: add --allow-float to "
                         f"write it anyway (TFLM runs it; edgeq-micro runs full-integer models only)")
    from edgeq.harness import metrics

    xs, _ = read_npz(train_path)
    vxs = read_npz(val_path)[0] if val_path is not None else None
    model = ptq.load_keras_model(model_path)
    if isinstance(model, Path):
        raise InputFileError(f"{model_path}: QAT needs a Keras model file (.keras or .h5), not a SavedModel directory")
    _silence_tf()
    import keras

    shapes = ptq._input_shapes(model)
    out_names = ptq.keras_io_names(model)[1]
    out_sizes = [int(np.prod(t.shape[1:])) for t in model.outputs]
    data = {}
    for label, path, dxs in (("--train", train_path, xs), ("--val", val_path, vxs)):
        if dxs is None:
            continue
        if len(dxs) != len(shapes):
            raise DataError(f"{label}: the model has {len(shapes)} inputs but the data has {len(dxs)} arrays")
        for i, (x, shape) in enumerate(zip(dxs, shapes)):
            if tuple(x.shape[1:]) != shape:
                raise DataError(f"{label} input {i} has shape {tuple(x.shape)}; the model wants (N, {', '.join(map(str, shape))})")
            if not np.issubdtype(x.dtype, np.floating) or not np.all(np.isfinite(x)):
                raise DataError(f"{label} input {i} must be finite float data (got {x.dtype})")
        targets = metrics.load_targets(path, int(dxs[0].shape[0]), out_sizes, out_names)
        missing = [f"y{i} ({n})" if len(targets) > 1 else "y" for i, (n, t) in enumerate(zip(out_names, targets))
                   if t.classes is None and t.values is None]
        if missing:
            raise DataError(f"{label} {path}: no labels for {', '.join(missing)}: training needs class indices or "
                            f"float targets for every output")
        data[label] = ([x.astype(np.float32) for x in dxs], targets)

    keras.utils.set_random_seed(seed)
    qmodel = quantize_aware(model, keep_float=keep_float)
    train_x, train_t = data["--train"]
    losses = [keras.losses.SparseCategoricalCrossentropy(from_logits=not outputs_probabilities(model, i))
              if t.classes is not None else keras.losses.MeanSquaredError() for i, t in enumerate(train_t)]
    train_y = [t.classes if t.classes is not None else t.values.reshape(-1, *model.outputs[i].shape[1:])
               for i, t in enumerate(train_t)]
    qmodel.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=losses if len(losses) > 1 else losses[0])
    qmodel.fit(train_x if len(train_x) > 1 else train_x[0], train_y if len(train_y) > 1 else train_y[0],
               epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    flatbuffer, report = convert(qmodel, allow_float=allow_float)
    scores: list = []
    if "--val" in data:
        from edgeq.harness.oracle import TflmReference

        vx, vt = data["--val"]
        n = vx[0].shape[0]
        ref = TflmReference(flatbuffer)
        raw = ref.run(*vx)
        for i, (f, q) in enumerate(zip(ptq.predict_float_all(model, vx), ptq.predict_float_all(qmodel, vx))):
            i8 = metrics.dequantize(raw[i], *ref.output_quant(i))
            scores.append(tuple(metrics.score(i, out_names[i], a.reshape(n, -1), vt[i]) for a in (f, q, i8)))
    first = next((sc for sc in scores if sc[0].accuracy is not None), (None, None, None))
    acc = [sc.accuracy if sc is not None else None for sc in first]
    write_atomic(output, flatbuffer)
    report = QatExportReport(output, *[getattr(report, f) for f in ("int8_bytes", "seconds", "float_ops", "op_counts", "input_quant", "output_quant")])
    return QatOutcome(output, report, epochs, int(xs[0].shape[0]), int(vxs[0].shape[0]) if vxs else 0, *acc,
                      val_scores=tuple(scores))


# --------------------------------------------------------------------------------------
# Legacy tf_keras models: tensorflow-model-optimization (the edgeq[tfkeras] extra)
# --------------------------------------------------------------------------------------


def quantize_aware_tfkeras(model: Any) -> Any:
    """QAT for a legacy ``tf_keras`` model with tensorflow-model-optimization's default 8-bit
    scheme (``tfmot.quantization.keras.quantize_model``). Needs ``pip install edgeq[tfkeras]``.

    Only for tf_keras: importing tfmot sets ``TF_USE_LEGACY_KERAS=1`` for the process, so it
    is imported here, never on the Keras 3 path. Write the result with :func:`export` (which
    recognises tf_keras models)."""
    if not _is_tf_keras(model):
        raise EdgeqError("quantize_aware_tfkeras takes a tf_keras model; use edgeq.qat.quantize_aware for Keras 3")
    try:
        import tensorflow_model_optimization as tfmot  # noqa: PLC0415 (never at module level)
    except ImportError:
        raise EdgeqError(
            "tf_keras models need tensorflow-model-optimization: pip install 'edgeq[tfkeras]'"
        ) from None
    return tfmot.quantization.keras.quantize_model(model)


def _convert_tfkeras(model: Any, allow_float: bool) -> tuple[bytes, QatExportReport]:
    import tensorflow as tf

    from edgeq import ptq

    start = time.perf_counter()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    conv = ptq.convert_checked(converter, mode="int8", allow_float=allow_float,
                               label="the converted QAT model", advice="nothing written")
    return conv.flatbuffer, QatExportReport(
        None, len(conv.flatbuffer), time.perf_counter() - start, conv.float_ops, conv.op_counts,
        conv.input_quant, conv.output_quant,
    )
