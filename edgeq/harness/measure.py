"""``edgeq bench``: build the firmware, run every sample on the target, compare every
output with the TFLM interpreter on the host, and gather the figures of the bench report
(DESIGN.md "The command line": the JSON keys).

Figures and where they come from:
* flash / RAM / code / model / arena bytes: the linked ELF (``toolchain.arm.SizeReport``);
* instructions per inference: the mean over the samples of the exact count between the
  firmware's markers (QEMU plugin), or the icount timer's figure at its resolution;
* accuracy: argmax of the target's outputs against the labels ``y``; host_accuracy: the
  same for the TFLM interpreter's outputs on the host (the first classification output);
* outputs: every output's figures (``edgeq.harness.metrics``), in the model's order with its
  name: accuracy per classification output (labels ``y``, or ``y0, y1, ...``), an error figure
  (MSE, SNR dB, cosine) against float targets or, with ``float_model``, the float model;
* bit_exact_vs_tflm / mismatched_outputs: every output tensor of every sample compared
  byte for byte (tolerance 0) with TFLM; mismatched_outputs counts (sample, output) pairs
  that differ.
Cycle and latency figures are estimates (``edgeq.harness.cycles``: the core's instruction
timings times the executed blocks' counts, at the board's nominal clock), null for a core
with no cycle model; an emulator never measures them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from edgeq.errors import DataError, TargetError

log = logging.getLogger(__name__)

RANDOM_SAMPLES = 4
JSON_KEYS = ("model", "target", "runtime", "clock_hz", "flash_bytes", "ram_bytes", "arena_bytes",
             "model_bytes", "code_bytes", "instructions_per_inference", "cycles_per_inference_estimate",
             "cycle_model", "latency_ms_estimate", "samples", "accuracy", "host_accuracy",
             "bit_exact_vs_tflm", "mismatched_outputs")


@dataclass(frozen=True)
class BenchResult:
    """One bench run; ``as_json()`` has every key of DESIGN.md first, then details."""

    model: str
    target: str
    runtime: str
    clock_hz: int
    flash_bytes: int
    ram_bytes: int
    arena_bytes: int
    model_bytes: int
    code_bytes: int
    instructions_per_inference: int | None
    cycles_per_inference_estimate: int | None
    cycle_model: str | None
    latency_ms_estimate: float | None
    samples: int
    accuracy: float | None
    host_accuracy: float | None
    bit_exact_vs_tflm: bool
    mismatched_outputs: int
    # details (after the contract's keys)
    instruction_method: str = "none"
    instruction_resolution: int = 0
    instructions_min: int | None = None
    instructions_max: int | None = None
    stack_bytes: int = 0
    stack_used_bytes: int | None = None
    arena_used_bytes: int | None = None  # TFLM runtime: the interpreter's arena_used_bytes() on the target
    other_ram_bytes: int = 0
    rodata_bytes: int = 0
    emulator: str | None = None
    emulator_wall_s: float | None = None
    emulator_instructions_per_second: float | None = None
    data: str | None = None
    latency_ms_measured: float | None = None  # a real board (serial runner): its timer, mean over samples
    # a real board that counts core cycles (DWT->CYCCNT, ``m-edgeq-cycles``): their mean per
    # inference, and what they make at the nominal clock
    cycles_measured: int | None = None
    latency_ms_from_cycles: float | None = None
    port: str | None = None  # the serial port of a real board
    part: str | None = None  # --part (or "--flash-kb/--ram-kb"): the budget the build was held to
    flash_limit_bytes: int | None = None
    ram_limit_bytes: int | None = None
    code_by_object: dict = field(default_factory=dict)
    first_mismatch: str | None = None
    # a stateful model (variable tensors): its state bytes, and whether the state was cleared
    # before each sample (--reset-state) or carried from one to the next (as TFLM does)
    state_bytes: int = 0
    state: str | None = None  # "carried" / "reset each sample"; None: stateless
    # --profile (edgeq.harness.profile): one object an op, and the profile build's whole
    # (its own build: never the figures above); --compare tflm: TFLM's profile too
    ops: list | None = None
    profile: dict | None = None
    tflm_profile: dict | None = None
    # per output (metrics.Score.as_json() of the target's outputs, plus ``host``: TFLM's)
    outputs: list = field(default_factory=list)

    def as_json(self) -> dict:
        d = asdict(self)
        ordered = {k: d.pop(k) for k in JSON_KEYS}
        ordered.update(d)
        return ordered


def random_inputs(specs, n: int = RANDOM_SAMPLES, seed: int = 0) -> list[np.ndarray]:
    """``n`` seeded random samples a model input, in the input's type and range."""
    from edgeq.harness.runners.host import sample_shape

    rng = np.random.default_rng(seed)
    out = []
    for spec in specs:
        shape = (n, *sample_shape(spec.shape))
        dt = spec.numpy_dtype
        if dt == np.int32:
            # int32 inputs are indices (GATHER's coordinates): 0 and 1 are valid wherever an
            # axis has two entries; the full range would read out of bounds in TFLM
            out.append(rng.integers(0, 2, size=shape, dtype=dt))
        elif np.issubdtype(dt, np.integer):
            info = np.iinfo(dt)
            out.append(rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dt))
        else:
            out.append(rng.standard_normal(shape).astype(dt))
    return out


def compare(target_outs: Sequence[np.ndarray], ref_outs: Sequence[np.ndarray]) -> tuple[int, str | None]:
    """(number of differing (sample, output) pairs, a description of the first)."""
    bad, first = 0, None
    for j, (a, b) in enumerate(zip(target_outs, ref_outs)):
        a = np.asarray(a).reshape(a.shape[0], -1)
        b = np.asarray(b).reshape(b.shape[0], -1).astype(a.dtype)
        diff = np.any(a.view(np.uint8).reshape(a.shape[0], -1) != b.view(np.uint8).reshape(b.shape[0], -1), axis=1)
        bad += int(diff.sum())
        if first is None and diff.any():
            s = int(np.flatnonzero(diff)[0])
            k = int(np.flatnonzero(a[s] != b[s])[0]) if np.any(a[s] != b[s]) else 0
            first = f"sample {s} output {j} element {k}: target {a[s, k]} vs TFLM {b[s, k]}"
    return bad, first


KERNELS = ("fast", "reference")


def check_kernels(kernels: str) -> None:
    """A UsageError unless ``kernels`` names edgeq-micro's kernel choice: fast or reference."""
    if kernels not in KERNELS:
        from edgeq.errors import UsageError

        raise UsageError(f"--kernels must be one of {', '.join(KERNELS)}, not {kernels!r}")


def firmware_sources(model_path: str | Path, runtime: str, target, *, kernels: str = "fast", profile: bool = False):
    """The model's sources for a board: edgeq-micro (``native``; ``kernels`` "fast": the fast
    variants for the board's core features where they apply, "reference": the reference
    kernels only) or the TFLM application (``tflm``; kernels from ``EDGEQ_TFLM_KERNELS``:
    reference or cmsis_nn). ``profile``: the profile build (:mod:`edgeq.harness.profile`)."""
    check_kernels(kernels)
    if runtime == "native":
        from edgeq.codegen import native

        return native.generate(model_path, features=target.features if kernels == "fast" else None, profile=profile)
    if runtime == "tflm":
        from edgeq.codegen import tflm

        return tflm.firmware_sources(model_path, target, kernels=os.environ.get("EDGEQ_TFLM_KERNELS", "reference"),
                                     profile=profile)
    raise TargetError(f"--runtime must be native or tflm, not {runtime!r}")


def bench(model_path: str | Path, target_name: str | None, *, runtime: str = "native", data: str | Path | None = None,
          progress: Callable[[str, int, int], None] | None = None, sample_timeout: float | None = None,
          part: str | None = None, flash_kb: int | None = None, ram_kb: int | None = None,
          device=None, profile: bool = False, compare_with: str | None = None, kernels: str = "fast",
          float_model: str | Path | None = None, reset_state: bool = False) -> BenchResult:
    """Build MODEL for the board, run every sample under its emulator, compare with TFLM.

    ``device`` (:class:`edgeq.harness.runners.serial.SerialDevice`): run on a real board
    on a serial port instead (flashed first unless it says not to); latency is then the
    board's timer (``latency_ms_measured``) and no instructions are counted.

    ``part`` (see :mod:`edgeq.targets.parts`) or ``flash_kb``/``ram_kb`` hold the build to a
    real part's memory (a ModelTooBigError naming the sizes before anything runs) and, for
    a part, give the clock the ms estimate is taken at; ``target_name`` None: the part's board.

    ``profile``: also build and run the profile build on the first sample
    (:mod:`edgeq.harness.profile`): ``ops`` and ``profile`` in the result. ``compare_with="tflm"``
    (with ``profile``; needs EDGEQ_TFLM_DIR, kernels from EDGEQ_TFLM_KERNELS): the TFLM app's
    profile on the same input, per op beside edgeq-micro's.

    ``float_model`` (a Keras model): outputs without labels are scored against its outputs.

    A stateful model's state carries from sample to sample on the target and in the TFLM
    reference alike (one interpreter invoked N times), unless ``reset_state``: then both
    clear it before each sample."""
    from edgeq import targets
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness import npzio
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu
    from edgeq.model.reader import read_model
    from edgeq.toolchain import arm

    def step(stage: str, done: int = 0, total: int = 0) -> None:
        if progress:
            progress(stage, done, total)

    from edgeq.targets import parts

    target_name, budget = parts.resolve(target_name, part, flash_kb, ram_kb)
    target = targets.get(target_name)
    if device is not None and budget is not None and budget.part is not None and target.pyocd_target is None:
        boards = [t.name for t in targets.all_targets().values()
                  if t.pyocd_target and t.pyocd_target.startswith(budget.part.name)]
        hint = (f"use --port with --target {boards[0]} (a {budget.part.display} board)" if boards else
                f"edgeq has no board support for {budget.part.display} yet; drop --port for the emulated figures "
                f"held to the part")
        raise TargetError(
            f"--port with --part {budget.part.name}: the firmware is built for {target.name} ({target.family} "
            f"board support), which would not run on a {budget.part.display}; {hint}")
    emu = None if device is not None else require_emulator(target)
    _check_profile_args(profile, compare_with, runtime, device)
    if profile and emu == "renode":
        from edgeq.errors import UsageError

        raise UsageError(f"--profile runs under QEMU (its instruction plugin splits the inference at each op); "
                         f"{target.name} runs under Renode: profile on a QEMU board of the same core")
    clock_hz = budget.clock_hz if budget and budget.clock_hz else target.clock_hz
    model_path = Path(model_path)
    ir = read_model(model_path)
    specs_in, specs_out = io_specs(ir)
    from edgeq.harness import metrics
    from edgeq.model.signature import io_names

    model_bytes = model_path.read_bytes()
    out_names = [n or f"output {i}" for i, n in enumerate(io_names(model_bytes)[1])]
    out_sizes = [metrics.sample_size(s.shape) for s in specs_out]
    if data is not None:
        inputs = npzio.load_inputs(data, specs_in)
        targets = metrics.load_targets(data, int(inputs[0].shape[0]), out_sizes, out_names,
                                       [s.dtype in ("INT32", "INT64") for s in specs_out])
    else:
        inputs, targets = random_inputs(specs_in), [metrics.Target() for _ in specs_out]
    n = int(inputs[0].shape[0])
    if n == 0:
        raise DataError(f"{data}: no samples")
    floats = _float_outputs(float_model, data, specs_out) if float_model is not None else [None] * len(specs_out)

    step("generating C", 0, 1)
    sources = firmware_sources(model_path, runtime, target, kernels=kernels)
    step("compiling firmware", 0, 1)
    fw = arm.build_firmware(sources, target, **_limits(budget))
    step("running on the target", 0, n)
    cycles_measured = None
    if device is not None:
        import dataclasses

        from edgeq.harness.runners import serial

        if device.pyocd_target is None and not device.flash_cmd and not device.no_flash and target.pyocd_target:
            device = dataclasses.replace(device, pyocd_target=target.pyocd_target)  # the board's part
        if device.flashes:
            step("flashing the board", 0, 1)
            serial.flash(fw.elf, probe=device.probe, pyocd_target=device.pyocd_target, command=device.flash_cmd)
        sres = serial.run(fw, target, inputs, port=device.port, baud=device.baud, timeout=device.timeout,
                          reset=device.reset(), model_name=model_path.name,
                          progress=lambda d, t: step("running on the board", d, t),
                          stateful=sources.state_bytes > 0, reset_state=reset_state)
        result = qemu.RunResult(outputs=sres.outputs, instructions=(), instruction_method="none",
                                instruction_resolution=0, marker_overhead=0, status=(0,) * n, wall_s=sres.wall_s,
                                total_instructions=None)
        measured = round(float(np.mean(sres.latency_us)) / 1e3, 3)
        if sres.cycles and all(c is not None for c in sres.cycles):  # the board's DWT counted them
            cycles_measured = int(round(float(np.mean(sres.cycles))))
        if target.cycle_model:  # the emulator's figures of the same code beside the board's
            step("instructions and cycle estimate (QEMU twin)", 0, 1)
            result = _twin_cycles(result, sources, target, inputs, reset_state, _limits(budget))
    else:
        kw = {} if sample_timeout is None else {"sample_timeout": sample_timeout}
        runner = qemu if emu == "qemu" else _renode()
        if emu == "renode":
            kw["stateful"] = sources.state_bytes > 0
        result = runner.run(fw, target, inputs, progress=lambda d, t: step("running on the target", d, t),
                            reset_state=reset_state, **kw)
        if emu == "renode" and target.cycle_model:
            step("cycle estimate (QEMU twin)", 0, 1)
            result = _twin_cycles(result, sources, target, inputs, reset_state, _limits(budget))
        measured = None
    profiles = _profiles(model_path, target, inputs, runtime, compare_with, budget, step, kernels) if profile else None
    step("TFLM reference", 0, n)
    ref = TflmReference(model_bytes).run(*inputs, reset_state=reset_state)
    step("TFLM reference", n, n)  # one batched call: the bar jumps to done
    mismatched, first = compare(result.outputs, ref)
    if first:
        log.warning("first mismatch with TFLM: %s", first)
    ins = result.instructions
    ipi = int(round(float(np.mean(ins)))) if ins else None
    executed = result.total_instructions
    cpi = int(round(result.cycles_estimate / n)) if result.cycles_estimate is not None else None
    s = fw.size
    scores, host_scores = [], []
    for i, spec in enumerate(specs_out):
        real = [metrics.dequantize(o[i], spec.scale, spec.zero_point) for o in (result.outputs, ref)]
        scores.append(metrics.score(i, out_names[i], real[0], targets[i], floats[i]))
        host_scores.append(metrics.score(i, out_names[i], real[1], targets[i], floats[i]))
    first_cls = next((k for k, sc in enumerate(scores) if sc.accuracy is not None), None)
    return BenchResult(
        model=model_path.name, target=target.name, runtime=runtime, clock_hz=clock_hz,
        flash_bytes=s.flash_bytes, ram_bytes=s.ram_bytes, arena_bytes=s.arena_bytes, model_bytes=s.model_bytes,
        code_bytes=s.code_bytes, instructions_per_inference=ipi,
        cycles_per_inference_estimate=cpi, cycle_model=result.cycle_model,
        latency_ms_estimate=round(cpi / clock_hz * 1e3, 3) if cpi is not None else None,
        samples=n, accuracy=scores[first_cls].accuracy if first_cls is not None else None,
        host_accuracy=host_scores[first_cls].accuracy if first_cls is not None else None,
        bit_exact_vs_tflm=mismatched == 0, mismatched_outputs=mismatched,
        instruction_method=result.instruction_method, instruction_resolution=result.instruction_resolution,
        instructions_min=min(ins) if ins else None, instructions_max=max(ins) if ins else None,
        stack_bytes=s.stack_bytes, stack_used_bytes=result.stack_used, arena_used_bytes=result.arena_used, other_ram_bytes=s.other_ram_bytes, rodata_bytes=s.rodata_bytes,
        emulator=emulator_name(target) if device is None else None,
        emulator_wall_s=round(result.wall_s, 3) if device is None else None,
        emulator_instructions_per_second=round(executed / result.wall_s) if executed and result.wall_s else None,
        data=str(data) if data is not None else None,
        latency_ms_measured=measured, port=device.port if device is not None else None,
        cycles_measured=cycles_measured,
        latency_ms_from_cycles=round(cycles_measured / clock_hz * 1e3, 3) if cycles_measured else None,
        part=budget.name if budget else None,
        flash_limit_bytes=budget.flash_bytes if budget else None,
        ram_limit_bytes=budget.ram_bytes if budget else None, code_by_object=dict(list(s.code_by_object.items())[:12]),
        first_mismatch=first, state_bytes=sources.state_bytes,
        state=None if not sources.state_bytes else "reset each sample" if reset_state else "carried",
        outputs=[dict(sc.as_json(), host={k: v for k, v in hs.as_json().items() if k not in ("index", "name", "against")})
                 for sc, hs in zip(scores, host_scores)],
        **(_profile_fields(*profiles) if profiles else {}),
    )


def emulator_of(target) -> str | None:
    """Which emulator runs ``target``: "qemu" (a QEMU machine), "renode" (a Renode platform)
    or None (a board edgeq can only build for, or run over its serial port)."""
    if target.qemu_machine:
        return "qemu"
    if target.renode_platform:
        return "renode"
    return None


def emulator_name(target) -> str | None:
    """The emulator as the bench report names it."""
    emu = emulator_of(target)
    if emu == "qemu":
        return f"qemu-system-arm -M {target.qemu_machine}"
    if emu == "renode":
        return f"renode {target.renode_platform}"
    return None


def require_emulator(target) -> str:
    """``target``'s emulator ("qemu" or "renode"), or MissingToolError saying why it cannot run
    here (the emulator missing, with how to install it; or a board no emulator has)."""
    from edgeq.errors import MissingToolError
    from edgeq.harness.runners import qemu

    emu = emulator_of(target)
    if emu is None:
        raise MissingToolError(f"{target.name} has no emulator (neither QEMU nor Renode models it): "
                               f"`edgeq build --target {target.name}` gives its firmware and sizes, and "
                               f"`edgeq bench --port` runs it on the board")
    reason = qemu.available(target) if emu == "qemu" else _renode().available(target)
    if reason:
        raise MissingToolError(reason)
    return emu


# the QEMU board of each core with a cycle model: a Renode board's cycle estimate is costed
# from the blocks the same inference code executes there
QEMU_TWINS = {"cortex-m3": "mps2-an385", "cortex-m4": "mps2-an386", "cortex-m7": "mps2-an500"}


def _twin_cycles(result, sources, target, inputs, reset_state: bool, limits: dict):
    """``result`` (a Renode run) with a cycle estimate: Renode counts instructions but not
    the executed blocks the cycle model costs, so the same sources are built (with the
    board's compiler flags) for the QEMU board of the same core and run there with the
    instruction plugin; its estimate is taken
    only when its instruction counts equal Renode's sample for sample (the same code ran),
    otherwise none is given. A real board's run (no instructions counted) takes the twin's
    instructions and estimate, exact counts of the same code ("qemu-twin")."""
    import dataclasses

    from edgeq import targets
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    twin_name = QEMU_TWINS.get(target.cycle_model)
    if twin_name is None or qemu.available(targets.get(twin_name)) or qemu.plugin_missing_reason():
        return result
    board_run = not result.instructions  # a real board: nothing counted instructions there
    # the board's own compiler flags (an FPU variant QEMU's core also runs): the same code
    twin = dataclasses.replace(targets.get(twin_name), cpu_flags=target.cpu_flags)
    fw = arm.build_firmware(sources, twin, **limits)
    other = qemu.run(fw, twin, inputs, reset_state=reset_state)
    if board_run:  # the same code's exact counts under QEMU stand for the board's
        return dataclasses.replace(result, instructions=other.instructions, instruction_method="qemu-twin",
                                   instruction_resolution=1, cycles_estimate=other.cycles_estimate,
                                   cycle_model=f"{other.cycle_model} (blocks counted on {twin.name})"
                                   if other.cycle_model else None)
    if other.instructions != result.instructions or other.cycles_estimate is None:
        log.warning("%s: no cycle estimate: the inference ran %s instructions on %s (QEMU) against %s under "
                    "Renode", target.name, other.instructions[:2], twin.name, result.instructions[:2])
        return result
    return dataclasses.replace(result, cycles_estimate=other.cycles_estimate,
                               cycle_model=f"{other.cycle_model} (blocks counted on {twin.name})")


def _renode():
    from edgeq.harness.runners import renode

    return renode


def _float_outputs(float_model: str | Path, data: str | Path | None, specs_out) -> list[np.ndarray | None]:
    """The float Keras model's outputs on the data file's float inputs, in the model's order."""
    from edgeq import ptq
    from edgeq.harness.npzio import read_npz

    if data is None:
        raise DataError("--float-model needs --data (the float inputs both models are run on)")
    xs, _ = read_npz(data)
    if not all(np.issubdtype(x.dtype, np.floating) for x in xs):
        raise DataError(f"{data}: --float-model needs the float inputs (as the Keras model takes them), not "
                        f"{xs[0].dtype}")
    outs = ptq.predict_float_all(ptq.load_keras_model(float_model), xs)
    if len(outs) != len(specs_out):
        raise DataError(f"--float-model {float_model} has {len(outs)} outputs; the .tflite has {len(specs_out)}")
    return [np.asarray(o, np.float64).reshape(o.shape[0], -1) for o in outs]


def _check_profile_args(profile: bool, compare: str | None, runtime: str, device) -> None:
    """Refuse --profile/--compare combinations that cannot work, before anything is built."""
    from edgeq.errors import MissingToolError, UsageError
    from edgeq.harness import profile as prof
    from edgeq.harness.runners import qemu

    if compare is not None and not profile:
        raise UsageError("--compare needs --profile")
    if not profile:
        return
    if device is not None:
        raise UsageError("--profile runs under QEMU (exact instruction counts); drop --port")
    if compare is not None:
        if compare not in prof.COMPARE_RUNTIMES:
            raise UsageError(f"--compare must be one of {', '.join(prof.COMPARE_RUNTIMES)}, not {compare!r}")
        if runtime != "native":
            raise UsageError("--compare tflm profiles edgeq-micro beside TFLM: use it with --runtime native")
        from edgeq.toolchain import tflm_lib

        tflm_lib.tree()  # a missing TFLM tree is a one-line error now, not after the edgeq run
    reason = qemu.plugin_missing_reason()
    if reason:
        raise MissingToolError(f"--profile needs exact instruction counts: {reason}")


def _profiles(model_path, target, inputs, runtime, compare, budget, step, kernels):
    """(this runtime's profile, TFLM's profile or None)."""
    from edgeq.harness import profile as prof

    if target.cycle_model is None:
        log.warning("%s (%s) has no cycle model: the profile gives exact instructions and no cycle estimates; "
                    "profile on mps2-an385/an386/an500 for cycles", target.name, target.core)
    step("profiling (profile build)", 0, 1)
    mine = prof.profile(model_path, target, inputs, runtime=runtime, limits=_limits(budget), kernels=kernels)
    theirs = None
    if compare is not None:
        step("profiling TFLM (profile build)", 0, 1)
        theirs = prof.profile(model_path, target, inputs, runtime="tflm", limits=_limits(budget))
    return mine, theirs


def _profile_fields(mine, theirs) -> dict:
    from edgeq.harness import profile as prof

    return {"ops": prof.as_json(mine, theirs), "profile": prof.summary_json(mine),
            "tflm_profile": prof.summary_json(theirs) if theirs is not None else None}


def _limits(budget) -> dict:
    """build_firmware's keyword arguments for a budget (none: the board's own memory)."""
    if budget is None:
        return {}
    return {"flash_limit": budget.flash_bytes, "ram_limit": budget.ram_bytes, "limit_name": budget.name}


def build(model_path: str | Path, target_name: str | None, out_dir: str | Path, *, runtime: str = "native",
          flash_kb: int | None = None, ram_kb: int | None = None, part: str | None = None, kernels: str = "fast"):
    """``edgeq build``: the firmware for MODEL on the board, written into ``out_dir``
    (sources, linker script, ``firmware.elf``, ``firmware.map``); returns the Firmware.
    ``part`` or ``flash_kb``/``ram_kb``: the memory budget (see :func:`bench`)."""
    from edgeq import targets
    from edgeq.targets import parts
    from edgeq.toolchain import arm

    target_name, budget = parts.resolve(target_name, part, flash_kb, ram_kb)
    target = targets.get(target_name)
    sources = firmware_sources(model_path, runtime, target, kernels=kernels)
    return arm.build_firmware(sources, target, out_dir, **_limits(budget))


def run_on_board(model_path: str | Path, target_name: str, inputs: Sequence[np.ndarray], *,
                 runtime: str = "native", progress: Callable[[int, int], None] | None = None,
                 kernels: str = "fast", reset_state: bool = False) -> list[np.ndarray]:
    """``edgeq run --target BOARD``: every sample through the firmware under the board's
    emulator; the raw outputs (one array a model output, N samples each). A stateful model's
    state carries from sample to sample unless ``reset_state``."""
    from edgeq import targets
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    target = targets.get(target_name)
    emu = require_emulator(target)
    sources = firmware_sources(model_path, runtime, target, kernels=kernels)
    fw = arm.build_firmware(sources, target)
    if emu == "renode":
        return list(_renode().run(fw, target, inputs, count_instructions=False, progress=progress,
                                  stateful=sources.state_bytes > 0, reset_state=reset_state).outputs)
    return list(qemu.run(fw, target, inputs, count_instructions=False, progress=progress,
                         reset_state=reset_state).outputs)
