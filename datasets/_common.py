"""What every loader shares: the Dataset record, npz writing, the cache folder, splits."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from edgeq.errors import DataError
from edgeq.fileio import savez_atomic

log = logging.getLogger("edgeq.datasets")

#: The repository root (datasets/ sits directly under it in a checkout).
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A labelled data set, already split.

    ``x_*`` are float32 (images NHWC with a channel dimension, scaled to [0, 1]; audio
    features as (N, frames, coefficients, 1); 1-D signals as (N, length, 1)); ``y_*`` are
    int64 class indices into ``class_names``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    def split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(x, y)`` of ``"train"`` or ``"test"``."""
        if split == "train":
            return self.x_train, self.y_train
        if split == "test":
            return self.x_test, self.y_test
        raise DataError(f"unknown split {split!r}: use 'train' or 'test'")

    @property
    def num_classes(self) -> int:
        """Number of classes (``len(class_names)``)."""
        return len(self.class_names)


def make_dataset(name, x_train, y_train, x_test, y_test, class_names) -> Dataset:
    """Build a Dataset with the dtypes every loader promises (float32 x, int64 y)."""
    return Dataset(
        name=name,
        x_train=np.ascontiguousarray(x_train, dtype=np.float32),
        y_train=np.ascontiguousarray(y_train, dtype=np.int64),
        x_test=np.ascontiguousarray(x_test, dtype=np.float32),
        y_test=np.ascontiguousarray(y_test, dtype=np.int64),
        class_names=tuple(str(c) for c in class_names),
    )


def save_npz(ds: Dataset, path: str | os.PathLike, split: str = "test", limit: int | None = None) -> Path:
    """Write one split of ``ds`` in the edgeq CLI's .npz format: inputs ``x``, labels ``y``.

    ``limit`` keeps the first N samples. The file is written to a temp file and renamed.
    """
    x, y = ds.split(split)
    if limit is not None:
        if limit < 1:
            raise DataError(f"limit must be at least 1, got {limit}")
        x, y = x[:limit], y[:limit]
    out = savez_atomic(path, make_parents=True, x=x, y=y)
    log.info("wrote %s: %s split of %s, x %s, y %s", out, split, ds.name, x.shape, y.shape)
    return out


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The dataset cache folder: ``override``, else ``$EDGEQ_CACHE/datasets``, else
    ``~/.cache/edgeq/datasets``."""
    if override is not None:
        return Path(override)
    env = os.environ.get("EDGEQ_CACHE")
    if env:
        return Path(env) / "datasets"
    return Path.home() / ".cache" / "edgeq" / "datasets"


def recipe_key(recipe: Mapping[str, Any]) -> str:
    """A short stable hash of a recipe (JSON-serialisable parameters) for cache file names."""
    blob = json.dumps(recipe, sort_keys=True, default=list).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def load_cached(path: Path, name: str) -> Dataset | None:
    """Read a Dataset written by :func:`store_cached`, or None when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return make_dataset(
                name, z["x_train"], z["y_train"], z["x_test"], z["y_test"], [str(c) for c in z["class_names"]]
            )
    except Exception as err:  # a corrupt cache entry is rebuilt, not fatal
        log.warning("ignoring unreadable cache file %s (%s)", path, err)
        return None


def store_cached(path: Path, ds: Dataset) -> None:
    """Write ``ds`` to the cache file ``path`` (atomically); failures only log."""
    try:
        savez_atomic(
            path,
            make_parents=True,
            x_train=ds.x_train,
            y_train=ds.y_train,
            x_test=ds.x_test,
            y_test=ds.y_test,
            class_names=np.asarray(ds.class_names),
        )
        log.info("cached %s at %s", ds.name, path)
    except OSError as err:  # a read-only home must not break loading
        log.warning("could not cache %s at %s (%s)", ds.name, path, err)


def stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic per-class split: returns (train_idx, test_idx), each in a seeded
    shuffled order (so the first N of a split hold every class, whatever the source order).

    Each class contributes ``round(n_c * test_fraction)`` samples to the test set, chosen
    by a seeded permutation, so the split depends only on the labels and the seed.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        n_test = int(round(len(idx) * test_fraction))
        test.append(rng.permutation(idx)[:n_test])
    test_idx = np.sort(np.concatenate(test)) if test else np.empty(0, dtype=np.int64)
    mask = np.ones(len(y), dtype=bool)
    mask[test_idx] = False
    return rng.permutation(np.flatnonzero(mask)), rng.permutation(test_idx)
