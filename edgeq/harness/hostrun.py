"""``edgeq run --target host``: run a model's inputs on this machine, natively compiled
(edgeq-micro) or through the TFLite Micro interpreter (the ``tflite-micro`` package)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from edgeq.errors import UnsupportedOpError


def run_native(model_path: str | Path, inputs: Sequence[np.ndarray], *, kernels: str = "fast",
               reset_state: bool = False):
    """Compile the edgeq-micro sources for the host (cached) and run every sample in one
    process (``kernels`` "fast": the portable fast variants; "reference"). Returns
    ``(sources, outputs)``. A stateful model's state carries from sample to sample unless
    ``reset_state`` (cleared before each)."""
    from edgeq.codegen.native import generate
    from edgeq.harness.measure import check_kernels
    from edgeq.harness.runners import host

    check_kernels(kernels)
    sources = generate(model_path, features=() if kernels == "fast" else None)
    return sources, host.run(sources, inputs, reset_state=reset_state)


def run_tflm_isolated(model_path: str | Path, specs_in, specs_out, inputs: Sequence[np.ndarray],
                      reset_state: bool = False) -> list[np.ndarray]:
    """:func:`run_tflm` in a child process: the interpreter can crash on models it does not
    validate (e.g. a DEPTHWISE_CONV_2D without bias segfaults it), which must not take the
    caller down. A crash becomes an :class:`UnsupportedOpError` line; an op TFLM has no kernel
    for is named before anything runs."""
    from edgeq.codegen.tflm import resolver_ops
    from edgeq.model.reader import read_model

    resolver_ops(read_model(model_path))
    with tempfile.TemporaryDirectory(prefix="edgeq-tflm-") as tmp:
        fin, fout = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(fin, **{f"x{i}": a for i, a in enumerate(inputs)})
        argv = [sys.executable, "-m", "edgeq.harness.hostrun", str(model_path), str(fin), str(fout)]
        proc = subprocess.run(argv + (["reset"] if reset_state else []), capture_output=True, text=True)
        if proc.returncode != 0 or not fout.is_file():
            if proc.returncode < 0:
                why = f"it crashed (signal {-proc.returncode})"
            else:
                why = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            raise UnsupportedOpError(f"the TFLM interpreter cannot run {Path(model_path).name}: {why}")
        data = np.load(fout)
        return [data[f"out{j}"] for j in range(len(specs_out))]


def run_tflm(model_path: str | Path, specs_in, specs_out, inputs: Sequence[np.ndarray],
             reset_state: bool = False) -> list[np.ndarray]:
    """Run every sample through ``tflite_micro.runtime.Interpreter`` (the oracle), in this
    process (see :func:`run_tflm_isolated`): one interpreter invoked N times, so a stateful
    model's state carries from sample to sample, unless ``reset_state`` (``reset()`` first)."""
    from tflite_micro import runtime as tflm

    try:
        it = tflm.Interpreter.from_file(str(model_path))
    except Exception as exc:  # the wrapper raises RuntimeError with TFLM's own message
        raise UnsupportedOpError(f"the TFLM interpreter refuses {Path(model_path).name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    n = inputs[0].shape[0] if inputs else 0
    outs: list[list[np.ndarray]] = [[] for _ in specs_out]
    for s in range(n):
        if reset_state:
            it.reset()
        for i, (spec, arr) in enumerate(zip(specs_in, inputs)):
            it.set_input(arr[s].reshape(spec.shape), i)
        it.invoke()
        for j in range(len(specs_out)):
            outs[j].append(np.array(it.get_output(j)).copy())
    return [np.stack(o).reshape((n, *_sample(spec.shape))) for o, spec in zip(outs, specs_out)]


def _sample(shape):
    shape = tuple(shape)
    return shape[1:] if shape and shape[0] == 1 else shape


def _child(argv: list[str]) -> int:
    """``python -m edgeq.harness.hostrun MODEL IN.npz OUT.npz [reset]``: the isolated oracle."""
    from edgeq.codegen.native.emit import io_specs
    from edgeq.model.reader import read_model

    model, fin, fout = argv[:3]
    specs_in, specs_out = io_specs(read_model(model))
    data = np.load(fin)
    outs = run_tflm(model, specs_in, specs_out, [data[f"x{i}"] for i in range(len(specs_in))],
                    reset_state=argv[3:] == ["reset"])
    np.savez(fout, **{f"out{j}": o for j, o in enumerate(outs)})
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
