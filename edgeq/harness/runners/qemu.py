"""Run firmware on a QEMU-emulated board (``qemu-system-arm``).

Two ways in, one firmware:

* batch (:func:`run`): the host writes every sample into ``edgeq_in.bin``, sets the
  firmware's ``edgeq_host_request`` word with ``-device loader``, and the firmware reads the
  samples and writes one record a sample to ``edgeq_out.bin`` through semihosting, then exits
  with its status (SYS_EXIT_EXTENDED). Fast: no serial round trips.
* protocol (:func:`session`): QEMU's UART on a pty (``-serial pty``), spoken to with
  pyserial through :class:`edgeq.harness.protocol.Device`.

Instructions are counted exactly by edgeq's TCG plugin (``scripts/qemu_plugin/``, built
by ``scripts/setup.sh``) between the firmware's ``edgeq_bench_begin``/``_end`` markers;
without the plugin, QEMU runs with ``-icount shift=0`` (one instruction = 1 ns of virtual
time) and the board timer's ticks give instructions to its resolution (1e9 / timer_hz: 40
for the 25 MHz CMSDK timer).

Every wait has a deadline, and QEMU is killed on every way out (errors, timeouts, Ctrl-C).
A HardFault is reported by the firmware over the UART (CFSR, PC) and ends the run with exit
code 3; a lockup or a hang ends at the deadline. Both become a one-line TargetError.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from edgeq.errors import DataError, MissingToolError, TargetError
from edgeq.harness import cycles

log = logging.getLogger(__name__)

QEMU = "qemu-system-arm"
APT_HINT = "sudo apt-get install -y qemu-system-arm"
PLUGIN_NAME = "libedgeq_insn.so"
BATCH_MAGIC = 0x45444751
BATCH_RESET_MAGIC = 0x45444752  # a batch that clears the model's state before each sample
EXIT_HARDFAULT = 3
EXIT_UNEXPECTED_EXCEPTION = 4
BEGIN, END = "edgeq_bench_begin", "edgeq_bench_end"
MARK = "edgeq_prof_mark"  # a profile build's marker between ops
_STACK_USED = re.compile(r"m-edgeq-stack-used-\[(\d+)\]")
_ARENA_USED = re.compile(r"m-edgeq-arena-used-\[(\d+)\]")
DEFAULT_SAMPLE_TIMEOUT = 60.0  # seconds without a finished sample before a run is called hung


def find_qemu() -> str | None:
    """Path of qemu-system-arm, or None."""
    return shutil.which(os.environ.get("EDGEQ_QEMU", QEMU))


def available(target=None) -> str | None:
    """None when QEMU can run ``target`` (any emulated board when None) here, else why not."""
    if target is not None and not target.qemu_machine:
        return f"{target.name} has no QEMU machine"
    if find_qemu() is None:
        return f"{QEMU} not found: {APT_HINT}"
    return None


def plugin_path() -> Path | None:
    """The instruction-counting plugin: $EDGEQ_QEMU_PLUGIN, else the one scripts/setup.sh
    built into the checkout's .cache/qemu-plugin/, else $EDGEQ_CACHE/qemu-plugin/."""
    from edgeq.toolchain.buildcache import cache_dir

    env = os.environ.get("EDGEQ_QEMU_PLUGIN")
    if env:
        return Path(env) if Path(env).is_file() else None
    for p in (Path(__file__).resolve().parents[3] / ".cache" / "qemu-plugin" / PLUGIN_NAME,
              cache_dir() / "qemu-plugin" / PLUGIN_NAME):
        if p.is_file():
            return p
    return None


def plugin_missing_reason() -> str | None:
    """None when exact instruction counts are available, else why not."""
    if find_qemu() is None:
        return f"{QEMU} not found: {APT_HINT}"
    if plugin_path() is None:
        return "the QEMU instruction-counting plugin is not built: run scripts/setup.sh (or set EDGEQ_QEMU_PLUGIN)"
    return None


@dataclass(frozen=True)
class RunResult:
    """What a batch run produced: one output array per model output, N samples each, and
    the per-inference instruction counts."""

    outputs: tuple[np.ndarray, ...]
    instructions: tuple[int, ...]
    instruction_method: str  # "plugin" (exact) or "icount-timer"
    instruction_resolution: int  # instructions per count step: 1 for the plugin
    marker_overhead: int  # instructions of an empty marker span, already subtracted
    status: tuple[int, ...]
    wall_s: float
    total_instructions: int | None  # every instruction QEMU executed (plugin only)
    stack_used: int | None = None  # bytes: high-water mark of the painted stack
    arena_used: int | None = None  # bytes the runtime reports using (TFLM: arena_used_bytes())
    cycles_estimate: int | None = None  # all inferences together (edgeq.harness.cycles)
    cycle_model: str | None = None
    # a profile build (``profile=True``): the instructions of every segment between markers,
    # one tuple a span (the calibration span first), and the cycles of each segment (summed
    # over the inference spans; and of the calibration span's segments)
    segments: tuple[tuple[int, ...], ...] | None = None
    segment_cycles: tuple[int, ...] | None = None
    calibration_segment_cycles: tuple[int, ...] | None = None
    segment_block_instructions: tuple[int, ...] | None = None  # the same segments counted from blocks

    @property
    def samples(self) -> int:
        return len(self.status)


# ---- the QEMU process ---------------------------------------------------------------


def _command(fw, target, *, serial: str, icount: bool, plugin_out: Path | None,
             batch: bool, blocks_out: Path | None = None, monitor: str = "none", mark: bool = False,
             reset_state: bool = False,
             icount_shift: int = 0, icount_align: bool = False) -> list[str]:
    qemu = find_qemu()
    if qemu is None:
        raise MissingToolError(f"{QEMU} not found: {APT_HINT}")
    if not target.qemu_machine:
        raise TargetError(f"{target.name} cannot be emulated here (no QEMU machine); flash a real board")
    serial_args = ["-serial", serial]
    if serial.startswith("pty:"):
        # the UART on a pty, and everything it sends also in a log file: what the firmware
        # said just before it exited (a fault report) survives the pty closing
        serial_args = ["-chardev", f"pty,id=uart0,logfile={serial[4:]}", "-serial", "chardev:uart0"]
    cmd = [qemu, "-M", target.qemu_machine, "-display", "none", "-monitor", monitor, *serial_args,
           "-semihosting-config", "enable=on,target=native", "-kernel", str(fw.elf)]
    if icount:
        cmd += ["-icount", f"shift={icount_shift}" + (",align=on" if icount_align else "")]
    if plugin_out is not None:
        plugin = plugin_path()
        args = f"{plugin},begin=0x{fw.symbols[BEGIN] & ~1:x},end=0x{fw.symbols[END] & ~1:x},out={plugin_out}"
        if blocks_out is not None:
            args += f",blocks={blocks_out}"
        if mark:
            args += f",mark=0x{fw.symbols[MARK] & ~1:x}"
        cmd += ["-plugin", args]
    if batch:
        magic = BATCH_RESET_MAGIC if reset_state else BATCH_MAGIC
        cmd += ["-device", f"loader,addr=0x{fw.symbols['edgeq_host_request']:x},data=0x{magic:x},data-len=4"]
    return cmd


def _kill(proc: subprocess.Popen) -> None:
    """Stop an emulator and everything it started (its own process group: QEMU; Renode's
    launcher and the mono under it), waiting for it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # the group's leader may have gone first: whatever is left of its group goes too
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


# Ctrl-C, and the SIGTERM/SIGHUP that `edgeq serve` turns into a stop, wait while QEMU starts
_HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def poll(proc: subprocess.Popen) -> int | None:
    """``proc.poll()`` with Ctrl-C, SIGTERM and SIGHUP held back: their handlers raise
    (KeyboardInterrupt, serve's Stopped), and one raised inside ``poll`` can leave the Popen's
    wait lock taken, after which stopping QEMU times out instead of reaping it. Held, the
    signal arrives just after, outside the lock."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        return proc.poll()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _no_core_dumps() -> None:
    # QEMU aborts on a guest lockup ("qemu: fatal: Lockup"): no core file for that
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # held back in the parent while it starts QEMU


@contextlib.contextmanager
def _qemu(cmd: list[str], cwd: Path) -> Iterator[subprocess.Popen]:
    log.info("starting %s", " ".join(cmd))
    # own session: Ctrl-C in the terminal reaches edgeq (which kills QEMU in finally), and
    # killpg reaches anything QEMU spawned
    # stderr to a file, not a pipe: a chatty QEMU never blocks on a full pipe
    # Ctrl-C (SIGINT; also SIGTERM, SIGHUP) is held back while QEMU starts: one arriving inside Popen (QEMU already
    # running, its Popen not yet returned) would leave no handle to stop it with, an orphan
    # QEMU spinning at full speed; held, it arrives below, where the finally stops QEMU
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        with open(cwd / "qemu.err", "wb") as err:
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=err, start_new_session=True, preexec_fn=_no_core_dumps)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        yield proc
    finally:
        _kill(proc)


def _stderr(cwd: Path) -> str:
    """What QEMU wrote to stderr so far."""
    p = cwd / "qemu.err"
    return p.read_text(errors="replace") if p.exists() else ""


def _symbolize(fw, pc: int) -> str:
    """``function+0xoff`` for a code address, from the ELF's symbols."""
    best = None
    for name, addr in fw.symbols.items():
        a = addr & ~1
        if a <= pc and (best is None or a > best[1]) and not name.startswith(("$", "_s", "_e")):
            best = (name, a)
    return f"{best[0]}+0x{pc - best[1]:x}" if best else "?"


def _describe_fault(fw, fault: dict) -> str:
    kind = fault.get("kind", "fault")
    parts = [kind]
    for key in ("cfsr", "hfsr", "pc"):
        if key in fault:
            parts.append(f"{key.upper()}={fault[key]}")
    if "pc" in fault:
        with contextlib.suppress(ValueError):
            parts.append(f"in {_symbolize(fw, int(fault['pc'], 16))}")
    return " ".join(parts)


def _exit_error(fw, target, rc: int, uart: str, stderr: str) -> TargetError:
    from edgeq.harness.protocol import FAULT_PREFIX, parse_fault

    fault_line = next((ln for ln in uart.splitlines() if FAULT_PREFIX in ln), None)
    if fault_line:
        return TargetError(f"firmware faulted on {target.name}: {_describe_fault(fw, parse_fault(fault_line))}")
    fatal = next((ln for ln in stderr.splitlines() if ln.startswith("qemu: fatal:")), None)
    if fatal and "Lockup" in fatal:
        m = re.search(r"R15=([0-9a-f]{8})", stderr)
        where = f" at PC=0x{m.group(1)} in {_symbolize(fw, int(m.group(1), 16))}" if m else ""
        return TargetError(f"firmware locked up on {target.name}{where} "
                           f"({fatal[len('qemu: fatal: '):].strip()})")
    if fatal:
        return TargetError(f"{target.name}: QEMU stopped: {fatal[len('qemu: fatal: '):].strip()}")
    tail = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return TargetError(f"{target.name}: QEMU ended with exit code {rc}" + (f": {tail[:160]}" if tail else ""))


def _read_spans(path: Path, segments: list | None = None) -> tuple[list[int], int | None]:
    """The spans' instructions and the run's total; a profile run's ``seg`` lines (one
    tuple a span) are appended to ``segments`` when given."""
    spans, total = [], None
    if path.is_file():
        for line in path.read_text().splitlines():
            kind, _, val = line.partition(" ")
            if kind == "span":
                spans.append(int(val))
            elif kind == "total":
                total = int(val)
            elif kind == "seg" and segments is not None:
                segments.append(tuple(int(v) for v in val.split()))
    return spans, total


# ---- batch ----------------------------------------------------------------------------


def pack_inputs(fw, inputs: Sequence[np.ndarray]) -> tuple[bytes, int]:
    """Lay the N samples out as the firmware reads them (see toolchain.arm.io_layout)."""
    from edgeq.toolchain.arm import io_layout, layout_bytes

    if len(inputs) != len(fw.inputs):
        raise DataError(f"the model has {len(fw.inputs)} inputs, got {len(inputs)} arrays")
    layout = io_layout(fw.inputs)
    rec = layout_bytes(layout)
    n = int(inputs[0].shape[0]) if inputs else 0
    buf = np.zeros((n, rec), dtype=np.uint8)
    for spec, (off, nbytes), arr in zip(fw.inputs, layout, inputs):
        arr = np.ascontiguousarray(arr, dtype=spec.numpy_dtype).reshape(n, -1).view(np.uint8)
        if arr.shape[1] != nbytes or arr.shape[0] != n:
            raise DataError(f"input {spec.index}: {arr.shape[1]} bytes a sample, the model takes {nbytes}")
        buf[:, off:off + nbytes] = arr
    return buf.tobytes(), n


def unpack_outputs(fw, raw: bytes, n: int) -> list[np.ndarray]:
    """Split raw output records (layout of toolchain.arm.io_layout) into arrays."""
    from edgeq.harness.runners.host import sample_shape
    from edgeq.toolchain.arm import io_layout, layout_bytes

    layout = io_layout(fw.outputs)
    rec = layout_bytes(layout)
    data = np.frombuffer(raw, dtype=np.uint8).reshape(n, rec)
    outs = []
    for spec, (off, nbytes) in zip(fw.outputs, layout):
        chunk = np.ascontiguousarray(data[:, off:off + nbytes]).view(spec.numpy_dtype)
        outs.append(chunk.reshape((n, *sample_shape(spec.shape))))
    return outs


def run(fw, target, inputs: Sequence[np.ndarray], *, sample_timeout: float = DEFAULT_SAMPLE_TIMEOUT,
        count_instructions: bool = True, progress: Callable[[int, int], None] | None = None,
        profile: bool = False, reset_state: bool = False) -> RunResult:
    """Run every sample through the firmware under QEMU (batch mode). ``inputs[i]`` holds
    input i of all N samples. A run with no finished sample for ``sample_timeout`` seconds
    is a hang: QEMU is killed and TargetError raised. ``profile``: ``fw`` is a profile build;
    the plugin splits every span at its markers (``RunResult.segments``). A stateful model's
    state carries from sample to sample (one firmware run), unless ``reset_state``: then the
    firmware clears it before each sample, outside the measured span."""
    from edgeq.toolchain.arm import io_layout, layout_bytes

    if profile:
        reason = plugin_missing_reason()
        if reason:
            raise MissingToolError(f"a per-op profile needs exact instruction counts: {reason}")
        if MARK not in fw.symbols:
            raise TargetError(f"{fw.elf.name} is not a profile build (no {MARK})")

    payload, n = pack_inputs(fw, inputs)
    out_rec = layout_bytes(io_layout(fw.outputs))
    rec = out_rec + 8  # outputs, timer ticks (u32), status (i32)
    use_plugin = count_instructions and plugin_path() is not None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="edgeq-qemu-") as tmp:
        tmp = Path(tmp)
        (tmp / "edgeq_in.bin").write_bytes(payload)
        spans_file = tmp / "spans.txt"
        blocks_file = tmp / "blocks.txt" if use_plugin and target.cycle_model else None
        cmd = _command(fw, target, serial=f"file:{tmp / 'uart.log'}", icount=count_instructions and not use_plugin,
                       plugin_out=spans_file if use_plugin else None, batch=True, blocks_out=blocks_file,
                       mark=profile, reset_state=reset_state)
        out_file = tmp / "edgeq_out.bin"
        with _qemu(cmd, tmp) as proc:
            done, last_change = -1, time.monotonic()
            while True:
                rc = poll(proc)
                now_done = out_file.stat().st_size // rec if out_file.exists() else 0
                if now_done != done:
                    done, last_change = now_done, time.monotonic()
                    if progress:
                        progress(done, n)
                if rc is not None:
                    break
                if time.monotonic() - last_change > sample_timeout:
                    raise TargetError(
                        f"{target.name}: no sample finished within {sample_timeout:g} s "
                        f"({done} of {n} done): the firmware hung or locked up; QEMU was stopped")
                time.sleep(0.05)
            stderr = _stderr(tmp)
        uart = (tmp / "uart.log").read_text(errors="replace") if (tmp / "uart.log").exists() else ""
        if rc != 0:
            raise _exit_error(fw, target, rc, uart, stderr)
        raw = out_file.read_bytes() if out_file.exists() else b""
        if len(raw) != n * rec:
            raise TargetError(f"{target.name}: the firmware wrote {len(raw)} bytes of results, expected {n * rec}")
        segments: list[tuple[int, ...]] = []
        spans, total = _read_spans(spans_file, segments)
        if blocks_file is not None and blocks_file.is_file() and "mve" in target.features:
            _redisassemble(blocks_file, fw)
        est = cycles.estimate_file(blocks_file, target.cycle_model) if blocks_file is not None else None
        seg_est = (cycles.estimate_segments(blocks_file.read_text(), target.cycle_model)
                   if profile and blocks_file is not None and blocks_file.is_file() else None)
    if profile and (len(segments) != len(spans) or any(sum(g) != s for g, s in zip(segments, spans))):
        raise TargetError(f"instruction plugin: {len(segments)} segmented spans do not match its {len(spans)} spans")
    wall = time.monotonic() - started
    recs = np.frombuffer(raw, dtype=np.uint8).reshape(n, rec)
    outputs = unpack_outputs(fw, recs[:, :out_rec].tobytes(), n)
    ticks = np.ascontiguousarray(recs[:, out_rec:out_rec + 4]).view("<u4").reshape(n)
    status = np.ascontiguousarray(recs[:, out_rec + 4:]).view("<i4").reshape(n)
    stack_used = int(m.group(1)) if (m := _STACK_USED.search(uart)) else None
    if stack_used is not None and fw.size is not None and stack_used >= fw.size.stack_bytes - 16:
        raise TargetError(f"{target.name}: the stack overflowed ({fw.size.stack_bytes} B reserved); "
                          f"raise the board's stack_size")
    if np.any(status != 0):
        bad = int(np.flatnonzero(status)[0])
        raise TargetError(f"{target.name}: edgeq_invoke_n returned {int(status[bad])} for sample {bad}")
    if use_plugin:
        if len(spans) != n + 1:
            raise TargetError(f"instruction plugin saw {len(spans)} marker spans, expected {n + 1}")
        overhead = spans[0]
        instructions = tuple(s - overhead for s in spans[1:])
        method, resolution = "plugin", 1
    elif count_instructions:
        per_tick = round(1e9 / target.timer_hz)
        overhead = 0
        instructions = tuple(int(t) * per_tick for t in ticks)
        method, resolution = "icount-timer", per_tick
    else:
        overhead, instructions, method, resolution = 0, (), "none", 0
    return RunResult(outputs=tuple(outputs), instructions=instructions, instruction_method=method,
                     instruction_resolution=resolution, marker_overhead=overhead,
                     status=tuple(int(s) for s in status), wall_s=wall, total_instructions=total,
                     stack_used=stack_used, cycles_estimate=est[0] if est else None,
                     arena_used=int(m.group(1)) if (m := _ARENA_USED.search(uart)) else None,
                     cycle_model=est[1].name if est else None,
                     segments=tuple(segments) if profile else None,
                     segment_cycles=seg_est.inference if seg_est else None,
                     calibration_segment_cycles=seg_est.calibration if seg_est else None,
                     segment_block_instructions=seg_est.inference_instructions if seg_est else None)


# ---- a bare program ---------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """What the plugin saw of a program run to its exit: the instructions of each marker
    span (the first, empty one included) and the blocks entered in the spans after it."""

    spans: tuple[int, ...]
    total: int | None
    blocks: tuple[cycles.Block, ...]


def trace(fw, target, *, timeout: float = 60.0) -> Trace:
    """Run a program with the ``edgeq_bench_begin``/``_end`` markers (e.g. one built by
    ``toolchain.arm.build_program``) to its exit under QEMU with the instruction plugin.
    A nonzero exit, a fault or ``timeout`` seconds without exiting is a TargetError."""
    reason = plugin_missing_reason()
    if reason:
        raise MissingToolError(reason)
    with tempfile.TemporaryDirectory(prefix="edgeq-qemu-") as tmp:
        tmp = Path(tmp)
        spans_file, blocks_file = tmp / "spans.txt", tmp / "blocks.txt"
        cmd = _command(fw, target, serial=f"file:{tmp / 'uart.log'}", icount=False, plugin_out=spans_file,
                       batch=False, blocks_out=blocks_file)
        with _qemu(cmd, tmp) as proc:
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise TargetError(f"{target.name}: {fw.elf.name} did not exit within {timeout:g} s; "
                                  f"QEMU was stopped") from None
            stderr = _stderr(tmp)
        uart = (tmp / "uart.log").read_text(errors="replace") if (tmp / "uart.log").exists() else ""
        if rc != 0:
            raise _exit_error(fw, target, rc, uart, stderr)
        spans, total = _read_spans(spans_file)
        if blocks_file.is_file() and "mve" in target.features:
            _redisassemble(blocks_file, fw)
        blocks = cycles.parse_blocks(blocks_file.read_text()) if blocks_file.is_file() else []
    return Trace(tuple(spans), total, tuple(blocks))


def _redisassemble(blocks_file: Path, fw) -> None:
    """The blocks file with its MVE instructions as binutils reads them (QEMU's capstone
    does not decode MVE): what the M55 cycle model needs to see."""
    from edgeq.toolchain import arm

    blocks_file.write_text(cycles.redisassemble(blocks_file.read_text(), arm.disassemble(fw.elf)))


# ---- protocol over a pty ----------------------------------------------------------------


class _PtyTransport:
    def __init__(self, port):
        self.port = port

    def write(self, data: bytes):
        return self.port.write(data)

    def read(self, size: int = 1) -> bytes:
        try:
            return self.port.read(max(1, min(size, self.port.in_waiting or 1)))
        except OSError:  # the emulator closed the pty (it exited): nothing more to read
            time.sleep(0.01)
            return b""


@dataclass
class Session:
    """A firmware running under QEMU with its UART on a pty: ``device`` speaks the protocol;
    ``spans()`` gives the instruction counts of the marker spans so far (plugin only)."""

    device: object
    proc: subprocess.Popen
    spans_file: Path | None
    pty: str

    def spans(self) -> list[int]:
        """Instructions of each marker span so far (the first is the empty calibration span)."""
        return _read_spans(self.spans_file)[0] if self.spans_file else []


_PTY_LINE = re.compile(rb"char device redirected to (/dev/pts/\d+)")


def _wait_pty(proc: subprocess.Popen, timeout: float, cwd: Path) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for _key, _ in sel.select(timeout=0.1):
                chunk = os.read(proc.stdout.fileno(), 4096)
                buf += chunk
                m = _PTY_LINE.search(buf)
                if m:
                    return m.group(1).decode()
            if poll(proc) is not None:
                err = _stderr(cwd).strip()
                raise TargetError(f"QEMU exited before opening its serial port: {err.splitlines()[-1] if err else proc.returncode}")
    finally:
        sel.close()
    raise TargetError(f"QEMU did not report its serial pty within {timeout:g} s")


@contextlib.contextmanager
def session(fw, target, *, timeout: float = 30.0, count_instructions: bool = True) -> Iterator[Session]:
    """Start the firmware under QEMU in protocol mode and yield a synchronized
    :class:`Session`. QEMU is stopped when the block ends, however it ends."""
    import serial

    from edgeq.harness.protocol import Device, DeviceFault

    use_plugin = count_instructions and plugin_path() is not None
    with tempfile.TemporaryDirectory(prefix="edgeq-qemu-") as tmp:
        tmp = Path(tmp)
        spans_file = tmp / "spans.txt" if use_plugin else None
        uart_log = tmp / "uart.log"
        cmd = _command(fw, target, serial=f"pty:{uart_log}", icount=count_instructions and not use_plugin,
                       plugin_out=spans_file, batch=False)
        with _qemu(cmd, tmp) as proc:
            pty = _wait_pty(proc, timeout, tmp)
            port = serial.Serial(pty, baudrate=target.baud, timeout=0.05)
            try:
                device = Device(_PtyTransport(port), timeout=timeout, alive=lambda: poll(proc) is None,
                                on_fault=lambda f: f"firmware faulted on {target.name}: {_describe_fault(fw, f)}")
                try:
                    device.sync()
                    yield Session(device=device, proc=proc, spans_file=spans_file, pty=pty)
                except (TargetError, OSError) as exc:
                    if isinstance(exc, DeviceFault):
                        raise
                    try:  # an emulator that is ending says why (lockup, fault exit)
                        proc.wait(timeout=0.3)
                    except subprocess.TimeoutExpired:
                        pass
                    if proc.returncode is None or proc.returncode == 0:
                        raise
                    stderr = _stderr(tmp)
                    uart = uart_log.read_text(errors="replace") if uart_log.exists() else ""
                    raise _exit_error(fw, target, proc.returncode, "\n".join(device.transcript) + "\n" + uart,
                                      stderr) from None
            finally:
                port.close()


# ---- a bare pty board (the device for the serial runner's tests) ---------------------------


@dataclass
class PtyBoard:
    """QEMU running a firmware with its UART on a pty that nobody has opened: what a real
    board on a serial port looks like to :mod:`edgeq.harness.runners.serial`. ``reset()``
    resets the machine (QEMU's monitor ``system_reset``: the image is reloaded and the
    firmware boots again, like a board after its reset button)."""

    pty: str
    proc: subprocess.Popen
    monitor: Path

    def reset(self) -> None:
        """Reset the emulated board (the firmware restarts from its reset vector)."""
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.monitor))
            sock.sendall(b"system_reset\n")
            time.sleep(0.1)  # let the monitor act before the socket closes


@contextlib.contextmanager
def pty_board(fw, target, *, timeout: float = 30.0) -> Iterator[PtyBoard]:
    """Start the firmware under QEMU in protocol mode with the UART on a pty and a monitor
    socket, and yield a :class:`PtyBoard` (not synchronized: the caller opens the pty).
    QEMU is stopped when the block ends."""
    with tempfile.TemporaryDirectory(prefix="edgeq-qemu-") as tmp:
        tmp = Path(tmp)
        monitor = tmp / "monitor.sock"
        cmd = _command(fw, target, serial=f"pty:{tmp / 'uart.log'}", icount=False, plugin_out=None,
                       batch=False, monitor=f"unix:{monitor},server=on,wait=off")
        with _qemu(cmd, tmp) as proc:
            pty = _wait_pty(proc, timeout, tmp)
            yield PtyBoard(pty=pty, proc=proc, monitor=monitor)
