"""The `edgeq` command line: one sub-command per stage, no logic here.

Exit codes (DESIGN.md): 0 success, 1 a user error (one line on stderr naming what to fix),
2 usage errors (Typer's own). Library modules are imported inside each command so that
light commands (`inspect`, `targets`) never pay for importing TensorFlow.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console

from edgeq.errors import EdgeqError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="edgeq: Keras model -> measured int8 model on an Arm Cortex-M target.",
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
stdout = Console()


def _fail(message: str) -> None:
    # One line, no rich markup interpretation of user-provided text (paths may hold brackets).
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    raise typer.Exit(1)


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
        except EdgeqError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted")

    return wrapper


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
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
    samples: int = typer.Option(200, "--samples", min=1, help="How many calibration samples (deterministic)."),
    mode: str = typer.Option("int8", "--mode", help="int8 (8-bit activations) or int16x8 (16-bit activations, 8-bit weights)."),
    eval_data: Optional[Path] = typer.Option(None, "--eval", help=".npz with `x` and labels `y`: print float vs int8 accuracy."),
    report: Optional[Path] = typer.Option(None, "--report", help="Per-layer error report, .md or .json."),
    allow_float: bool = typer.Option(False, "--allow-float", help="Write the model even if some ops stay float."),
) -> None:
    """Post-training full-integer quantization of a Keras model."""
    from edgeq import ptq
    from edgeq.report import quant as quant_report

    if mode not in ("int8", "int16x8"):
        _fail(f"--mode must be int8 or int16x8, not {mode!r}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with console.status("converting and calibrating..."), native_stderr_quiet():
        result = ptq.quantize_file(
            model, output, calib, samples=samples, mode=mode, allow_float=allow_float,
            eval_path=eval_data, report_path=report,
        )
    stdout.print(quant_report.summary_table(result))


@app.command("inspect")
@handles_errors
def inspect_cmd(
    model: Path = typer.Argument(..., help="An int8 (or any) .tflite model."),
    as_json: bool = typer.Option(False, "--json", help="Write one JSON document to stdout."),
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
        report = inspect_report.build_report(graph, arena=arena.result())
    if as_json:
        sys.stdout.write(inspect_report.to_json(report) + "\n")
        sys.stdout.flush()
    else:
        stdout.print(inspect_report.render(report))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
