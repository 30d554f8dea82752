"""IR -> the drop-in files for a TensorFlow Lite Micro firmware.

``NAME_model_data.h/.cc`` (the flatbuffer as an aligned const array), ``NAME_op_resolver.h``
(a ``MicroMutableOpResolver<N>`` with exactly the model's ops), ``NAME_arena.h`` (the arena
size measured by the TFLM interpreter plus a documented margin) and a README saying what
goes where. Templates: ``firmware_templates/tflm/export/*.j2``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from edgeq import __version__
from edgeq.codegen.templates import render
from edgeq.errors import EdgeqError, UnsupportedOpError
from edgeq.model.ir import Model
from edgeq.model.support import tflm_add_method

ALIGN = 16
BYTES_PER_LINE = 12


@dataclass(frozen=True)
class ResolverOp:
    name: str  # op name as in the schema (or the custom op's name)
    method: str  # MicroMutableOpResolver method, e.g. "AddConv2D"


@dataclass(frozen=True)
class TflmExport:
    """The generated files (name -> text) and the figures behind them."""

    name: str
    files: dict[str, str]
    ops: tuple[ResolverOp, ...]
    measured_arena: int
    arena_size: int


def c_identifier(text: str) -> str:
    """A valid C identifier from a file stem (``person-detect`` -> ``person_detect``)."""
    ident = re.sub(r"\W", "_", text, flags=re.ASCII).strip("_") or "model"
    return f"m_{ident}" if ident[0].isdigit() else ident


def resolver_ops(model: Model) -> tuple[ResolverOp, ...]:
    """The model's distinct ops (every subgraph, first-use order) with their resolver method.

    Raises UnsupportedOpError naming every op TFLM's resolver cannot register."""
    ops: dict[str, ResolverOp] = {}
    missing: list[str] = []
    for s, sg in enumerate(model.subgraphs):
        for op in sg.operators:
            method = tflm_add_method(op)
            if method is None:
                missing.append(f"{op.name} (subgraph {s} op {op.index})")
            elif op.name not in ops:
                ops[op.name] = ResolverOp(op.name, method)
    if missing:
        raise UnsupportedOpError(
            "TFLM's MicroMutableOpResolver cannot register: " + ", ".join(missing)
            + "; register these custom kernels yourself or remove them from the model"
        )
    return tuple(ops.values())


def arena_margin(model: Model, measured: int) -> int:
    """Bytes added to the host-measured arena: 20 % of it, and at least one 16-byte
    alignment step per tensor and per op.

    The host total is not always an upper bound for a 32-bit target: on mps2-an386 with
    TFLM 90b983c the FULLY_CONNECTED-only fc_autoencoder needs 20,144 B where the
    tflite-micro wheel's host interpreter totals 17,328 B (+16.3 %); person_detect needs
    less on the target than on the host. 20 % covers what was measured, within the 1.5x
    that keeps the figure useful."""
    per_allocation = ALIGN * sum(len(sg.tensors) + len(sg.operators) for sg in model.subgraphs)
    return max(per_allocation, _round_up(measured // 5))


def _round_up(n: int, to: int = ALIGN) -> int:
    return (n + to - 1) // to * to


def _array_body(data: bytes) -> str:
    lines = []
    for i in range(0, len(data), BYTES_PER_LINE):
        lines.append("  " + ", ".join(f"0x{b:02x}" for b in data[i : i + BYTES_PER_LINE]) + ",")
    return "\n".join(lines)


def _offset_text(zero_point: int) -> str:
    """``q - zp`` written without a double sign (``q + 128`` for zp -128)."""
    if zero_point == 0:
        return "q"
    return f"q - {zero_point}" if zero_point > 0 else f"q + {-zero_point}"


def _io(model: Model) -> list[dict]:
    sg = model.main
    out = []
    for kind, indices in (("input", sg.inputs), ("output", sg.outputs)):
        for n, i in enumerate(indices):
            t = sg.tensors[i]
            q = t.quant
            out.append(
                {
                    "kind": kind, "index": n, "name": t.name, "dtype": t.dtype.lower(),
                    "shape": list(t.shape),
                    "scale": f"{q.scale[0]:.9g}" if q and not q.per_channel else "",
                    "offset": _offset_text(q.zero_point[0] if q else 0),
                }
            )
    return out


def generate(model: Model, data: bytes, *, name: str, section: str | None, measured_arena: int) -> TflmExport:
    """Render every file for ``model`` (its flatbuffer ``data``) in memory."""
    if section is not None and not re.fullmatch(r"[A-Za-z0-9_.$]+", section):
        raise EdgeqError(f"--section {section!r}: use a linker section name (letters, digits, _ . $)")
    ops = resolver_ops(model)
    margin = arena_margin(model, measured_arena)
    arena = _round_up(measured_arena) + margin
    from tflite_micro.python.tflite_micro import _version

    ctx = {
        "name": name,
        "guard": name.upper(),
        "version": __version__,
        "source": Path(model.source).name if model.source else "<bytes>",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "section": section,
        "ops": [{"name": o.name, "method": o.method} for o in ops],
        "measured": measured_arena,
        "margin": margin,
        "arena": arena,
        "tensors": sum(len(sg.tensors) for sg in model.subgraphs),
        "tflm_version": getattr(_version, "__version__", "unknown"),
        "io": _io(model),
    }
    files = {
        f"{name}_model_data.h": render("tflm/export/model_data.h.j2", ctx),
        f"{name}_model_data.cc": render("tflm/export/model_data.cc.j2", {**ctx, "body": _array_body(data)}),
        f"{name}_op_resolver.h": render("tflm/export/op_resolver.h.j2", ctx),
        f"{name}_arena.h": render("tflm/export/arena.h.j2", ctx),
        "README.md": render("tflm/export/README.md.j2", ctx),
    }
    return TflmExport(name, files, ops, measured_arena, arena)


def export_tflm(model_path: str | Path, out_dir: str | Path, *, name: str | None = None, section: str | None = None) -> TflmExport:
    """`edgeq export --runtime tflm`: read, measure the arena, render, write atomically."""
    from edgeq.model.arena import measure_tflm_arena
    from edgeq.model.reader import read_model

    model_path = Path(model_path)
    model = read_model(model_path)
    data = model_path.read_bytes()
    name = c_identifier(name or model_path.stem)
    resolver_ops(model)  # refuse unregistrable ops before the (slower) arena measurement
    arena = measure_tflm_arena(data)
    if not arena.ok:
        raise EdgeqError(f"the TFLM interpreter could not allocate {model_path.name}: {arena.reason}")
    result = generate(model, data, name=name, section=section, measured_arena=arena.total_bytes)
    write_files(out_dir, result.files)
    return result


def write_files(out_dir: str | Path, files: dict[str, str]) -> None:
    """Write every file atomically into ``out_dir`` (created if missing)."""
    from edgeq.fileio import write_atomic

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise EdgeqError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    for fname, text in files.items():
        write_atomic(out / fname, text.encode())


# The model array's section: the board linker scripts place ".rodata.edgeq_t*" with the weights.
FIRMWARE_MODEL_SECTION = ".rodata.edgeq_tflm_model"


def firmware_sources(model_path: str | Path, target, *, kernels: str = "reference", profile: bool = False):
    """The TFLM application for a board: the exported files, ``edgeq_model.h`` (the same
    header edgeq-micro generates) and a MicroInterpreter implementation of it, linked with
    the TFLM library from ``EDGEQ_TFLM_DIR``. Returns sources for
    :func:`edgeq.toolchain.arm.build_firmware`. ``profile``: the profile build, every op's
    invoke between two markers (see ``NativeSources.segments``)."""
    from edgeq.codegen.native.emit import NativeSources, header_context, io_specs, state_tensors
    from edgeq.model.arena import measure_tflm_arena
    from edgeq.model.reader import read_model
    from edgeq.toolchain import tflm_lib

    lib = tflm_lib.library(target, kernels)  # first: a missing tree is the likeliest error
    model_path = Path(model_path)
    model = read_model(model_path)
    data = model_path.read_bytes()
    resolver_ops(model)
    arena = measure_tflm_arena(data)
    if not arena.ok:
        raise EdgeqError(f"the TFLM interpreter could not allocate {model_path.name}: {arena.reason}")
    name = c_identifier(model_path.stem)
    exported = generate(model, data, name=name, section=FIRMWARE_MODEL_SECTION, measured_arena=arena.total_bytes)
    inputs, outputs = io_specs(model)
    extra = cmsis_nn_mve_allowance(model) if kernels == "cmsis_nn" and "mve" in target.features else 0
    state = sum(model.main.tensors[t].nbytes for t in state_tensors(model))
    ctx = {**header_context(model_path.name, exported.arena_size + extra, inputs, outputs, state), "name": name,
           "profile": profile, "op_slots": len(resolver_ops(model)), "arena_extra": extra}
    files = {k: v for k, v in exported.files.items() if k != "README.md"}
    files["edgeq_model.h"] = render("codegen/edgeq_model.h.j2", ctx)
    files["edgeq_model_tflm.cc"] = render("tflm/app/edgeq_model_tflm.cc.j2", ctx)
    return NativeSources(
        files=files, arena_size=exported.arena_size, weight_bytes=len(data), inputs=inputs, outputs=outputs,
        model_name=model_path.name, runtime_name="tflm" if kernels == "reference" else f"tflm-{kernels}",
        has_init=True, include_dirs=lib.include_dirs, libraries=(str(lib.library),), defines=lib.defines,
        profile=profile, segments=_profile_segments(model) if profile else (), state_bytes=state,
    )


def cmsis_nn_mve_allowance(model: Model) -> int:
    """Arena bytes CMSIS-NN's MVE kernels allocate beyond what the host interpreter (TFLM's
    reference kernels) measures: a persistent int32 per output channel of every
    FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D (precomputed weight sums; TFLM 90b983c's
    cmsis_nn/fully_connected.cc asks arm_fully_connected_s8_get_buffer_size, 4 bytes a
    channel on MVE), each rounded to the arena's alignment. Without it the FC autoencoder's
    AllocateTensors fails on mps3-an547."""
    total = 0
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.name in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D") and op.outputs:
                y = sg.tensors[op.outputs[0]]
                total += _round_up(4 * (y.shape[-1] if y.shape else 1))
    return total


def _profile_segments(model: Model) -> tuple[tuple[str, int], ...]:
    """The TFLM app's segments between markers: each op of the main graph (the interpreter
    invokes them in order), the interpreter's own work between two ops in between."""
    segs: list[tuple[str, int]] = []
    for op in model.main.operators:
        if segs:
            segs.append(("between", -1))
        segs.append(("op", op.index))
    return tuple(segs)
