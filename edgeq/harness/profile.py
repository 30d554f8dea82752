"""``edgeq bench --profile``: where every instruction and estimated cycle of one inference goes.

A profile build (``NativeSources.profile``) calls the app's ``edgeq_prof_mark`` between ops:
edgeq-micro around every kernel call in the generated ``edgeq_invoke_n``; the TFLM app
around every op's ``registration->invoke`` (see ``tflm/app/edgeq_model_tflm.cc.j2``). The
QEMU plugin (``mark=``) splits the inference span at each marker and counts the
instructions of every segment exactly and the executed blocks of every segment, which the
board's cycle model costs (``cycles.estimate_segments``). A profile build is a build of its
own: its whole-inference figure is reported beside the per-op rows, never as the bench's.

Accounting (instructions; cycles alike). The app's calibration span is three bare calls,
``begin``, one marker, ``end``: its first segment ``c0`` is the begin marker's own cost
(its return and the next call), its second ``m`` what one profile marker costs (its return
and the next call). An inference span of K markers has K+1 segments s0..sK:

* op rows: a segment between two markers that holds an op, minus ``m``;
* "markers": K x ``m``;
* "output copies" (edgeq-micro) and "interpreter between ops" (TFLM): their segments minus ``m``;
* "invoke entry and exit": s0 + sK - c0 - m (the runtime's own work before its first
  op and after its last, e.g. edgeq_invoke_n's argument checks, TFLM's input copy);

and these sum exactly to the profile build's whole inference, span - c0 (the bench's
definition: the span less the begin marker's cost). The profile runs one inference (the
first sample): the counts are exact for that input.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from edgeq.errors import TargetError

log = logging.getLogger(__name__)

COMPARE_RUNTIMES = ("tflm",)


@dataclass(frozen=True)
class OpRow:
    """One op of the model in one runtime's profile. ``how``: "kernel" (its own code ran
    between two markers), "view" (edgeq-micro: the output is its input's bytes, no code),
    "placed" (edgeq-micro: a concatenation whose inputs were written into their slices by
    their producers, no code); instructions and cycles are None when no code ran."""

    index: int
    op: str
    output_shape: tuple[int, ...]
    macs: int
    how: str
    instructions: int | None
    cycles_estimate: int | None


@dataclass(frozen=True)
class OverheadRow:
    """Instructions (and cycles) of a profile that belong to no op."""

    name: str
    instructions: int
    cycles_estimate: int | None


@dataclass(frozen=True)
class Profile:
    """One runtime's per-op profile of one inference on one board."""

    runtime: str  # "native", "tflm" or "tflm-cmsis_nn"
    target: str
    cycle_model: str | None
    instructions: int  # the profile build's whole inference
    cycles_estimate: int | None
    ops: tuple[OpRow, ...]
    overhead: tuple[OverheadRow, ...]
    markers: int
    marker_instructions: int  # one marker (measured by the calibration span)
    marker_cycles: int | None

    def check_sums(self) -> None:
        """The per-op rows plus the overhead rows equal the whole inference, exactly."""
        ins = sum(r.instructions or 0 for r in self.ops) + sum(o.instructions for o in self.overhead)
        if ins != self.instructions:
            raise TargetError(f"profile of {self.runtime}: ops + overhead = {ins} instructions, "
                              f"the inference {self.instructions}")
        if self.cycles_estimate is not None:
            cyc = sum(r.cycles_estimate or 0 for r in self.ops) + sum(o.cycles_estimate or 0 for o in self.overhead)
            if cyc != self.cycles_estimate:
                raise TargetError(f"profile of {self.runtime}: ops + overhead = {cyc} estimated cycles, "
                                  f"the inference {self.cycles_estimate}")


def account(model, segments_roles: Sequence[tuple[str, int]], fused: Sequence[tuple[int, str]],
            spans: Sequence[Sequence[int]], seg_cycles: Sequence[int] | None,
            cal_cycles: Sequence[int] | None, *, runtime: str, target: str,
            cycle_model: str | None) -> Profile:
    """Turn a profile run's segments into a :class:`Profile` (see the module docstring).

    ``spans``: the calibration span's segments, then one inference span's. ``segments_roles``:
    what lies between consecutive markers (``NativeSources.segments``). ``seg_cycles`` /
    ``cal_cycles``: estimated cycles of the inference's and the calibration's segments."""
    from edgeq.model.macs import op_macs

    if len(spans) != 2:
        raise TargetError(f"profile of {runtime}: expected the calibration span and one inference, got {len(spans)} spans")
    cal, inf = spans
    if len(cal) != 2:
        raise TargetError(f"profile of {runtime}: the calibration span has {len(cal)} segments, expected 2")
    if len(inf) != len(segments_roles) + 2:
        raise TargetError(f"profile of {runtime}: the inference passed {len(inf) - 1} markers, the build has "
                          f"{len(segments_roles) + 1} (control flow or an op the profile build does not mark?)")
    c0, m = cal
    have_cycles = seg_cycles is not None and cal_cycles is not None
    if have_cycles:
        seg_cycles = list(seg_cycles) + [0] * (len(inf) - len(seg_cycles))
        cal_cycles = list(cal_cycles) + [0] * (2 - len(cal_cycles))
        c0c, mc = cal_cycles[0], cal_cycles[1]
    sg = model.main
    by_index: dict[int, tuple[int, int | None]] = {}
    extra: dict[str, list[int]] = {}
    for k, (role, index) in enumerate(segments_roles, start=1):
        ins = inf[k] - m
        cyc = seg_cycles[k] - mc if have_cycles else None
        if role == "op":
            by_index[index] = (ins, cyc)
        else:
            name = {"copies": "output copies", "between": "interpreter between ops"}[role]
            acc = extra.setdefault(name, [0, 0])
            acc[0] += ins
            acc[1] += cyc or 0
    fused_how = dict(fused)
    rows = []
    for op in sg.operators:
        out = sg.tensors[op.outputs[0]].shape if op.outputs and op.outputs[0] >= 0 else ()
        if op.index in by_index:
            ins, cyc = by_index[op.index]
            rows.append(OpRow(op.index, op.name, tuple(out), op_macs(op, sg), "kernel", ins, cyc))
        else:
            rows.append(OpRow(op.index, op.name, tuple(out), op_macs(op, sg), fused_how.get(op.index, "none"),
                              None, None))
    markers = len(inf) - 1
    overhead = [OverheadRow(name, v[0], v[1] if have_cycles else None) for name, v in extra.items()]
    overhead.append(OverheadRow("invoke entry and exit", inf[0] + inf[-1] - c0 - m,
                                seg_cycles[0] + seg_cycles[len(inf) - 1] - c0c - mc if have_cycles else None))
    overhead.append(OverheadRow(f"markers ({markers} x {m})", markers * m, markers * mc if have_cycles else None))
    prof = Profile(runtime=runtime, target=target, cycle_model=cycle_model if have_cycles else None,
                   instructions=sum(inf) - c0,
                   cycles_estimate=sum(seg_cycles) - c0c if have_cycles else None,
                   ops=tuple(rows), overhead=tuple(overhead), markers=markers, marker_instructions=m,
                   marker_cycles=mc if have_cycles else None)
    prof.check_sums()
    return prof


def profile(model_path: str | Path, target, inputs: Sequence[np.ndarray], *, runtime: str = "native",
            sample_timeout: float | None = None, limits: dict | None = None, kernels: str = "fast") -> Profile:
    """Build ``runtime``'s profile firmware of MODEL for ``target`` (edgeq-micro's ``kernels``:
    fast or reference; TFLM's from EDGEQ_TFLM_KERNELS), run the first sample of ``inputs``
    under QEMU with the instruction plugin, and account every segment. ``limits``:
    build_firmware's memory-budget keywords."""
    from edgeq.harness.measure import firmware_sources
    from edgeq.harness.runners import qemu
    from edgeq.model.reader import read_model
    from edgeq.toolchain import arm

    reason = qemu.plugin_missing_reason()
    if reason:
        from edgeq.errors import MissingToolError

        raise MissingToolError(f"--profile needs exact instruction counts: {reason}")
    sources = firmware_sources(model_path, runtime, target, kernels=kernels, profile=True)
    fw = arm.build_firmware(sources, target, **(limits or {}))
    first = [np.asarray(x)[:1] for x in inputs]
    kw = {} if sample_timeout is None else {"sample_timeout": sample_timeout}
    res = qemu.run(fw, target, first, profile=True, **kw)
    return account(read_model(model_path), sources.segments, sources.fused, res.segments, res.segment_cycles,
                   res.calibration_segment_cycles, runtime=sources.runtime_name if runtime == "tflm" else "native",
                   target=target.name, cycle_model=res.cycle_model)


def as_json(p: Profile, other: Profile | None = None) -> list[dict]:
    """The bench JSON's ``ops``: one object an op; with ``other`` (the TFLM profile of
    ``--compare``), its figures as ``tflm_instructions`` / ``tflm_cycles_estimate``."""
    theirs = {r.index: r for r in other.ops} if other else {}
    out = []
    for r in p.ops:
        d = {"index": r.index, "op": r.op, "output_shape": list(r.output_shape), "macs": r.macs,
             "instructions": r.instructions, "cycles_estimate": r.cycles_estimate,
             "macs_per_cycle": round(r.macs / r.cycles_estimate, 4) if r.cycles_estimate else None,
             "share": round(r.instructions / p.instructions, 6) if r.instructions is not None and p.instructions else None,
             "how": r.how}
        if other is not None:
            t = theirs.get(r.index)
            d["tflm_instructions"] = t.instructions if t else None
            d["tflm_cycles_estimate"] = t.cycles_estimate if t else None
            d["instructions_ratio"] = (round(r.instructions / t.instructions, 4)
                                       if t and t.instructions and r.instructions is not None else None)
            d["cycles_ratio"] = (round(r.cycles_estimate / t.cycles_estimate, 4)
                                 if t and t.cycles_estimate and r.cycles_estimate is not None else None)
        out.append(d)
    return out


def summary_json(p: Profile) -> dict:
    """The whole of one profile (the bench JSON's ``profile`` / ``tflm_profile``)."""
    return {"runtime": p.runtime, "target": p.target, "build": "profile (markers between ops)",
            "instructions_per_inference": p.instructions, "cycles_per_inference_estimate": p.cycles_estimate,
            "cycle_model": p.cycle_model, "markers": p.markers, "marker_instructions": p.marker_instructions,
            "marker_cycles_estimate": p.marker_cycles,
            "overhead": [{"name": o.name, "instructions": o.instructions, "cycles_estimate": o.cycles_estimate}
                         for o in p.overhead]}
