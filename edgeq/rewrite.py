"""Keras layers rewritten, before conversion, into forms the TFLite converter quantizes to ops a
microcontroller runtime runs. The float function is unchanged (same weights, same outputs).

- ``LSTM`` / ``GRU`` / ``SimpleRNN`` (also inside ``Bidirectional``): Keras 3 exports a
  recurrent layer as a while loop over TensorLists, which the converter's calibrator crashes on
  (SIGSEGV in TF 2.21). Unrolled over its fixed number of time steps, it becomes
  FULLY_CONNECTED, LOGISTIC, TANH, MUL, ADD, SPLIT and UNPACK, all int8 in TFLM and edgeq-micro.
  A sequence of unknown length cannot be unrolled: refused with the layer's name.
- ``UpSampling2D(interpolation="nearest")``: Keras 3 writes it as ``repeat`` (RESHAPE + TILE,
  which neither runtime runs int8); rewritten as a nearest-neighbour resize, it converts to
  RESIZE_NEAREST_NEIGHBOR (the same output: each pixel repeated by the integer factors).
- ``LayerNormalization``: Keras 3 computes ``x * inv + (-mean * inv + beta)``; the converter
  keeps that NEG in float (TFLite has no int8 NEG). Rewritten as ``(x - mean) * rsqrt(var +
  epsilon) * gamma + beta`` (with ``rms_scaling``: ``x * rsqrt(mean(x^2) + epsilon) * gamma``),
  it converts to MEAN, SUB, MUL, ADD and RSQRT, all int8 in TFLM and edgeq-micro.
"""

from __future__ import annotations

from typing import Any

from edgeq.errors import EdgeqError

_RNNS = ("LSTM", "GRU", "SimpleRNN")


def _set_unroll(cfg: Any) -> None:
    if isinstance(cfg, dict):
        if "unroll" in cfg:
            cfg["unroll"] = True
        for v in cfg.values():
            _set_unroll(v)
    elif isinstance(cfg, list):
        for v in cfg:
            _set_unroll(v)


def _is_rnn(layer: Any) -> bool:
    import keras

    inner = getattr(layer, "forward_layer", None)  # Bidirectional
    return isinstance(layer, keras.layers.RNN) or isinstance(inner, keras.layers.RNN)


def _walk(model: Any):
    for layer in getattr(model, "layers", []):
        yield layer
        if hasattr(layer, "layers") and not _is_rnn(layer):
            yield from _walk(layer)


def _nearest_upsampling(layer: Any) -> bool:
    import keras

    return (isinstance(layer, keras.layers.UpSampling2D) and layer.interpolation == "nearest"
            and not getattr(layer, "edgeq_resize", False))


def resize_layer():
    import keras

    class UpSamplingResize(keras.layers.UpSampling2D):
        """UpSampling2D(nearest) written as a resize, so it converts to RESIZE_NEAREST_NEIGHBOR."""

        edgeq_resize = True

        def call(self, inputs):
            ops = keras.ops
            x = inputs if self.data_format == "channels_last" else ops.transpose(inputs, [0, 2, 3, 1])
            h, w = x.shape[1], x.shape[2]
            x = ops.image.resize(x, (h * self.size[0], w * self.size[1]), interpolation="nearest",
                                 data_format="channels_last")
            return x if self.data_format == "channels_last" else ops.transpose(x, [0, 3, 1, 2])

    return UpSamplingResize


def _layer_norm(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.layers.LayerNormalization) and not getattr(layer, "edgeq_quantizable", False)


def layer_norm_layer():
    import keras

    class QuantizableLayerNormalization(keras.layers.LayerNormalization):
        """LayerNormalization without a negation, so that it quantizes full-integer."""

        edgeq_quantizable = True

        def call(self, inputs):
            ops = keras.ops
            x = ops.cast(inputs, self.compute_dtype)
            axes = tuple(self.axis) if isinstance(self.axis, (list, tuple)) else (self.axis,)
            if self.rms_scaling:
                y = x * ops.rsqrt(ops.mean(x * x, axis=axes, keepdims=True) + self.epsilon)
                return y * self._broadcast(self.gamma, x, axes) if self.gamma is not None else y
            centered = x - ops.mean(x, axis=axes, keepdims=True)
            y = centered * ops.rsqrt(ops.mean(centered * centered, axis=axes, keepdims=True) + self.epsilon)
            if self.gamma is not None:
                y = y * self._broadcast(self.gamma, x, axes)
            if self.beta is not None:
                y = y + self._broadcast(self.beta, x, axes)
            return y

        @staticmethod
        def _broadcast(w, x, axes):
            rank = len(x.shape)
            shape = [1] * rank
            for a in axes:
                shape[a % rank] = x.shape[a % rank]
            return keras.ops.reshape(w, shape)

    return QuantizableLayerNormalization


def for_conversion(model: Any) -> tuple[Any, tuple[str, ...]]:
    """``(model, notes)``: the model with the rewrites above applied (the same object when none
    applies), and one note per rewritten layer. Raises EdgeqError for a recurrent layer over a
    sequence of unknown length."""
    import keras

    if not isinstance(model, keras.Model):
        return model, ()
    notes: list[str] = []
    for layer in _walk(model):
        kind = type(getattr(layer, "forward_layer", None) or layer).__name__
        if _is_rnn(layer) and not getattr(getattr(layer, "forward_layer", None) or layer, "unroll", False):
            steps = layer.input.shape[1] if len(layer.input.shape) > 1 else None
            if steps is None:
                raise EdgeqError(
                    f"layer {layer.name!r} ({kind}) runs over a sequence of unknown length, which TFLite cannot "
                    f"quantize as a loop; give the model input a fixed number of time steps "
                    f"(keras.Input((T, features))) so edgeq can unroll it")
            notes.append(f"{kind} {layer.name!r} unrolled over its {steps} time steps (Keras 3's recurrent loop "
                         f"does not quantize)")
        elif _nearest_upsampling(layer):
            notes.append(f"UpSampling2D {layer.name!r} converted as RESIZE_NEAREST_NEIGHBOR")
        elif _layer_norm(layer):
            notes.append(f"LayerNormalization {layer.name!r} written as MEAN, SUB, MUL, ADD, RSQRT (Keras' form "
                         f"leaves a float NEG)")
    if not notes:
        return model, ()
    resize = resize_layer()
    layer_norm = layer_norm_layer()

    def clone(layer):
        cfg = layer.get_config()
        if _is_rnn(layer):
            _set_unroll(cfg)
            return type(layer).from_config(cfg)
        if _nearest_upsampling(layer):
            return resize.from_config(cfg)
        if _layer_norm(layer):
            return layer_norm.from_config(cfg)
        return type(layer).from_config(cfg)

    try:
        rewritten = keras.models.clone_model(model, clone_function=clone, recursive=True)
        rewritten.set_weights(model.get_weights())
        for layer in _walk(rewritten):  # state derived from weights (an adapted Normalization)
            if getattr(layer, "finalize_state", None) and getattr(layer, "adapt_mean", None) is not None:
                layer.finalize_state()
    except Exception as exc:  # a subclassed model or layer that cannot be cloned from its config
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        names = ", ".join(n.split(" ")[1] for n in notes)
        raise EdgeqError(f"layers {names} must be rewritten for conversion, but this model cannot be cloned "
                         f"({first}); build it as a functional or Sequential model") from None
    return rewritten, tuple(notes)
