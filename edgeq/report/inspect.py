"""``edgeq inspect``: a model's ops, tensors, quantization, MACs, sizes and runtime support.

:func:`build_report` turns the graph IR (plus the TFLM arena measurement) into a plain,
JSON-ready dict; :func:`to_json` serializes it as strict JSON and :func:`render` as rich
tables for people. The dict is the contract of ``edgeq inspect --json`` (DESIGN.md, "The
command line"): keys are only ever added.

Multi-subgraph models: ``ops`` and ``tensors`` hold the entries of every subgraph, each with
its ``subgraph`` number (0 is the main graph); ``index`` is the position inside it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from edgeq.model.arena import ArenaResult
from edgeq.model.ir import Model, Subgraph, Tensor
from edgeq.model.macs import op_macs, param_bytes
from edgeq.model.support import RUNTIMES, runtime_support


def _tensor_entry(s: int, t: Tensor) -> dict[str, Any]:
    q = t.quant
    return {
        "subgraph": s,
        "index": t.index,
        "name": t.name,
        "shape": list(t.shape),
        "shape_signature": list(t.shape_signature) if t.shape_signature is not None else None,
        "type": t.dtype,
        # Unquantized tensors: scale/zero_point/quantized_dimension/channels are null.
        "scale": list(q.scale) if q else None,
        "zero_point": list(q.zero_point) if q else None,
        "quantized_dimension": q.quantized_dimension if q else None,
        "per_channel": q.per_channel if q else False,
        "channels": len(q.scale) if q else None,
        "constant": t.is_constant,
        "variable": t.is_variable,
        "bytes": len(t.data) if t.data is not None else t.nbytes,
    }


def _shape_of(sg: Subgraph, i: int) -> list[int] | None:
    return None if i < 0 else list(sg.tensors[i].shape)


def build_report(model: Model, *, arena: ArenaResult | None = None, plan: bool = False) -> dict[str, Any]:
    """The inspect report of ``model`` as a JSON-ready dict.

    ``arena`` is the result of :func:`edgeq.model.arena.measure_tflm_arena` (None: not
    measured, reported as such), so that callers decide whether to pay for the child
    process.
    """
    subgraphs, ops, tensors = [], [], []
    unsupported: dict[str, list[dict[str, Any]]] = {rt: [] for rt in RUNTIMES}
    macs_total = 0
    for s, sg in enumerate(model.subgraphs):
        subgraphs.append({
            "index": s,
            "name": sg.name,
            "inputs": list(sg.inputs),
            "outputs": list(sg.outputs),
            "num_ops": len(sg.operators),
            "num_tensors": len(sg.tensors),
        })
        tensors.extend(_tensor_entry(s, t) for t in sg.tensors)
        for op in sg.operators:
            macs = op_macs(op, sg)
            macs_total += macs
            support: dict[str, str | None] = {}
            for rt in RUNTIMES:
                reason = runtime_support(op, sg, rt)
                support[rt] = reason
                if reason is not None:
                    unsupported[rt].append({"subgraph": s, "index": op.index, "name": op.name, "reason": reason})
            ops.append({
                "subgraph": s,
                "index": op.index,
                "name": op.name,
                "opcode": op.opcode,
                "custom_code": op.custom_code,
                "version": op.version,
                "inputs": list(op.inputs),
                "outputs": list(op.outputs),
                "input_shapes": [_shape_of(sg, i) for i in op.inputs],
                "output_shapes": [_shape_of(sg, i) for i in op.outputs],
                "macs": macs,
                "options": dict(op.options),
                "support": support,
            })
    if arena is None:
        arena = ArenaResult(None, "not measured")
    tflm_missing = {(m["subgraph"], m["index"]): m["reason"] for m in unsupported["tflm"]}
    neither = [{**m, "reasons": {"tflm": tflm_missing[(m["subgraph"], m["index"])], "native": m["reason"]}}
               for m in unsupported["native"] if (m["subgraph"], m["index"]) in tflm_missing]
    for m in neither:
        del m["reason"]
    return {
        "model": model.source,
        "model_bytes": model.size_bytes,
        "schema_version": model.version,
        "description": model.description,
        "subgraphs": subgraphs,
        "inputs": list(model.main.inputs),
        "outputs": list(model.main.outputs),
        "ops": ops,
        "tensors": tensors,
        "macs_total": macs_total,
        "param_bytes": param_bytes(model),
        "tflm_arena_bytes": arena.total_bytes,
        "tflm_arena_head_bytes": arena.head_bytes,
        "tflm_arena_tail_bytes": arena.tail_bytes,
        "tflm_arena_error": arena.reason,
        "unsupported": unsupported,
        "unsupported_by_both": neither,  # ops no runtime here runs: the model cannot be deployed as it is
        # The plan searches in-place subsets (about a second for person_detect): on request only.
        "arena_plan": arena_plan(model) if plan and not unsupported["native"] else None,
    }


def arena_plan(model: Model) -> dict[str, Any] | None:
    """edgeq-micro's memory plan of the main graph: arena size, the peak of live bytes with
    in-place ops, the bound without them, and a per-kernel timeline (null when edgeq-micro
    cannot run the model)."""
    from edgeq.codegen.native import emit

    from edgeq.errors import EdgeqError

    try:
        mp = emit.plan_model(model)
    except EdgeqError:  # e.g. a constant type edgeq-micro cannot hold: no plan to show
        return None
    mem = mp.mem
    timeline, placed = [], []
    for k, (index, name, _call) in enumerate(mp.calls):
        op = mp.plan_ops[k]
        out = op.outputs[0] if op.outputs else -1
        root = mem.roots.get(out, out)
        timeline.append({"op": index, "name": name, "live_bytes": mem.timeline[k],
                         "inplace_over": mem.inplace.get(root), "no_kernel": k in mp.no_kernel})
        here = [t for t in op.inputs if (p := mem.placed.get(mem.roots[t])) is not None and p.op == k]
        if here:
            placed.append({"op": index, "name": name, "output": out, "inputs": here,
                           "num_inputs": len(op.inputs), "copy": k not in mp.no_kernel})
    return {"arena_bytes": mem.arena_size, "peak_bytes": mem.peak,
            "lower_bound_bytes": mem.lower_bound, "inplace_bound_bytes": mem.inplace_bound,
            "inplace": [{"output": o, "input": i} for o, i in mem.inplace.items()],
            "placed": placed, "timeline": timeline}


def _json_safe(value: Any) -> Any:
    """Strict-JSON form: tuples as lists, NaN/inf (possible in a model's float options) as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def to_json(report: dict[str, Any], indent: int | None = 2) -> str:
    """The report as one strict JSON document (parseable by any JSON reader)."""
    return json.dumps(_json_safe(report), indent=indent, allow_nan=False)


# ---------------------------------------------------------------- human rendering


def _dims(shape: list[int] | None) -> str:
    if shape is None:
        return "-"
    return "x".join(str(d) for d in shape) if shape else "scalar"


def _quant_text(t: dict[str, Any]) -> str:
    if t["scale"] is None:
        return ""
    if t["per_channel"]:
        lo, hi = min(t["scale"]), max(t["scale"])
        zps = set(t["zero_point"])
        zp = str(zps.pop()) if len(zps) == 1 else "varied"
        return f"axis {t['quantized_dimension']} x{t['channels']}: s {lo:.3g}..{hi:.3g} zp {zp}"
    return f"s {t['scale'][0]:.6g} zp {t['zero_point'][0]}"


def _count(n: int) -> str:
    return f"{n:,}"


def render(report: dict[str, Any]):
    """Rich renderables for people: one ops table per subgraph, a tensors table, a summary."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    tensors = {(t["subgraph"], t["index"]): t for t in report["tensors"]}
    parts: list[Any] = []
    for sg in report["subgraphs"]:
        s = sg["index"]
        title = f"subgraph {s}" + (f" ({sg['name']})" if sg["name"] else "") + f": {sg['num_ops']} ops"
        table = Table(title=title, title_justify="left", expand=False)
        table.add_column("#", justify="right")
        table.add_column("op", no_wrap=True)
        table.add_column("inputs (const*)")
        table.add_column("outputs")
        table.add_column("MACs", justify="right")
        for rt in RUNTIMES:
            table.add_column(rt, justify="center")
        for op in (o for o in report["ops"] if o["subgraph"] == s):
            ins = []
            for i, shape in zip(op["inputs"], op["input_shapes"]):
                star = "*" if i >= 0 and tensors[(s, i)]["constant"] else ""
                ins.append(_dims(shape) + star)
            marks = [Text("yes", "green") if op["support"][rt] is None else Text("no", "red") for rt in RUNTIMES]
            table.add_row(
                str(op["index"]), op["name"], " ".join(ins),
                " ".join(_dims(x) for x in op["output_shapes"]), _count(op["macs"]), *marks,
            )
        parts.append(table)

    ttable = Table(title="tensors (type* = constant)", title_justify="left")
    many = len(report["subgraphs"]) > 1
    # Names are long and the least useful column on a narrow terminal: they give way first.
    ttable.add_column("#", justify="right", no_wrap=True)
    ttable.add_column("name", overflow="ellipsis", max_width=24)
    ttable.add_column("shape", no_wrap=True)
    ttable.add_column("type", no_wrap=True)
    ttable.add_column("quantization", min_width=18)
    ttable.add_column("bytes", justify="right", no_wrap=True)
    for t in report["tensors"]:
        kind = "*" if t["constant"] else (" var" if t["variable"] else "")
        ttable.add_row(
            f"{t['subgraph']}.{t['index']}" if many else str(t["index"]), t["name"], _dims(t["shape"]),
            t["type"] + kind, _quant_text(t), _count(t["bytes"]),
        )
    parts.append(ttable)

    lines = [
        f"model: {report['model'] or '<bytes>'} ({_count(report['model_bytes'])} bytes, schema v{report['schema_version']})",
        f"subgraphs: {len(report['subgraphs'])}   ops: {len(report['ops'])}   tensors: {len(report['tensors'])}",
        f"parameters: {_count(report['param_bytes'])} bytes   MACs per inference: {_count(report['macs_total'])}",
    ]
    if report["tflm_arena_bytes"] is not None:
        lines.append(f"TFLM arena (host interpreter): {_count(report['tflm_arena_bytes'])} bytes")
    else:
        lines.append(f"TFLM arena: unknown ({report['tflm_arena_error']})")
    for rt in RUNTIMES:
        missing = report["unsupported"][rt]
        if not missing:
            lines.append(f"{rt}: all ops supported")
        else:
            names = sorted({m["name"] for m in missing})
            lines.append(f"{rt}: {len(missing)} op(s) unsupported: {', '.join(names)}")
    neither = report.get("unsupported_by_both") or []
    if neither:
        where = ", ".join(f"#{m['index']} {m['name']}" + (f" (subgraph {m['subgraph']})" if m["subgraph"] else "")
                          for m in neither)
        lines.append(f"neither runtime runs: {where}")
    elif report["ops"]:
        lines.append("every op runs on at least one runtime")
    plan = report.get("arena_plan")
    if plan:
        peak = max(plan["peak_bytes"], 1)
        ptable = Table(title="edgeq-micro arena plan (live bytes per kernel; = in place over tensor)",
                       title_justify="left")
        ptable.add_column("#", justify="right")
        ptable.add_column("op", no_wrap=True)
        ptable.add_column("live B", justify="right")
        ptable.add_column("", no_wrap=True)
        for e in plan["timeline"]:
            bar = "#" * max(1, round(24 * e["live_bytes"] / peak)) if e["live_bytes"] else ""
            mark = f" = t{e['inplace_over']}" if e["inplace_over"] is not None else ""
            mark += " (inputs in place, no copy)" if e.get("no_kernel") else ""
            ptable.add_row(str(e["op"]), e["name"] + mark, _count(e["live_bytes"]),
                           bar + (" peak" if e["live_bytes"] == plan["peak_bytes"] else ""))
        parts.append(ptable)
        lines.append(f"edgeq-micro arena: {_count(plan['arena_bytes'])} bytes   peak live: "
                     f"{_count(plan['peak_bytes'])}   bound with in-place and placement: "
                     f"{_count(plan['inplace_bound_bytes'])}   without: {_count(plan['lower_bound_bytes'])}"
                     f"   in-place ops: {len(plan['inplace'])}")
        for c in plan.get("placed", []):
            if c["copy"]:
                lines.append(f"{c['name']} #{c['op']}: {len(c['inputs'])} of {c['num_inputs']} inputs placed in "
                             f"their slices, the rest copied")
            else:
                lines.append(f"{c['name']} #{c['op']}: inputs placed in their slices, no copy")
    parts.append(Text("\n".join(lines)))
    return Group(*parts)
