"""The `edgeq` command line: one sub-command per stage, no logic here.

Exit codes (DESIGN.md): 0 success, 1 a user error (one line on stderr naming what to fix),
2 usage errors (Typer's own). Library modules are imported inside each command so that
light commands (`inspect`, `targets`) never pay for importing TensorFlow.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console

from edgeq.errors import EdgeqError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="edgeq: Keras model -> measured int8 model on an Arm Cortex-M target.",
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
stdout = Console()


RESET_STATE_HELP = ("A stateful model (LSTM, SVDF state): clear its state before each sample, as TFLM's "
                    "interpreter.reset() does; without it the state carries from sample to sample, as in TFLM "
                    "invoked once a sample.")

KERNELS_HELP = ("edgeq-micro's kernels: fast (the fast variants for the board's core where they apply) "
                "or reference (TFLM's reference algorithms only).")


def _boards() -> str:
    from edgeq.targets import all_targets

    return ", ".join(all_targets())


BOARD_HELP = f"Board: {_boards()} (see `edgeq targets`); default with --part: the part's board."
PART_HELP = ("A real part (stm32l4r5zi, nrf52840, stm32f746ng, stm32f446re, rp2040): hold the build to its "
             "flash and RAM, ms at its clock.")


def _fail(message: str, code: int = 1) -> None:
    # One line, no rich markup interpretation of user-provided text (paths may hold brackets).
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    raise typer.Exit(code)


def _check_output_file(path: Optional[Path]) -> None:
    """Refuse an output path that cannot become a file before any work is done."""
    if path is None:
        return
    if path.is_dir():
        raise EdgeqError(f"{path} is a directory: give a file path to write")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise EdgeqError(f"{path}: {parent} is a file, not a directory")
    if parent is not None and not os.access(parent, os.W_OK):
        raise EdgeqError(f"{path}: cannot write in {parent}")


def _check_output_dir(path: Path) -> None:
    """Refuse an output folder that cannot be made or written before any work is done: an
    existing file, a path under a file, a parent that cannot be written."""
    if path.exists() and not path.is_dir():
        raise EdgeqError(f"{path} is a file: give a folder to write the outputs into")
    parent = next((p for p in (path, *path.parents) if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise EdgeqError(f"{path}: {parent} is a file, not a directory")
    if parent is not None and not os.access(parent, os.W_OK):
        raise EdgeqError(f"{path}: cannot write in {parent}")


@contextlib.contextmanager
def native_stderr_quiet(enabled: bool = True):
    """Send C-level stderr (TensorFlow's absl logging, the converter's prints) to a temp file
    while heavy native work runs, so that an error stays one line. The captured text is
    logged at DEBUG level; `-v` leaves stderr alone."""
    if not enabled or logging.getLogger().level <= logging.INFO:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            logging.getLogger("edgeq.native").debug("%s", sink.read().decode(errors="replace"))


def handles_errors(fn: Callable) -> Callable:
    """Turn EdgeqError (and Ctrl-C) into exit 1 with one line; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            _fail(str(exc), 2)
        except EdgeqError as exc:
            _fail(str(exc))
        except OSError as exc:  # a file system error the checks up front did not foresee
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}")
        except KeyboardInterrupt:
            _fail("interrupted")

    return wrapper


def _print_version(value: bool) -> None:
    if value:
        from edgeq import __version__

        stdout.print(f"edgeq {__version__}")
        raise typer.Exit()


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
          version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="Print edgeq's version and exit.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
@handles_errors
def quantize(
    model: Path = typer.Argument(..., help="Keras model: .keras, .h5 or a SavedModel directory."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the int8 .tflite."),
    calib: Path = typer.Option(..., "--calib", help="Representative data: .npz with inputs under `x`."),
    samples: Optional[int] = typer.Option(None, "--samples", min=1, help="How many calibration samples (a deterministic subset; default 200, or all the file holds when fewer)."),
    mode: str = typer.Option("int8", "--mode", help="int8 (8-bit activations), int16x8 (16-bit activations, 8-bit weights) or mixed (int16x8 only for the ops that need it)."),
    eval_data: Optional[Path] = typer.Option(None, "--eval", help=".npz with `x` and labels `y`: print float vs int8 accuracy (mixed: the data the int16 ops are chosen on)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Per-layer error report, .md or .json (mixed: the modes' accuracy and arena and the int16 layers)."),
    allow_float: bool = typer.Option(False, "--allow-float", help="Write the model even if some ops stay float."),
    budget: Optional[float] = typer.Option(None, "--budget", help="--mode mixed: accuracy points (dB of SNR for float targets) the mixed model may lose against the float model (default 1)."),
    layers: Optional[str] = typer.Option(None, "--layers", help="--mode mixed: run these layers (Keras names, or op indices #k) int16x8 instead of choosing."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="--mode mixed: PNG of accuracy vs arena for int8, mixed, int16x8."),
    target: Optional[str] = typer.Option(None, "--target", help="--mode mixed: also measure each mode's instructions on this board (QEMU)."),
    max_arena: Optional[float] = typer.Option(None, "--max-arena", min=1.0, help="--mode mixed: choose among the sets whose edgeq-micro arena is at most this many times the int8 model's (default 1.25)."),
) -> None:
    """Post-training full-integer quantization of a Keras model."""
    if mode not in ("int8", "int16x8", "mixed"):
        _fail(f"--mode must be int8, int16x8 or mixed, not {mode!r}")
    if budget is not None and layers is not None:
        _fail("--budget and --layers: give one (a budget to choose the int16 layers, or the layers)")
    if mode != "mixed" and any(v is not None for v in (budget, layers, plot, target, max_arena)):
        _fail("--budget, --layers, --max-arena, --plot and --target go with --mode mixed")
    if mode == "mixed" and eval_data is None and not layers:
        _fail("--mode mixed needs --eval DATA.npz (labels or float targets for output 0) to choose the int16 "
              "layers, or --layers naming them")
    if target is not None:
        from edgeq import targets as boards

        boards.get(target)
    from edgeq import ptq
    from edgeq.report import quant as quant_report

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with console.status("converting and calibrating..."), native_stderr_quiet():
        result = ptq.quantize_file(
            model, output, calib, samples=samples or 200, mode=mode, allow_float=allow_float,
            eval_path=eval_data, report_path=report, budget=budget,
            layers=[n for n in layers.split(",") if n.strip()] if layers is not None else None, plot_path=plot,
            board=target, max_arena=max_arena if max_arena is not None else 1.25,
        )
    if mode == "mixed":
        stdout.print(quant_report.mixed_table(result))
        for line in quant_report.mixed_summary(result.report.mixed):
            (console if line.startswith("warning:") else stdout).print(line, markup=False, highlight=False,
                                                                        soft_wrap=True)
        for note in result.report.notes:
            console.print(note if note.startswith(("warning:", "note:")) else f"note: {note}", markup=False,
                          highlight=False)
        written = [str(p) for p in (output, report, plot) if p is not None]
        stdout.print(f"wrote {', '.join(written)}", markup=False, highlight=False)
        return
    stdout.print(quant_report.summary_table(result))
    for note in result.report.notes:
        console.print(note if note.startswith(("warning:", "note:")) else f"note: {note}", markup=False, highlight=False)
    used = result.report.samples
    if samples is not None and used < samples:
        console.print(f"note: --samples {samples}, but {calib} holds {used}: calibrated on all {used}",
                      markup=False, highlight=False)


@app.command()
@handles_errors
def qat(
    model: Path = typer.Argument(..., help="Trained float Keras 3 model: .keras or .h5."),
    train: Path = typer.Option(..., "--train", help="Training data: .npz with inputs under `x`, class indices under `y`."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the int8 .tflite."),
    val: Optional[Path] = typer.Option(None, "--val", help=".npz with `x` and `y`: float, QAT and int8 (TFLM) accuracy."),
    epochs: int = typer.Option(3, "--epochs", min=1, help="Quantization-aware fine-tuning epochs."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Training batch size."),
    lr: float = typer.Option(1e-4, "--lr", min=0.0, help="Adam learning rate for the fine-tuning."),
    keep_float: Optional[list[str]] = typer.Option(None, "--keep-float", help="Layer to keep in float (repeatable); needs --allow-float."),
    allow_float: bool = typer.Option(False, "--allow-float", help="Write the model even if some ops stay float."),
) -> None:
    """Quantization-aware fine-tuning of a Keras 3 model, written as a full-integer int8 .tflite."""
    from edgeq import qat as qat_mod

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with console.status(f"quantization-aware training ({epochs} epochs) and conversion..."), native_stderr_quiet():
        result = qat_mod.train_file(
            model, train, output, val_path=val, epochs=epochs, batch_size=batch_size,
            learning_rate=lr, keep_float=tuple(keep_float or ()), allow_float=allow_float,
        )
    rep = result.report
    lines = [
        f"wrote {result.output}: {rep.int8_bytes} bytes, "
        f"{'fully int8' if rep.fully_integer else 'NOT fully integer: ' + '; '.join(f.describe() for f in rep.float_ops)}",
        f"trained {result.epochs} epochs on {result.train_samples} samples; input scale {rep.input_quant[0]:.6g} "
        f"zero point {rep.input_quant[1]}, output scale {rep.output_quant[0]:.6g} zero point {rep.output_quant[1]}",
    ]
    for f, q, i8 in result.val_scores:
        head = f"output {f.index} ({f.name}) " if len(result.val_scores) > 1 else ""
        what = "accuracy" if f.accuracy is not None else "error"
        lines.append(f"{head}{what} on {result.val_samples} samples: float {f.describe().removeprefix('accuracy ')}, "
                     f"QAT (Keras) {q.describe().removeprefix('accuracy ')}, "
                     f"int8 (TFLM) {i8.describe().removeprefix('accuracy ')}")
    stdout.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


@app.command("inspect")
@handles_errors
def inspect_cmd(
    model: Path = typer.Argument(..., help="An int8 (or any) .tflite model."),
    as_json: bool = typer.Option(False, "--json", help="Write one JSON document to stdout."),
    plan: bool = typer.Option(False, "--plan", help="Also show edgeq-micro's arena plan (timeline, peak, bounds)."),
) -> None:
    """Ops, tensors, quantization, MACs, sizes, TFLM arena and runtime support of a .tflite."""
    # Never imports TensorFlow: the reader uses the schema module of the tflite-micro wheel,
    # and the arena is measured by the TFLM interpreter in a child process.
    from edgeq.model.arena import start_tflm_arena
    from edgeq.model.reader import read_model
    from edgeq.report import inspect as inspect_report

    # The TFLM child measures the arena while this process parses; leaving the block
    # (a malformed model raised) stops it.
    with start_tflm_arena(model) as arena:
        graph = read_model(model)
        report = inspect_report.build_report(graph, arena=arena.result(), plan=plan)
    if as_json:
        sys.stdout.write(inspect_report.to_json(report) + "\n")
        sys.stdout.flush()
    else:
        stdout.print(inspect_report.render(report))


@app.command()
@handles_errors
def export(
    model: Path = typer.Argument(..., help="Full-integer .tflite model."),
    output: Path = typer.Option(..., "-o", "--output", help="Folder to write the C sources into."),
    runtime: str = typer.Option("native", "--runtime", help="native (edgeq-micro, interpreter-less C) or tflm."),
    target: Optional[str] = typer.Option(None, "--target", help=f"Board the sources are meant for ({_boards()}): native picks the fast kernels for its core (default: portable C fast kernels)."),
    name: Optional[str] = typer.Option(None, "--name", help="C identifier prefix (tflm runtime)."),
    section: Optional[str] = typer.Option(None, "--section", help="Linker section for the weights."),
    kernels: str = typer.Option("fast", "--kernels", help=KERNELS_HELP),
) -> None:
    """Write C sources for MODEL: edgeq-micro (native) or a TFLite Micro application (tflm)."""
    _check_output_dir(output)
    if runtime == "native":
        from edgeq import targets as boards
        from edgeq.codegen import native
        from edgeq.harness.measure import check_kernels

        check_kernels(kernels)
        features = None if kernels == "reference" else (boards.get(target).features if target else ())
        sources = native.export(model, output, section=section, features=features)
        stdout.print(
            f"wrote {len(sources.files)} files to {output}: arena {sources.arena_size} B, "
            f"weights {sources.weight_bytes} B"
        )
        return
    if runtime != "tflm":
        _fail(f"--runtime must be native or tflm, not {runtime!r}")
    from edgeq.codegen import tflm as tflm_codegen

    with console.status("measuring the TFLM arena..."):
        result = tflm_codegen.export_tflm(model, output, name=name, section=section)
    stdout.print(
        f"wrote {', '.join(result.files)} to {output}: MicroMutableOpResolver<{len(result.ops)}>, "
        f"arena {result.arena_size} B (TFLM measured {result.measured_arena} B)"
    )


@app.command()
@handles_errors
def run(
    model: Path = typer.Argument(..., help="Full-integer .tflite model."),
    target: str = typer.Option(..., "--target", help=f"host (this machine) or a board: {_boards()}."),
    input_path: Path = typer.Option(..., "--input", help=".npz with inputs under x (or x0, x1, ...)."),
    output: Path = typer.Option(..., "-o", "--output", help=".npz to write the raw outputs to (under out)."),
    runtime: str = typer.Option("native", "--runtime", help="native (edgeq-micro) or tflm (the TFLM interpreter)."),
    kernels: str = typer.Option("fast", "--kernels", help=KERNELS_HELP + " On the host: portable C."),
    reset_state: bool = typer.Option(False, "--reset-state", help=RESET_STATE_HELP),
) -> None:
    """Run every input sample through MODEL and write the raw outputs."""
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness import hostrun, npzio
    from edgeq.harness.measure import check_kernels
    from edgeq.model.reader import read_model

    if runtime not in ("native", "tflm"):
        _fail(f"--runtime must be native or tflm, not {runtime!r}")
    _check_output_file(output)
    ir = read_model(model)
    specs_in, specs_out = io_specs(ir)
    inputs = npzio.load_inputs(input_path, specs_in)
    check_kernels(kernels)
    _state_note(ir, reset_state)
    if target != "host":
        _run_on_board(model, target, inputs, output, runtime, kernels, reset_state)
        return
    with console.status(f"running {inputs[0].shape[0] if inputs else 0} samples on the host ({runtime})..."):
        if runtime == "native":
            _, outs = hostrun.run_native(model, inputs, kernels=kernels, reset_state=reset_state)
        else:
            outs = hostrun.run_tflm_isolated(model, specs_in, specs_out, inputs, reset_state=reset_state)
    _save_run_outputs(model, output, outs, f"{outs[0].shape[0] if outs else 0} samples")


def _save_run_outputs(model: Path, output: Path, outs, what: str) -> None:
    """The outputs in the model's order (Keras' order for models edgeq quantized) with the
    names its signature gives them."""
    from edgeq.harness import npzio
    from edgeq.model.signature import io_names

    names = io_names(model.read_bytes())[1]
    npzio.save_outputs(output, outs, names)
    listed = ", ".join(f"{n} {list(o.shape)}" if n else str(list(o.shape)) for n, o in zip(names, outs))
    stdout.print(f"wrote {output}: {what}, outputs {listed}", markup=False, highlight=False)


def _progress(description: str):
    """A rich progress bar on stderr for long work (samples on a target)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # not on a terminal (a pipe, a log, a test): no bar at all, so an error stays one line
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _state_note(ir, reset_state: bool) -> None:
    """One line on stderr for a stateful model: what happens to its state between samples."""
    from edgeq.codegen.native.emit import state_tensors

    state = state_tensors(ir)
    if state:
        nbytes = sum(ir.main.tensors[t].nbytes for t in state)
        how = ("cleared before each sample (--reset-state)" if reset_state else
               "carried from sample to sample, as in TFLM (--reset-state clears it before each)")
        console.print(f"note: stateful model ({len(state)} variable tensors, {nbytes} B of state): its state is {how}",
                      markup=False, highlight=False, soft_wrap=True)


def _run_on_board(model: Path, target: str, inputs, output: Path, runtime: str, kernels: str,
                  reset_state: bool = False) -> None:
    from edgeq.harness import measure

    n = int(inputs[0].shape[0]) if inputs else 0
    with _progress("running") as bar:
        task = bar.add_task(f"running on {target} (QEMU)", total=n)
        outs = measure.run_on_board(model, target, inputs, runtime=runtime, kernels=kernels,
                                    progress=lambda d, t: bar.update(task, completed=d), reset_state=reset_state)
    _save_run_outputs(model, output, outs, f"{n} samples on {target}")


@app.command()
@handles_errors
def build(
    model: Path = typer.Argument(..., help="Full-integer .tflite model."),
    output: Path = typer.Option(..., "-o", "--output", help="Folder for the firmware sources, ELF and map."),
    target: Optional[str] = typer.Option(None, "--target", help=BOARD_HELP),
    runtime: str = typer.Option("native", "--runtime", help="native (edgeq-micro) or tflm (the TFLM application; needs EDGEQ_TFLM_DIR)."),
    flash_kb: Optional[int] = typer.Option(None, "--flash-kb", min=1, help="Flash of the part, KiB (default: the board's)."),
    ram_kb: Optional[int] = typer.Option(None, "--ram-kb", min=1, help="RAM of the part, KiB (default: the board's)."),
    part: Optional[str] = typer.Option(None, "--part", help=PART_HELP),
    kernels: str = typer.Option("fast", "--kernels", help=KERNELS_HELP),
) -> None:
    """Build the firmware for MODEL on a board: flash and RAM figures, firmware.elf."""
    from edgeq.harness import measure

    _check_output_dir(output)
    with console.status(f"building firmware for {target or part}..."):
        fw = measure.build(model, target, output, runtime=runtime, flash_kb=flash_kb, ram_kb=ram_kb, part=part,
                           kernels=kernels)
    s = fw.size
    stdout.print(
        f"wrote {fw.elf}: flash {s.flash_bytes:,} B (code {s.code_bytes:,}, model {s.model_bytes:,}, "
        f"rodata {s.rodata_bytes:,}), RAM {s.ram_bytes:,} B (arena {s.arena_bytes:,}, stack {s.stack_bytes:,}, "
        f"other {s.other_ram_bytes:,})")


@app.command()
@handles_errors
def bench(
    model: Path = typer.Argument(..., help="Full-integer .tflite model."),
    target: Optional[str] = typer.Option(None, "--target", help=BOARD_HELP),
    runtime: str = typer.Option("native", "--runtime", help="native (edgeq-micro) or tflm (the TFLM application; needs EDGEQ_TFLM_DIR)."),
    part: Optional[str] = typer.Option(None, "--part", help=PART_HELP),
    flash_kb: Optional[int] = typer.Option(None, "--flash-kb", min=1, help="Hold the build to this much flash, KiB."),
    ram_kb: Optional[int] = typer.Option(None, "--ram-kb", min=1, help="Hold the build to this much RAM, KiB."),
    data: Optional[Path] = typer.Option(None, "--data", help=".npz with x (or x0, x1, ...) and labels y (or y0, y1, ... one per output): class indices, or float targets for other outputs; default: a few random inputs."),
    float_model: Optional[Path] = typer.Option(None, "--float-model", help="The float Keras model: outputs without labels are scored against its outputs (MSE, SNR, cosine); needs --data with float inputs."),
    port: Optional[str] = typer.Option(None, "--port", help="Run on a real board on this serial port (the device protocol) instead of QEMU."),
    baud: Optional[int] = typer.Option(None, "--baud", min=1, help="Serial baud rate (default 115200)."),
    probe: Optional[str] = typer.Option(None, "--probe", help="Flash (and reset) through pyOCD with this debug probe id."),
    pyocd_target: Optional[str] = typer.Option(None, "--pyocd-target", help="pyOCD target type, e.g. stm32l4r5zitx."),
    flash_cmd: Optional[str] = typer.Option(None, "--flash-cmd", help="Flash with this command instead ({elf}: the firmware)."),
    no_flash: bool = typer.Option(False, "--no-flash", help="The board already runs this firmware: do not flash."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the report as JSON here."),
    md_path: Optional[Path] = typer.Option(None, "--md", help="Markdown report (default: the JSON's path with .md)."),
    profile: bool = typer.Option(False, "--profile", help="Also profile one inference per op (a profile build: exact instructions, estimated cycles)."),
    compare: Optional[str] = typer.Option(None, "--compare", help="With --profile: tflm profiles the TFLM app beside edgeq-micro (EDGEQ_TFLM_DIR; kernels from EDGEQ_TFLM_KERNELS)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="With --profile: a PNG bar chart of the instructions per op."),
    kernels: str = typer.Option("fast", "--kernels", help=KERNELS_HELP),
    reset_state: bool = typer.Option(False, "--reset-state", help=RESET_STATE_HELP),
) -> None:
    """Run MODEL on a board (emulated): size, instructions, accuracy, bit-exactness vs TFLM."""
    from edgeq.harness import measure
    from edgeq.report import bench as bench_report
    from edgeq.report import profile as profile_report

    if plot is not None and not profile:
        raise UsageError("--plot needs --profile")
    for out in (json_path, md_path, plot):
        _check_output_file(out)

    with _progress("bench") as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                for t in tasks.values():
                    bar.update(t, visible=False)
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        device = None
        if port is not None:
            from edgeq.harness.runners.serial import SerialDevice

            device = SerialDevice(port=port, baud=baud, probe=probe, pyocd_target=pyocd_target,
                                  flash_cmd=flash_cmd, no_flash=no_flash)
        elif probe or pyocd_target or flash_cmd:
            _fail("--probe/--pyocd-target/--flash-cmd need --port (the board's serial port)")
        result = measure.bench(model, target, runtime=runtime, data=data, progress=progress,
                               part=part, flash_kb=flash_kb, ram_kb=ram_kb, device=device,
                               profile=profile, compare_with=compare, kernels=kernels, float_model=float_model,
                               reset_state=reset_state)
    if plot is not None:
        profile_report.write_plot(result, plot)
    if json_path is not None:
        bench_report.write_json(result, json_path)
    if md_path is None and json_path is not None:
        md_path = json_path.with_suffix(".md")
    if md_path is not None:
        bench_report.write_markdown(result, md_path, plot=plot)
    stdout.print(bench_report.table(result))
    written = [str(p) for p in (json_path, md_path, plot) if p is not None]
    if written:
        stdout.print(f"wrote {', '.join(written)}")
    if result.ops is not None:
        # wide enough for every column even when stdout is not a terminal (80 columns)
        Console(width=max(stdout.width, profile_report.WIDTH[bool(compare)])).print(profile_report.table(result))
    if not result.bit_exact_vs_tflm:
        _fail(f"{result.mismatched_outputs} outputs differ from the TFLM interpreter ({result.first_mismatch})")


@app.command()
@handles_errors
def serve(
    model: Path = typer.Argument(..., help="Full-integer .tflite model."),
    target: str = typer.Option(..., "--target", help=f"An emulated board: {_boards()}."),
    runtime: str = typer.Option("native", "--runtime", help="native (edgeq-micro) or tflm (the TFLM application; needs EDGEQ_TFLM_DIR)."),
    model_id: Optional[str] = typer.Option(None, "--model-id", help="What m-model-[...] answers (default: the file name). MLPerf Tiny ids (kws01, vww01, ic01, ad01) also bring the reference submissions' input and result handling."),
    link: Path = typer.Option(Path("edgeq-dut"), "--link", help="The stable path (a symlink to the pty) hosts open."),
    kernels: str = typer.Option("fast", "--kernels", help=KERNELS_HELP),
    timing: str = typer.Option("realtime", "--timing", help="realtime: instruction-counted emulated time, paced to this machine's clock; emulated: the same laps, as fast as QEMU runs; host: this machine's time (laps vary)."),
    icount_shift: int = typer.Option(5, "--icount-shift", min=0, max=10, help="Emulated time: each instruction takes 2^S ns (5: 31.25 MHz at one instruction a cycle; 0: 1 GHz)."),
    idle_timeout: Optional[float] = typer.Option(None, "--idle-timeout", help="Stop when no host has the port open for this many seconds."),
) -> None:
    """Keep MODEL running on an emulated board behind a serial port (the device protocol) until Ctrl-C."""
    from edgeq.harness import serve as serving

    def ready(s: serving.Serving) -> None:
        # plain lines (no wrapping): scripts wait for the first one to know the port is up
        print(f"serving {s.model} on {s.board} ({s.runtime}) at {s.link} -> {s.pty}")
        print(f"model id {s.model_id}" + ("" if s.mlperf else
              " (not an MLPerf Tiny id: the MLCommons runner looks up kws01, vww01, ic01, ad01)"))
        print(s.timing)
        print("Ctrl-C or SIGTERM stops it", flush=True)

    why = serving.serve(model, target, runtime=runtime, model_id=model_id, link=link, kernels=kernels,
                        timing=timing, icount_shift=icount_shift, idle_timeout=idle_timeout, on_ready=ready)
    print(f"stopped ({why}); QEMU ended, {link} removed", flush=True)


@app.command("mlperf-runner", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@handles_errors
def mlperf_runner(
    ctx: typer.Context,
    runner_dir: Path = typer.Argument(..., help="The MLCommons runner: benchmark/runner in a checkout of mlcommons/tiny."),
    port: Path = typer.Option(Path("edgeq-dut"), "--port", help="The served board's link (edgeq serve --link)."),
) -> None:
    """Run the MLCommons MLPerf Tiny runner unmodified against `edgeq serve`: edgeq mlperf-runner DIR -- ARGS."""
    from edgeq.harness import mlperf_runner as runner

    rc = runner.run(runner_dir, list(ctx.args), port=port)
    if rc != 0:
        raise typer.Exit(rc)


@app.command()
@handles_errors
def targets() -> None:
    """The boards, and whether each can run here (emulator and toolchain)."""
    from rich.table import Table

    from edgeq import targets as boards
    from edgeq.errors import MissingToolError
    from edgeq.harness import measure
    from edgeq.toolchain import arm

    tc = arm.missing_reason()
    t = Table(title="edgeq targets")
    t.add_column("board", no_wrap=True)  # a name is never cut: it is what --target takes
    for col in ("core", "flash / RAM", "emulator", "runs here"):
        t.add_column(col, overflow="fold")
    t.add_row("host", "this machine", "-", "-", "yes")
    for b in boards.all_targets().values():
        why = tc
        if why is None:
            try:
                measure.require_emulator(b)
            except MissingToolError as exc:
                why = str(exc) if measure.emulator_of(b) else "build only (bench --port on the board)"
        emu = measure.emulator_of(b)
        t.add_row(b.name, b.core, f"{b.flash.size // 1024} KB / {b.ram.size // 1024} KB",
                  f"QEMU {b.qemu_machine}" if emu == "qemu" else
                  f"Renode {b.renode_platform.rsplit('/', 1)[-1]}" if emu == "renode" else "-",
                  "yes" if not why else f"no: {why}")
    stdout.print(t)
    from edgeq.targets import parts

    p = Table(title="parts (--part: memory budget and clock)")
    for col in ("part", "core", "flash / RAM", "clock", "board"):
        p.add_column(col)
    for part in parts.PARTS:
        p.add_row(part.name, part.core, f"{part.flash_bytes // 1024} KB / {part.ram_bytes // 1024} KB",
                  f"{part.clock_hz / 1e6:g} MHz", part.board or "-")
    stdout.print(p)


@app.command()
@handles_errors
def doctor() -> None:
    """Toolchain, emulator, instruction plugin and packages: found or missing (exit 1 if any is missing)."""
    from edgeq.toolchain import doctor as doc

    from rich.table import Table

    checks = doc.checks()
    t = Table(title="edgeq doctor", show_header=False, box=None)
    for c in checks:
        mark = "[green]ok[/green]" if c.ok else ("[yellow]optional[/yellow]" if c.optional else "[red]missing[/red]")
        t.add_row(mark, c.name, c.detail)
    stdout.print(t)
    missing = [c.name for c in checks if not c.ok and not c.optional]
    if missing:
        _fail(f"missing: {', '.join(missing)} (run scripts/setup.sh)")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
