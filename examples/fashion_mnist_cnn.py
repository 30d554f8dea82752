"""Train a small CNN on Fashion-MNIST, quantize it to int8 with edgeq, compare float vs int8.

    .venv/bin/python examples/fashion_mnist_cnn.py [--epochs 3] [--out out/fashion]

Writes OUT/fashion_cnn.keras, OUT/fashion_cnn_int8.tflite, OUT/layers.md (per-layer error),
OUT/calib.npz and OUT/test.npz (for the edgeq CLI), then prints the float/int8 table, runs
`edgeq inspect` on the int8 model and `edgeq bench` on mps2-an386 under QEMU (OUT/bench.json,
OUT/bench.md: flash, RAM, exact instructions, on-target accuracy, bit-exactness with TFLM).
Data comes from the Debian package dataset-fashion-mnist (installed by scripts/setup.sh);
int8 accuracy is measured on the TFLM interpreter.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import edgeq  # noqa: E402
from edgeq import datasets, quant_debug  # noqa: E402
from edgeq.fileio import write_atomic  # noqa: E402
from edgeq.ptq import float_tflite  # noqa: E402
from edgeq.report.quant import layer_report  # noqa: E402


def build_model() -> keras.Model:
    """Conv→BN→ReLU, depthwise-separable block, pooling, Flatten, Dense, Softmax."""
    inp = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(max_value=6.0)(x)
    x = keras.layers.Conv2D(32, 1, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(10)(x)
    out = keras.layers.Softmax()(x)
    return keras.Model(inp, out, name="fashion_cnn")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--train-samples", type=int, default=60000, help="use the first N training images")
    ap.add_argument("--test-samples", type=int, default=10000)
    ap.add_argument("--calib-samples", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("out/fashion"))
    ap.add_argument("--target", default="mps2-an386", help="board to bench on (emulated); 'none' skips the bench")
    ap.add_argument("--bench-samples", type=int, default=1000, help="test images run on the target")
    args = ap.parse_args(argv)
    console = Console()
    args.out.mkdir(parents=True, exist_ok=True)

    ds = datasets.load("fashion_mnist")
    xtr, ytr = ds.x_train[: args.train_samples], ds.y_train[: args.train_samples]
    xte, yte = ds.x_test[: args.test_samples], ds.y_test[: args.test_samples]
    keras.utils.set_random_seed(0)
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with console.status(f"training {args.epochs} epochs on {len(xtr)} images..."):
        t = time.perf_counter()
        model.fit(xtr, ytr, epochs=args.epochs, batch_size=128, verbose=0)
        train_s = time.perf_counter() - t
    model.save(args.out / "fashion_cnn.keras")
    np.savez(args.out / "calib.npz", x=xtr[:1000])
    np.savez(args.out / "test.npz", x=xte, y=yte)

    with console.status("quantizing (edgeq.quantize)..."):
        t = time.perf_counter()
        tfl, report = edgeq.quantize(model, xtr[:1000], samples=args.calib_samples)
        quant_s = time.perf_counter() - t
    tfl_path = args.out / "fashion_cnn_int8.tflite"
    write_atomic(tfl_path, tfl)
    with console.status("evaluating float (Keras) and int8 (TFLM interpreter)..."):
        ev = quant_debug.evaluate(model, tfl, [xte], yte, float_bytes=len(float_tflite(model, [(28, 28, 1)])))
        layers = quant_debug.layer_errors_for(model, [xtr[:200]], "int8")
    write_atomic(args.out / "layers.md", layer_report(args.out / "layers.md", layers, report).encode())

    table = Table(title=f"Fashion-MNIST CNN: float vs int8 ({ev.samples} test images)")
    for col in ("", "float", "int8"):
        table.add_column(col, justify="right" if col else "left")
    table.add_row("accuracy", f"{100 * ev.float_accuracy:.2f}%", f"{100 * ev.int8_accuracy:.2f}% (TFLM)")
    table.add_row("top-1 agreement", "", f"{100 * ev.top1_agreement:.2f}%")
    table.add_row(".tflite size", f"{ev.float_bytes:,} B", f"{ev.int8_bytes:,} B")
    table.add_row("parameters", f"{model.count_params():,}", "")
    table.add_row("train / quantize time", f"{train_s:.1f} s", f"{quant_s:.1f} s ({report.samples} calibration samples)")
    worst = layers[0] if layers else None
    if worst:
        table.add_row("worst layer (RMSE/scale)", "", f"{worst.op} {worst.rmse_over_scale:.2f}")
    console.print(table)
    console.print(f"wrote {tfl_path}, {args.out / 'layers.md'}, {args.out / 'calib.npz'}, {args.out / 'test.npz'}")

    edgeq_cli = Path(sys.executable).with_name("edgeq")
    cmd = [str(edgeq_cli) if edgeq_cli.exists() else "edgeq", "inspect", str(tfl_path)]
    console.print(f"$ {' '.join(cmd)}")
    rc = subprocess.run(cmd, check=False).returncode
    if rc != 0 or args.target == "none" or args.bench_samples <= 0:
        return rc
    # the int8 model on the board under QEMU: size, exact instructions, on-target accuracy,
    # every output compared with the TFLM interpreter
    np.savez(args.out / "bench.npz", x=xte[: args.bench_samples], y=yte[: args.bench_samples])
    cmd = [cmd[0], "bench", str(tfl_path), "--target", args.target, "--data", str(args.out / "bench.npz"),
           "--json", str(args.out / "bench.json")]
    console.print(f"$ {' '.join(cmd)}")
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
