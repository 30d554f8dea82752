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
