"""Bench report writers: the JSON object of DESIGN.md ("bench --json") and the same as a
readable Markdown report, plus the table the CLI prints."""

from __future__ import annotations

import json
import os
from pathlib import Path

from edgeq.fileio import write_atomic


def _atomic_write(path: Path, text: str) -> None:
    write_atomic(path, text.encode(), make_parents=True)


def write_json(result, path: str | Path) -> Path:
    """Write ``result.as_json()`` (every DESIGN.md key first) to ``path``."""
    path = Path(path)
    _atomic_write(path, json.dumps(result.as_json(), indent=2) + "\n")
    return path


def _n(v, unit: str = "") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.4g}{unit}"
    return f"{v:,}{unit}"


def _pct(v) -> str:
    return "n/a (no labels)" if v is None else f"{100 * v:.2f} %"


def rows(r) -> list[tuple[str, str]]:
    """(figure, value) rows shared by the Markdown report and the CLI table."""
    exact = r.instruction_method in ("plugin", "renode", "qemu-twin")
    how = ("exact (QEMU TCG plugin, between the inference markers)" if r.instruction_method == "plugin" else
           "exact (Renode's ExecutedInstructions at the inference markers)" if r.instruction_method == "renode" else
           "exact, of the same code under QEMU on the core's mps2 board" if exact else
           f"QEMU icount timer, resolution {r.instruction_resolution} instructions" if r.instruction_method == "icount-timer"
           else "not measured")
    spread = ""
    if r.instructions_min is not None and r.instructions_min != r.instructions_max:
        spread = f" (min {r.instructions_min:,}, max {r.instructions_max:,})"
    return [
        ("model", r.model),
        ("target", f"{r.target} ({r.emulator or 'hardware' + (' on ' + r.port if getattr(r, 'port', None) else '')}), runtime {r.runtime}"),
        ("flash", f"{_n(r.flash_bytes)} B = code {_n(r.code_bytes)} + model {_n(r.model_bytes)} + rodata {_n(r.rodata_bytes)}"),
        ("RAM", f"{_n(r.ram_bytes)} B = arena {_n(r.arena_bytes)} + stack {_n(r.stack_bytes)} + other {_n(r.other_ram_bytes)}"
         + (f" (stack used: {r.stack_used_bytes:,} B)" if r.stack_used_bytes is not None else "")),
        *([("part budget", f"fits {r.part}: flash {_n(r.flash_bytes)} of {_n(r.flash_limit_bytes)} B, "
                           f"RAM {_n(r.ram_bytes)} of {_n(r.ram_limit_bytes)} B")] if getattr(r, "part", None) else []),
        ("instructions / inference", f"{_n(r.instructions_per_inference)}{spread} — {how}"),
        ("cycles / inference (estimate)", ("n/a (no cycle model for this core)" if exact else
                                           "n/a (needs the QEMU instruction plugin)") if r.cycles_per_inference_estimate is None
         else f"{r.cycles_per_inference_estimate:,} (estimate, model {r.cycle_model})"),
        *([("cycles / inference (measured)", f"{r.cycles_measured:,} (the board's DWT cycle counter, mean over the "
                                              f"samples) = {r.latency_ms_from_cycles:,.3f} ms at {r.clock_hz / 1e6:g} MHz")]
          if getattr(r, "cycles_measured", None) is not None else []),
        *([("latency (measured)", f"{r.latency_ms_measured:,.3f} ms (the board's timer, mean over the samples)")]
          if getattr(r, "latency_ms_measured", None) is not None else []),
        ("latency (estimate)", "n/a" if r.latency_ms_estimate is None
         else f"{r.latency_ms_estimate:,.3f} ms at the nominal {r.clock_hz / 1e6:g} MHz (estimate)"),
        ("samples", f"{r.samples}" + (f" from {r.data}" if r.data else " (random inputs)")),
        *([("state", f"{_n(r.state_bytes)} B (variable tensors), {r.state}")] if getattr(r, "state", None) else []),
        *_quality_rows(r),
        ("bit-exact vs TFLM", ("yes" if r.bit_exact_vs_tflm else f"NO: {r.mismatched_outputs} outputs differ"
                               + (f" (first: {r.first_mismatch})" if r.first_mismatch else ""))),
        ("emulator speed", "n/a" if r.emulator_instructions_per_second is None
         else f"{r.emulator_instructions_per_second / 1e6:,.1f} M instructions/s ({r.emulator_wall_s:.2f} s wall)"),
    ]


def _figure(d: dict) -> str:
    from edgeq.harness.metrics import Score

    return Score(**{k: d.get(k) for k in ("index", "name", "against", "accuracy", "mse", "snr_db", "cosine")}).describe()


def _quality_rows(r) -> list[tuple[str, str]]:
    """Accuracy (classification outputs) or error figures, on the target and TFLM on the host:
    one pair of rows a model output."""
    outs = getattr(r, "outputs", None) or []
    if len(outs) <= 1 and (not outs or outs[0].get("mse") is None):
        return [("accuracy on target", _pct(r.accuracy)), ("accuracy, TFLM on host", _pct(r.host_accuracy))]
    rows_ = []
    for d in outs:
        head = f"output {d['index']} ({d['name']})" if len(outs) > 1 else "output"
        rows_.append((f"{head}, on target", _figure(d)))
        rows_.append((f"{head}, TFLM on host", _figure(dict(d, **d["host"]))))
    return rows_


def render_markdown(r, plot: str | Path | None = None) -> str:
    """The bench report as Markdown (with the per-op profile when the bench made one;
    ``plot``: the profile chart to link)."""
    lines = [f"# edgeq bench: {r.model} on {r.target}", "", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v.replace('|', '/')} |" for k, v in rows(r)]
    if r.code_by_object:
        lines += ["", "## Code by object (bytes of .text)", "", "| object | bytes |", "|---|---:|"]
        lines += [f"| {o} | {b:,} |" for o, b in r.code_by_object.items()]
    lines += ["", "Instruction counts on an emulator are exact counts of executed instructions, not cycles; "
              "cycle and latency figures, where given, are estimates from the named cycle model "
              "(edgeq.harness.cycles: Cortex-M TRM instruction timings times executed basic blocks, "
              "zero wait states), not measurements.", ""]
    if getattr(r, "ops", None) is not None:
        from edgeq.report import profile

        lines.append(profile.render_markdown(r, plot=str(plot) if plot is not None else None))
    return "\n".join(lines)


def write_markdown(result, path: str | Path, plot: str | Path | None = None) -> Path:
    """Write the Markdown report; ``plot`` (a chart written beside it) is linked relative to it."""
    path = Path(path)
    if plot is not None:
        plot = Path(os.path.relpath(Path(plot).resolve(), path.resolve().parent))
    _atomic_write(path, render_markdown(result, plot=plot))
    return path


def table(r):
    """A rich Table of the report for the terminal."""
    from rich.table import Table

    t = Table(title=f"edgeq bench: {r.model} on {r.target}", show_header=False)
    t.add_column("figure", style="bold")
    t.add_column("value")
    for k, v in rows(r):
        t.add_row(k, v)
    return t
