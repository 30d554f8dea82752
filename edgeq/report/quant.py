"""Quantization reports: the CLI summary table and the per-layer error file (.md / .json)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from rich.table import Table


def _pct(v: float) -> str:
    return f"{100 * v:.2f}%"


def summary_table(outcome: Any) -> Table:
    """Rich table for `edgeq quantize`: what was written, float vs int8 when evaluated."""
    rep = outcome.report
    table = Table(title=f"edgeq quantize → {outcome.output}", show_header=True)
    table.add_column("")
    table.add_column("float", justify="right")
    table.add_column(rep.mode, justify="right")
    ev = outcome.evaluation
    if ev is not None:
        for f, q in ev.outputs:
            head = f"output {f.index} ({f.name}), " if len(ev.outputs) > 1 else ""
            if f.accuracy is not None:
                table.add_row(f"{head}accuracy ({ev.samples} samples)", _pct(f.accuracy), _pct(q.accuracy) + " (TFLM)")
            else:
                table.add_row(f"{head}error ({ev.samples} samples)", f.describe() if f.against else "",
                              q.describe() + " (TFLM)")
        if ev.top1_agreement is not None:
            table.add_row("top-1 agreement", "", _pct(ev.top1_agreement))
        table.add_row("size (.tflite bytes)", f"{ev.float_bytes:,}", f"{ev.int8_bytes:,}")
    else:
        table.add_row("size (.tflite bytes)", "", f"{rep.int8_bytes:,}")
    table.add_row("calibration samples", "", str(rep.samples))
    table.add_row("conversion time", "", f"{rep.seconds:.1f} s")
    table.add_row("input scale / zero point", "", f"{rep.input_quant[0]:.6g} / {rep.input_quant[1]}")
    table.add_row("output scale / zero point", "", f"{rep.output_quant[0]:.6g} / {rep.output_quant[1]}")
    table.add_row("ops", "", ", ".join(f"{n}×{c}" for n, c in rep.op_counts))
    if rep.float_ops:
        table.add_row("[red]float ops[/red]", "", "; ".join(f.describe() for f in rep.float_ops))
    if outcome.layer_report is not None:
        worst = outcome.layers[0] if outcome.layers else None
        note = f" (worst: {worst.op} {worst.rmse_over_scale:.2f} steps RMSE)" if worst else ""
        table.add_row("per-layer report", "", f"{outcome.layer_report}{note}")
    return table


def layer_report(path: Path, layers: Sequence[Any], report: Any) -> str:
    """Per-layer error as Markdown or JSON (by the file's suffix), worst first."""
    from edgeq.quant_debug import ROUNDING_FLOOR

    if path.suffix.lower() == ".json":
        return json.dumps(
            {
                "mode": report.mode,
                "metric": "rmse_over_scale: RMSE of the quantized op output vs the float op on the same inputs, in quantization steps",
                "rounding_floor": ROUNDING_FLOOR,
                "layers": [asdict(layer) for layer in layers],
            },
            indent=2,
        ) + "\n"
    lines = [
        f"# Per-layer quantization error ({report.mode})",
        "",
        "Each row: one op output, its quantized result against the float op on the same inputs",
        f"(TF QuantizationDebugger), in quantization steps. Pure rounding noise is {ROUNDING_FLOOR:.3f};",
        "rows far above it are where precision is lost. Worst first.",
        "",
        "| # | op | tensor | elements | scale | RMSE/scale | max abs/scale | mean err/scale |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for i, e in enumerate(layers, 1):
        lines.append(
            f"| {i} | {e.op} | `{e.tensor}` | {e.elements} | {e.scale:.4g} | {e.rmse_over_scale:.3f} | "
            f"{e.max_abs_over_scale:.3f} | {e.mean_error_over_scale:+.3f} |"
        )
    return "\n".join(lines) + "\n"


# ---- --mode mixed -------------------------------------------------------------------------

_MODES = ("float", "int8", "mixed", "int16x8")


def _q(rep: Any, v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.2f} %" if rep.metric == "accuracy" else f"{v:.2f} dB SNR"


def mixed_rows(rep: Any) -> list[tuple[str, str, str, str, str]]:
    """(mode, quality, arena, .tflite bytes, instructions) per mode."""
    rows = []
    for m in _MODES:
        f = rep.modes[m]
        rows.append((m, _q(rep, f.quality), f"{f.arena_bytes:,} B" if f.arena_bytes is not None else "",
                     f"{f.model_bytes:,}" if f.model_bytes is not None else "",
                     f"{f.instructions:,}" if f.instructions is not None else ""))
    return rows


def _instr_header(rep: Any) -> str:
    if rep.instructions_board:
        return f"instructions (exact, {rep.instructions_board})"
    return "instructions (estimated, Cortex-M4)"


def mixed_table(outcome: Any) -> Table:
    """Rich table for `edgeq quantize --mode mixed`."""
    rep = outcome.report.mixed
    what = "accuracy" if rep.metric == "accuracy" else "output 0 SNR vs targets"
    table = Table(title=f"edgeq quantize --mode mixed → {outcome.output}", show_header=True)
    for col in ("mode", f"{what} ({rep.samples} samples, TFLM)", "arena (edgeq-micro)", ".tflite bytes",
                _instr_header(rep)):
        table.add_column(col, justify="left" if col == "mode" else "right")
    for row in mixed_rows(rep):
        table.add_row(*row)
    return table


def mixed_summary(rep: Any) -> list[str]:
    """The lines under the table: the ops chosen, and whether the budget was met."""
    lines = []
    if rep.int16_ops:
        ops = ", ".join(f"#{k} {op} ({name})" for k, op, name, _q in rep.int16_ops)
        lines.append(f"int16x8 ops: {ops}; {rep.quantize_ops} QUANTIZE ops at the boundaries")
    elif rep.met:
        lines.append("no op needs int16: the mixed model is the int8 model")
    for e in rep.errors:
        lines.append(f"  #{e['op']} output {e['tensor']}: RMSE vs float {e['rmse_steps_int8']:.2f} -> "
                     f"{e['rmse_steps_mixed']:.2f} int8 steps")
    if rep.budget is not None and not rep.layers_given:
        unit = "points" if rep.metric == "accuracy" else "dB"
        if rep.met:
            lines.append(f"within the budget of {rep.budget:g} {unit} of the float model")
        else:
            lines.append(f"warning: no choice of int16 ops came within {rep.budget:g} {unit} of the float model; "
                         f"the best found is written")
    return lines


def mixed_markdown(rep: Any) -> str:
    """The mixed report as Markdown."""
    what = "accuracy" if rep.metric == "accuracy" else "SNR of output 0 vs targets"
    out = ["# edgeq quantize --mode mixed", "",
           f"{what} on {rep.samples} evaluation samples (TFLM interpreter); arena: edgeq-micro's, reference kernels.",
           "", f"| mode | quality | arena | .tflite bytes | {_instr_header(rep)} |", "|---|---:|---:|---:|---:|"]
    out += [f"| {' | '.join(r)} |" for r in mixed_rows(rep)]
    if not rep.instructions_board:
        out += ["", "Instructions estimated from the graph (edgeq.model.cost: per-op fits of edgeq-micro's fast "
                "kernels on mps2-an386); `--target BOARD` measures them exactly."]
    out += [""] + [f"- {line}" for line in mixed_summary(rep)]
    if rep.int16_ops:
        out += ["", "| op | layer | quality with this op alone int16 |", "|---|---|---:|"]
        out += [f"| #{k} {op} | {name} | {_q(rep, q) if q is not None else ''} |" for k, op, name, q in rep.int16_ops]
    return "\n".join(out) + "\n"


def mixed_plot(rep: Any) -> bytes:
    """PNG: quality vs edgeq-micro arena of int8, mixed and int16x8 (the float model's quality
    as a line)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for m in ("int8", "mixed", "int16x8"):
        f = rep.modes[m]
        if f.quality is not None and f.arena_bytes is not None:
            ax.scatter([f.arena_bytes], [f.quality], s=40)
            ax.annotate(m, (f.arena_bytes, f.quality), textcoords="offset points", xytext=(5, 5))
    fq = rep.modes["float"].quality
    if fq is not None:
        ax.axhline(fq, linestyle="--", color="gray")
        ax.annotate("float", (ax.get_xlim()[0], fq), textcoords="offset points", xytext=(3, 3), color="gray")
    ax.set_xlabel("edgeq-micro arena (bytes)")
    ax.set_ylabel("accuracy (%)" if rep.metric == "accuracy" else "SNR (dB)")
    ax.set_title("quality vs memory by precision mode")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()
