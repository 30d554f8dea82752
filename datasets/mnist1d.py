"""MNIST-1D (Greydanus & Steinbach), generated locally; never downloaded.

This re-implements the generator of the ``mnist1d`` PyPI package (0.0.2.post1:
``mnist1d.data.make_dataset`` with ``get_dataset_args()``) with numpy and scipy, drawing
from a private ``RandomState(seed)`` in the same order as the package draws from the global
one, so with the defaults the arrays equal the package's ``make_dataset()`` output
(checked when this module was written) without touching the caller's global RNG state,
importing matplotlib, or depending on ``requests``. The result is cached as .npz.
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np

from ._common import Dataset, cache_dir, load_cached, make_dataset, recipe_key, store_cached

log = logging.getLogger(__name__)

CLASS_NAMES = tuple(str(d) for d in range(10))
# Bump when the generation below changes, so stale cache files are not reused.
_GENERATOR_VERSION = 1


def templates() -> np.ndarray:
    """The ten 12-point digit templates, whitened, starting and ending at 0 (shape (10, 12))."""
    d = np.asarray(
        [
            [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
            [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
            [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
            [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
            [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
            [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
            [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
            [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
            [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
            [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
        ]
    )
    d -= d.mean(1, keepdims=True)
    d /= d.std(1, keepdims=True)
    d -= d[:, :1]
    return d / 6.0


def _interpolate(x: np.ndarray, n: int) -> np.ndarray:
    # Linear resampling onto n evenly spaced points (scipy's interp1d 'linear' in the package).
    return np.interp(np.linspace(0, 1, n), np.linspace(0, 1, len(x)), x)


def _transform(x: np.ndarray, rng: np.random.RandomState, r: dict) -> np.ndarray:
    from scipy.ndimage import gaussian_filter  # scipy comes with scikit-learn

    # The order of the rng draws matches mnist1d.transform.transform exactly.
    low, high = r["padding"]
    p = low + int(rng.rand() * (high - low + 1))
    x = np.concatenate([x + 1e-8, np.zeros(p)])  # pad
    x = _interpolate(x, r["template_len"] + high)  # dilate
    x = x * (1 + r["scale_coeff"] * (rng.rand() - 0.5))  # scale
    k = rng.choice(r["max_translation"])  # translate (circular; k == 0 keeps x)
    x = np.concatenate([x[-k:], x[:-k]])
    mask = x != 0
    corr = gaussian_filter(r["corr_noise_scale"] * rng.randn(*x.shape), 2)
    x = mask * x + (1 - mask) * corr
    x = x + r["iid_noise_scale"] * rng.randn(*x.shape)
    coeff = r["shear_scale"] * (rng.rand() - 0.5)  # shear
    x = x - coeff * np.linspace(-0.5, 0.5, len(x))
    return _interpolate(x, r["final_seq_length"])  # subsample


def generate(recipe: dict) -> tuple[np.ndarray, np.ndarray]:
    """Generate all samples of ``recipe`` (see :func:`load`): x (N, length) float64
    normalised to mean 0 and std 1 over the whole set, y (N,) int64, shuffled."""
    tpl = templates()
    rng = np.random.RandomState(recipe["seed"])
    per_class = recipe["num_samples"] // len(tpl)
    xs, ys = [], []
    for label in range(len(tpl)):
        for _ in range(per_class):
            xs.append(_transform(tpl[label], rng, recipe))
            ys.append(label)
    order = rng.permutation(len(ys))
    x, y = np.stack(xs)[order], np.asarray(ys, dtype=np.int64)[order]
    if recipe["shuffle_seq"]:
        x = x[..., rng.permutation(recipe["final_seq_length"])]
    x = (x - x.mean()) / x.std()
    return x, y


def load(
    *,
    num_samples: int = 5000,
    train_split: float = 0.8,
    seed: int = 42,
    final_seq_length: int = 40,
    shuffle_seq: bool = False,
    cache: str | os.PathLike | None = None,
    use_cache: bool = True,
) -> Dataset:
    """MNIST-1D: x (N, 40, 1) float32 (mean 0, std 1), y int64 0..9; defaults are the
    published recipe (5,000 samples, first 80% train). Cached under :func:`cache_dir`
    (``cache=`` overrides the folder) keyed by the recipe."""
    recipe = {
        "num_samples": int(num_samples),
        "train_split": float(train_split),
        "template_len": 12,
        "padding": [36, 60],
        "scale_coeff": 0.4,
        "max_translation": 48,
        "corr_noise_scale": 0.25,
        "iid_noise_scale": 2e-2,
        "shear_scale": 0.75,
        "shuffle_seq": bool(shuffle_seq),
        "final_seq_length": int(final_seq_length),
        "seed": int(seed),
    }
    path = cache_dir(cache) / f"mnist1d-v{_GENERATOR_VERSION}-{recipe_key(recipe)}.npz"
    if use_cache and (ds := load_cached(path, "mnist1d")) is not None:
        log.debug("mnist1d from cache %s", path)
        return ds
    t0 = time.perf_counter()
    x, y = generate(recipe)
    split = int(len(y) * recipe["train_split"])
    ds = make_dataset("mnist1d", x[:split, :, None], y[:split], x[split:, :, None], y[split:], CLASS_NAMES)
    log.info("generated mnist1d (%d samples) in %.1f s", len(y), time.perf_counter() - t0)
    if use_cache:
        store_cached(path, ds)
    return ds
