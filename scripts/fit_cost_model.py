#!/usr/bin/env python
"""Fit edgeq's static instruction estimate (``edgeq/model/cost_cortex_m4.json``, read by
:mod:`edgeq.model.cost`) from exact per-op profiles of edgeq-micro's fast kernels on
mps2-an386 (Cortex-M4 with DSP, QEMU with edgeq's instruction plugin).

The corpus: the int8, int16x8 and mixed (a few ops int16x8) conversions of small Keras models (random weights, random
calibration: instruction counts depend on shapes and kernels, not on the values, up to a few
data-dependent branches), the KWS DS-CNN, and the TFLM example models. Every op of every
model is profiled (``edgeq bench --profile``'s accounting); each (op, activation type) class
gets ``instructions ~= a * work + t * taps + c * outputs + b`` (non-negative least squares on relative error, work as
:func:`edgeq.model.cost.op_work` defines it), and every activation type a fallback fitted
over all its ops. It prints the estimate's error on each model of the corpus.

    .venv/bin/python scripts/fit_cost_model.py [--out edgeq/model/cost_cortex_m4.json] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

BOARD = "mps2-an386"
KERAS_MODELS = ("conv1d", "sepconv_gmp", "dense_bn", "two_inputs", "autoencoder", "upsampling",
                "layer_norm", "transformer", "lstm")
# mixed models (edgeq.mixed.splice): these op indices int16x8, the rest int8
MIXED = {"kws_dscnn": (0, 1, 2), "conv1d": (0,), "autoencoder": (1, 2), "dense_bn": (0,)}
FIXTURES = ("hello_world/models/hello_world_int8.tflite", "person_detection/person_detect.tflite",
            "micro_speech/models/micro_speech_quantized.tflite", "mnist_lstm/trained_lstm_int8.tflite")


def corpus(work: Path) -> list[tuple[str, Path]]:
    """(name, .tflite) of every model profiled."""
    import keras

    import edgeq
    import user_models
    from bench_qat import ds_cnn_no_bn

    out = []
    keras_models = []
    for name in KERAS_MODELS:
        kpath, dpath = work / f"{name}.keras", work / f"{name}.npz"
        if not kpath.exists():
            kpath, dpath = user_models.make(name, work)
        data = np.load(dpath)
        xs = [data[k] for k in sorted(data.files) if k.startswith("x")]
        keras_models.append((name, keras.models.load_model(kpath), xs))
    keras.utils.set_random_seed(0)
    kws = ds_cnn_no_bn((49, 40, 1), 12, width=32)
    keras_models.append(("kws_dscnn", kws, [np.random.default_rng(0).normal(size=(64, 49, 40, 1)) * 20]))
    for name, model, xs in keras_models:
        calib = xs[0] if len(xs) == 1 else xs
        for mode in ("int8", "int16x8"):
            path = work / f"{name}_{mode}.tflite"
            if path.exists():  # a --work folder of an earlier run
                out.append((f"{name}_{mode}", path))
                continue
            try:
                buf, _ = edgeq.quantize(model, calib, mode=mode, samples=64)
            except Exception as exc:  # a conversion this model does not have (e.g. int16x8 LSTM)
                print(f"  skip {name} {mode}: {str(exc).splitlines()[0][:100]}")
                continue
            path.write_bytes(buf)
            out.append((f"{name}_{mode}", path))
        pair = [work / f"{name}_{m}.tflite" for m in ("int8", "int16x8")]
        mixed_path = work / f"{name}_mixed.tflite"
        if name in MIXED and all(p.exists() for p in pair):  # QUANTIZE int8 <-> int16 at the seams
            if not mixed_path.exists():
                from edgeq.mixed import splice

                mixed_path.write_bytes(splice(pair[0].read_bytes(), pair[1].read_bytes(), MIXED[name]))
            out.append((f"{name}_mixed", mixed_path))
    fixtures = Path(os.environ.get("EDGEQ_FIXTURES", ROOT.parent / "shared" / "fixtures"))
    for rel in FIXTURES:
        path = fixtures / rel
        if path.exists():
            out.append((path.stem, path))
    return out


def profile_rows(path: Path) -> tuple[list[tuple[str, tuple[int, int], int]], int]:
    """((class key, (work, outputs), instructions) of every op, the inference's instructions)."""
    from edgeq import targets
    from edgeq.harness import profile
    from edgeq.model import cost
    from edgeq.model.ir import NUMPY_DTYPES
    from edgeq.model.reader import read_model

    model = read_model(path.read_bytes())
    sg = model.subgraphs[0]
    rng = np.random.default_rng(0)
    inputs = []
    for t in (sg.tensors[i] for i in sg.inputs):
        dt = np.dtype(NUMPY_DTYPES[t.dtype])
        info = np.iinfo(dt) if dt.kind in "iu" else None
        inputs.append(rng.integers(info.min, info.max + 1, size=(1, *t.shape)).astype(dt) if info
                      else rng.normal(size=(1, *t.shape)).astype(np.float32))
    p = profile.profile(path, targets.get(BOARD), inputs)
    rows = []
    for r in p.ops:
        op = sg.operators[r.index]
        rows.append((cost.op_class(op, sg), cost.op_work(op, sg), r.instructions or 0))
    return rows, p.instructions


def _ops(path: Path):
    """The main subgraph's ops of a model (to recompute the features of a saved profile)."""
    from edgeq.model.reader import read_model

    sg = read_model(path.read_bytes()).subgraphs[0]
    return sg.operators, [sg] * len(sg.operators)


def fit(samples: list[tuple[str, tuple[int, int], int]]) -> dict:
    """Per class ``[a, t, c, b]`` (instructions = a * work + t * taps + c * outputs + b),
    fitted on relative error."""
    from scipy.optimize import nnls

    def solve(rows):
        x = np.array([[*r[1], 1] for r in rows], float)
        y = np.array([r[2] for r in rows], float)
        scale = np.maximum(y, 1.0)  # relative error: big and small ops weigh alike
        coef, _ = nnls(x / scale[:, None], y / scale)
        return [round(float(c), 4) for c in coef[:-1]] + [round(float(coef[-1]), 1)]

    classes: dict[str, list] = {}
    for row in samples:
        classes.setdefault(row[0], []).append(row)
    table = {k: solve(v) for k, v in sorted(classes.items())}
    for dtype in ("INT8", "INT16"):  # fallbacks for an op class no model of the corpus had
        rows = [r for r in samples if r[0].endswith(":" + dtype) and r[2] > 0]
        if rows:
            table["*:" + dtype] = solve(rows)
    return table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "edgeq" / "model" / "cost_cortex_m4.json")
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    from edgeq.errors import UnsupportedOpError
    from edgeq.model import cost
    from edgeq.model.reader import read_model

    with tempfile.TemporaryDirectory(prefix="edgeq-cost-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        models = corpus(work)
        measured, samples = {}, []
        for name, path in models:
            saved = work / f"{name}.profile.json"  # an earlier run's profile of the same file
            ops, sgs = _ops(path)
            doc = json.loads(saved.read_text()) if saved.exists() and saved.stat().st_mtime >= path.stat().st_mtime \
                else None
            if doc and len(doc["rows"]) == len(ops):  # features recomputed: the saved counts stand
                rows = [(k, cost.op_work(op, sg), n) for (k, _w, n), op, sg in zip(doc["rows"], ops, sgs)]
                total = doc["total"]
            else:
                try:
                    rows, total = profile_rows(path)
                except UnsupportedOpError as exc:
                    print(f"  skip {name}: {str(exc).split(': ', 1)[-1][:120]}", flush=True)
                    continue
                saved.write_text(json.dumps({"rows": rows, "total": total}))
            measured[name] = (path.read_bytes(), total)
            samples += rows
            print(f"  profiled {name}: {total:,} instructions, {len(rows)} ops", flush=True)
        table = fit(samples)
        doc = {"board": BOARD, "kernels": "fast", "models": sorted(measured),
               "note": "instructions ~= a * work + t * taps + c * outputs + b per op class (scripts/fit_cost_model.py)",
               "classes": table}
        tmp_out = args.out.with_suffix(".tmp")
        body = json.dumps({k: v for k, v in doc.items() if k != "classes"}, indent=1)[:-2]
        rows = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in table.items())
        tmp_out.write_text(body + ',\n "classes": {\n' + rows + "\n }\n}\n")
        tmp_out.replace(args.out)
        cost.reload()
        print(f"{'model':32s} {'measured':>12s} {'estimate':>12s} {'error':>7s}")
        errs = []
        for name, (buf, total) in measured.items():
            est = cost.estimate_instructions(read_model(buf))
            errs.append(abs(est - total) / total)
            print(f"{name:32s} {total:12,d} {est:12,d} {100 * (est - total) / total:+6.1f}%")
        print(f"median |error| {100 * float(np.median(errs)):.1f} %, max {100 * max(errs):.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
