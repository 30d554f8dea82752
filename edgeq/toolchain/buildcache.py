"""edgeq's build cache: one folder per build, named by the hash of everything that goes in.

Host programs and firmware are built in a temporary folder beside their final place and
renamed into it, so a reader never sees a half-built entry and two processes building the
same thing both end with a complete one. Root: ``$EDGEQ_CACHE`` (default ``~/.cache/edgeq``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Mapping


def cache_dir() -> Path:
    """Root of edgeq's build cache."""
    return Path(os.environ.get("EDGEQ_CACHE") or Path.home() / ".cache" / "edgeq")


def content_key(parts: Iterable[str], files: Mapping[str, str]) -> str:
    """A short hash of the build's settings (``parts``) and every source file."""
    h = hashlib.sha256("\0".join(parts).encode())
    for name in sorted(files):
        h.update(b"\0F" + name.encode() + b"\0" + files[name].encode())
    return h.hexdigest()[:24]


def cached_build(kind: str, key: str, files: Mapping[str, str], product: str,
                 build: Callable[[Path], None]) -> Path:
    """The folder ``<cache>/<kind>/<key>`` holding ``product``, built once.

    On a miss the ``files`` are written into a fresh folder, ``build(folder)`` runs there
    (it raises on failure, and the folder is removed), and the folder is renamed into place;
    losing that race to a concurrent identical build is fine (theirs is used)."""
    final = cache_dir() / kind / key
    if (final / product).is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work: Path | None = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=final.parent))
    try:
        for name, text in files.items():
            (work / name).write_text(text)
        build(work)
        try:
            work.rename(final)
        except OSError:
            shutil.rmtree(work, ignore_errors=True)  # a concurrent build won: use it
        work = None
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return final
