"""The per-op profile of ``edgeq bench --profile`` as a terminal table, a Markdown section and
a bar chart (matplotlib). Everything here reads the bench JSON's ``ops``, ``profile`` and
``tflm_profile`` (see :mod:`edgeq.harness.profile`), so a saved report renders the same."""

from __future__ import annotations

from pathlib import Path

WIDTH = {False: 130, True: 200}  # terminal columns the table needs (alone, compared)
HOW = {"view": "view of its input (no code)", "placed": "inputs placed in their slices (no code)",
       "none": "no code"}


def _n(v) -> str:
    return "-" if v is None else f"{v:,}"


def _ratio(v) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _pct(part, whole) -> str:
    return "-" if part is None or not whole else f"{100 * part / whole:.1f} %"


def _shape(s) -> str:
    return "x".join(str(d) for d in s) if s else "-"


def compared(result) -> bool:
    return result.tflm_profile is not None


def header(result) -> list[str]:
    """Column names of the per-op table."""
    cols = ["#", "op", "output", "MACs", "instructions", "share", "cycles (est.)", "MAC/cycle"]
    if compared(result):
        cols += ["TFLM instructions", "TFLM cycles (est.)", "instr. ratio", "cycles ratio"]
    return cols


def table_rows(result) -> list[list[str]]:
    """One row an op, then the overhead rows and the whole inference of each profile build."""
    prof, tprof = result.profile, result.tflm_profile
    whole = prof["instructions_per_inference"]
    rows = []
    for r in result.ops:
        if r["instructions"] is None:
            row = [str(r["index"]), r["op"], _shape(r["output_shape"]), _n(r["macs"]), HOW.get(r["how"], r["how"]),
                   "", "", ""]
        else:
            row = [str(r["index"]), r["op"], _shape(r["output_shape"]), _n(r["macs"]), _n(r["instructions"]),
                   _pct(r["instructions"], whole), _n(r["cycles_estimate"]),
                   "-" if r["macs_per_cycle"] is None else f"{r['macs_per_cycle']:.3f}"]
        if tprof is not None:
            row += [_n(r["tflm_instructions"]), _n(r["tflm_cycles_estimate"]), _ratio(r["instructions_ratio"]),
                    _ratio(r["cycles_ratio"])]
        rows.append(row)
    names = [o["name"] for o in prof["overhead"]]
    if tprof is not None:
        names += [o["name"] for o in tprof["overhead"] if o["name"] not in names]
    for name in names:
        mine = next((o for o in prof["overhead"] if o["name"] == name), None)
        row = ["", f"({name})", "", "", _n(mine["instructions"]) if mine else "-",
               _pct(mine["instructions"], whole) if mine else "", _n(mine["cycles_estimate"]) if mine else "-", ""]
        if tprof is not None:
            theirs = next((o for o in tprof["overhead"] if o["name"] == name), None)
            row += [_n(theirs["instructions"]) if theirs else "-", _n(theirs["cycles_estimate"]) if theirs else "-", "", ""]
        rows.append(row)
    total = ["", "whole inference (profile build)", "", _n(sum(r["macs"] for r in result.ops)), _n(whole), "100 %",
             _n(prof["cycles_per_inference_estimate"]), ""]
    if tprof is not None:
        ti, tc = tprof["instructions_per_inference"], tprof["cycles_per_inference_estimate"]
        total += [_n(ti), _n(tc), _ratio(whole / ti if ti else None),
                  _ratio(prof["cycles_per_inference_estimate"] / tc if tc and prof["cycles_per_inference_estimate"] else None)]
    rows.append(total)
    return rows


def worst(result, n: int = 3) -> list[dict]:
    """The ``n`` ops where edgeq-micro does worst against TFLM: the highest ratios of
    instructions (above 1: it loses), ties broken by the larger excess."""
    if not compared(result):
        return []
    ops = [r for r in result.ops if r["instructions"] is not None and r["tflm_instructions"]]
    ops.sort(key=lambda r: (r["instructions"] / r["tflm_instructions"], r["instructions"] - r["tflm_instructions"]),
             reverse=True)
    return ops[:n]


def notes(result) -> list[str]:
    """What the figures are, in sentences (terminal and Markdown)."""
    prof, tprof = result.profile, result.tflm_profile
    out = [f"One inference (the first sample) of the profile build: a marker call between ops, "
           f"{prof['marker_instructions']} instructions a marker, reported as its own row; ops + overhead rows "
           f"= the whole inference exactly. Instructions are exact (QEMU plugin); cycles are estimates "
           f"({prof['cycle_model'] or 'no cycle model for this core'})."]
    if tprof is not None:
        out.append(f"TFLM ({tprof['runtime']}): each op's registration->invoke between two markers; the interpreter's "
                   f"work between ops is its own row.")
    w = worst(result)
    if w:
        out.append("Where edgeq does worst against TFLM (instruction ratios): " + "; ".join(
            f"op {r['index']} {r['op']} {r['instructions']:,} vs {r['tflm_instructions']:,} "
            f"({_ratio(r['instructions_ratio'])})" for r in w) + ".")
    return out


def table(result):
    """A rich Table of the per-op profile for the terminal."""
    from rich.table import Table

    t = Table(title=f"per-op profile: {result.model} on {result.target}"
              + (f", edgeq-micro vs {result.tflm_profile['runtime']}" if compared(result) else ""))
    for i, c in enumerate(header(result)):
        t.add_column(c, justify="left" if i in (1, 2) else "right")
    for row in table_rows(result):
        t.add_row(*row)
    t.caption = " ".join(notes(result))
    return t


def render_markdown(result, plot: str | None = None) -> str:
    """The per-op profile as a Markdown section (with the chart's link when given)."""
    cols = header(result)
    lines = ["## Per-op profile", "", "| " + " | ".join(cols) + " |",
             "|" + "|".join("---" if i in (1, 2) else "---:" for i in range(len(cols))) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in table_rows(result)]
    lines += [""] + notes(result) + [""]
    if plot:
        lines += [f"![per-op profile]({plot})", ""]
    return "\n".join(lines)


def write_plot(result, path: str | Path) -> Path:
    """One bar an op (instructions; both runtimes side by side when compared), written
    atomically as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edgeq.fileio import write_atomic

    path = Path(path)
    ops = result.ops
    labels = [f"{r['index']} {r['op']}" for r in ops]
    mine = [(r["instructions"] or 0) / 1e6 for r in ops]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(ops) + 2), 4.5))
    xs = range(len(ops))
    if compared(result):
        theirs = [(r["tflm_instructions"] or 0) / 1e6 for r in ops]
        w = 0.4
        ax.bar([x - w / 2 for x in xs], mine, w, label="edgeq-micro")
        ax.bar([x + w / 2 for x in xs], theirs, w, label=result.tflm_profile["runtime"])
        ax.legend()
    else:
        ax.bar(list(xs), mine, 0.6, label="edgeq-micro")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=70, ha="right", fontsize=7)
    ax.set_ylabel("instructions per inference (millions, exact)")
    ax.set_title(f"{result.model} on {result.target}: instructions per op")
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_atomic(path, buf.getvalue(), make_parents=True)
    return path
