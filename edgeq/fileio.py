"""Writing outputs so that a reader never sees a half-written file.

Every output edgeq writes (models, reports, generated sources, npz results) goes through
here: a temp file in the destination folder, then an atomic rename.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, BinaryIO

import numpy as np

from edgeq.errors import InputFileError


def _write_via_temp(path: Path, fill: Callable[[BinaryIO], None], *, make_parents: bool) -> Path:
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise InputFileError(f"{path.parent}: output directory does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_atomic(path: str | os.PathLike, data: bytes, *, make_parents: bool = False) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    return _write_via_temp(Path(path), lambda f: f.write(data), make_parents=make_parents)


def savez_atomic(path: str | os.PathLike, *, make_parents: bool = False, **arrays: np.ndarray) -> Path:
    """``np.savez`` to ``path`` via a temp file in the same folder and a rename."""
    return _write_via_temp(Path(path), lambda f: np.savez(f, **arrays), make_parents=make_parents)
