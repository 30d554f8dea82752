"""Run firmware on a Renode-emulated microcontroller (STM32F4 Discovery, nRF52840 DK,
STM32F746 Discovery, Nucleo-H753ZI, ...).

Renode models real parts with their peripherals, where QEMU has a handful of Arm boards. The
firmware's UART is put on a pty (``CreateUartPtyTerminal``), spoken to with pyserial through
:class:`edgeq.harness.protocol.Device`, like :func:`edgeq.harness.runners.qemu.session`.

Instructions are counted exactly: a hook on ``edgeq_bench_begin`` and one on
``edgeq_bench_end`` each append the CPU's ``ExecutedInstructions`` to a file; a span is the
instructions from the first instruction of ``edgeq_bench_begin`` up to (not including) the
first of ``edgeq_bench_end``, the same as edgeq's QEMU plugin counts (an empty span is the
markers' own 5 or so). The count includes interrupt handlers that run inside a span.

Renode is a Mono program (its ``renode`` launcher, a shell script, runs ``mono Renode.exe``;
edgeq runs mono itself when it finds that layout); it runs here

* with a private ``TMPDIR`` and ``HOME`` (a fresh directory each run, removed afterwards): at
  start-up Renode deletes every ``renode-*`` directory in ``$TMPDIR`` that it does not think
  belongs to a live process, and it writes its config and history under ``~/.config/renode``;
* with its monitor on stdin (``--console``), a pipe edgeq holds open: Renode quits when that
  pipe closes, so one whose parent died does not run on;
* in its own process group, killed as a group (SIGTERM, then SIGKILL) on every way out:
  normal end, errors, timeouts, Ctrl-C.

A firmware that jumps outside RAM and flash makes Renode log ``CPU abort`` and stop
executing (it neither exits nor faults); that, an early exit of Renode, and silence past the
deadline become a one-line TargetError. A fault inside a fault handler does not lock up the
CPU as on silicon: it re-enters the handler forever (a hang, ended at the deadline). Renode's
Cortex-M takes an undefined instruction straight to the UsageFault vector (6), enabled or not
(CFSR.UNDEFINSTR set), and a load from unmapped memory reads 0 with a logged warning (no
BusFault): board support that reports faults puts its handler on vectors 3 to 6.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from edgeq.errors import MissingToolError, TargetError
from edgeq.harness.runners.qemu import _HELD, _kill, _no_core_dumps, poll

log = logging.getLogger(__name__)

RENODE = "renode"
INSTALL_HINT = ("install Renode: apt-get install -y --no-install-recommends mono-complete, unpack "
                "../shared/renode/renode-*.tar.xz (e.g. into ~/renode) and set EDGEQ_RENODE to its "
                "renode launcher, or get Renode from renode.io")
BEGIN, END = "edgeq_bench_begin", "edgeq_bench_end"
DEFAULT_START_TIMEOUT = 60.0  # seconds for Renode itself to start and run its script (3-5 s here)
_READY = "edgeq-renode-ready"
_SCRIPT_ERROR = "There was an error executing command"
_CPU_ABORT = "CPU abort"
_LOG_LEVELS = {"noisy": -1, "debug": 0, "info": 1, "warning": 2, "error": 3}
_UART_LINE = re.compile(r"^\s*(\w+)\s*:\s*UART\.\w+\s*@\s*sysbus\s*<?\s*(0[xX][0-9a-fA-F_]+|\d+)")
_USING_LINE = re.compile(r'^\s*using\s+"([^"]+)"')


# ---- finding Renode -------------------------------------------------------------------


def find_renode() -> str | None:
    """The ``renode`` launcher: $EDGEQ_RENODE (a path), else ``renode`` on PATH, else the one
    scripts/setup_renode.sh unpacked into the checkout's .cache/renode/, or None."""
    env = os.environ.get("EDGEQ_RENODE")
    if env:
        path = Path(env).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which(RENODE)
    if found:
        return found
    for path in sorted((Path(__file__).resolve().parents[3] / ".cache" / "renode").glob("renode-*/renode")):
        if os.access(path, os.X_OK):
            return str(path)
    return None


def _missing_reason() -> str | None:
    env = os.environ.get("EDGEQ_RENODE")
    renode = find_renode()
    if renode is None:
        if env:
            return f"Renode not found at EDGEQ_RENODE={env} (no such executable): {INSTALL_HINT}"
        return f"Renode not found ({RENODE} is not on PATH and EDGEQ_RENODE is not set): {INSTALL_HINT}"
    # a Mono build of Renode (output/bin/Release/Renode.exe beside the launcher) needs mono
    if (_root(renode) / "output" / "bin" / "Release" / "Renode.exe").is_file() and shutil.which("mono") is None:
        return f"Renode at {renode} needs Mono, which is not installed: {INSTALL_HINT}"
    return None


def available(target=None) -> str | None:
    """None when Renode can run ``target`` (any Renode board when None) here, else why not."""
    if target is not None and not target.renode_platform:
        return f"{target.name} has no Renode platform"
    return _missing_reason()


def require() -> str:
    """The launcher's path; MissingToolError saying how to install Renode otherwise."""
    reason = _missing_reason()
    if reason:
        raise MissingToolError(reason)
    return find_renode()  # type: ignore[return-value]


def _root(renode: str) -> Path:
    """Renode's install directory (where ``platforms/`` is): the launcher's, links followed."""
    return Path(os.path.realpath(renode)).parent


def platform_path(platform: str | os.PathLike, renode: str | None = None) -> Path:
    """The .repl file: ``platform`` itself when it exists, else relative to Renode's root
    (``platforms/boards/stm32f4_discovery-kit.repl``). TargetError when neither exists."""
    p = Path(platform).expanduser()
    if p.is_file():
        return p.resolve()
    renode = renode or find_renode()
    if renode is not None and not p.is_absolute() and (_root(renode) / p).is_file():
        return _root(renode) / p
    raise TargetError(f"Renode platform {platform} not found" + (f" (nor under {_root(renode)})" if renode else ""))


def uart_peripheral(platform: str | os.PathLike, base: int, renode: str | None = None) -> str:
    """The name (``sysbus.usart2``) of the UART at address ``base`` in a platform description,
    its ``using`` includes followed; TargetError when it has none there."""
    root = _root(renode or find_renode() or ".")
    seen: set[Path] = set()

    def scan(path: Path) -> str | None:
        if path in seen or not path.is_file():
            return None
        seen.add(path)
        for line in path.read_text(errors="replace").splitlines():
            m = _UART_LINE.match(line)
            if m and int(m.group(2).replace("_", ""), 0) == base:
                return f"sysbus.{m.group(1)}"
            m = _USING_LINE.match(line)
            if m:
                inc = m.group(1)
                for cand in ((path.parent / inc), (root / inc)):
                    found = scan(cand.resolve())
                    if found:
                        return found
        return None

    repl = platform_path(platform, renode)
    name = scan(repl)
    if name is None:
        raise TargetError(f"{repl.name} has no UART at 0x{base:08x}")
    return name


# ---- the Renode process ---------------------------------------------------------------


def _command(renode: str, script: Path) -> list[str]:
    """The command line. A Mono build's launcher (a shell script running ``mono Renode.exe``)
    is bypassed: mono itself is then edgeq's child, so nothing it leaves is re-parented
    when Renode is stopped, and a stopped Renode is reaped at once."""
    args = ["--console", "--plain", "--disable-xwt", str(script)]
    exe = _root(renode) / "output" / "bin" / "Release" / "Renode.exe"
    mono = shutil.which("mono")
    if exe.is_file() and mono is not None:
        return [mono, str(exe), *args]
    return [renode, *args]


def _quote(path: Path) -> str:
    text = str(path)
    if any(c in text for c in "\"'\n"):
        raise TargetError(f"Renode cannot take a path with quotes in it: {text!r}")
    return text


def _script(*, elf: Path, platform: Path, uart: str, pty: Path, spans: Path | None,
            markers: tuple[int, int] | None, cpu: str, log_level: str, advance_immediately: bool) -> str:
    """The .resc that loads the board and firmware, puts the UART on a pty and sets the
    marker hooks; it prints a sentinel once all of it ran."""
    lines = [
        'mach create "edgeq"',
        f"machine LoadPlatformDescription @{_quote(platform)}",
        f"sysbus LoadELF @{_quote(elf)}",
        f'emulation CreateUartPtyTerminal "edgeq_uart" "{_quote(pty)}" true',
        f"connector Connect {uart} edgeq_uart",
        f"logLevel {_LOG_LEVELS[log_level]}",
    ]
    if advance_immediately:
        lines.append("emulation SetAdvanceImmediately true")
    if markers is not None and spans is not None:
        for tag, addr in zip("be", markers):
            code = (f"f = open('{_quote(spans)}', 'a'); f.write('{tag} %d\\n' % self.ExecutedInstructions); "
                    "f.close()")
            lines.append(f'{cpu} AddHook 0x{addr & ~1:x} "{code}"')
    # the machine is not started here: edgeq opens the pty first (pyserial's open drops what
    # is waiting), then sends ``start`` to the monitor. The sentinel is joined at run time:
    # an echo of this command (in an error message) does not hold it
    lines.append(f"python \"print('{_READY[:6]}' + '{_READY[6:]}')\"")
    return "\n".join(lines) + "\n"


class _Log:
    """Renode's console output (log and monitor), read incrementally from its file."""

    def __init__(self, path: Path):
        self.path = path
        self._pos = 0
        self._partial = b""
        self.lines: deque[str] = deque(maxlen=400)
        self.ready = False
        self.abort: str | None = None  # the CPU abort line, once seen
        self.script_error: str | None = None

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except OSError:
            return
        if not data:
            return
        self._pos += len(data)
        *complete, self._partial = (self._partial + data).split(b"\n")
        for raw in complete:
            line = raw.decode(errors="replace").replace("\r", "")  # the monitor writes \r\n and leading \r
            self.lines.append(line)
            if _READY in line and _SCRIPT_ERROR not in line:
                self.ready = True
            elif _CPU_ABORT in line and self.abort is None:
                self.abort = line.split("] ", 1)[-1].strip() if "] " in line else line.strip()
            elif line.startswith(_SCRIPT_ERROR) and self.script_error is None:
                self.script_error = line.strip()
            elif self.script_error is not None and self.script_error.endswith("'") and line.strip():
                self.script_error += f": {line.strip()}"  # the reason follows on the next line

    def tail(self, n: int = 3) -> str:
        """The last ``n`` meaningful lines, joined on one line."""
        self.poll()
        keep = [ln.strip() for ln in self.lines if ln.strip() and not ln.strip().startswith("(")]
        return " | ".join(keep[-n:])


@contextlib.contextmanager
def _renode(cmd: list[str], run_dir: Path) -> Iterator[subprocess.Popen]:
    log.info("starting %s", " ".join(cmd))
    tmp, home = run_dir / "tmp", run_dir / "home"
    tmp.mkdir()
    home.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "HOME": str(home)}
    # Ctrl-C (and SIGTERM/SIGHUP) held back while Renode starts, as for QEMU: one arriving
    # inside Popen would leave a running Renode with no handle to stop it
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        with open(run_dir / "renode.log", "wb") as out:
            proc = subprocess.Popen(cmd, cwd=run_dir, env=env, stdin=subprocess.PIPE, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=_no_core_dumps)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        yield proc
    finally:
        _kill(proc)


def _wait_ready(proc: subprocess.Popen, rlog: _Log, timeout: float, what: str) -> None:
    """Until the script has run (the sentinel), Renode stopped, or a command failed."""
    deadline = time.monotonic() + timeout
    while True:
        rlog.poll()
        if rlog.ready:
            return
        if rlog.script_error:
            raise TargetError(f"Renode could not start {what}: {rlog.script_error}")
        rc = poll(proc)
        if rc is not None:
            rlog.poll()
            tail = rlog.tail()
            raise TargetError(f"Renode exited with code {rc} before starting {what}" + (f": {tail}" if tail else ""))
        if time.monotonic() > deadline:
            tail = rlog.tail()
            raise TargetError(f"Renode did not start {what} within {timeout:g} s; it was stopped"
                              + (f" (last output: {tail})" if tail else ""))
        time.sleep(0.05)


def _read_spans(path: Path | None) -> list[int]:
    """Instructions of each begin..end pair in the hooks' file."""
    if path is None or not path.is_file():
        return []
    spans, begin = [], None
    for line in path.read_text().splitlines():
        tag, _, val = line.partition(" ")
        if tag == "b":
            begin = int(val)
        elif tag == "e" and begin is not None:
            spans.append(int(val) - begin)
            begin = None
    return spans


# ---- the UART -------------------------------------------------------------------------


class Transport:
    """The firmware's UART on Renode's pty: ``write(bytes)``, and ``read(size)`` returning what
    arrives within the port's short timeout (``b""`` once Renode has closed the pty)."""

    def __init__(self, port):
        self.port = port
        self._pending = b""  # read while waiting for the first output, not yet handed out

    def write(self, data: bytes) -> int | None:
        n = self.port.write(data)
        self.port.flush()
        return n

    def read(self, size: int = 1, timeout: float | None = None) -> bytes:
        if self._pending:
            out, self._pending = self._pending[:max(1, size)], self._pending[max(1, size):]
            return out
        try:
            if timeout is None:
                return self.port.read(max(1, min(size, self.port.in_waiting or 1)))
            deadline = time.monotonic() + timeout
            while True:
                waiting = self.port.in_waiting
                if waiting or time.monotonic() >= deadline:
                    return self.port.read(max(1, min(size, waiting or 1))) if waiting else b""
                time.sleep(0.005)
        except OSError:  # the emulator closed the pty (it exited): nothing more to read
            time.sleep(0.01)
            return b""

    def read_until(self, marker: bytes, timeout: float) -> bytes:
        """Everything up to and including ``marker``; what came before the deadline (without
        ``marker``) when it does not arrive in time."""
        buf = b""
        deadline = time.monotonic() + timeout
        while marker not in buf and time.monotonic() < deadline:
            buf += self.read(4096)
        if marker in buf:
            cut = buf.index(marker) + len(marker)
            self._pending = buf[cut:] + self._pending
            buf = buf[:cut]
        return buf

    def _wait_output(self, timeout: float, alive: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = self.read(4096)
            if chunk:
                self._pending += chunk
                return True
            if not alive():
                return False
        return False


@dataclass
class Session:
    """A firmware running under Renode with its UART on a pty: ``device`` speaks the protocol
    over ``transport``; ``spans()`` gives the instruction counts of the marker spans so far."""

    device: object  # edgeq.harness.protocol.Device
    transport: Transport
    proc: subprocess.Popen
    spans_file: Path | None
    pty: str
    run_dir: Path
    _log: _Log = field(repr=False)

    def spans(self) -> list[int]:
        """Instructions of each marker span so far (the first is the firmware's calibration
        span when it makes one), exact."""
        return _read_spans(self.spans_file)

    def alive(self) -> bool:
        """Renode is running and its CPU has not stopped on an abort."""
        self._log.poll()
        return poll(self.proc) is None and self._log.abort is None

    def log_tail(self, n: int = 3) -> str:
        """Renode's last output lines, on one line."""
        return self._log.tail(n)


def _diagnose(proc: subprocess.Popen, rlog: _Log, what: str) -> str | None:
    """Why the emulation cannot go on, or None while it runs."""
    rlog.poll()
    if rlog.abort:
        return f"{what}: the emulated CPU stopped: {rlog.abort}"
    rc = poll(proc)
    if rc is not None:
        tail = rlog.tail()
        return f"{what}: Renode exited with code {rc}" + (f": {tail}" if tail else "")
    return None


@contextlib.contextmanager
def session(fw_elf_path: str | os.PathLike, platform: str | os.PathLike, uart: str, *, timeout: float = 30.0,
            sync: bool = True, count_instructions: bool = True, baud: int = 115200, cpu: str = "sysbus.cpu",
            start_timeout: float = DEFAULT_START_TIMEOUT, log_level: str = "warning",
            advance_immediately: bool = False,
            on_fault: Callable[[dict], str] | None = None) -> Iterator[Session]:
    """Run the ELF on a Renode ``platform`` (a .repl path, absolute or relative to Renode's
    root, e.g. ``platforms/boards/stm32f4_discovery-kit.repl``) with the UART peripheral
    ``uart`` (e.g. ``sysbus.usart2``) on a pty, and yield a :class:`Session`.

    ``sync``: synchronize the protocol (:meth:`Device.sync`, like ``qemu.session``) before
    yielding; without it, wait for the firmware's first UART output instead (kept for the
    caller). Either has ``timeout`` seconds; silence past it is a TargetError. Renode's own
    start-up has ``start_timeout``. ``count_instructions``: hook the ELF's
    ``edgeq_bench_begin``/``_end`` (when it has them) for :meth:`Session.spans`.
    Renode is stopped and its files removed when the block ends, however it ends."""
    import serial

    from edgeq.harness.protocol import Device, DeviceFault

    if log_level not in _LOG_LEVELS:
        raise ValueError(f"log_level must be one of {', '.join(_LOG_LEVELS)}")
    renode = require()
    elf = Path(fw_elf_path).expanduser().resolve()
    if not elf.is_file():
        raise TargetError(f"firmware {elf} not found")
    repl = platform_path(platform, renode)
    what = f"{elf.name} on {repl.stem}"
    markers = None
    if count_instructions:
        from edgeq.toolchain.arm import read_symbols

        syms = read_symbols(elf)
        if BEGIN in syms and END in syms:
            markers = (syms[BEGIN], syms[END])
    run_dir = Path(tempfile.mkdtemp(prefix="edgeq-renode-"))
    try:
        pty = run_dir / "uart.pty"
        spans_file = run_dir / "spans.txt" if markers else None
        script = run_dir / "run.resc"
        script.write_text(_script(elf=elf, platform=repl, uart=uart, pty=pty, spans=spans_file, markers=markers,
                                  cpu=cpu, log_level=log_level, advance_immediately=advance_immediately))
        cmd = _command(renode, script)
        with _renode(cmd, run_dir) as proc:
            rlog = _Log(run_dir / "renode.log")
            _wait_ready(proc, rlog, start_timeout, what)
            port = serial.Serial(str(pty), baudrate=baud, timeout=0.05)
            try:
                proc.stdin.write(b"start\n")  # the monitor: run the machine
                proc.stdin.flush()
                transport = Transport(port)
                sess = Session(device=None, transport=transport, proc=proc, spans_file=spans_file,
                               pty=os.path.realpath(pty), run_dir=run_dir, _log=rlog)
                sess.device = Device(transport, timeout=timeout, alive=sess.alive, on_fault=on_fault)
                try:
                    if sync:
                        try:
                            sess.device.sync()
                        except TargetError as exc:
                            if isinstance(exc, DeviceFault):
                                raise
                            why = _diagnose(proc, rlog, what)
                            raise TargetError(why or f"{what}: {exc}; Renode was stopped") from None
                    elif not transport._wait_output(timeout, sess.alive):
                        why = _diagnose(proc, rlog, what)
                        raise TargetError(why or f"{what}: no UART output within {timeout:g} s (the firmware "
                                                  f"hung or did not start); Renode was stopped")
                    yield sess
                except (TargetError, OSError) as exc:
                    if isinstance(exc, DeviceFault):
                        raise
                    why = _diagnose(proc, rlog, what)  # an emulator that stopped says why
                    if why is None or str(exc) == why:
                        raise
                    raise TargetError(why) from None
            finally:
                port.close()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@contextlib.contextmanager
def target_session(fw, target, *, timeout: float = 30.0, count_instructions: bool = True,
                   **kwargs) -> Iterator[Session]:
    """:func:`session` for an edgeq :class:`~edgeq.toolchain.arm.Firmware` on a board with a
    Renode platform, the UART found at the board's ``uart_base`` in the platform: the same
    call as ``qemu.session(fw, target, ...)``."""
    from edgeq.harness.runners.qemu import _describe_fault

    renode = require()
    if not target.renode_platform:
        raise TargetError(f"{target.name} cannot be emulated by Renode (no Renode platform)")
    uart = uart_peripheral(target.renode_platform, target.uart_base, renode)
    kwargs.setdefault("on_fault", lambda f: f"firmware faulted on {target.name}: {_describe_fault(fw, f)}")
    with session(fw.elf, target.renode_platform, uart, timeout=timeout, count_instructions=count_instructions,
                 baud=target.baud, **kwargs) as sess:
        yield sess


# ---- a run: every sample through the protocol --------------------------------------------

DEFAULT_SAMPLE_TIMEOUT = 60.0  # seconds a protocol command may take (an inference included)


def run(fw, target, inputs, *, sample_timeout: float = DEFAULT_SAMPLE_TIMEOUT, count_instructions: bool = True,
        progress: Callable[[int, int], None] | None = None, stateful: bool = False,
        reset_state: bool = False):
    """Every sample through the firmware under Renode, over its UART with the serial
    protocol (``db`` load, ``infer 1 0``, ``edgeq-out``: :func:`serial.drive`): the same
    outputs and exact instruction counts as :func:`qemu.run`'s batch mode (Renode has no
    semihosting to feed files through). Each span less the boot's empty calibration span
    is one inference's instructions. Returns a :class:`qemu.RunResult`."""
    from edgeq.harness.runners import serial
    from edgeq.harness.runners.qemu import RunResult

    started = time.monotonic()
    with target_session(fw, target, timeout=sample_timeout, count_instructions=count_instructions) as sess:
        res = serial.drive(sess.device, fw, target, inputs, where=f"{target.name} (Renode)", retries=0,
                           progress=progress, stateful=stateful, reset_state=reset_state)
        spans = sess.spans() if count_instructions else []
    n = int(res.outputs[0].shape[0]) if res.outputs else 0
    if count_instructions:
        if len(spans) != n + 1:
            raise TargetError(f"{target.name} (Renode): {len(spans)} marker spans counted, expected {n + 1}")
        overhead, instructions, method, resolution = spans[0], tuple(s - spans[0] for s in spans[1:]), "renode", 1
    else:
        overhead, instructions, method, resolution = 0, (), "none", 0
    return RunResult(outputs=res.outputs, instructions=instructions, instruction_method=method,
                     instruction_resolution=resolution, marker_overhead=overhead, status=(0,) * n,
                     wall_s=time.monotonic() - started, total_instructions=None)
