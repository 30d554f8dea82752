"""scikit-learn's 8x8 handwritten digits (1,797 images, shipped inside scikit-learn)."""

from __future__ import annotations

import numpy as np

from ._common import Dataset, make_dataset, stratified_split

CLASS_NAMES = tuple(str(d) for d in range(10))


def load(*, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Digits as x (N, 8, 8, 1) float32 in [0, 1] (pixel value / 16), y int64 0..9.

    The train/test split is stratified and fixed by ``seed``.
    """
    from sklearn.datasets import load_digits  # only when asked for: sklearn imports scipy

    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / 16.0)[..., None]
    y = bunch.target.astype(np.int64)
    train, test = stratified_split(y, test_fraction, seed)
    return make_dataset("digits", x[train], y[train], x[test], y[test], CLASS_NAMES)
