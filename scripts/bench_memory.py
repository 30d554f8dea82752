#!/usr/bin/env python
"""Memory of edgeq-micro vs TFLite Micro, per model, as a Markdown table.

For each fixture model and each model in tests/models/ (or the paths given):
* edgeq arena: ``EDGEQ_ARENA_SIZE`` of the generated code (activations only; inputs and
  outputs live in the caller's buffers, shown as "I/O"); the bound of any plan without
  in-place kernels (the largest sum of arena tensors live at one op); and the in-place
  bound: the same sum less, at each op, the best overlap of its output with a dying input
  that the kernel's in-place rule allows (no plan with these rules can be smaller);
* TFLM arena: the tflite-micro interpreter's ``print_allocations`` total on this host
  (64-bit pointers; the 32-bit target uses a little less), parsed from its C-level stderr
  in a subprocess;
* TFLM 32-bit: with a TFLM tree in ``EDGEQ_TFLM_DIR``, the TFLM application runs once on
  mps2-an386 under QEMU and reports ``MicroInterpreter::arena_used_bytes()`` (the figure
  the memory goal is stated against); "n/a" without a tree;
* code+weights: text + rodata of the generated model and its kernels, compiled with
  ``arm-none-eabi-gcc -O2`` for Cortex-M4 when /usr/bin/arm-none-eabi-gcc exists (else the
  host gcc -O2), next to the .tflite flatbuffer size.

    .venv/bin/python scripts/bench_memory.py [--plot PNG [--plot-model NAME]] [MODEL.tflite ...]

``--plot`` writes a matplotlib chart of one model's live bytes per kernel (with and without
in-place execution, the arena and TFLM's total); ``--plot-model`` picks the model by file
stem (default: resnet8_cifar10 if measured, else the first model).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
DEFAULT_MODELS = [
    FIXTURES / "hello_world/models/hello_world_int8.tflite",
    FIXTURES / "micro_speech/micro_speech_quantized.tflite",
    FIXTURES / "person_detection/person_detect.tflite",
    FIXTURES / "mnist_lstm/trained_lstm_int8.tflite",
    *sorted((ROOT / "tests/models").glob("*.tflite")),
]
ARM_GCC = Path("/usr/bin/arm-none-eabi-gcc")
ARM_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]

_TFLM_SNIPPET = """
import sys
from tflite_micro import runtime
it = runtime.Interpreter.from_file(sys.argv[1])
it.print_allocations()
"""


def tflm_arena(path: Path) -> int | None:
    """The TFLM interpreter's arena total (its allocation report goes to fd 2)."""
    proc = subprocess.run([sys.executable, "-c", _TFLM_SNIPPET, str(path)], capture_output=True, text=True)
    m = re.search(r"Arena allocation total (\d+) bytes", proc.stderr + proc.stdout)
    return int(m.group(1)) if m else None


def plot_timeline(model, path: Path, out: Path, tflm: int | None) -> None:
    """PNG of live arena bytes per kernel: with the plan's in-place ops, without any."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edgeq.codegen.native import emit

    mp = emit.plan_model(model)
    flat = emit.plan_model(model, inplace=False)
    n = len(mp.calls)
    x = range(n)
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * n), 4))
    ax.bar(x, flat.mem.timeline[:n], color="#cccccc", label="live, no in-place")
    ax.bar(x, mp.mem.timeline[:n], color="#4477aa", label="live, in-place plan")
    ax.axhline(mp.mem.inplace_bound, color="#4477aa", ls=":", label=f"in-place bound {mp.mem.inplace_bound:,} B")
    ax.axhline(mp.mem.arena_size, color="#228833", label=f"edgeq arena {mp.mem.arena_size:,} B")
    if tflm:
        ax.axhline(tflm, color="#ee6677", ls="--", label=f"TFLM arena {tflm:,} B")
    ax.set_xticks(list(x))
    ax.set_xticklabels([f"{i} {name}" for i, name, _ in mp.calls], rotation=70, fontsize=7, ha="right")
    ax.set_ylabel("bytes")
    ax.set_title(f"{path.name}: arena timeline")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def code_bytes(files: dict[str, str]) -> tuple[int, int, str]:
    """(model text+rodata, kernels text+rodata, compiler) of the generated sources."""
    cc = [str(ARM_GCC), *ARM_FLAGS] if ARM_GCC.is_file() else ["gcc"]
    size = "arm-none-eabi-size" if ARM_GCC.is_file() else "size"
    model, kernels = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text)
        for name in sorted(f for f in files if f.endswith(".c")):
            obj = Path(tmp) / (name + ".o")
            subprocess.run([*cc, "-std=c99", "-O2", "-c", name, "-o", obj.name], cwd=tmp, check=True)
            out = subprocess.run([size, "-A", obj.name], cwd=tmp, check=True, capture_output=True, text=True).stdout
            n = sum(int(m.group(2)) for m in re.finditer(r"^(\.text\S*|\.rodata\S*)\s+(\d+)", out, re.M))
            if name == "edgeq_model.c":
                model += n
            else:
                kernels += n
    return model, kernels, Path(cc[0]).name


def tflm_target_arena(path: Path, board: str = "mps2-an386") -> int | None:
    """TFLM's ``arena_used_bytes()`` on the 32-bit board (None without EDGEQ_TFLM_DIR)."""
    import os

    if not os.environ.get("EDGEQ_TFLM_DIR"):
        return None
    from edgeq.harness import measure

    return measure.bench(path, board, runtime="tflm").arena_used_bytes


def main(argv: list[str]) -> int:
    import argparse

    from edgeq.codegen.native.emit import generate, plan_model, unsupported_ops
    from edgeq.model.reader import read_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--plot", type=Path, help="write one model's arena timeline as a PNG here")
    ap.add_argument("--plot-model", default="resnet8_cifar10", help="file stem of the model to plot")
    args = ap.parse_args(argv)
    paths = args.models or [p for p in DEFAULT_MODELS if p.is_file()]
    plotted = None
    rows = []
    compiler = ""
    for path in paths:
        model = read_model(path)
        tflm = tflm_arena(path)
        bad = unsupported_ops(model)
        if bad:
            rows.append(f"| {path.name} | refused: {', '.join(n for _, n, _ in bad)} | | | | {tflm or '?'} | | | | | {path.stat().st_size:,} | |")
            continue
        src = generate(model)
        io = sum(s.nbytes for s in (*src.inputs, *src.outputs))
        mem = plan_model(model).mem
        lb, ipb = mem.lower_bound, mem.inplace_bound
        if args.plot and (path.stem == args.plot_model or plotted is None):
            plotted = (model, path, tflm)
        mcode, kcode, compiler = code_bytes(dict(src.files))
        t32 = tflm_target_arena(path)
        t32_text = f"{t32:,} ({src.arena_size / t32:.2f})" if t32 else "n/a"
        ratio = f"{src.arena_size / tflm:.2f}" if tflm else "?"
        ratio_io = f"{(src.arena_size + io) / tflm:.2f}" if tflm else "?"
        size = path.stat().st_size
        rows.append(
            f"| {path.name} | {src.arena_size:,} | {ipb:,} | {lb:,} | {io:,} | {tflm:,} | {ratio} | {ratio_io} | {t32_text} "
            f"| {mcode + kcode:,} ({kcode:,} kernels) | {size:,} | {(mcode + kcode) / size:.2f} |"
        )
    print(f"edgeq arena vs TFLM (host interpreter total); code+weights = text+rodata ({compiler or 'n/a'} -O2)\n")
    print("| model | edgeq arena B | in-place bound B | bound w/o in-place B | I/O B (caller) | TFLM arena B | arena ratio | (arena+I/O) ratio "
          "| TFLM 32-bit arena_used B (edgeq ratio) | code+weights B | .tflite B | code+weights / .tflite |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    if args.plot and plotted is not None:
        plot_timeline(plotted[0], plotted[1], args.plot, plotted[2])
        print(f"\ntimeline of {plotted[1].name} written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
