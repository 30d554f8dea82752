#!/usr/bin/env python
"""Fixture and test models benched on a board under QEMU, as a Markdown table.

For each model: flash, RAM (arena, stack used), exact instructions per inference (QEMU
plugin), bit-exactness with TFLM, and the emulator's speed (instructions executed per wall
second, QEMU start-up included). person_detect runs on its two test images; the others on
seeded random inputs. The TFLM figures of DESIGN.md for person_detect (TFLM 90b983c, -O2,
mps2-an386) are printed next to edgeq's.

    .venv/bin/python scripts/bench_target.py [--target mps2-an386] [--samples 4] [MODEL.tflite ...]
        [--runtimes native,tflm,tflm-cmsis_nn]

``tflm`` and ``tflm-cmsis_nn`` run the TFLM application (reference or CMSIS-NN kernels) built
against the TFLM tree in EDGEQ_TFLM_DIR, so one run compares both runtimes on the same board.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
DEFAULT_MODELS = [
    FIXTURES / "hello_world/models/hello_world_int8.tflite",
    FIXTURES / "micro_speech/micro_speech_quantized.tflite",
    FIXTURES / "person_detection/person_detect.tflite",
    *sorted((ROOT / "tests/models").glob("*.tflite")),
]
# DESIGN.md "The oracle": TFLM on mps2-an386 for person_detect.tflite
TFLM_PERSON = {"arena": 82_292, "instructions_ref": 95_916_957, "instructions_cmsis": 22_928_829,
               "code_ref": 45_400, "code_cmsis": 80_300}


def _person_npz(path: Path) -> Path:
    from edgeq.datasets.images import person_detection_inputs

    x, y = person_detection_inputs(FIXTURES / "person_detection/testdata")
    np.savez(path, x=x, y=y)
    return path


def bench_data(model: Path, ir, tmp: Path, samples: int) -> Path:
    """The .npz a model is benched on: person_detect's two test images, else ``samples``
    seeded random inputs."""
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness import measure

    if model.name == "person_detect.tflite":
        return _person_npz(tmp / "person.npz")
    data = tmp / f"{model.stem}.npz"
    np.savez(data, x=measure.random_inputs(io_specs(ir)[0], n=samples, seed=0)[0])
    return data


def main(argv: list[str] | None = None) -> int:
    from edgeq.codegen.native.emit import unsupported_ops
    from edgeq.errors import EdgeqError
    from edgeq.harness import measure
    from edgeq.model.reader import read_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--target", default="mps2-an386")
    ap.add_argument("--samples", type=int, default=4, help="random samples for models without test data")
    ap.add_argument("--runtimes", default="native", help="comma-separated: native, tflm, tflm-cmsis_nn")
    args = ap.parse_args(argv)
    runtimes = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    rows, failures = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for model, runtime in [(m, r) for m in (args.models or DEFAULT_MODELS) for r in runtimes]:
            ir = read_model(model)
            if runtime == "native" and unsupported_ops(ir):
                print(f"skipped {model.name}: not supported by edgeq-micro", file=sys.stderr)
                continue
            data = bench_data(model, ir, Path(tmp), args.samples)
            base, _, kernels = runtime.partition("-")
            os.environ["EDGEQ_TFLM_KERNELS"] = kernels or "reference"
            t = time.perf_counter()
            try:
                r = measure.bench(model, args.target, runtime=base, data=data)
            except EdgeqError as exc:  # one failing row must not hide the others
                failures.append(f"{model.name} ({runtime}): {exc}")
                continue
            rows.append((r, runtime, time.perf_counter() - t))
    print(f"| model ({args.target}) | runtime | flash B | code B | RAM B | arena B | stack used B | instructions / inference | "
          f"bit-exact vs TFLM (Python) | accuracy | emulator M instr/s | bench s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|")
    for r, runtime, secs in rows:
        acc = "" if r.accuracy is None else f"{100 * r.accuracy:.0f} %"
        ips = r.emulator_instructions_per_second
        print(f"| {r.model} | {runtime} | {r.flash_bytes:,} | {r.code_bytes:,} | {r.ram_bytes:,} | {r.arena_bytes:,} | {r.stack_used_bytes or 0:,} | "
              f"{r.instructions_per_inference:,} | {'yes' if r.bit_exact_vs_tflm else 'NO'} | {acc} | "
              f"{ips / 1e6 if ips else 0:,.0f} | {secs:.1f} |")
    for line in failures:
        print(f"\nFAILED {line}")
    person = next((r for r, rt, _ in rows if r.model == "person_detect.tflite" and rt == "native"), None)
    if person:
        t = TFLM_PERSON
        print()
        print(f"person_detect vs TFLM (DESIGN.md): arena {person.arena_bytes:,} B = "
              f"{person.arena_bytes / t['arena']:.2f}x TFLM's {t['arena']:,}; instructions {person.instructions_per_inference:,} = "
              f"{person.instructions_per_inference / t['instructions_ref']:.2f}x TFLM reference kernels, "
              f"{person.instructions_per_inference / t['instructions_cmsis']:.2f}x CMSIS-NN; code {person.code_bytes:,} B "
              f"(whole firmware) vs TFLM library {t['code_ref']:,} B (reference) / {t['code_cmsis']:,} B (CMSIS-NN)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
