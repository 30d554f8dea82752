"""The small Keras models of issue 17's table: the layers users train for microcontrollers.

``make(name, folder)`` saves ``folder/NAME.keras`` and ``folder/NAME.npz`` (inputs ``x`` or
``x0, x1``; labels ``y`` or ``y0, y1``: class indices, or float targets for a regression head
or an autoencoder) and returns the two paths. Weights are Keras' seeded initial ones: the
table checks conversion and bit-exactness, not accuracy. Each model builds in well under a
second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N = 24  # samples: enough to calibrate and vary, small enough for QEMU runs in the test time

NAMES = ("lstm", "gru", "simple_rnn", "conv1d", "sepconv_gmp", "dense_dropout", "dense_bn", "rescale_norm",
         "autoencoder", "upsampling", "two_inputs", "two_outputs", "layer_norm",
         "transformer")


def _build(name: str, rng):
    import keras
    from keras import layers as L

    keras.utils.set_random_seed(0)
    cls = lambda: rng.integers(0, 3, N)  # noqa: E731
    if name in ("lstm", "gru", "simple_rnn"):
        layer = {"lstm": L.LSTM, "gru": L.GRU, "simple_rnn": L.SimpleRNN}[name](8)
        i = keras.Input((10, 4))
        return keras.Model(i, L.Dense(3, activation="softmax")(layer(i))), [rng.normal(size=(N, 10, 4))], [cls()]
    if name == "conv1d":
        i = keras.Input((32, 2))
        h = L.GlobalAveragePooling1D()(L.Conv1D(4, 3, activation="relu")(i))
        return keras.Model(i, L.Dense(3)(h)), [rng.normal(size=(N, 32, 2))], [cls()]
    if name == "sepconv_gmp":
        i = keras.Input((12, 12, 3))
        h = L.GlobalMaxPooling2D()(L.SeparableConv2D(8, 3, activation="relu")(i))
        return keras.Model(i, L.Dense(3)(h)), [rng.normal(size=(N, 12, 12, 3))], [cls()]
    if name == "dense_dropout":
        i = keras.Input((16,))
        h = L.Dropout(0.2)(L.Dense(16, activation="relu")(i))
        return keras.Model(i, L.Dense(3)(h)), [rng.normal(size=(N, 16))], [cls()]
    if name == "dense_bn":
        i = keras.Input((16,))
        h = L.ReLU()(L.BatchNormalization()(L.Dense(16)(i)))
        return keras.Model(i, L.Dense(3)(h)), [rng.normal(size=(N, 16))], [cls()]
    if name == "rescale_norm":
        i = keras.Input((8, 8, 1))
        norm = L.Normalization()
        norm.adapt(rng.uniform(0, 1, (N, 8, 8, 1)).astype("float32"))
        h = L.Conv2D(4, 3, activation="relu")(norm(L.Rescaling(1 / 255.0)(i)))
        return keras.Model(i, L.Dense(3)(L.Flatten()(h))), [rng.uniform(0, 255, (N, 8, 8, 1))], [cls()]
    if name == "autoencoder":
        i = keras.Input((8, 8, 1))
        h = L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(i)
        h = L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(h)
        h = L.UpSampling2D()(L.MaxPooling2D()(h))
        x = rng.uniform(0, 1, (N, 8, 8, 1))
        return keras.Model(i, L.Conv2D(1, 3, padding="same")(h)), [x], [x]
    if name == "upsampling":
        i = keras.Input((8, 8, 1))
        h = L.UpSampling2D()(L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(i))
        x = rng.uniform(0, 1, (N, 8, 8, 1))
        return keras.Model(i, L.Conv2D(1, 3, padding="same")(h)), [x], [x]
    if name == "two_inputs":
        a, b = keras.Input((8,), name="a"), keras.Input((4,), name="b")
        h = L.Concatenate()([L.Dense(8, activation="relu")(a), L.Dense(8, activation="relu")(b)])
        return keras.Model([a, b], L.Dense(3)(h)), [rng.normal(size=(N, 8)), rng.normal(size=(N, 4))], [cls()]
    if name == "two_outputs":
        i = keras.Input((16,))
        h = L.Dense(16, activation="relu")(i)
        c, r = L.Dense(3, activation="softmax", name="cls")(h), L.Dense(1, name="reg")(h)
        return keras.Model(i, [c, r]), [rng.normal(size=(N, 16))], [cls(), rng.normal(size=(N, 1))]
    if name == "layer_norm":  # issue 18: a Keras LayerNormalization quantized full-integer
        i = keras.Input((6, 8))
        h = L.LayerNormalization()(L.Dense(8)(i))
        return keras.Model(i, L.Dense(3, activation="softmax")(L.Flatten()(h))), [rng.normal(size=(N, 6, 8))], [cls()]
    if name == "transformer":  # issue 18: one encoder block, 2 heads, LayerNorm, a classifier head
        i = keras.Input((8, 16))
        a = L.MultiHeadAttention(num_heads=2, key_dim=8)(i, i)
        h = L.LayerNormalization()(L.Add()([i, a]))
        f = L.Dense(16)(L.Dense(32, activation="relu")(h))
        h = L.LayerNormalization()(L.Add()([h, f]))
        out = L.Dense(3, activation="softmax")(L.GlobalAveragePooling1D()(h))
        return keras.Model(i, out), [rng.normal(size=(N, 8, 16))], [cls()]
    raise ValueError(name)


def make(name: str, folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(sorted(NAMES).index(name))
    model, xs, ys = _build(name, rng)
    keras_path, data_path = Path(folder) / f"{name}.keras", Path(folder) / f"{name}.npz"
    model.save(keras_path)
    arrays = {"x": xs[0]} if len(xs) == 1 else {f"x{i}": x for i, x in enumerate(xs)}
    arrays.update({"y": ys[0]} if len(ys) == 1 else {f"y{i}": y for i, y in enumerate(ys)})
    np.savez(data_path, **{k: (v.astype(np.float32) if v.dtype.kind == "f" else v) for k, v in arrays.items()})
    return keras_path, data_path
