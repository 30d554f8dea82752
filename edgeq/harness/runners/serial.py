"""Run firmware on a real board over a serial port: the same device protocol as the
emulator's pty (DESIGN.md "The device protocol"), 115200 baud by default.

* flashing: pyOCD (``--probe UID``, ``--pyocd-target NAME``; imported only when used: a
  missing pyOCD is a one-line MissingToolError with ``pip install pyocd``) or a user
  command (``--flash-cmd "openocd ... {elf}"``: ``{elf}`` is replaced by the firmware's
  path; run without a shell) or nothing (the board already holds the firmware);
* every wait has a deadline; after a timeout (a board reset by its user, a USB serial
  adapter that dropped bytes) the runner resets the board when it can (pyOCD, or the
  ``reset`` callable given), resynchronizes (``edgeq-sync-K%`` until the latest answer, see
  :meth:`edgeq.harness.protocol.Device.sync`) and retries the sample once;
* latency on hardware is the firmware's timer between ``m-lap-us`` marks (a measurement,
  at the timer's resolution); instructions are not counted (no emulator).

Tested against QEMU's pty as the device (everything but flashing): the port is only a path.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from edgeq.errors import MissingToolError, TargetError

log = logging.getLogger(__name__)

DEFAULT_BAUD = 115200
BOOT = "m-edgeq-boot-"  # the firmware's first line after a reset
PYOCD_HINT = "pip install pyocd"


def available(port: str | None = None) -> str | None:
    """None when pyserial is importable (and ``port`` exists, when given), else why not."""
    try:
        import serial  # noqa: F401
    except ImportError:
        return "pyserial is not installed: pip install pyserial"
    if port is not None and not Path(port).exists() and not port.startswith(("socket://", "rfc2217://", "loop://")):
        return f"serial port {port} not found"
    return None


# ---- flashing ---------------------------------------------------------------------------


def _pyocd():
    try:
        from pyocd.core.helpers import ConnectHelper
        from pyocd.flash.file_programmer import FileProgrammer
    except ImportError:
        raise MissingToolError(f"pyOCD is not installed (needed for --probe/--pyocd-target): {PYOCD_HINT}") from None
    return ConnectHelper, FileProgrammer


def flash(elf: str | Path, *, probe: str | None = None, pyocd_target: str | None = None,
          command: str | None = None, timeout: float = 120.0) -> None:
    """Write ``elf`` to the board: with ``command`` (``{elf}`` replaced by the path), else
    with pyOCD (``probe`` unique id or the only probe, ``pyocd_target`` e.g. ``stm32l4r5zitx``).
    The board is reset and runs the firmware afterwards."""
    elf = str(elf)
    if command:
        argv = [a.replace("{elf}", elf) for a in shlex.split(command)]
        if "{elf}" not in command:
            argv.append(elf)
        log.info("flashing: %s", " ".join(argv))
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        except FileNotFoundError:
            raise MissingToolError(f"flash command not found: {argv[0]}") from None
        except subprocess.TimeoutExpired:
            raise TargetError(f"flash command did not finish within {timeout:g} s: {command}") from None
        if proc.returncode != 0:
            last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or [""]
            raise TargetError(f"flash command failed (exit {proc.returncode}): {last[0][:200]}")
        return
    ConnectHelper, FileProgrammer = _pyocd()
    options = {"target_override": pyocd_target} if pyocd_target else {}
    session = ConnectHelper.session_with_chosen_probe(unique_id=probe, blocking=False, options=options)
    if session is None:
        raise TargetError("no debug probe found" + (f" with id {probe}" if probe else "") + " (pyOCD)")
    with session:
        FileProgrammer(session).program(elf, file_format="elf")
        session.board.target.reset()


def pyocd_reset(probe: str | None = None, pyocd_target: str | None = None) -> Callable[[], None]:
    """A ``reset()`` for :func:`run` that resets the board through its debug probe."""

    def reset() -> None:
        ConnectHelper, _ = _pyocd()
        options = {"target_override": pyocd_target} if pyocd_target else {}
        session = ConnectHelper.session_with_chosen_probe(unique_id=probe, blocking=False, options=options)
        if session is None:
            raise TargetError("no debug probe found for the reset (pyOCD)")
        with session:
            session.board.target.reset()

    return reset


# ---- the port ---------------------------------------------------------------------------


class _PortTransport:
    """pyserial port as a protocol transport: reads what is there within its short timeout."""

    def __init__(self, port):
        self.port = port

    def write(self, data: bytes):
        n = self.port.write(data)
        self.port.flush()
        return n

    def read(self, size: int = 1) -> bytes:
        try:
            return self.port.read(max(1, min(size, self.port.in_waiting or 1)))
        except OSError:  # the device went away (USB unplugged, emulator ended)
            time.sleep(0.01)
            return b""


@contextlib.contextmanager
def connect(port: str, *, baud: int = DEFAULT_BAUD, timeout: float = 30.0, sync_timeout: float | None = None):
    """Open ``port`` and yield a synchronized :class:`edgeq.harness.protocol.Device`."""
    import serial

    from edgeq.harness.protocol import Device

    reason = available(port)
    if reason:
        raise TargetError(reason)
    try:
        sp = serial.serial_for_url(port, baudrate=baud, timeout=0.05)
    except (serial.SerialException, OSError) as exc:
        raise TargetError(f"cannot open serial port {port}: {exc}") from None
    try:
        dev = Device(_PortTransport(sp), timeout=timeout)
        dev.sync(timeout=sync_timeout if sync_timeout is not None else timeout)
        yield dev
    finally:
        sp.close()


# ---- a run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SerialDevice:
    """A real board for ``edgeq bench --port``: where it is and how to flash/reset it."""

    port: str
    baud: int | None = None  # None: the board's (115200)
    probe: str | None = None  # pyOCD probe unique id
    pyocd_target: str | None = None  # pyOCD target type, e.g. stm32l4r5zitx
    flash_cmd: str | None = None  # a user command; {elf} is the firmware's path
    no_flash: bool = False  # the board already runs this firmware
    timeout: float = 30.0

    @property
    def flashes(self) -> bool:
        """Whether the firmware is written to the board before the run."""
        return not self.no_flash and bool(self.flash_cmd or self.probe or self.pyocd_target)

    def reset(self) -> Callable[[], None] | None:
        """How to reset the board after a timeout: through pyOCD when a probe is named."""
        if self.probe or self.pyocd_target:
            return pyocd_reset(self.probe, self.pyocd_target)
        return None


@dataclass(frozen=True)
class SerialResult:
    """Outputs of every sample (one array a model output) and the measured latencies."""

    outputs: tuple[np.ndarray, ...]
    latency_us: tuple[int, ...]  # the firmware timer's m-lap-us difference, one per sample
    resyncs: int  # how many times a sample was retried after a reset/resync
    wall_s: float
    # core cycles of each sample's inference (``m-edgeq-cycles``: DWT->CYCCNT on a board that
    # counts them); None for a sample where the board measured none
    cycles: tuple[int | None, ...] = ()


def run(fw, target, inputs: Sequence[np.ndarray], *, port: str, baud: int | None = None, timeout: float = 30.0,
        reset: Callable[[], None] | None = None, retries: int = 1, model_name: str | None = None,
        progress: Callable[[int, int], None] | None = None, stateful: bool = False,
        reset_state: bool = False) -> SerialResult:
    """Every sample through the firmware on the board at ``port`` (see :func:`drive`)."""
    with connect(port, baud=baud or target.baud, timeout=timeout) as dev:
        return drive(dev, fw, target, inputs, where=f"{target.name} on {port}", reset=reset, retries=retries,
                     model_name=model_name, progress=progress, stateful=stateful, reset_state=reset_state)


def drive(dev, fw, target, inputs: Sequence[np.ndarray], *, where: str, reset: Callable[[], None] | None = None,
          retries: int = 1, model_name: str | None = None, progress: Callable[[int, int], None] | None = None,
          stateful: bool = False, reset_state: bool = False) -> SerialResult:
    """Every sample through the firmware behind ``dev`` (a synchronized
    :class:`edgeq.harness.protocol.Device`: a board's serial port, or an emulator's UART):
    ``db`` load, ``infer 1 0``, ``edgeq-out`` for the raw outputs. A sample that times out is
    retried ``retries`` times after ``reset()`` (when given) and a resync; then TargetError
    names the sample (and ``where``).
    ``model_name``: refuse a board whose firmware (``profile%``'s ``m-model-[...]``) runs
    another model (a board that was not flashed with this build).

    A stateful model (``stateful``): with ``reset_state``, ``edgeq-reset`` clears its state
    before each sample; without, the state carries from sample to sample, so a sample that
    fails is not retried (the board's state after it is unknown): TargetError at once."""
    from edgeq.harness.protocol import DeviceFault
    from edgeq.harness.runners.qemu import pack_inputs, unpack_outputs
    from edgeq.toolchain.arm import io_layout, layout_bytes

    payload, n = pack_inputs(fw, inputs)
    rec = len(payload) // n if n else 0
    out_rec = layout_bytes(io_layout(fw.outputs))
    raws, lat, cyc, resyncs = [], [], [], 0
    started = time.monotonic()
    if model_name is not None:
        running = [ln[len("m-model-["):-1] for ln in dev.command("profile") if ln.startswith("m-model-[")]
        if running != [model_name]:
            raise TargetError(f"{where} runs {running[0] if running else 'an unknown model'}, "
                              f"not {model_name}: flash it (--probe/--pyocd-target or --flash-cmd)")
    if stateful and not reset_state:
        retries = 0
    for i in range(n):
        sample = payload[i * rec:(i + 1) * rec]
        for attempt in range(retries + 1):
            try:
                seen = len(dev.transcript)
                if stateful and reset_state:
                    dev.command("edgeq-reset")
                dev.load(sample)
                rep = dev.infer(1, 0)
                raw = dev.raw_output()
                if any(ln.startswith(BOOT) for ln in dev.transcript[seen:]):
                    # the board reset during the sample: its input is gone
                    raise TargetError("the board reset during the sample")
                break
            except DeviceFault:
                raise
            except TargetError as exc:
                if attempt == retries:
                    raise TargetError(f"{where}: sample {i}: {exc}") from None
                log.warning("sample %d: %s; resynchronizing", i, exc)
                resyncs += 1
                if reset is not None:
                    reset()
                dev.sync()
        if len(raw) != out_rec:
            raise TargetError(f"{where}: {len(raw)} output bytes, the firmware should send {out_rec}")
        raws.append(raw)
        lat.append(rep.lap_us[1] - rep.lap_us[0])
        cyc.append(rep.cycles)
        if progress:
            progress(i + 1, n)
    outs = unpack_outputs(fw, b"".join(raws), n)
    return SerialResult(outputs=tuple(outs), latency_us=tuple(lat), resyncs=resyncs, wall_s=time.monotonic() - started,
                        cycles=tuple(cyc))
