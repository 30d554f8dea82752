"""Run generated edgeq-micro sources on the host: compile once, run all N samples in one
process (the host main.c reads N raw inputs from a file and writes N raw outputs)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from edgeq.codegen.native.emit import NativeSources, render_host_main
from edgeq.errors import DataError, TargetError
from edgeq.toolchain import host as host_tc


def sample_shape(shape: Sequence[int]) -> tuple[int, ...]:
    """A tensor's shape without its batch dimension of 1 (N samples stack along axis 0)."""
    shape = tuple(shape)
    return shape[1:] if shape and shape[0] == 1 else shape


def available() -> str | None:
    """None when the host runner can run here, else the reason why not."""
    return None if host_tc.find_cc() else "no host C compiler (gcc, cc or clang) on PATH"


def build(sources: NativeSources) -> Path:
    """Compile (or fetch from the cache) the host executable for ``sources``."""
    files = dict(sources.files)
    files["main.c"] = render_host_main(sources)
    return host_tc.compile_program(files, name="edgeq_host")


def run(sources: NativeSources, inputs: Sequence[np.ndarray], exe: Path | None = None,
        reset_state: bool = False) -> list[np.ndarray]:
    """Run every sample: ``inputs[i]`` has shape ``(N, *input_i.shape[1:])`` in the input's
    type; returns one array per output, shape ``(N, *output.shape[1:])``, output type. A
    stateful model's state carries from sample to sample (one process), unless
    ``reset_state``: then ``edgeq_reset()`` clears it before each sample."""
    if len(inputs) != len(sources.inputs):
        raise DataError(f"model has {len(sources.inputs)} inputs, got {len(inputs)} arrays")
    n = None
    cols = []
    for spec, arr in zip(sources.inputs, inputs):
        arr = np.ascontiguousarray(arr, dtype=spec.numpy_dtype)
        per = spec.nbytes // spec.numpy_dtype.itemsize
        if arr.size % max(per, 1) or (n is not None and arr.size // per != n):
            raise DataError(f"input {spec.index}: {arr.shape} does not hold whole samples of shape {list(spec.shape)}")
        n = arr.size // per
        cols.append(arr.reshape(n, -1).view(np.uint8))
    exe = exe or build(sources)
    with tempfile.TemporaryDirectory(prefix="edgeq-host-") as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        np.concatenate(cols, axis=1).tofile(fin)
        argv = [str(exe), str(fin), str(fout), str(n)] + (["reset"] if reset_state else [])
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise TargetError(f"host run failed (exit {proc.returncode}): {proc.stderr.strip()[:200]}")
        raw = np.fromfile(fout, dtype=np.uint8)
    total = sum(s.nbytes for s in sources.outputs)
    if raw.size != n * total:
        raise TargetError(f"host run wrote {raw.size} bytes, expected {n * total}")
    raw = raw.reshape(n, total)
    outs, pos = [], 0
    for spec in sources.outputs:
        chunk = np.ascontiguousarray(raw[:, pos:pos + spec.nbytes]).view(spec.numpy_dtype)
        outs.append(chunk.reshape((n, *sample_shape(spec.shape))))
        pos += spec.nbytes
    return outs
