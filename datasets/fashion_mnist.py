"""Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (idx files, gzip)."""

from __future__ import annotations

import gzip
import logging
import os
from pathlib import Path

import numpy as np

from edgeq.errors import DataError, MissingToolError

from ._common import Dataset, make_dataset

log = logging.getLogger(__name__)

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
# idx element type codes (third byte of the magic number) -> numpy dtype (big-endian).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an idx file (optionally gzipped) into a numpy array of its declared shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an idx file (bad magic number); reinstall its package")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) - offset != count * dtype.itemsize:
        raise DataError(f"{path} is truncated ({len(raw) - offset} bytes of data, expected {count * dtype.itemsize})")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(tuple(dims))


def load(*, data_dir: str | os.PathLike | None = None) -> Dataset:
    """Fashion-MNIST: x (N, 28, 28, 1) float32 in [0, 1], y int64 0..9; the official
    60,000 / 10,000 split. ``data_dir`` (or ``$EDGEQ_FASHION_MNIST_DIR``) overrides the
    Debian location."""
    root = Path(data_dir or os.environ.get("EDGEQ_FASHION_MNIST_DIR") or DEFAULT_DIR)
    missing = [name for name in _FILES.values() if not (root / name).is_file()]
    if missing:
        raise MissingToolError(
            f"Fashion-MNIST not found in {root} (missing {missing[0]}): "
            "install it with `sudo apt-get install dataset-fashion-mnist`"
        )
    arrays = {key: read_idx(root / name) for key, name in _FILES.items()}
    for split in ("train", "test"):
        if arrays[f"x_{split}"].shape[0] != arrays[f"y_{split}"].shape[0]:
            raise DataError(f"Fashion-MNIST {split} images and labels in {root} differ in count; reinstall the package")
    log.debug("read Fashion-MNIST from %s", root)
    return make_dataset(
        "fashion_mnist",
        (arrays["x_train"].astype(np.float32) / 255.0)[..., None],
        arrays["y_train"],
        (arrays["x_test"].astype(np.float32) / 255.0)[..., None],
        arrays["y_test"],
        CLASS_NAMES,
    )
