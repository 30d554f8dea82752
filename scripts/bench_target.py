#!/usr/bin/env python
"""Fixture and test models benched on a board under QEMU, as a Markdown table.

For each model: flash, RAM (arena, stack used), exact instructions per inference (QEMU
plugin), bit-exactness with TFLM, and the emulator's speed (instructions executed per wall
second, QEMU start-up included). person_detect runs on its two test images; the others on
seeded random inputs. The TFLM figures of DESIGN.md for person_detect (TFLM 90b983c, -O2,
mps2-an386) are printed next to edgeq's.

    .venv/bin/python scripts/bench_target.py [--target mps2-an386] [--samples 4] [MODEL.tflite ...]
        [--runtimes native,native-reference,tflm,tflm-cmsis_nn]

``native`` is edgeq-micro with its fast kernels for the board's core, ``native-reference``
with its reference kernels only. ``tflm`` and ``tflm-cmsis_nn`` run the TFLM application
(reference or CMSIS-NN kernels) built against the TFLM tree in EDGEQ_TFLM_DIR, so one run
compares the runtimes on the same board. With more than one runtime, a second table gives
each model's ratios to the first runtime listed: instructions (exact), estimated cycles
(the board's cycle model), arena, flash, and edgeq's MAC per estimated cycle.
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


def _ratios(rows, runtimes, paths) -> None:
    """Each model's figures over those of the first runtime listed (the same run, board and
    inputs). The TFLM arena is its interpreter's arena_used_bytes() on the target."""
    from edgeq.model.macs import total_macs
    from edgeq.model.reader import read_model

    first = runtimes[0]
    by = {(r.model, rt): r for r, rt, _ in rows}
    print(f"\n| model | {first} vs | instructions | est. cycles | arena (TFLM: used) | flash | "
          f"{first} MAC / est. cycle |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (model, rt), r in by.items():
        if rt != first:
            continue
        macs = total_macs(read_model(paths[model]))
        for other in runtimes[1:]:
            o = by.get((model, other))
            if o is None:
                continue
            cyc = (f"{r.cycles_per_inference_estimate / o.cycles_per_inference_estimate:.2f}x"
                   if r.cycles_per_inference_estimate and o.cycles_per_inference_estimate else "n/a")
            arena_o = o.arena_used_bytes or o.arena_bytes
            mpc = f"{macs / r.cycles_per_inference_estimate:.3f}" if r.cycles_per_inference_estimate else "n/a"
            print(f"| {model} | {other} | {r.instructions_per_inference / o.instructions_per_inference:.2f}x | {cyc} | "
                  f"{r.arena_bytes / arena_o:.2f}x | {r.flash_bytes / o.flash_bytes:.2f}x | {mpc} |")


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
            if base == "tflm":
                os.environ["EDGEQ_TFLM_KERNELS"] = kernels or "reference"
            t = time.perf_counter()
            try:
                r = measure.bench(model, args.target, runtime=base, data=data,
                                  kernels=(kernels or "fast") if base == "native" else "fast")
            except EdgeqError as exc:  # one failing row must not hide the others
                failures.append(f"{model.name} ({runtime}): {exc}")
                continue
            rows.append((r, runtime, time.perf_counter() - t))
    print(f"| model ({args.target}) | runtime | flash B | code B | RAM B | arena B | arena used B | stack used B | "
          f"instructions / inference | est. cycles / inference | bit-exact vs TFLM (Python) | accuracy | "
          f"emulator M instr/s | bench s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|")
    for r, runtime, secs in rows:
        acc = "" if r.accuracy is None else f"{100 * r.accuracy:.0f} %"
        ips = r.emulator_instructions_per_second
        cyc = f"{r.cycles_per_inference_estimate:,}" if r.cycles_per_inference_estimate is not None else "n/a"
        used = f"{r.arena_used_bytes:,}" if r.arena_used_bytes is not None else ""
        print(f"| {r.model} | {runtime} | {r.flash_bytes:,} | {r.code_bytes:,} | {r.ram_bytes:,} | {r.arena_bytes:,} | {used} | "
              f"{r.stack_used_bytes or 0:,} | {r.instructions_per_inference:,} | {cyc} | "
              f"{'yes' if r.bit_exact_vs_tflm else 'NO'} | {acc} | {ips / 1e6 if ips else 0:,.0f} | {secs:.1f} |")
    if len(runtimes) > 1:
        _ratios(rows, runtimes, {m.name: m for m in (args.models or DEFAULT_MODELS)})
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
