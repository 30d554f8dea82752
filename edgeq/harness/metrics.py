"""How good a model's outputs are, one output at a time.

Labels come from the data file: ``y`` for a single-output model, ``y0, y1, ...`` one per
output (in Keras' order, which ``edgeq quantize`` keeps). Per output:

* class indices (N integers, or one-hot rows) for an output of two or more values: a
  classification output, scored by top-1 accuracy (argmax); for an output that is itself a
  class index (int32, one value a sample: an ARG_MAX), accuracy compares it with the label;
* float targets with the output's shape (a regression head, an autoencoder's image): scored
  by an error figure of the (dequantized) outputs against them;
* nothing: an error figure against a reference (the float model's outputs) when there is one.

Error figures: MSE, SNR in dB (``10 log10(sum t^2 / sum (o - t)^2)``, over all samples) and
the mean per-sample cosine similarity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from edgeq.errors import DataError


@dataclass(frozen=True)
class Target:
    """What one output is scored against: ``classes`` (class indices) or ``values`` (float
    targets of the output's shape), or neither."""

    classes: np.ndarray | None = None
    values: np.ndarray | None = None
    direct: bool = False  # the output is the class index itself (not scores to take the argmax of)


@dataclass(frozen=True)
class Score:
    """One output's figures; ``against``: "labels", "targets", "float model" or None."""

    index: int
    name: str
    against: str | None
    accuracy: float | None = None
    mse: float | None = None
    snr_db: float | None = None
    cosine: float | None = None

    def as_json(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if self.accuracy is not None:
            return f"accuracy {100 * self.accuracy:.2f}%"
        if self.mse is not None:
            snr = "inf" if self.snr_db is None else f"{self.snr_db:.1f}"
            return f"MSE {self.mse:.4g}, SNR {snr} dB, cosine {self.cosine:.4f} (vs {self.against})"
        return "n/a (no labels)"


def sample_size(shape: Sequence[int]) -> int:
    """Values a sample of a tensor has (its shape without the batch dimension of 1)."""
    from edgeq.harness.npzio import sample_shape

    return int(np.prod(sample_shape(shape), dtype=np.int64))


def label_keys(n_outputs: int, files: Sequence[str]) -> list[str | None]:
    """The .npz key of each output's labels (None where there are none)."""
    if n_outputs == 1:
        return ["y" if "y" in files else "y0" if "y0" in files else None]
    return [f"y{i}" if f"y{i}" in files else None for i in range(n_outputs)]


def load_targets(path: str | Path, n: int, out_sizes: Sequence[int], names: Sequence[str] = (),
                 index_outputs: Sequence[bool] = ()) -> list[Target]:
    """Each output's labels from the .npz at ``path`` (``n`` samples; ``out_sizes``: the values
    a sample of each output has; ``index_outputs``: which outputs are class indices themselves,
    int32 outputs). One line naming the problem when they do not fit."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise DataError(f"{path}: not a readable .npz file ({type(exc).__name__})") from None
    with data:
        files = list(data.files)
        if len(out_sizes) > 1 and "y" in files:
            listed = ", ".join(f"y{i}" + (f" ({names[i]})" if i < len(names) and names[i] else "")
                               for i in range(len(out_sizes)))
            raise DataError(f"{path}: the model has {len(out_sizes)} outputs; give one label array per output "
                            f"as {listed} instead of y")
        targets = []
        for i, key in enumerate(label_keys(len(out_sizes), files)):
            if key is None:
                targets.append(Target())
                continue
            try:
                y = np.asarray(data[key])
            except Exception as exc:
                raise DataError(f"{path}: '{key}' cannot be read ({type(exc).__name__}): save it as a numeric "
                                f"array") from None
            index = i < len(index_outputs) and bool(index_outputs[i])
            targets.append(_target(path, key, y, n, out_sizes[i], index))
    return targets


def _target(path: Path, key: str, y: np.ndarray, n: int, size: int, index: bool = False) -> Target:
    if y.ndim == 0 or y.shape[0] != n:
        raise DataError(f"{path}: '{key}' has {y.shape[0] if y.ndim else 0} rows for {n} samples")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating) or y.dtype == bool):
        raise DataError(f"{path}: '{key}' is {y.dtype}: give class indices or float targets")
    if np.issubdtype(y.dtype, np.floating) and not np.all(np.isfinite(y)):
        k = int(np.flatnonzero(~np.isfinite(y.reshape(n, -1)).all(axis=1))[0])
        raise DataError(f"{path}: '{key}' holds NaN or infinite values (sample {k})")
    per = int(np.prod(y.shape[1:], dtype=np.int64))
    integral = np.issubdtype(y.dtype, np.integer) or bool(np.all(y == np.round(y)))
    if index and size == 1 and per == 1 and integral:
        return Target(classes=y.reshape(-1).astype(np.int64), direct=True)
    if size >= 2 and per == size and y.ndim == 2 and integral and np.all((y == 0) | (y == 1)) \
            and np.all(y.sum(axis=1) == 1):
        return Target(classes=y.argmax(axis=1).astype(np.int64))  # one-hot rows
    if size >= 2 and per == 1 and integral:
        c = y.reshape(-1).astype(np.int64)
        if c.min() < 0 or c.max() >= size:
            k = int(np.flatnonzero((c < 0) | (c >= size))[0])
            raise DataError(f"{path}: label {int(c[k])} in '{key}' (sample {k}) is not a class index of the "
                            f"output's {size} values (0..{size - 1})")
        return Target(classes=c)
    if per == size:
        return Target(values=y.reshape(n, size).astype(np.float64))
    raise DataError(f"{path}: '{key}' has {per} value(s) a sample; the output has {size}: give integer class "
                    f"indices (N,) or float targets of the output's shape")


def dequantize(raw: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Real values of a quantized output (float outputs as they are)."""
    if np.issubdtype(raw.dtype, np.floating) or not scale:
        return raw.astype(np.float64)
    return (raw.astype(np.float64) - zero_point) * scale


def error_figures(pred: np.ndarray, target: np.ndarray) -> tuple[float, float | None, float]:
    """(MSE, SNR dB (None when the error is zero), mean cosine similarity)."""
    n = pred.shape[0]
    p, t = pred.reshape(n, -1).astype(np.float64), target.reshape(n, -1).astype(np.float64)
    err = p - t
    mse = float(np.mean(err ** 2))
    noise, signal = float(np.sum(err ** 2)), float(np.sum(t ** 2))
    snr = None if noise == 0 else (10 * np.log10(signal / noise) if signal > 0 else float("-inf"))
    norms = np.linalg.norm(p, axis=1) * np.linalg.norm(t, axis=1)
    cos = np.where(norms > 0, np.sum(p * t, axis=1) / np.where(norms > 0, norms, 1), (norms == 0) * 1.0)
    return mse, (float(snr) if snr is not None else None), float(np.mean(cos))


def score(index: int, name: str, output: np.ndarray, target: Target, reference: np.ndarray | None = None) -> Score:
    """Figures of one output (real values, N samples) against its target, else ``reference``."""
    n = output.shape[0]
    flat = output.reshape(n, -1)
    if target.classes is not None:
        pred = np.rint(flat[:, 0]).astype(np.int64) if target.direct else flat.argmax(axis=1)
        return Score(index, name, "labels", accuracy=float(np.mean(pred == target.classes)))
    against, want = ("targets", target.values) if target.values is not None else ("float model", reference)
    if want is None:
        return Score(index, name, None)
    mse, snr, cos = error_figures(flat, want)
    return Score(index, name, against, mse=mse, snr_db=snr, cosine=cos)
