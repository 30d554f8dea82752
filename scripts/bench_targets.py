#!/usr/bin/env python
"""Fixture models × boards under their emulators (QEMU or Renode), as a Markdown table: flash, RAM, exact instructions
per inference, the estimated cycles (where the core has a cycle model) and the ms they
make at the board's nominal clock (or a part's, with --part), bit-exactness with TFLM, and
the emulator's speed. person_detect runs on its two test images; the others on seeded
random inputs.

    .venv/bin/python scripts/bench_targets.py [--boards mps2-an385,mps2-an386,...] [--part stm32l4r5zi]
        [--samples 2] [MODEL.tflite ...]

With --part, every board is held to the part's flash/RAM (a refusal is a row, not a crash)
and its clock gives the ms; boards whose core differs from the part's are skipped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_target import FIXTURES, bench_data  # noqa: E402

DEFAULT_MODELS = [
    FIXTURES / "hello_world/models/hello_world_int8.tflite",
    FIXTURES / "micro_speech/micro_speech_quantized.tflite",
    FIXTURES / "person_detection/person_detect.tflite",
]


def main(argv: list[str] | None = None) -> int:
    from edgeq import targets
    from edgeq.codegen.native.emit import unsupported_ops
    from edgeq.errors import EdgeqError
    from edgeq.harness import measure
    from edgeq.model.reader import read_model
    from edgeq.targets import parts

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--boards", default=",".join(n for n, t in targets.all_targets().items()
                                                 if measure.emulator_of(t)))
    ap.add_argument("--part", default=None)
    ap.add_argument("--samples", type=int, default=2, help="random samples for models without test data")
    args = ap.parse_args(argv)
    boards = [b.strip() for b in args.boards.split(",") if b.strip()]
    part = parts.get_part(args.part) if args.part else None
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models or DEFAULT_MODELS:
            ir = read_model(model)
            if unsupported_ops(ir):
                notes.append(f"skipped {model.name}: not supported by edgeq-micro")
                continue
            data = bench_data(model, ir, Path(tmp), args.samples)
            for board in boards:
                if part is not None and targets.get(board).core != part.core:
                    continue
                t = time.perf_counter()
                try:
                    r = measure.bench(model, board, data=data, part=part.name if part else None)
                except EdgeqError as exc:  # a refusal (does not fit) or a failure: a row, not a crash
                    notes.append(f"{model.name} on {board}: {exc}")
                    continue
                rows.append((r, time.perf_counter() - t))
    clock = f"{part.display} {part.clock_hz / 1e6:g} MHz" if part else "board clock"
    print(f"| model | board | core | emulator | flash B | RAM B | instructions / inference | cycles (estimate) | "
          f"cycle model | ms ({clock}, estimate) | bit-exact | emulator M instr/s | bench s |")
    print("|---|---|---|---|---:|---:|---:|---:|---|---:|---|---:|---:|")
    for r, secs in rows:
        core = targets.get(r.target).core
        ips = r.emulator_instructions_per_second
        cyc = f"{r.cycles_per_inference_estimate:,}" if r.cycles_per_inference_estimate is not None else "n/a"
        ms = f"{r.latency_ms_estimate:,.2f}" if r.latency_ms_estimate is not None else "n/a"
        print(f"| {r.model} | {r.target} | {core} | {(r.emulator or '').split(' ')[0]} | {r.flash_bytes:,} | {r.ram_bytes:,} | "
              f"{r.instructions_per_inference or 0:,} | {cyc} | {r.cycle_model or 'none'} | {ms} | "
              f"{'yes' if r.bit_exact_vs_tflm else 'NO'} | {f'{ips / 1e6:,.0f}' if ips else 'n/a'} | {secs:.1f} |")
    for line in notes:
        print(f"\n{line}")
    return 1 if any(not r.bit_exact_vs_tflm for r, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
