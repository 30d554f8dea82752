#!/usr/bin/env python
"""Mixed precision (``edgeq quantize --mode mixed``) on models trained here: float, int8,
mixed and int16x8 accuracy (int8 modes on the TFLM interpreter), edgeq-micro's arena and,
with ``--target``, exact instructions per inference under QEMU, as a Markdown table.

Tasks:
* ``kws_nobn`` — the KWS DS-CNN without BatchNormalization on MFCC features
  (``datasets/kws``; scripts/bench_qat.py's model): unnormalised activation ranges, on which
  post-training int8 loses accuracy;
* ``kws`` — the same with BatchNormalization.

    .venv/bin/python scripts/bench_mixed.py [--tasks kws_nobn,kws] [--budget 1] [--target mps2-an386] [--md R.md]

The evaluation data the int16 ops are chosen on is the test split's first half; the figures
are on the second half (not seen by the choice). Seeds are fixed.
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


def run_task(name: str, budget: float, board: str | None, log) -> dict:
    import keras

    from bench_qat import tasks
    from edgeq import mixed, qat
    from edgeq.harness.metrics import Target

    load, build, epochs, batch = tasks()[name]
    xtr, ytr, xte, yte, classes = load()
    half = xte.shape[0] // 2
    xch, ych, xev, yev = xte[:half], yte[:half], xte[half:], yte[half:]
    keras.utils.set_random_seed(0)
    model = build(tuple(xtr.shape[1:]), classes)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(xtr, ytr, epochs=epochs, batch_size=batch, verbose=0, shuffle=True)
    log(f"{name}: trained {epochs} epochs in {time.perf_counter() - t0:.0f} s, float {qat.keras_accuracy(model, xte, yte):.4f}")
    calib = xtr[np.random.default_rng(0).permutation(xtr.shape[0])[:200]]
    t0 = time.perf_counter()
    buf, rep, _ = mixed.quantize_mixed(model, [calib], [xch], Target(classes=ych.astype(np.int64)), budget=budget,
                                       board=board)
    log(f"{name}: mixed chosen in {time.perf_counter() - t0:.0f} s: {rep.int16_layers}")
    # the held-out half: each mode's accuracy
    fb8, fb16 = mixed_conversions(model, calib)
    held = {"float": qat.keras_accuracy(model, xev, yev), "int8": qat.tflm_accuracy(fb8, xev, yev),
            "mixed": qat.tflm_accuracy(buf, xev, yev), "int16x8": qat.tflm_accuracy(fb16, xev, yev)}
    return {"task": name, "report": rep, "held": held, "chosen_on": half, "held_out": xev.shape[0]}


def mixed_conversions(model, calib):
    from edgeq import ptq

    return ptq.quantize(model, calib, mode="int8")[0], ptq.quantize(model, calib, mode="int16x8")[0]


def table(results: list[dict]) -> str:
    lines = ["| task | mode | accuracy (choice half) | accuracy (held-out half) | arena B | instructions |",
             "|---|---|---:|---:|---:|---:|"]
    for r in results:
        rep = r["report"]
        for m in ("float", "int8", "mixed", "int16x8"):
            f = rep.modes[m]
            lines.append(f"| {r['task']} | {m} | {f.quality:.2f} % | {100 * r['held'][m]:.2f} % | "
                         f"{'' if f.arena_bytes is None else f'{f.arena_bytes:,}'} | "
                         f"{'' if f.instructions is None else f'{f.instructions:,}'} |")
    out = ["\n".join(lines), ""]
    for r in results:
        rep = r["report"]
        i8, mx, fl = (r["held"][m] for m in ("int8", "mixed", "float"))
        closed = (mx - i8) / (fl - i8) if fl > i8 else float("nan")
        a8, am = rep.modes["int8"].arena_bytes, rep.modes["mixed"].arena_bytes
        out.append(f"- {r['task']}: int16 layers {', '.join(rep.int16_layers) or 'none'}; held-out gap "
                   f"int8 {100 * (fl - i8):.2f} points, mixed {100 * (fl - mx):.2f} ({100 * closed:.0f} % closed); "
                   f"arena mixed / int8 {am / a8:.2f}x; {rep.quantize_ops} QUANTIZE ops added")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="kws_nobn,kws")
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
