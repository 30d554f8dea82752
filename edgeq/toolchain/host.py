"""The host C compiler: discovery, and cached compile+link of generated sources.

Builds are cached under ``$EDGEQ_CACHE`` (default ``~/.cache/edgeq``) in ``host/<hash>/``,
where the hash covers every source's name and bytes, the compiler and the flags: the same
sources never compile twice, and a changed byte always rebuilds.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping

from edgeq.errors import MissingToolError, TargetError
from edgeq.toolchain.buildcache import cached_build, content_key

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


def compile_program(sources: Mapping[str, str], *, name: str = "prog") -> Path:
    """Compile ``sources`` (file name -> text; the ``.c`` files are compiled, headers are
    written beside them) into one host executable, reusing a cached build when one exists."""
    cc = find_cc()
    if cc is None:
        raise MissingToolError("no host C compiler found: install gcc (or set CC)")

    def build(work: Path) -> None:
        cfiles = sorted(f for f in sources if f.endswith(".c"))
        proc = subprocess.run([cc, *CFLAGS, "-o", name, *cfiles, *LIBS], cwd=work,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr.strip()[:300])
            raise TargetError(f"host compile failed ({Path(cc).name}): {first}")

    return cached_build("host", content_key((cc, *CFLAGS, *LIBS), sources), sources, name, build) / name
