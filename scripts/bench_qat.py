#!/usr/bin/env python
"""Float vs PTQ int8 vs QAT int8 accuracy on offline tasks (int8 measured with the TFLM interpreter).

For each task: train a small float Keras 3 model, quantize it post-training with
``edgeq.quantize`` (200 calibration samples), fine-tune it quantization-aware with
``edgeq.qat`` and export it without calibration data; then measure top-1 accuracy on the
test split: float (Keras), PTQ int8 (TFLM), QAT (Keras), QAT int8 (TFLM). "float +ft" is
the float model fine-tuned for as many epochs as QAT (same optimizer): QAT also trains
further, so that is the reference that isolates what quantization costs.

    .venv/bin/python scripts/bench_qat.py          # fashion_mnist, kws, kws_nobn, digits
    .venv/bin/python scripts/bench_qat.py --tasks kws --md qat.md

Seeds are fixed; the figures vary a little with the machine's thread count (float sums).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402


def ds_cnn(input_shape, classes, *, width=32, first_kernel=(3, 3), first_strides=(2, 2), blocks=3):
    """A small depthwise-separable CNN (MobileNet / DS-CNN style): Conv→BN→ReLU, then
    [DepthwiseConv→BN→ReLU, 1×1 Conv→BN→ReLU] blocks, one with a residual Add, GAP, Dense+softmax."""
    import keras

    L = keras.layers
    inp = keras.Input(input_shape)
    x = L.Conv2D(width, first_kernel, strides=first_strides, padding="same", use_bias=False)(inp)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    for b in range(blocks):
        y = L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
        y = L.BatchNormalization()(y)
        y = L.ReLU(6.0)(y)
        y = L.Conv2D(width, 1, use_bias=False)(y)
        y = L.BatchNormalization()(y)
        x = L.ReLU()(L.Add()([x, y])) if b % 2 == 1 else L.ReLU()(y)
        if b == 0:
            x = L.MaxPooling2D(2)(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(classes, activation="softmax")(x)
    return keras.Model(inp, x)


def ds_cnn_no_bn(input_shape, classes, *, width=32):
    """The KWS DS-CNN without BatchNormalization (biases, ReLU): wider, unnormalised
    activation ranges, the kind of model on which post-training quantization loses accuracy."""
    import keras

    L = keras.layers
    inp = keras.Input(input_shape)
    x = L.Conv2D(width, (10, 4), strides=2, padding="same", activation="relu")(inp)
    for b in range(3):
        y = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
        y = L.Conv2D(width, 1, activation="relu")(y)
        x = L.Add()([x, y]) if b % 2 else y
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Dense(classes, activation="softmax")(x))


def tasks():
    """name -> (loader, model builder, float epochs, batch size)."""
    from edgeq import datasets

    def fashion():
        ds = datasets.load("fashion_mnist")
        return ds.x_train, ds.y_train, ds.x_test, ds.y_test, len(ds.class_names)

    def kws():
        ds = datasets.load("kws")
        return ds.x_train, ds.y_train, ds.x_test, ds.y_test, len(ds.class_names)

    def digits():
        ds = datasets.load("digits")
        return ds.x_train, ds.y_train, ds.x_test, ds.y_test, len(ds.class_names)

    return {
        "fashion_mnist": (fashion, lambda s, c: ds_cnn(s, c, width=32), 6, 64),
        "kws": (kws, lambda s, c: ds_cnn(s, c, width=32, first_kernel=(10, 4), first_strides=(2, 2)), 40, 32),
        "kws_nobn": (kws, lambda s, c: ds_cnn_no_bn(s, c, width=32), 40, 32),
        "digits": (digits, lambda s, c: ds_cnn(s, c, width=16, first_strides=(1, 1), blocks=2), 40, 32),
    }


def run_task(name, qat_epochs, qat_lr, train_limit, log):
    import keras

    from edgeq import ptq, qat

    load, build, float_epochs, batch = tasks()[name]
    xtr, ytr, xte, yte, classes = load()
    if train_limit and xtr.shape[0] > train_limit:
        idx = np.random.default_rng(0).permutation(xtr.shape[0])[:train_limit]
        xtr, ytr = xtr[idx], ytr[idx]
    keras.utils.set_random_seed(0)
    model = build(tuple(xtr.shape[1:]), classes)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(xtr, ytr, epochs=float_epochs, batch_size=batch, verbose=0, shuffle=True)
    t_float = time.perf_counter() - t0
    f_acc = qat.keras_accuracy(model, xte, yte)
    log(f"{name}: float {f_acc:.4f} ({float_epochs} epochs, {t_float:.0f} s, {model.count_params()} params)")

    ptq_tfl, _ = ptq.quantize(model, xtr, samples=200)
    p_acc = qat.tflm_accuracy(ptq_tfl, xte, yte)
    log(f"{name}: PTQ int8 (TFLM) {p_acc:.4f}")

    # The fair float reference for QAT: the float model fine-tuned just as long, same optimizer.
    keras.utils.set_random_seed(0)
    tuned = keras.models.clone_model(model)
    tuned.set_weights(model.get_weights())
    tuned.compile(optimizer=keras.optimizers.Adam(qat_lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tuned.fit(xtr, ytr, epochs=qat_epochs, batch_size=batch, verbose=0, shuffle=True)
    ft_acc = qat.keras_accuracy(tuned, xte, yte)
    log(f"{name}: float fine-tuned {qat_epochs} more epochs {ft_acc:.4f}")

    keras.utils.set_random_seed(0)
    qmodel = qat.quantize_aware(model)
    qmodel.compile(optimizer=keras.optimizers.Adam(qat_lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    qmodel.fit(xtr, ytr, epochs=qat_epochs, batch_size=batch, verbose=0, shuffle=True)
    t_qat = time.perf_counter() - t0
    q_acc = qat.keras_accuracy(qmodel, xte, yte)
    qat_tfl, report = qat.convert(qmodel)
    assert report.fully_integer
    qi_acc = qat.tflm_accuracy(qat_tfl, xte, yte)
    log(f"{name}: QAT Keras {q_acc:.4f}, QAT int8 (TFLM) {qi_acc:.4f} ({qat_epochs} epochs, {t_qat:.0f} s)")
    return dict(task=name, train=int(xtr.shape[0]), test=int(xte.shape[0]), float=f_acc, float_ft=ft_acc, ptq=p_acc, qat_keras=q_acc,
                qat_int8=qi_acc, float_epochs=float_epochs, qat_epochs=qat_epochs, params=model.count_params())


def table(rows) -> str:
    head = ("| task | train / test | params | float | float +ft | PTQ int8 (TFLM) | QAT (Keras) | QAT int8 (TFLM) "
            "| PTQ − float | QAT int8 − float | QAT int8 − float +ft | QAT int8 − QAT Keras |")
    out = [head, "|" + "---|" * 12]
    for r in rows:
        pts = lambda a: f"{100 * a:.2f}"  # noqa: E731
        d = lambda a, b: f"{100 * (a - b):+.2f}"  # noqa: E731
        out.append(
            f"| {r['task']} | {r['train']} / {r['test']} | {r['params']} | {pts(r['float'])} | {pts(r['float_ft'])} | "
            f"{pts(r['ptq'])} | {pts(r['qat_keras'])} | {pts(r['qat_int8'])} | {d(r['ptq'], r['float'])} | "
            f"{d(r['qat_int8'], r['float'])} | {d(r['qat_int8'], r['float_ft'])} | {d(r['qat_int8'], r['qat_keras'])} |"
        )
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="fashion_mnist,kws,kws_nobn,digits",
                    help="comma-separated: fashion_mnist, kws, kws_nobn, digits")
    ap.add_argument("--qat-epochs", type=int, default=3)
    ap.add_argument("--qat-lr", type=float, default=2e-4)
    ap.add_argument("--train-limit", type=int, default=0, help="use at most this many training samples (0: all)")
    ap.add_argument("--md", type=Path, default=None, help="also write the table to this Markdown file")
    args = ap.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    rows = [run_task(t.strip(), args.qat_epochs, args.qat_lr, args.train_limit, log) for t in args.tasks.split(",") if t.strip()]
    text = table(rows)
    print(text)
    if args.md:
        args.md.write_text(f"QAT epochs {args.qat_epochs}, lr {args.qat_lr}\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
