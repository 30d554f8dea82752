"""IR -> edgeq-micro C sources (the ``native`` runtime).

What is generated, and from where:

* ``edgeq_model.h`` / ``edgeq_model.c`` are rendered from the whole-file Jinja templates
  ``firmware_templates/codegen/edgeq_model.{h,c}.j2`` (``StrictUndefined``). The ``.c`` holds
  the weights as ``const`` arrays (flash), one ``const`` parameter struct per op with the
  constants TFLM's ``Prepare()`` would compute (from :mod:`edgeq.ops`), a static arena laid
  out by :mod:`edgeq.codegen.native.planner`, and ``edgeq_invoke_n`` / ``edgeq_invoke``.
* The runtime files are copied verbatim from ``firmware_templates/runtime/``: the headers
  ``edgeq_micro.h`` and ``edgeq_fixedpoint.h`` plus one kernel source per op kind used.
  ``variants`` swaps the source of any op (e.g. ``{"CONV_2D": "conv_2d_fast.c"}``, a file of
  ``runtime/`` or an absolute path), which is how optimized kernels replace the reference
  ones op by op: a variant defines the same function with the same parameter struct.

Same model and options -> byte-identical sources (no timestamps, stable iteration order).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from edgeq.errors import UnsupportedOpError
from edgeq.fileio import write_atomic
from edgeq.model.ir import NUMPY_DTYPES, Model, Subgraph, Tensor
from edgeq.ops import REGISTRY, native_support
from edgeq.ops._common import Alias, KernelCall, c_float
from edgeq.codegen.native import planner
from edgeq.codegen.templates import render, templates_dir

log = logging.getLogger(__name__)

CTYPES = {"INT8": "int8_t", "INT32": "int32_t", "FLOAT32": "float", "INT16": "int16_t", "UINT8": "uint8_t",
          "INT64": "int64_t"}
HEADERS = ("edgeq_micro.h", "edgeq_fixedpoint.h")
FAST_HEADERS = ("edgeq_simd.h", "edgeq_gemm.h", "edgeq_mve.h", "edgeq_mve_gemm.h")  # with the fast kernels (features given)
IO_TYPES = ("INT8", "INT16", "FLOAT32", "INT32")


@dataclass(frozen=True)
class IOSpec:
    """One graph input or output as the generated code exposes it."""

    kind: str  # "input" / "output"
    index: int
    tensor: int
    dtype: str  # TFLite type name
    shape: tuple[int, ...]
    scale: float | None
    zero_point: int | None

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(NUMPY_DTYPES[self.dtype])

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.numpy_dtype.itemsize


@dataclass(frozen=True)
class NativeSources:
    """The generated files (name -> text) and the facts other stages need."""

    files: Mapping[str, str] = field(repr=False)
    arena_size: int
    weight_bytes: int
    inputs: tuple[IOSpec, ...]
    outputs: tuple[IOSpec, ...]
    model_name: str
    # arena bytes that hold state from one inference to the next (variable tensors; 0: none)
    state_bytes: int = 0
    # What the firmware build needs beyond the files: the runtime's name in the protocol,
    # whether the app calls edgeq_init() at boot, and an external library (the TFLM
    # application links TFLite Micro; edgeq-micro needs none of these).
    runtime_name: str = "edgeq-micro"
    has_init: bool = False
    include_dirs: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()
    # A profile build (``edgeq bench --profile``) marks the boundaries between ops with calls
    # of the app's edgeq_prof_mark. ``segments`` says what lies between two consecutive marks,
    # in order: ("op", model op index), ("copies", -1) for the output copies edgeq-micro makes
    # after its last kernel, ("between", -1) for an interpreter's own work between two ops.
    # ``fused``: (model op index, how) for ops that run no code of their own.
    profile: bool = False
    segments: tuple[tuple[str, int], ...] = ()
    fused: tuple[tuple[int, str], ...] = ()

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write every file into ``out_dir`` (created); returns the paths written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in self.files.items():
            paths.append(write_atomic(out / name, text.encode()))  # never a half-written file
        return paths


def header_context(model_name: str, arena_size: int, inputs, outputs, state_bytes: int = 0) -> dict:
    """What ``edgeq_model.h.j2`` needs: the I/O macros and entry points. Shared with the
    TFLM application, which implements the same header with a MicroInterpreter.
    ``state_bytes``: the arena bytes that hold state between inferences (0: stateless)."""
    from edgeq import __version__ as version

    def io_ctx(spec: IOSpec) -> dict:
        return {"kind": spec.kind, "index": spec.index, "macro": f"{spec.kind.upper()}{spec.index}",
                "ctype": CTYPES[spec.dtype], "shape": list(spec.shape), "size": spec.nbytes // spec.numpy_dtype.itemsize,
                "nbytes": spec.nbytes, "quantized": spec.scale is not None,
                "scale": c_float(spec.scale) if spec.scale is not None else "",
                "zero_point": spec.zero_point if spec.zero_point is not None else 0}

    single_int8 = (len(inputs) == 1 and len(outputs) == 1 and inputs[0].dtype == "INT8"
                   and outputs[0].dtype == "INT8")
    return {"version": version, "model_name": model_name, "arena_size": arena_size,
            "inputs": [io_ctx(s) for s in inputs], "outputs": [io_ctx(s) for s in outputs],
            "single_int8": single_int8, "state_bytes": state_bytes}


def unsupported_ops(model: Model) -> list[tuple[int, str, str]]:
    """``(op index, op name, reason)`` for every op of the main graph edgeq-micro cannot run,
    plus graph inputs/outputs of types it cannot pass (index -1)."""
    sg = model.main
    bad = []
    for op in sg.operators:
        reason = native_support(op, sg)
        if reason:
            bad.append((op.index, op.name, reason))
    for kind, idxs in (("input", sg.inputs), ("output", sg.outputs)):
        for k, t in enumerate(idxs):
            tt = sg.tensors[t]
            if tt.dtype not in IO_TYPES:
                bad.append((-1, f"{kind} {k}", f"type {tt.dtype} (int8, int16, int32 or float32 only)"))
    return bad


def is_float_model(model: Model) -> bool:
    """True when no tensor of the main graph is quantized: a float model that
    ``edgeq quantize`` has not been through."""
    sg = model.main
    return bool(sg.operators) and not any(t.quant is not None and t.quant.scale for t in sg.tensors)


def check_supported(model: Model) -> None:
    """Raise :class:`UnsupportedOpError` naming every op edgeq-micro cannot run."""
    bad = unsupported_ops(model)
    if not bad:
        return
    label = Path(model.source).name if model.source else "model"
    if is_float_model(model):
        raise UnsupportedOpError(
            f"{label} is a float model (no quantized tensors): quantize it first, e.g. "
            f"`edgeq quantize MODEL.keras --calib DATA.npz -o MODEL_int8.tflite`, or run it as it is "
            f"with --runtime tflm")
    from edgeq.model.support import tflm_support

    items = "; ".join(f"#{i} {name}: {why}" if i >= 0 else f"{name}: {why}" for i, name, why in bad)
    sg = model.main
    neither = sorted({name for i, name, _ in bad if i >= 0 and tflm_support(sg.operators[i], sg) is not None})
    advice = ("Use --runtime tflm for this model." if not neither else
              f"TFLM has no kernel for {', '.join(neither)} either: change the layer that makes it (for "
              f"UpSampling2D, `edgeq quantize` converts it to RESIZE_NEAREST_NEIGHBOR).")
    raise UnsupportedOpError(f"{label}: edgeq-micro cannot run {len(bad)} op(s): {items}. {advice}")


def _io(sg: Subgraph, kind: str, idxs) -> tuple[IOSpec, ...]:
    out = []
    for k, t in enumerate(idxs):
        tt = sg.tensors[t]
        q = tt.quant if tt.dtype != "FLOAT32" else None
        out.append(IOSpec(kind, k, t, tt.dtype, tuple(int(d) for d in tt.shape) or (1,),
                          float(q.scale[0]) if q else None, int(q.zero_point[0]) if q else None))
    return tuple(out)


def io_specs(model: Model) -> tuple[tuple[IOSpec, ...], tuple[IOSpec, ...]]:
    """The main graph's inputs and outputs (works for models edgeq-micro cannot run too)."""
    sg = model.main
    return _io(sg, "input", sg.inputs), _io(sg, "output", sg.outputs)


def _const_lines(t: Tensor) -> tuple[str, list[str]]:
    return _array_lines(t.numpy())


def _array_lines(arr: np.ndarray) -> tuple[str, list[str]]:
    """(element count, initializer lines) of a constant array."""
    arr = np.asarray(arr).reshape(-1)
    if arr.dtype.kind == "f":
        vals = [c_float(v) for v in arr]
        per = 6
    else:
        vals = [str(int(v)) for v in arr]
        per = 24 if arr.dtype.itemsize == 1 else 8
    return str(len(vals)), [", ".join(vals[i:i + per]) + "," for i in range(0, len(vals), per)]


@dataclass(frozen=True)
class ModelPlan:
    """The main graph as edgeq-micro runs it: one kernel call per non-view op, the views,
    where every activation lives (caller's input/output buffers, constants, arena offsets)
    and the memory plan. ``calls[k]`` is the op that the plan numbers ``k``, as the plan
    leaves it: a concatenation gets NULL for inputs placed in their slices, a producer of
    an interleaved slice writes at the concatenation's row stride, and the calls in
    ``no_kernel`` (concatenations with every input placed) are not made at all."""

    calls: tuple[tuple[int, str, KernelCall], ...]
    aliases: Mapping[int, int]
    plan_ops: tuple[planner.PlanOp, ...]
    mem: planner.MemoryPlan
    input_slot: Mapping[int, int]
    output_slot: Mapping[int, int]
    constants: frozenset[int]
    copies_needed: tuple[IOSpec, ...]
    no_kernel: frozenset[int] = frozenset()
    # call position -> the pseudo tensor (an index past the graph's tensors) that holds the
    # call's scratch memory in the memory plan
    scratch: Mapping[int, int] = field(default_factory=dict)


def state_tensors(model: Model) -> tuple[int, ...]:
    """The main graph's variable tensors that its ops use: the state (an LSTM's hidden and
    cell state, an SVDF's activation history) kept in the arena from one inference to the
    next, as TFLM keeps it, and cleared by ``edgeq_reset``."""
    sg = model.main
    used = {t for op in sg.operators for t in op.inputs if t >= 0}
    return tuple(t.index for t in sg.tensors if t.is_variable and t.index in used)


def _itemsize(t: Tensor) -> int:
    return np.dtype(NUMPY_DTYPES[t.dtype]).itemsize


def _inplace_inputs(sg: Subgraph, call: KernelCall) -> tuple[tuple[int, ...], int]:
    """The inputs of ``call`` its output may overwrite, and how far below them it starts.

    Elementwise kernels (``inplace_gap`` None): the input has as many elements as the
    output (no broadcast walk over it) and elements at least as wide, so each output byte
    lands on input bytes the kernel has already read; gap 0. Windowed kernels: the op
    module computed the gap that keeps every output pixel below the input bytes still to be read.
    """
    outs = [a.tensor for a in call.args if a.writable and a.tensor >= 0]
    if len(outs) != 1 or not call.inplace:
        return (), 0
    y = sg.tensors[outs[0]]
    keep = []
    for k in call.inplace:
        t = call.args[k].tensor
        if t < 0 or call.args[k].writable:
            continue
        x = sg.tensors[t]
        if call.inplace_gap is not None or (x.num_elements == y.num_elements and _itemsize(x) >= _itemsize(y)):
            keep.append(t)
    return tuple(keep), (call.inplace_gap or 0)


def _placeable(sg: Subgraph, call: KernelCall, calls, writer: Mapping[int, int], aligned_only: bool):
    """The slices of ``call`` (a concatenation) the planner may place: contiguous ones
    whatever writes the input; interleaved ones (rows at a stride) only where the input is
    written directly (not through a view) by a kernel that can write its rows at a stride of
    this size. ``aligned_only``: slices starting on an arena alignment boundary only (kernel
    variants may expect aligned buffers)."""
    out = []
    for s in call.slices:
        t = call.args[s.arg].tensor
        if t < 0 or (aligned_only and s.offset % planner.ALIGN):
            continue
        if s.rows > 1:
            producer = calls[writer[t]][2] if t in writer else None
            rows = producer.row_stride if producer is not None else None
            item = _itemsize(sg.tensors[t])
            if rows is None or rows[1] * item != s.row_bytes or s.stride % item:
                continue
        out.append(planner.Slice(t, s.offset, s.span))
    return tuple(out)


def _with_field(call: KernelCall, name: str, value: int) -> KernelCall:
    return dataclasses.replace(call, fields=tuple((k, str(value) if k == name else v) for k, v in call.fields))


def _apply_placement(sg: Subgraph, calls, writer: Mapping[int, int], aliases, mem: planner.MemoryPlan):
    """Calls as the plan leaves them (see :class:`ModelPlan`) and the calls not made."""
    calls = list(calls)
    no_kernel = set()
    for k, (index, name, call) in enumerate(calls):
        args = list(call.args)
        for s in call.slices:
            t = args[s.arg].tensor
            placed = mem.placed.get(planner.root_of(t, aliases)) if t >= 0 else None
            if placed is None or placed.op != k:
                continue
            args[s.arg] = dataclasses.replace(args[s.arg], tensor=-1)
            if s.rows > 1:  # its producer writes the rows a whole output row apart
                j = writer[t]
                pi, pname, producer = calls[j]
                field_name, _n = producer.row_stride
                calls[j] = (pi, pname, _with_field(producer, field_name, s.stride // _itemsize(sg.tensors[t])))
        if args == list(call.args):
            continue
        calls[k] = (index, name, dataclasses.replace(call, args=tuple(args)))
        if all(a.tensor < 0 for a in args if not a.writable):
            no_kernel.add(k)
    return tuple(calls), frozenset(no_kernel)


def plan_model(model: Model, *, variants: Mapping[str, str] | None = None, inplace: bool = True,
               placement: bool = True, features: frozenset[str] | None = None) -> ModelPlan:
    """Kernel calls and memory plan of the main graph (``inplace=False``: no in-place ops;
    ``placement=False``: concatenations always copy).

    ``features`` None: the reference kernels. A set (the core's features, see
    ``Target.features``; empty for a core with none of them): every op module with a
    ``specialize(op, sg, call, features)`` may replace its reference call by a fast variant
    for this op's shape and this core (its own source, re-laid-out constants, scratch).
    A fast variant keeps the reference kernel's memory contract (in-place gap, row stride).

    A kernel replaced through ``variants`` never runs in place and never writes an
    interleaved slice: its access pattern is unknown; with variants, only slices that start
    on an arena alignment boundary are placed.
    """
    variants = dict(variants or {})
    sg = model.main
    calls: list[tuple[int, str, KernelCall]] = []
    aliases: dict[int, int] = {}
    plan_ops: list[planner.PlanOp] = []
    writer: dict[int, int] = {}  # tensor -> the call that writes it
    scratch: dict[int, int] = {}
    sizes = {t.index: t.nbytes for t in sg.tensors}
    for op in sg.operators:
        impl = REGISTRY[op.name]
        prepared = impl.prepare(op, sg)
        if isinstance(prepared, Alias):
            aliases[prepared.output] = prepared.input
            continue
        specialize = getattr(impl, "specialize", None)
        if features is not None and specialize is not None and op.name not in variants:
            prepared = specialize(op, sg, prepared, frozenset(features))
        if op.name in variants:
            prepared = dataclasses.replace(prepared, source=variants[op.name], inplace=(), inplace_gap=None,
                                           row_stride=None)
        over, gap = _inplace_inputs(sg, prepared) if inplace else ((), 0)
        slices = _placeable(sg, prepared, calls, writer, bool(variants)) if placement else ()
        outs = tuple(a.tensor for a in prepared.args if a.writable and a.tensor >= 0)
        if prepared.scratch:
            pseudo = len(sg.tensors) + len(scratch)
            scratch[len(calls)] = pseudo
            sizes[pseudo] = prepared.scratch
            outs += (pseudo,)  # an output nobody reads: live during this op only
        plan_ops.append(planner.PlanOp(
            tuple(a.tensor for a in prepared.args if not a.writable and a.tensor >= 0),
            outs, over, gap, slices))
        for a in prepared.args:
            if a.writable and a.tensor >= 0:
                writer[a.tensor] = len(calls)
        calls.append((op.index, op.name, prepared))

    def root(t: int) -> int:
        return planner.root_of(t, aliases)

    inputs, outputs = _io(sg, "input", sg.inputs), _io(sg, "output", sg.outputs)
    input_slot: dict[int, int] = {}
    for spec in inputs:
        input_slot.setdefault(root(spec.tensor), spec.index)
    produced = {t for p in plan_ops for t in p.outputs}
    output_slot: dict[int, int] = {}
    copies_needed: list[IOSpec] = []
    for spec in outputs:
        r = root(spec.tensor)
        if r in produced and r not in input_slot and r not in output_slot:
            output_slot[r] = spec.index
        else:
            copies_needed.append(spec)
    constants = frozenset(t.index for t in sg.tensors if t.is_constant)
    external = set(input_slot) | set(output_slot) | constants
    # copies read the output's root after the last op: keep arena roots alive to the end
    tail = [planner.PlanOp(tuple(root(s.tensor) for s in copies_needed), ())] if copies_needed else []
    mem = planner.plan(plan_ops + tail, sizes, aliases, external, persistent=state_tensors(model))
    placed_calls, no_kernel = _apply_placement(sg, calls, writer, aliases, mem)
    return ModelPlan(placed_calls, aliases, tuple(plan_ops + tail), mem, input_slot, output_slot,
                     constants, tuple(copies_needed), no_kernel, scratch)


def generate(model: Model, *, variants: Mapping[str, str] | None = None,
             section: str | None = None, profile: bool = False,
             features: frozenset[str] | tuple[str, ...] | None = None) -> NativeSources:
    """Generate the edgeq-micro sources for ``model`` (raises UnsupportedOpError first).
    ``profile``: the profile build, a marker call before every kernel call and after the
    last (see :class:`NativeSources`), for the firmware only. ``features``: None for the
    reference kernels, else the fast kernels for a core with these features (see
    :func:`plan_model`; ``Target.features``)."""
    check_supported(model)
    variants = dict(variants or {})
    sg = model.main
    tdir = templates_dir()
    runtime_dir = tdir / "runtime"

    mp = plan_model(model, variants=variants, features=frozenset(features) if features is not None else None)
    calls = tuple((c, mp.scratch.get(k)) for k, c in enumerate(mp.calls) if k not in mp.no_kernel)
    aliases, mem = mp.aliases, mp.mem
    input_slot, output_slot, constants, copies_needed = mp.input_slot, mp.output_slot, mp.constants, mp.copies_needed
    inputs, outputs = _io(sg, "input", sg.inputs), _io(sg, "output", sg.outputs)

    def root(t: int) -> int:
        return planner.root_of(t, aliases)

    def expr(t: int, ctype: str, writable: bool) -> str:
        r = root(t)
        const = "" if writable else "const "
        if r in input_slot:
            return f"({const}{ctype} *)in[{input_slot[r]}]"
        if r in output_slot:
            return f"({const}{ctype} *)out[{output_slot[r]}]"
        if r in constants:
            return f"edgeq_t{r}"
        placed = mem.placed.get(r)
        if placed is not None and placed.anchor in output_slot:  # a slice of a graph output
            at = f"out[{output_slot[placed.anchor]}]"
            if placed.offset:
                at = f"((uint8_t *){at} + {placed.offset})"
            return f"({const}{ctype} *)(void *){at}"
        return f"({const}{ctype} *)(void *)&edgeq_arena[{mem.offsets[r]}]"

    used_consts: set[int] = set()
    ops_ctx = []
    op_consts = []
    for (index, name, call), scratch_tensor in calls:
        args = []
        for cname, ctype, vals in call.consts:
            op_consts.append((f"op{index}_{cname}", ctype, np.asarray(vals), f"op {index} {name}: {cname}"))
        for a in call.args:
            if a.const is not None:
                args.append(f"op{index}_{a.const}")
                continue
            if a.tensor < 0:
                args.append("NULL")
                continue
            if root(a.tensor) in constants:
                used_consts.add(root(a.tensor))
            args.append(expr(a.tensor, a.ctype, a.writable))
        if call.packed_inputs:
            k = call.packed_inputs
            ctype = call.args[0].ctype
            args = [f"(const {ctype} *const[]){{{', '.join(args[:k])}}}"] + args[k:]
        if call.packed_outputs:
            # the last ``packed_outputs`` args (ops with N outputs) as one C array
            m = call.packed_outputs
            ctype = call.args[-1].ctype
            args = args[:-m] + [f"({ctype} *const[]){{{', '.join(args[-m:])}}}"]
        if scratch_tensor is not None:
            args.append(f"(void *)&edgeq_arena[{mem.offsets[scratch_tensor]}]")
        arrays = [{"cname": f"op{index}_{n}", "ctype": ct, "vals": [str(int(v)) for v in vals]}
                  for n, ct, vals in call.arrays]
        # "@name" (also inside a nested initializer) is the op's constant array ``name``
        fields = [(k, re.sub(r"@(\w+)", f"op{index}_\\1", v) if isinstance(v, str) else v)
                  for k, v in call.fields]
        ops_ctx.append({"index": index, "name": name, "function": call.function,
                        "struct_type": call.struct_type, "params": f"op{index}_params",
                        "fields": fields, "arrays": arrays, "args": args, "source": call.source,
                        "checked": call.checked})
    copies = []
    for spec in copies_needed:
        r = root(spec.tensor)
        if r in constants:
            used_consts.add(r)
        copies.append({"dst": f"out[{spec.index}]", "src": expr(r, "uint8_t", False),
                       "nbytes": spec.nbytes, "output": spec.index})

    const_ctx, weight_bytes = [], 0
    for t in sorted(used_consts):
        tt = sg.tensors[t]
        if tt.dtype not in CTYPES:
            raise UnsupportedOpError(f"constant tensor {t} has type {tt.dtype}; use --runtime tflm")
        count, lines = _const_lines(tt)
        weight_bytes += tt.nbytes
        const_ctx.append({"index": t, "name": tt.name.replace("*/", "* /"), "shape": list(tt.shape),
                          "ctype": CTYPES[tt.dtype], "cname": f"edgeq_t{t}", "count": count,
                          "lines": lines})
    for cname, ctype, vals, what in op_consts:
        count, lines = _array_lines(vals)
        weight_bytes += vals.nbytes
        const_ctx.append({"index": "-", "name": what + " (re-laid-out for the fast kernel)", "shape": list(vals.shape),
                          "ctype": ctype, "cname": cname, "count": count, "lines": lines})

    model_name = Path(model.source).name if model.source else "model.tflite"
    # what edgeq_reset writes: TFLM's ResetVariableTensors (an int8 state holds its zero point)
    state = [{"offset": mem.offsets[t], "nbytes": sg.tensors[t].nbytes, "tensor": t,
              "value": sg.tensors[t].quant.zero_point[0] if sg.tensors[t].dtype == "INT8" and sg.tensors[t].quant
              and sg.tensors[t].quant.zero_point else 0} for t in state_tensors(model)]
    state_bytes = mem.state_bytes
    ctx = {
        **header_context(model_name, mem.arena_size, inputs, outputs, state_bytes=state_bytes),
        "state": state,
        "constants": const_ctx, "ops": ops_ctx, "copies": copies,
        "num_views": len(aliases), "weight_bytes": weight_bytes, "section": section or "",
        "profile": profile,
        # fast kernels written as always-inline headers: each call is compiled with its op's
        # constant parameter struct in view, so shapes, offsets and clamps fold to constants
        "kernel_headers": sorted({o["source"] for o in ops_ctx if o["source"].endswith(".h")}),
    }
    files: dict[str, str] = {
        "edgeq_model.h": render("codegen/edgeq_model.h.j2", ctx),
        "edgeq_model.c": render("codegen/edgeq_model.c.j2", ctx),
    }
    if features is not None:
        # the fast kernels' headers, and what the generator chose for them: DSP SIMD or not
        files["edgeq_config.h"] = render("codegen/edgeq_config.h.j2", {
            "version": ctx["version"], "model_name": model_name, "dsp": "dsp" in features,
            "mve": "mve" in features, "features": sorted(features)})
    todo = list(HEADERS + (FAST_HEADERS if features is not None else ()) + tuple(sorted({o["source"] for o in ops_ctx})))
    while todo:
        src = todo.pop(0)
        # a variant may be a file of runtime/ or a path to a .c file elsewhere
        path = Path(src) if Path(src).is_absolute() else runtime_dir / src
        if not path.is_file():
            raise UnsupportedOpError(f"kernel source {src} not found in {runtime_dir}")
        files[path.name] = path.read_text()
        # and the runtime headers it includes that no list above names (e.g. edgeq_lstm.h)
        for name in re.findall(r'^#include "([^"]+)"', files[path.name], flags=re.M):
            if name not in files and name not in todo and name != "edgeq_config.h" and (runtime_dir / name).is_file():
                todo.append(name)
    log.info("native: %d kernels, arena %d B, weights %d B", len(ops_ctx), mem.arena_size, weight_bytes)
    segments = tuple(("op", o["index"]) for o in ops_ctx) + ((("copies", -1),) if copies else ())
    fused = tuple(sorted([(op.index, "view") for op in sg.operators
                          if any(t in aliases for t in op.outputs)]
                         + [(mp.calls[k][0], "placed") for k in mp.no_kernel]))
    return NativeSources(files=files, arena_size=mem.arena_size, weight_bytes=weight_bytes,
                         inputs=inputs, outputs=outputs, model_name=model_name, profile=profile,
                         state_bytes=state_bytes,
                         segments=segments if profile else (), fused=fused)


def render_host_main(sources: NativeSources) -> str:
    """The host runner's main.c for these sources (see ``firmware_templates/codegen/host_main.c.j2``)."""
    return render("codegen/host_main.c.j2", {"input_bytes": [s.nbytes for s in sources.inputs],
                                             "output_bytes": [s.nbytes for s in sources.outputs]})
