"""The TFLite converter in a child process, so that its crashes cannot take edgeq down.

TensorFlow's converter and calibrator are C++ that can die on models they do not handle
(Keras 3 recurrent loops crashed the calibrator with SIGSEGV, issue 17): in-process that kills
the caller's Python with no message. Here the parent exports the SavedModel, writes the
calibration arrays and a job file into its temp folder, and runs
``python -m edgeq.convert_worker JOB`` which converts and writes ``out.tflite`` (or a one-line
``error.txt``). A crash, a kill or a timeout becomes one :class:`EdgeqError`; the temp folder
is the caller's and goes with it on every path.

Jobs (``kind``): ``"int8"`` / ``"int16x8"`` full-integer with representative data,
``"qat"`` int8 from trained fake-quant ranges (no calibration), ``"float"`` no quantization.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from edgeq.errors import EdgeqError
from edgeq.fileio import write_atomic

KINDS = ("int8", "int16x8", "qat", "float")
TIMEOUT_S = float(os.environ.get("EDGEQ_CONVERT_TIMEOUT", "3600"))


def convert(saved_model: Path, kind: str, workdir: Path, calib: Sequence[np.ndarray] = (),
            *, input_names: Sequence[str] | None = None, integer_io: bool = True,
            timeout_s: float | None = None, also_float: bool = False) -> bytes | tuple[bytes, bytes]:
    """The flatbuffer the TFLite converter makes from ``saved_model``, converted in a child.
    ``input_names``: the signature's input names, in the order of ``calib`` (the calibrator
    then feeds each array to its named input, whatever order the converter gives them).
    ``also_float``: ``(flatbuffer, float flatbuffer)``, both from the one child (one
    TensorFlow start-up)."""
    if kind not in KINDS:
        raise ValueError(kind)
    workdir = Path(workdir)
    job = {"saved_model": str(saved_model), "kind": kind, "integer_io": integer_io,
           "calib": None, "input_names": list(input_names) if input_names else None,
           "float_out": str(workdir / "float.tflite") if also_float else None, "out": str(workdir / "out.tflite"), "error": str(workdir / "error.txt")}
    if kind in ("int8", "int16x8"):
        np.savez(workdir / "calib.npz", *[np.asarray(x, np.float32) for x in calib])
        job["calib"] = str(workdir / "calib.npz")
    (workdir / "job.json").write_text(json.dumps(job))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    with open(workdir / "converter.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "edgeq.convert_worker", str(workdir / "job.json")],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            rc = proc.wait(timeout=timeout_s or TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise EdgeqError(f"the TFLite converter did not finish in {timeout_s or TIMEOUT_S:.0f} s "
                             f"(set EDGEQ_CONVERT_TIMEOUT to allow longer); nothing written") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    err = Path(job["error"])
    if rc != 0:
        logging.getLogger(__name__).info("converter output:\n%s",
                                         (workdir / "converter.log").read_text(errors="replace")[-4000:])
    if rc == 0 and Path(job["out"]).is_file():
        if also_float:
            return Path(job["out"]).read_bytes(), Path(job["float_out"]).read_bytes()
        return Path(job["out"]).read_bytes()
    if err.is_file() and err.read_text().strip():
        raise EdgeqError(err.read_text().strip())
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        raise EdgeqError(f"TensorFlow's TFLite converter crashed ({name}) on this model; nothing written. "
                         f"A layer it cannot convert is the usual cause: `edgeq quantize -v` shows the "
                         f"converter's messages")
    raise EdgeqError(f"the TFLite converter exited with status {rc}; nothing written")


def configure(converter, kind: str, calib: Sequence[np.ndarray] = (), input_names: Sequence[str] | None = None,
              integer_io: bool = True):
    """Set ``converter`` (a TFLiteConverter) up for ``kind``: "float" leaves it alone; "int8" /
    "int16x8" calibrate on ``calib`` (fed by ``input_names`` when given) with a float fallback
    so that the float ops can be named; "qat" takes the trained ranges. ``integer_io``: int8
    (int16) model inputs and outputs. Returns the converter."""
    import tensorflow as tf

    if kind == "float":
        return converter
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if kind in ("int8", "int16x8"):
        def representative():
            for i in range(calib[0].shape[0]):
                sample = [x[i: i + 1] for x in calib]
                yield dict(zip(input_names, sample)) if input_names else sample

        converter.representative_dataset = representative
        first = (tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if kind == "int8"
                 else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8)
        converter.target_spec.supported_ops = [first, tf.lite.OpsSet.TFLITE_BUILTINS]
    if integer_io:
        io_type = tf.int16 if kind == "int16x8" else tf.int8
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    return converter


def _run(job: dict) -> bytes:
    import tensorflow as tf

    calib = []
    if job["calib"]:
        with np.load(job["calib"]) as z:
            calib = [z[f"arr_{i}"] for i in range(len(z.files))]
    converter = tf.lite.TFLiteConverter.from_saved_model(job["saved_model"])
    return configure(converter, job["kind"], calib, job.get("input_names"), job["integer_io"]).convert()


def main(argv: Sequence[str]) -> int:
    import warnings

    job = json.loads(Path(argv[0]).read_text())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flatbuffer = _run(job)
            if job.get("float_out"):
                write_atomic(job["float_out"], _run(dict(job, kind="float")))
    except Exception as exc:  # the converter's own refusal: one line for the parent
        msg = " ".join(str(exc).split())[:300] or type(exc).__name__
        Path(job["error"]).write_text(f"the TFLite converter failed: {msg}\n")
        return 1
    write_atomic(job["out"], flatbuffer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
