#!/usr/bin/env python
"""Mixed precision (``edgeq quantize --mode mixed``) on models trained here, where int8 loses
against float: float, int8, mixed and int16x8 quality (int8 modes on the TFLM interpreter),
edgeq-micro's arena and, with ``--target``, exact instructions per inference under QEMU, as
a Markdown table.

Tasks (small; seeds fixed):
* ``kws40`` — keyword spotting on 40 MFCCs (``datasets/kws``, ``num_coeffs=40``), the DS-CNN
  without BatchNormalization of scripts/bench_qat.py: unnormalised features whose first
  coefficients dwarf the others, so the int8 input step swallows the small ones;
* ``sensor`` — a regression MLP (8 -> 32 -> 32 -> 1) on sensor-like features, one of them in
  units 20 times wider than the rest: quality is the output's SNR in dB against the targets;
* ``kws_nobn`` — the same DS-CNN on the default 10 MFCCs (int8 loses little there).

The int16 ops are chosen on a validation split carved from the training data (20 %); the
figures are on the test split, which the choice never sees.

    .venv/bin/python scripts/bench_mixed.py [--tasks kws40,sensor] [--budget 1] [--target mps2-an386] [--md R.md]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def _kws(num_coeffs: int):
    from bench_qat import ds_cnn_no_bn
    from edgeq import datasets

    def load():
        ds = datasets.load("kws", num_coeffs=num_coeffs)
        return ds.x_train, ds.y_train, ds.x_test, ds.y_test, len(ds.class_names)

    return load, lambda shape, classes: ds_cnn_no_bn(shape, classes, width=32), "classes", 40, 32


def _sensor():
    def load():
        rng = np.random.default_rng(0)

        def data(n):
            x = rng.uniform(-1, 1, (n, 8)).astype(np.float32) * np.array([20, 1, 1, 1, 1, 1, 1, 1], np.float32)
            y = 0.04 * x[:, 0] - 0.5 * x[:, 1] + 0.3 * x[:, 2] * x[:, 3] + 0.2 * np.abs(x[:, 4])
            return x, y[:, None].astype(np.float32)

        (xtr, ytr), (xte, yte) = data(4000), data(1000)
        return xtr, ytr, xte, yte, 1

    def build(shape, _outputs):
        import keras

        i = keras.Input(shape)
        h = keras.layers.Dense(32, activation="relu")(i)
        h = keras.layers.Dense(32, activation="relu")(h)
        return keras.Model(i, keras.layers.Dense(1)(h))

    return load, build, "values", 100, 64


TASKS = {"kws40": lambda: _kws(40), "kws_nobn": lambda: _kws(10), "sensor": _sensor}


def _quality(buf_or_model, xs, y, kind) -> float:
    """Accuracy in % (classes) or SNR in dB (values) of a .tflite (TFLM) or a Keras model."""
    from edgeq.harness import metrics
    from edgeq.harness.oracle import TflmReference

    if isinstance(buf_or_model, (bytes, bytearray)):
        ref = TflmReference(bytes(buf_or_model))
        out = ref.run(xs)[0]
        scale, zp = ref.output_quant(0)
        out = metrics.dequantize(out, scale, zp)
    else:
        out = np.asarray(buf_or_model.predict(xs, verbose=0))
    n = out.shape[0]
    if kind == "classes":
        return 100.0 * float(np.mean(out.reshape(n, -1).argmax(axis=1) == y))
    return float(metrics.error_figures(out, y)[1])


def run_task(name: str, budget: float, board: str | None, log) -> dict:
    import keras

    from edgeq import mixed, ptq
    from edgeq.harness.metrics import Target
    from edgeq.model import cost
    from edgeq.model.reader import read_model

    load, build, kind, epochs, batch = TASKS[name]()
    xtr, ytr, xte, yte, outputs = load()
    order = np.random.default_rng(1).permutation(xtr.shape[0])
    val, fit = order[: xtr.shape[0] // 5], order[xtr.shape[0] // 5:]
    keras.utils.set_random_seed(0)
    model = build(tuple(xtr.shape[1:]), outputs)
    loss = "sparse_categorical_crossentropy" if kind == "classes" else "mse"
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss)
    t0 = time.perf_counter()
    model.fit(xtr[fit], ytr[fit], epochs=epochs, batch_size=batch, verbose=0, shuffle=True)
    log(f"{name}: trained {epochs} epochs on {len(fit)} samples in {time.perf_counter() - t0:.0f} s")
    calib = xtr[fit][:200]
    fb8, _ = ptq.quantize(model, calib, mode="int8")
    fb16, _ = ptq.quantize(model, calib, mode="int16x8")
    target = Target(classes=ytr[val].astype(np.int64)) if kind == "classes" else Target(values=ytr[val])
    t0 = time.perf_counter()
    buf, rep, _ = mixed.quantize_mixed(model, [calib], [xtr[val]], target, budget=budget, board=board,
                                       conversions=(fb8, fb16))
    log(f"{name}: chose {rep.int16_layers or 'no op'} in {time.perf_counter() - t0:.0f} s")
    test = {"float": _quality(model, xte, yte, kind), "int8": _quality(fb8, xte, yte, kind),
            "mixed": _quality(buf, xte, yte, kind), "int16x8": _quality(fb16, xte, yte, kind)}
    estimates = {m: cost.estimate_instructions(read_model(b)) for m, b in (("int8", fb8), ("mixed", buf), ("int16x8", fb16))}
    return {"task": name, "kind": kind, "report": rep, "test": test, "val": len(val), "test_n": xte.shape[0],
            "estimates": estimates}


def table(results: list[dict]) -> str:
    measured = any(r["report"].instructions_board for r in results)
    head = "exact instructions / inference (QEMU) | estimated (edgeq.model.cost)" if measured \
        else "estimated instructions / inference (edgeq.model.cost)"
    lines = [f"| task | mode | validation (choice) | test | arena B | {head} |",
             "|---|---|---:|---:|---:|---:|" + ("---:|" if measured else "")]
    for r in results:
        rep, unit = r["report"], (" %" if r["kind"] == "classes" else " dB")
        for m in ("float", "int8", "mixed", "int16x8"):
            f = rep.modes[m]
            lines.append(f"| {r['task']} | {m} | {f.quality:.2f}{unit} | {r['test'][m]:.2f}{unit} | "
                         f"{'' if f.arena_bytes is None else f'{f.arena_bytes:,}'} | "
                         f"{'' if f.instructions is None else f'{f.instructions:,}'} |"
                         + (f" {r['estimates'][m]:,} |" if measured and m in r["estimates"] else (" |" if measured else "")))
    out = ["\n".join(lines), ""]
    for r in results:
        rep, t = r["report"], r["test"]
        gap8, gapm = t["float"] - t["int8"], t["float"] - t["mixed"]
        closed = f"{100 * (gap8 - gapm) / gap8:.0f} % of the int8 gap closed" if gap8 > 0 else "int8 has no gap"
        a8, am = rep.modes["int8"].arena_bytes, rep.modes["mixed"].arena_bytes
        unit = "points" if r["kind"] == "classes" else "dB"
        out.append(f"- {r['task']} ({r['val']} validation / {r['test_n']} test samples): int16 layers "
                   f"{', '.join(rep.int16_layers) or 'none'}; test gap to float: int8 {gap8:.2f} {unit}, mixed "
                   f"{gapm:.2f} {unit} ({closed}); arena mixed / int8 {am / a8:.2f}x; "
                   f"{rep.quantize_ops} QUANTIZE ops added")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="kws40,sensor")
    ap.add_argument("--budget", type=float, default=1.0)
    ap.add_argument("--target", default=None)
    ap.add_argument("--md", type=Path, default=None)
    args = ap.parse_args(argv)
    results = [run_task(t.strip(), args.budget, args.target, lambda s: print(s, flush=True))
               for t in args.tasks.split(",") if t.strip()]
    text = table(results)
    print(text)
    if args.md:
        args.md.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
