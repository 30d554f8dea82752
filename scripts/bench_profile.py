#!/usr/bin/env python
"""Per-op profiles, edgeq-micro beside TFLM, as Markdown: the instrument for kernel work.

For each model, ``edgeq bench --profile --compare tflm`` on one board (TFLM kernels from
``--kernels``, the TFLM tree from EDGEQ_TFLM_DIR): every op with edgeq-micro's and TFLM's
exact instructions and estimated cycles, the overhead rows, and the three ops where
edgeq-micro does worst against TFLM (highest instruction ratios). Without EDGEQ_TFLM_DIR (or with ``--no-compare``) edgeq-micro alone.

    .venv/bin/python scripts/bench_profile.py [--target mps2-an386] [--kernels cmsis_nn]
        [--plots DIR] [--no-compare] [MODEL.tflite ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
DEFAULT_MODELS = sorted((ROOT.parent / "tests/models").glob("*.tflite"))


def main(argv: list[str] | None = None) -> int:
    from bench_target import bench_data
    from edgeq.errors import EdgeqError
    from edgeq.harness import measure
    from edgeq.model.reader import read_model
    from edgeq.report import profile as report

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--target", default="mps2-an386")
    ap.add_argument("--kernels", default="cmsis_nn", choices=("reference", "cmsis_nn"), help="TFLM's kernels")
    ap.add_argument("--plots", type=Path, help="write one PNG a model into this folder")
    ap.add_argument("--no-compare", action="store_true", help="edgeq-micro only")
    args = ap.parse_args(argv)
    os.environ["EDGEQ_TFLM_KERNELS"] = args.kernels
    compare = None if args.no_compare or not os.environ.get("EDGEQ_TFLM_DIR") else "tflm"
    failures = []
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models or DEFAULT_MODELS:
            data = bench_data(model, read_model(model), Path(tmp), 1)
            try:
                r = measure.bench(model, args.target, data=data, profile=True, compare_with=compare)
            except EdgeqError as exc:  # one failing model must not hide the others
                failures.append(f"{model.name}: {exc}")
                continue
            plot = None
            if args.plots:
                plot = report.write_plot(r, args.plots / f"{model.stem}_{args.target}.png")
            print(f"# {model.name} on {args.target}\n")
            print(report.render_markdown(r, plot=str(plot) if plot else None))
            p, t = r.profile, r.tflm_profile
            summary.append((model.name, p, t, report.worst(r)))
    if summary and compare:
        print(f"# Summary ({args.target}, edgeq-micro vs TFLM {args.kernels}; profile builds)\n")
        print("| model | edgeq instructions | TFLM instructions | ratio | edgeq cycles (est.) | TFLM cycles (est.) | ratio | "
              "edgeq's highest ratios (ops) |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for name, p, t, worst in summary:
            pi, ti = p["instructions_per_inference"], t["instructions_per_inference"]
            pc, tc = p["cycles_per_inference_estimate"], t["cycles_per_inference_estimate"]
            lose = "; ".join(f"{w['index']} {w['op']} ({w['instructions_ratio']:.1f}x)" for w in worst)
            print(f"| {name} | {pi:,} | {ti:,} | {pi / ti:.2f}x | {pc or 0:,} | {tc or 0:,} | "
                  f"{(pc / tc) if pc and tc else 0:.2f}x | {lose} |")
    for line in failures:
        print(f"\nFAILED {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
