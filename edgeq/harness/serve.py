"""``edgeq serve``: an emulated board behind a serial port, for tools that speak the device
protocol themselves (the MLCommons MLPerf Tiny runner, a terminal, a user's script).

QEMU runs the firmware with its UART on a pty that edgeq holds open; the port a host opens
is a second pty of edgeq's own, reached through a stable symlink (default ``./edgeq-dut``).
edgeq relays bytes between the two, and so controls what a host sees:

* the board's boot lines are read by edgeq before the link exists;
* while no host has the port open, what the board says is dropped; when a host opens it,
  edgeq drops whatever an earlier host left unread, then resynchronizes the board
  (``edgeq-sync-K%`` until the latest answer, see ``protocol.Device.sync``: a command an
  earlier host left half-sent is ended, a reply still running is drained) before relaying:
  a host attached at any time sees exactly one reply per command it sends;
* QEMU is killed, and the link removed, on every way out: Ctrl-C, SIGTERM, SIGHUP, QEMU
  dying (with the fault report when the firmware faulted), no host opening the port within
  ``idle_timeout`` seconds.

Timing (``timing``):

* ``realtime`` (default): QEMU counts instructions (``-icount shift=S,align=on``): every
  instruction advances emulated time by 2^S ns, the board timer counts emulated time, and
  ``m-lap-us`` reads microseconds of it, so laps are deterministic (to the 1 us the two
  readings round to: idle time before a lap moves their phase) and mean a core that
  retires one instruction a cycle at 1000/2^S MHz (S = 5, the default: 31.25 MHz, near the
  MPS2 images' 25 MHz). QEMU also paces itself so that emulated time keeps step with this
  machine's clock: a host that times a run (the MLCommons runner wants every performance
  window to last 10 s) sees the same time the laps show.
* ``emulated``: the same deterministic laps, but QEMU runs as fast as it can.
* ``host``: no ``-icount``; laps follow this machine's speed and vary run to run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import tempfile
import termios
import time
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from edgeq.errors import MissingToolError, TargetError, UsageError

log = logging.getLogger(__name__)

DEFAULT_LINK = "edgeq-dut"
POLL_S = 0.02
MAX_SHIFT = 10
DEFAULT_SHIFT = 5
ATTACH_SYNC_S = 600.0  # a new host may find the board in the middle of a long `infer` an earlier host started
TIMINGS = ("realtime", "emulated", "host")


class Stopped(BaseException):
    """serve was asked to stop (a signal) or gave up waiting for a host."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Serving:
    """What a started serve tells its user."""

    link: Path
    pty: str
    board: str
    model: str
    model_id: str
    runtime: str
    timing: str
    mlperf: bool


def timing_note(target, timing: str, shift: int) -> str:
    if timing == "host":
        return ("m-lap-us follows this machine's speed (QEMU without -icount): laps vary run to run and say "
                "nothing about the board")
    ns = 1 << shift
    paced = (", paced to this machine's clock (a 10 s window takes about 10 s)" if timing == "realtime"
             else ", run as fast as this machine can")
    return (f"m-lap-us is emulated time (QEMU -icount shift={shift}): each instruction takes {ns} ns, as on a core "
            f"retiring one instruction a cycle at {1000 / ns:g} MHz ({1000 / ns:g} instructions a microsecond, "
            f"timer resolution {1e6 / target.timer_hz:g} us); a lap's length repeats run to run to 1 us{paced}")


def _check_link(link: Path) -> None:
    if link.exists() and not link.is_symlink():
        raise UsageError(f"{link} exists and is not a symlink: remove it or give --link another path")


def _make_link(link: Path, pty: str) -> None:
    _check_link(link)  # again: the build and boot took a while
    if not link.parent.is_dir():
        raise UsageError(f"--link {link}: {link.parent} is not a directory")
    tmp = link.parent / f".{link.name}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(pty, tmp)
    os.replace(tmp, link)


def _remove_link(link: Path, pty: str) -> None:
    with contextlib.suppress(OSError):
        if link.is_symlink() and os.readlink(link) == pty:
            link.unlink()


class _FdTransport:
    """A non-blocking fd as a protocol transport (reads wait at most 50 ms)."""

    def __init__(self, fd: int):
        self.fd = fd

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        deadline = time.monotonic() + 10
        while view:
            try:
                n = os.write(self.fd, view)
                view = view[n:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TargetError("the board stopped reading its UART") from None
                time.sleep(0.005)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        r, _, _ = select.select([self.fd], [], [], 0.05)
        if not r:
            return b""
        try:
            return os.read(self.fd, size)
        except (BlockingIOError, OSError):
            return b""


def _raw_fd(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    return fd


def _host_attached(master: int) -> bool:
    p = select.poll()
    p.register(master, select.POLLIN)
    return not any(ev & select.POLLHUP for _, ev in p.poll(0))


@contextlib.contextmanager
def _signals_stop():
    """SIGTERM and SIGHUP end serve the way Ctrl-C does: through every finally."""

    def stop(signum, _frame):
        raise Stopped(signal.Signals(signum).name)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def serve(model_path: str | Path, target_name: str, *, runtime: str = "native", model_id: str | None = None,
          link: str | Path = DEFAULT_LINK, kernels: str = "fast", timing: str = "realtime",
          icount_shift: int = DEFAULT_SHIFT,
          idle_timeout: float | None = None, boot_timeout: float = 30.0,
          on_ready: Callable[[Serving], None] | None = None, on_host: Callable[[bool], None] | None = None) -> str:
    """Build (cached) and serve MODEL on an emulated board until stopped; returns why it
    stopped ("SIGINT", "SIGTERM", "SIGHUP", or the idle timeout). QEMU dying is a TargetError."""
    from edgeq import targets
    from edgeq.harness import measure, mlperf
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    if timing not in TIMINGS:
        raise UsageError(f"--timing must be one of {', '.join(TIMINGS)}, not {timing!r}")
    if not 0 <= icount_shift <= MAX_SHIFT:
        raise UsageError(f"--icount-shift must be 0..{MAX_SHIFT}, not {icount_shift}")
    if idle_timeout is not None and idle_timeout <= 0:
        raise UsageError("--idle-timeout must be positive")
    target = targets.get(target_name)
    reason = qemu.available(target)
    if reason:
        raise MissingToolError(reason)
    model_path = Path(model_path)
    link = Path(link).absolute()
    _check_link(link)
    mid = model_id if model_id is not None else model_path.name
    bench = mlperf.benchmark(model_id) if model_id is not None else None
    sources = measure.firmware_sources(model_path, runtime, target, kernels=kernels)
    fw = arm.build_firmware(sources, target, model_id=model_id)

    with _signals_stop(), tempfile.TemporaryDirectory(prefix="edgeq-serve-") as tmp:
        tmp = Path(tmp)
        uart_log = tmp / "uart.log"
        cmd = qemu._command(fw, target, serial=f"pty:{uart_log}", icount=timing != "host", plugin_out=None,
                            batch=False, icount_shift=icount_shift, icount_align=timing == "realtime")
        try:
            with qemu._qemu(cmd, tmp) as proc:
                try:
                    return _serve_board(proc, tmp, target, link, boot_timeout, idle_timeout, on_ready, on_host,
                                        Serving(link=link, pty="", board=target.name, model=model_path.name,
                                                model_id=mid, runtime=runtime,
                                                timing=timing_note(target, timing, icount_shift),
                                                mlperf=bench is not None))
                except TargetError:
                    with contextlib.suppress(Exception):
                        proc.wait(timeout=0.5)
                    if proc.returncode is None:
                        raise
                    uart = uart_log.read_text(errors="replace") if uart_log.exists() else ""
                    raise qemu._exit_error(fw, target, proc.returncode, uart, qemu._stderr(tmp)) from None
        except Stopped as stop:
            return stop.reason
        except KeyboardInterrupt:
            return "SIGINT"


def _serve_board(proc, tmp: Path, target, link: Path, boot_timeout: float, idle_timeout: float | None,
                 on_ready, on_host, serving: Serving) -> str:
    """Open QEMU's pty, read the boot lines, make the host's pty and its link, relay."""
    import dataclasses

    from edgeq.harness.protocol import Device
    from edgeq.harness.runners import qemu

    board_pty = qemu._wait_pty(proc, boot_timeout, tmp)
    qfd = _raw_fd(board_pty)
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        host_pty = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(master, False)
        board = Device(_FdTransport(qfd), timeout=boot_timeout, alive=lambda: qemu.poll(proc) is None)
        board.sync()  # the boot lines are read here, before anyone can open the link
        _make_link(link, host_pty)
        try:
            if on_ready:
                on_ready(dataclasses.replace(serving, pty=host_pty))
            return _relay(proc, qfd, master, host_pty, idle_timeout, on_host)
        finally:
            _remove_link(link, host_pty)
    finally:
        os.close(master)
        os.close(qfd)


class _OpenWatch:
    """Opens and closes of the host's pty, from inotify (Linux): a host that closes the port
    and opens it again between two polls is still seen as a new host. None-safe: where
    inotify is missing, ``create`` returns None and serve watches the pty's hang-up state."""

    IN_OPEN, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE = 0x20, 0x08, 0x10

    def __init__(self, fd: int):
        self.fd = fd

    @classmethod
    def create(cls, path: str) -> "_OpenWatch | None":
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                return None
            if libc.inotify_add_watch(fd, path.encode(), cls.IN_OPEN | cls.IN_CLOSE_WRITE | cls.IN_CLOSE_NOWRITE) < 0:
                os.close(fd)
                return None
        except (OSError, AttributeError):
            return None
        return cls(fd)

    def events(self) -> list[str]:
        """"open" / "close" for each event since the last call, in order."""
        import struct

        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        out, i = [], 0
        while i + 16 <= len(data):
            _wd, mask, _cookie, length = struct.unpack_from("iIII", data, i)
            i += 16 + length
            if mask & self.IN_OPEN:
                out.append("open")
            if mask & (self.IN_CLOSE_WRITE | self.IN_CLOSE_NOWRITE):
                out.append("close")
        return out

    def close(self) -> None:
        os.close(self.fd)


def _relay(proc, qfd: int, master: int, host_pty: str, idle_timeout: float | None,
           on_host: Callable[[bool], None] | None) -> str:
    """Relay bytes between the board (``qfd``) and the host's pty (``master``) until QEMU
    exits (TargetError) or no host has had the port open for ``idle_timeout`` seconds."""
    from edgeq.harness.protocol import Device
    from edgeq.harness.runners import qemu

    watch = _OpenWatch.create(host_pty)
    attached = False
    hosts = 0  # opens of the host's pty not yet closed (inotify)
    idle_since = time.monotonic()
    to_host = b""
    to_board = b""
    try:
        while True:
            if qemu.poll(proc) is not None:
                raise TargetError(f"QEMU exited (code {proc.returncode})")
            r, w, _ = select.select([qfd] + ([master] if attached else []) + ([watch.fd] if watch else []),
                                    ([qfd] if to_board else []) + ([master] if attached and to_host else []),
                                    [], POLL_S)
            # who has the port: before any byte is read, so a new host's bytes go to a synced board
            if watch is not None:
                opened = False
                for ev in watch.events():
                    hosts = hosts + 1 if ev == "open" else max(0, hosts - 1)
                    opened |= ev == "open"
                now_attached, new_host = hosts > 0, opened and hosts > 0
            else:
                now_attached = _host_attached(master)
                new_host = now_attached and not attached
            if new_host:
                # nothing an earlier host left unread, nothing it left half-sent, and a board
                # at a command's start (a reply still running is drained)
                termios.tcflush(master, termios.TCOFLUSH)
                to_host = to_board = b""
                Device(_FdTransport(qfd), timeout=ATTACH_SYNC_S, alive=lambda: qemu.poll(proc) is None).sync()
                log.info("a host opened the port")
                if on_host:
                    on_host(True)
                attached = True
                continue
            if attached and not now_attached:
                attached, to_host = False, b""
                idle_since = time.monotonic()
                log.info("the host closed the port")
                if on_host:
                    on_host(False)
            if not attached and idle_timeout is not None and time.monotonic() - idle_since > idle_timeout:
                return f"no host opened the port for {idle_timeout:g} s"
            if qfd in r:
                with contextlib.suppress(BlockingIOError, OSError):
                    data = os.read(qfd, 4096)
                    if attached:
                        to_host += data
            if attached and master in r:
                with contextlib.suppress(BlockingIOError, OSError):  # EIO: the host closed the port
                    to_board += os.read(master, 4096)
            if qfd in w and to_board:
                with contextlib.suppress(BlockingIOError):
                    to_board = to_board[os.write(qfd, to_board):]
            if attached and master in w and to_host:
                with contextlib.suppress(BlockingIOError, OSError):
                    to_host = to_host[os.write(master, to_host):]
    finally:
        if watch is not None:
            watch.close()
