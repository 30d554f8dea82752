"""The command line's .npz contract (DESIGN.md "The command line") for inputs and outputs.

Inputs under ``x`` (one-input models) or ``x0, x1, ...``; the model's input shape with its
batch dimension of 1 replaced by N. Float arrays given for an int8 input are quantized with
the input's scale and zero point (round half away from zero, saturate); integer arrays are
taken as is. Outputs are written under ``out`` / ``out0, out1, ...`` in the model's output
type, through a temporary file renamed into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from edgeq.errors import DataError, InputFileError
from edgeq.fileio import savez_atomic


def sample_shape(shape: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(int(d) for d in shape)
    return shape[1:] if shape and shape[0] == 1 else shape


def quantize_array(x: np.ndarray, scale: float, zero_point: int, dtype=np.int8) -> np.ndarray:
    """Float -> integer with the tensor's parameters (round half away from zero, saturate)."""
    info = np.iinfo(dtype)
    v = np.asarray(x, dtype=np.float64) / float(np.float32(scale))
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


def read_npz(path: str | Path, *, labels: bool = False) -> tuple[list[np.ndarray], np.ndarray | None]:
    """The raw arrays of an .npz in edgeq's format: inputs under ``x`` (or ``x0, x1, ...``),
    labels (class indices) under ``y`` when ``labels``. No conversion to a model's types:
    see :func:`load_inputs` for that."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file (expected an .npz with inputs under 'x')")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise DataError(f"{path}: not a readable .npz file ({type(exc).__name__})") from None
    if "x" in arrays:
        xs = [arrays["x"]]
    else:
        keys = sorted((k for k in arrays if k[:1] == "x" and k[1:].isdigit()), key=lambda k: int(k[1:]))
        if not keys:
            raise DataError(f"{path}: no inputs: expected an array named 'x' (or x0, x1, ...); found {sorted(arrays)}")
        xs = [arrays[k] for k in keys]
    n = xs[0].shape[0] if xs[0].ndim else 0
    if n == 0 or any(x.ndim == 0 or x.shape[0] != n for x in xs):
        raise DataError(f"{path}: input arrays must share a non-empty first (sample) dimension")
    y = None
    if labels:
        if "y" not in arrays:
            raise DataError(f"{path}: no labels: expected class indices under 'y'")
        y = np.asarray(arrays["y"]).reshape(-1)
        if y.shape[0] != n or not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{path}: 'y' must hold {n} integer class indices (got {y.dtype} {arrays['y'].shape})")
    return xs, y


def load_inputs(path: str | Path, specs) -> list[np.ndarray]:
    """Read and convert the inputs for ``specs`` (objects with ``index, dtype, shape, scale,
    zero_point, numpy_dtype``) from an .npz file; one array of N samples per input."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except Exception as exc:
        raise InputFileError(f"{path}: not a readable .npz file ({type(exc).__name__})") from None
    keys = ["x"] if len(specs) == 1 and "x" in data.files else [f"x{i}" for i in range(len(specs))]
    out, n = [], None
    for key, spec in zip(keys, specs):
        if key not in data.files:
            raise DataError(f"{path}: missing array '{key}' (inputs go under x, or x0, x1, ... for several)")
        try:
            arr = data[key]
        except Exception as exc:  # object (pickled) arrays and damaged members
            raise DataError(f"{path}: '{key}' cannot be read ({type(exc).__name__}): save it as a numeric array") \
                from None
        want = sample_shape(spec.shape)
        per = int(np.prod(want, dtype=np.int64))
        if arr.ndim == len(want):
            arr = arr[None]
        if arr.ndim < 1 or int(np.prod(arr.shape[1:], dtype=np.int64)) != per:
            raise DataError(f"{path}: '{key}' has shape {list(arr.shape)}; expected [N, {', '.join(map(str, want))}]")
        if n is not None and arr.shape[0] != n:
            raise DataError(f"{path}: inputs hold different numbers of samples")
        n = arr.shape[0]
        if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
            bad = int(np.flatnonzero(~np.isfinite(arr.reshape(n, -1)).all(axis=1))[0])
            raise DataError(f"{path}: '{key}' holds NaN or Inf (first in sample {bad}): give finite inputs")
        if spec.dtype == "FLOAT32":
            arr = arr.astype(np.float32)
        elif np.issubdtype(arr.dtype, np.floating):
            arr = quantize_array(arr, spec.scale, spec.zero_point, spec.numpy_dtype)
        elif np.issubdtype(arr.dtype, np.integer):
            info = np.iinfo(spec.numpy_dtype)
            if arr.size and (arr.min() < info.min or arr.max() > info.max):
                raise DataError(f"{path}: '{key}' holds values outside {spec.numpy_dtype} range")
            arr = arr.astype(spec.numpy_dtype)
        else:
            raise DataError(f"{path}: '{key}' has type {arr.dtype}; give float or {spec.numpy_dtype}")
        out.append(np.ascontiguousarray(arr.reshape(n, *want)))
    return out


def save_outputs(path: str | Path, outputs: Sequence[np.ndarray], names: Sequence[str] = ()) -> Path:
    """Write ``out`` (or ``out0, out1, ...``) atomically (temp file in the same folder, renamed);
    ``names`` (the model's output names, from its signature) go under ``output_names``."""
    arrays = {"out": outputs[0]} if len(outputs) == 1 else {f"out{i}": a for i, a in enumerate(outputs)}
    if names and len(names) == len(outputs) and any(names):
        arrays["output_names"] = np.array(list(names), dtype=np.str_)
    return savez_atomic(path, make_parents=True, **arrays)
