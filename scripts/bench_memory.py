#!/usr/bin/env python
"""Memory of edgeq-micro vs TFLite Micro, per model, as a Markdown table.

For each fixture model and each model in tests/models/ (or the paths given):
* edgeq arena: ``EDGEQ_ARENA_SIZE`` of the generated code (activations only; inputs and
  outputs live in the caller's buffers, shown as "I/O"), and the lower bound of any plan
  without in-place kernels: the largest sum of arena tensors live at one op;
* TFLM arena: the tflite-micro interpreter's ``print_allocations`` total on this host
  (64-bit pointers; the 32-bit target uses a little less), parsed from its C-level stderr
  in a subprocess;
* code+weights: text + rodata of the generated model and its kernels, compiled with
  ``arm-none-eabi-gcc -O2`` for Cortex-M4 when /usr/bin/arm-none-eabi-gcc exists (else the
  host gcc -O2), next to the .tflite flatbuffer size.

    .venv/bin/python scripts/bench_memory.py [MODEL.tflite ...]
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


def lower_bound(model) -> int:
    """Largest sum of (16-byte aligned) arena tensors live at one kernel call."""
    from edgeq.codegen.native import emit, planner
    from edgeq.ops import REGISTRY
    from edgeq.ops._common import Alias

    sg = model.main
    aliases, ops = {}, []
    for op in sg.operators:
        p = REGISTRY[op.name].prepare(op, sg)
        if isinstance(p, Alias):
            aliases[p.output] = p.input
        else:
            ops.append(p)
    root = lambda t: planner.root_of(t, aliases)  # noqa: E731
    ext = {root(t) for t in (*sg.inputs, *sg.outputs)} | {t.index for t in sg.tensors if t.is_constant}
    life: dict[int, list[int]] = {}
    for i, call in enumerate(ops):
        for a in call.args:
            if a.tensor >= 0 and root(a.tensor) not in ext:
                span = life.setdefault(root(a.tensor), [i, i])
                span[1] = i
    best = 0
    for i in range(len(ops)):
        live = sum((sg.tensors[r].nbytes + 15) // 16 * 16 for r, (a, b) in life.items() if a <= i <= b)
        best = max(best, live)
    return best


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


def main(argv: list[str]) -> int:
    from edgeq.codegen.native.emit import generate, unsupported_ops
    from edgeq.model.reader import read_model

    paths = [Path(a) for a in argv] or [p for p in DEFAULT_MODELS if p.is_file()]
    rows = []
    compiler = ""
    for path in paths:
        model = read_model(path)
        tflm = tflm_arena(path)
        bad = unsupported_ops(model)
        if bad:
            rows.append(f"| {path.name} | refused: {', '.join(n for _, n, _ in bad)} | | | {tflm or '?'} | | | | {path.stat().st_size:,} | |")
            continue
        src = generate(model)
        io = sum(s.nbytes for s in (*src.inputs, *src.outputs))
        lb = lower_bound(model)
        mcode, kcode, compiler = code_bytes(dict(src.files))
        ratio = f"{src.arena_size / tflm:.2f}" if tflm else "?"
        ratio_io = f"{(src.arena_size + io) / tflm:.2f}" if tflm else "?"
        size = path.stat().st_size
        rows.append(
            f"| {path.name} | {src.arena_size:,} | {lb:,} | {io:,} | {tflm:,} | {ratio} | {ratio_io} "
            f"| {mcode + kcode:,} ({kcode:,} kernels) | {size:,} | {(mcode + kcode) / size:.2f} |"
        )
    print(f"edgeq arena vs TFLM (host interpreter total); code+weights = text+rodata ({compiler or 'n/a'} -O2)\n")
    print("| model | edgeq arena B | lower bound B | I/O B (caller) | TFLM arena B | arena ratio | (arena+I/O) ratio "
          "| code+weights B | .tflite B | code+weights / .tflite |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
