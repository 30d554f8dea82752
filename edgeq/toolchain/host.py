"""The host C compiler: discovery, and cached compile+link of generated sources.

Builds are cached under ``$EDGEQ_CACHE`` (default ``~/.cache/edgeq``) in ``host/<hash>/``,
where the hash covers every source's name and bytes, the compiler and the flags: the same
sources never compile twice, and a changed byte always rebuilds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

from edgeq.errors import MissingToolError, TargetError

log = logging.getLogger(__name__)

CFLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror")
LIBS = ("-lm",)


def find_cc() -> str | None:
    """The host C compiler: ``$CC`` if set, else the first of cc, gcc, clang on PATH."""
    env = os.environ.get("CC")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return path
    return None


def cache_dir() -> Path:
    """Root of edgeq's build cache."""
    return Path(os.environ.get("EDGEQ_CACHE") or Path.home() / ".cache" / "edgeq")


def compile_program(sources: Mapping[str, str], *, name: str = "prog") -> Path:
    """Compile ``sources`` (file name -> text; the ``.c`` files are compiled, headers are
    written beside them) into one host executable, reusing a cached build when one exists."""
    cc = find_cc()
    if cc is None:
        raise MissingToolError("no host C compiler found: install gcc (or set CC)")
    h = hashlib.sha256()
    h.update(("\0".join((cc, *CFLAGS, *LIBS))).encode())
    for fname in sorted(sources):
        h.update(b"\0F" + fname.encode() + b"\0" + sources[fname].encode())
    key = h.hexdigest()[:24]
    final = cache_dir() / "host" / key
    exe = final / name
    if exe.is_file():
        log.info("host build cache hit %s", final)
        return exe
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=final.parent))
    try:
        for fname, text in sources.items():
            (work / fname).write_text(text)
        cfiles = sorted(f for f in sources if f.endswith(".c"))
        proc = subprocess.run([cc, *CFLAGS, "-o", name, *cfiles, *LIBS], cwd=work,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr.strip()[:300])
            raise TargetError(f"host compile failed ({Path(cc).name}): {first}")
        try:
            work.rename(final)
        except OSError:
            # another process finished the same build first: use theirs
            shutil.rmtree(work, ignore_errors=True)
        work = None
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return exe
