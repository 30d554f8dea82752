"""The TFLM tensor arena a model needs, measured by the tflite-micro interpreter itself.

The interpreter runs in a child process: the C++ code can crash (or hang) on a hostile
model and prints its figures to the C-level stderr, neither of which a Python caller can
contain in-process. The child builds ``tflite_micro.runtime.Interpreter`` (which allocates
all tensors), calls ``print_allocations()`` and reports "Arena allocation total N bytes".
The wheel's default arena is 10x the model size; when allocation fails for lack of room the
child grows the arena (by what TFLM says is missing) and tries again, up to a cap.

Only the arena's *allocated* total is reported: it is independent of the arena size offered.
It is the host (64-bit) figure, the safe size for headers (DESIGN.md, "The oracle").
"""

from __future__ import annotations

import json
import logging
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Largest arena the child will offer. MCU models need kilobytes to a few megabytes; a model
# that needs more than this is either not an MCU model or a hostile one.
MAX_ARENA_BYTES = 256 * 1024 * 1024
DEFAULT_TIMEOUT_S = 20.0

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
_HEAD = re.compile(r"Arena allocation head (\d+) bytes")
_TAIL = re.compile(r"Arena allocation tail (\d+) bytes")

# The child: model bytes on stdin, TFLM's log on fd 2 (a file the parent owns, so it
# survives a crash), one JSON line on stdout. It reads its own fd 2 back (pread) to see
# whether a failed allocation lacked room ("... missing: N") or failed for another reason.
_CHILD = r"""
import json, os, re, sys
from tflite_micro.python.tflite_micro import runtime

def log_from(pos):
    try:
        return os.pread(2, 1 << 20, pos).decode("utf-8", "replace")
    except OSError:
        return ""

data = sys.stdin.buffer.read()
cap, size = int(sys.argv[1]), int(sys.argv[2])
if size <= 0:  # the wheel's own default is 10x the model; tiny models get a little more
    size = max(len(data) * 10, 64 * 1024)
size = min(size, cap)
for _ in range(32):  # doubling at least: 64 KiB reaches any cap up to 256 GiB
    try:
        pos = os.lseek(2, 0, os.SEEK_END)
    except OSError:  # fd 2 is not a file: no log to read back
        pos = 0
    try:
        interp = runtime.Interpreter.from_bytes(data, arena_size=size)
    except Exception as exc:
        text = log_from(pos)
        missing = re.findall(r"missing: (\d+)", text)
        if missing and size < cap:
            size = min(cap, max(size + int(missing[-1]) + 4096, size * 2))
            continue
        lines = [l.strip() for l in text.splitlines() if l.strip()]
        reason = lines[-1] if lines else f"{type(exc).__name__}: {exc}"
        if missing:
            reason = f"needs more than the {cap} byte cap ({reason})"
        print(json.dumps({"ok": False, "reason": reason, "arena_size": size}), flush=True)
        sys.exit(0)
    break
else:
    print(json.dumps({"ok": False, "reason": "arena kept growing", "arena_size": size}), flush=True)
    sys.exit(0)
interp.print_allocations()
print(json.dumps({"ok": True, "arena_size": size}), flush=True)
"""


@dataclass(frozen=True)
class ArenaResult:
    """The TFLM interpreter's arena total on this host, or None with the reason why not."""

    total_bytes: int | None
    reason: str | None = None
    head_bytes: int | None = None
    tail_bytes: int | None = None

    @property
    def ok(self) -> bool:
        return self.total_bytes is not None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


class ArenaJob:
    """A TFLM arena measurement running in a child process (see :func:`start_tflm_arena`).

    Use it as a context manager, or call :meth:`cancel` when the result is not wanted, so
    that the child never outlives the caller.
    """

    def __init__(self, data: bytes, timeout: float, max_arena_bytes: int, initial_arena_bytes: int = 0):
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._result: ArenaResult | None = None
        self._proc: subprocess.Popen | None = None
        # Files, not pipes, for the model and TFLM's log: nothing blocks while the child
        # imports, and the log survives a crash.
        self._model = tempfile.TemporaryFile()
        self._model.write(data)
        self._model.seek(0)
        self._log = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(int(max_arena_bytes)), str(int(initial_arena_bytes))],
                stdin=self._model,
                stdout=subprocess.PIPE,
                stderr=self._log,
            )
        except OSError as exc:
            self._finish(ArenaResult(None, f"could not start the TFLM interpreter ({exc.strerror})"))

    @classmethod
    def done(cls, result: ArenaResult) -> "ArenaJob":
        """A job that is already over (e.g. the model could not be read)."""
        job = cls.__new__(cls)
        job._timeout, job._deadline, job._proc, job._result = 0.0, 0.0, None, result
        return job

    def _finish(self, result: ArenaResult) -> ArenaResult:
        self._result = result
        self._model.close()
        self._log.close()
        return result

    def cancel(self) -> None:
        """Stop the child (if still running) and drop the result."""
        if self._result is not None:
            return
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._proc is not None:
            self._proc.communicate()
        self._finish(ArenaResult(None, "cancelled"))

    def __enter__(self) -> "ArenaJob":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def result(self) -> ArenaResult:
        """Wait for the child (until the timeout given at start) and parse what it printed."""
        if self._result is not None:
            return self._result
        assert self._proc is not None
        try:
            out, _ = self._proc.communicate(timeout=max(self._deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            return self._finish(ArenaResult(None, f"the TFLM interpreter did not finish in {self._timeout:g} s"))
        self._log.seek(0)
        log_text = self._log.read().decode("utf-8", "replace")
        return self._finish(_parse(self._proc.returncode, out.decode("utf-8", "replace"), log_text))


def _parse(returncode: int, out: str, log_text: str) -> ArenaResult:
    if returncode != 0:
        if returncode < 0:
            try:
                what = f"crashed ({signal.Signals(-returncode).name})"
            except ValueError:
                what = f"was killed by signal {-returncode}"
        else:
            what = f"exited with status {returncode}"
        detail = _last_line(log_text)
        return ArenaResult(None, f"the TFLM interpreter {what}" + (f": {detail}" if detail else ""))

    status: dict = {}
    for line in reversed(out.splitlines()):
        try:
            status = json.loads(line)
            break
        except ValueError:
            continue
    if not status.get("ok"):
        reason = status.get("reason") or _last_line(log_text) or "no result from the TFLM interpreter"
        return ArenaResult(None, f"TFLM could not allocate the model: {reason}")

    total = _TOTAL.findall(log_text)
    if not total:
        return ArenaResult(None, "TFLM printed no 'Arena allocation total' line")
    head, tail = _HEAD.findall(log_text), _TAIL.findall(log_text)
    log.info("TFLM arena: %s bytes (offered %s)", total[-1], status.get("arena_size"))
    return ArenaResult(
        int(total[-1]),
        None,
        int(head[-1]) if head else None,
        int(tail[-1]) if tail else None,
    )


def start_tflm_arena(
    model: bytes | bytearray | str | Path,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_arena_bytes: int = MAX_ARENA_BYTES,
    initial_arena_bytes: int | None = None,
) -> ArenaJob:
    """Start measuring the arena of ``model`` (bytes or a path) in a child process.

    The child runs while the caller does other work (``edgeq inspect`` parses the model
    meanwhile); :meth:`ArenaJob.result` collects it. The first arena offered is
    ``initial_arena_bytes`` (default: 10x the model, at least 64 KiB); it grows on demand
    up to ``max_arena_bytes``.
    """
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
    else:
        try:
            data = Path(model).read_bytes()
        except OSError as exc:
            return ArenaJob.done(ArenaResult(None, f"cannot read the model ({exc.strerror})"))
    return ArenaJob(data, timeout, max_arena_bytes, initial_arena_bytes or 0)


def measure_tflm_arena(
    model: bytes | bytearray | str | Path,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_arena_bytes: int = MAX_ARENA_BYTES,
    initial_arena_bytes: int | None = None,
) -> ArenaResult:
    """Measure the arena TFLM allocates for ``model`` (bytes or a path).

    Never raises for a bad model: a TFLM error, a crash or a timeout gives
    ``ArenaResult(None, reason)``. Give models that :func:`edgeq.model.reader.read_model`
    accepted; the interpreter itself is the last line of defence, not the first.
    """
    return start_tflm_arena(
        model, timeout=timeout, max_arena_bytes=max_arena_bytes, initial_arena_bytes=initial_arena_bytes
    ).result()
