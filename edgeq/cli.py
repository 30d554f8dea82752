"""The `edgeq` command line: one sub-command per stage, no logic here.

Exit codes (DESIGN.md): 0 success, 1 a user error (one line on stderr naming what to fix),
2 usage errors (Typer's own). Library modules are imported inside each command so that
light commands (`inspect`, `targets`) never pay for importing TensorFlow.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
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
    with console.status("converting and calibrating..."):
        result = ptq.quantize_file(
            model, output, calib, samples=samples, mode=mode, allow_float=allow_float,
            eval_path=eval_data, report_path=report,
        )
    stdout.print(quant_report.summary_table(result))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
