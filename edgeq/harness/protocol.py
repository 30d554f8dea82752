"""Host side of the device protocol (DESIGN.md "The device protocol"): the MLPerf Tiny /
EEMBC device-under-test commands plus edgeq's ``edgeq-`` commands.

Transport-agnostic: :class:`Device` talks to anything with ``write(bytes)`` and
``read(n) -> bytes`` that returns what is available within its own short timeout (a
pyserial ``Serial`` on a real port, a QEMU pty, or a socket). Every wait has a deadline;
``alive()`` (optional) lets the caller end a wait early when the emulator has exited.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Protocol as TypingProtocol

from edgeq.errors import TargetError

log = logging.getLogger(__name__)

MAX_DB_BYTES = 31  # per `db` command: what the MLCommons runner sends
MAX_COMMAND = 80
READY = "m-ready"
FAULT_PREFIX = "m-edgeq-fault-["
CYCLES_PREFIX = "m-edgeq-cycles-["


class Transport(TypingProtocol):
    def write(self, data: bytes) -> int | None: ...

    def read(self, size: int = 1) -> bytes: ...


class DeviceFault(TargetError):
    """The firmware reported a fault (HardFault: CFSR, PC) over the UART."""


def db_commands(data: bytes, chunk: int = MAX_DB_BYTES) -> list[str]:
    """The ``db load N%`` command and the ``db HEX%`` commands that carry ``data``."""
    if not 1 <= chunk <= MAX_DB_BYTES:
        raise ValueError(f"chunk must be 1..{MAX_DB_BYTES}")
    cmds = [f"db load {len(data)}%"]
    cmds += [f"db {data[i:i + chunk].hex()}%" for i in range(0, len(data), chunk)]
    return cmds


def _bracket(line: str, prefix: str) -> str:
    if not (line.startswith(prefix + "[") and line.endswith("]")):
        raise TargetError(f"unexpected reply {line[:80]!r} (wanted {prefix}[...])")
    return line[len(prefix) + 1:-1]


def parse_results(line: str) -> list[float]:
    """``m-results-[0.123,-1.000]`` -> [0.123, -1.0]."""
    body = _bracket(line, "m-results-")
    return [float(v) for v in body.split(",")] if body.strip() else []


def parse_hex(line: str, prefix: str) -> bytes:
    """``m-edgeq-out-[8f71]`` (prefix ``m-edgeq-out-``) -> b'\\x8f\\x71'."""
    try:
        return bytes.fromhex(_bracket(line, prefix))
    except ValueError:
        raise TargetError(f"bad hex in reply {line[:80]!r}") from None


def parse_info(line: str) -> dict[str, str]:
    """``m-edgeq-info-[in=9216,out=2]`` -> {"in": "9216", "out": "2"}."""
    body = _bracket(line, "m-edgeq-info-")
    return dict(item.split("=", 1) for item in body.split(",") if "=" in item)


def parse_cycles(line: str) -> int | None:
    """``m-edgeq-cycles-[1234]`` -> 1234; ``m-edgeq-cycles-[0]`` -> None: a cycle counter
    that does not count (an emulator's DWT reads 0) measured nothing."""
    body = _bracket(line, CYCLES_PREFIX[:-1])
    try:
        value = int(body)
    except ValueError:
        raise TargetError(f"bad cycle count in reply {line[:80]!r}") from None
    return value or None


def parse_fault(line: str) -> dict[str, str]:
    """``m-edgeq-fault-[HardFault cfsr=0x.. pc=0x..]`` -> {"kind": "HardFault", "cfsr": ...}."""
    body = line[line.index(FAULT_PREFIX) + len(FAULT_PREFIX):].rstrip("]")
    words = body.split()
    fault = {"kind": words[0] if words and "=" not in words[0] else "fault"}
    fault.update(w.split("=", 1) for w in words if "=" in w)
    return fault


@dataclass(frozen=True)
class InferReply:
    """What ``infer N W%`` answered."""

    count: int
    warmups: int
    lap_us: tuple[int, int]
    results: tuple[float, ...]
    # core cycles per inference from ``m-edgeq-cycles-[C]`` (a board that counts them:
    # DWT->CYCCNT); None when the firmware sends none or 0 (an emulator's DWT does not count)
    cycles: int | None = None

    @property
    def us_per_inference(self) -> float:
        return (self.lap_us[1] - self.lap_us[0]) / max(self.count, 1)


class Device:
    """A device-under-test speaking the protocol over ``transport``."""

    def __init__(self, transport: Transport, *, timeout: float = 30.0,
                 alive: Callable[[], bool] | None = None, on_fault: Callable[[dict], str] | None = None):
        self.transport = transport
        self.timeout = timeout
        self.alive = alive or (lambda: True)
        self.on_fault = on_fault
        self._buf = b""
        self.transcript: list[str] = []

    # -- lines --------------------------------------------------------------------------
    def _readline(self, deadline: float) -> str | None:
        while b"\n" not in self._buf:
            if time.monotonic() > deadline:
                return None
            chunk = self.transport.read(4096)
            if chunk:
                self._buf += chunk
            elif not self.alive():
                chunk = self.transport.read(4096)  # whatever was still buffered
                if not chunk:
                    return None
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        text = line.decode(errors="replace").strip()
        self.transcript.append(text)
        log.debug("< %s", text)
        return text

    def _check_fault(self, line: str) -> None:
        if FAULT_PREFIX in line:
            fault = parse_fault(line)
            if self.on_fault:
                raise DeviceFault(self.on_fault(fault))
            raise DeviceFault("the firmware faulted: " + " ".join(f"{k}={v}" for k, v in fault.items()))

    def send(self, command: str) -> None:
        """Send one command (``%`` appended when missing)."""
        if not command.endswith("%"):
            command += "%"
        if len(command) - 1 > MAX_COMMAND:
            raise ValueError(f"command longer than {MAX_COMMAND} characters")
        log.debug("> %s", command)
        self.transport.write(command.encode())

    def command(self, command: str, timeout: float | None = None) -> list[str]:
        """Send a command; return its reply lines up to (without) ``m-ready``. An ``e-[...]``
        line raises TargetError; a fault report raises DeviceFault; silence past the
        deadline raises TargetError."""
        self.send(command)
        return self.wait_ready(timeout, what=command if command.endswith("%") else command + "%")

    def wait_ready(self, timeout: float | None = None, what: str = "the device") -> list[str]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        lines: list[str] = []
        while True:
            line = self._readline(deadline)
            if line is None:
                state = "the emulator exited" if not self.alive() else f"no reply within {self.timeout if timeout is None else timeout:g} s"
                raise TargetError(f"{what}: {state} (the firmware hung, locked up or crashed)")
            if not line:
                continue
            self._check_fault(line)
            if line == READY:
                errors = [ln for ln in lines if ln.startswith("e-[")]
                if errors:
                    raise TargetError(f"device refused {what}: {errors[0]}")
                return lines
            lines.append(line)

    def sync(self, timeout: float | None = None, interval: float = 0.5) -> None:
        """Resynchronize after connecting (output sent before the host opened the port is
        lost, a command may arrive half-read): send ``edgeq-sync-K%`` with a fresh K each
        ``interval`` until the answer to the latest K (any protocol firmware answers
        ``e-[Unknown command: edgeq-sync-K]``, then ``m-ready``) arrives; everything before
        it is discarded, so the next command's reply starts clean."""
        total = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + total
        k = 0
        while time.monotonic() < deadline:
            k += 1
            # a '%' first ends any half-received command left in the device's buffer
            self.transport.write(f"%edgeq-sync-{k}%".encode())
            wanted = f"edgeq-sync-{k}]"
            seen = False
            step = min(time.monotonic() + interval, deadline)
            while True:
                line = self._readline(step)
                if line is None:
                    if not self.alive():
                        raise TargetError("the emulator exited before the device answered")
                    break
                self._check_fault(line)
                if line.endswith(wanted):
                    seen = True
                elif seen and line == READY:
                    return
        raise TargetError(f"the device did not answer within {total:g} s (no protocol reply)")

    # -- commands -----------------------------------------------------------------------
    def name(self) -> str:
        lines = self.command("name")
        return _bracket(next(ln for ln in lines if ln.startswith("m-name-dut-")), "m-name-dut-")

    def load(self, data: bytes) -> None:
        """``db load N`` then the ``db`` commands; checks ``m-load-done`` at the end."""
        cmds = db_commands(data)
        lines = self.command(cmds[0])
        if f"m-[Expecting {len(data)} bytes]" not in lines:
            raise TargetError(f"db load {len(data)}: unexpected reply {lines}")
        for i, cmd in enumerate(cmds[1:], 1):
            lines = self.command(cmd)
            if i == len(cmds) - 1 and "m-load-done" not in lines:
                raise TargetError(f"the device did not confirm the load (m-load-done): {lines}")

    def infer(self, count: int = 1, warmups: int = 0, timeout: float | None = None) -> InferReply:
        lines = self.command(f"infer {count} {warmups}", timeout)
        laps = [int(ln[len("m-lap-us-"):]) for ln in lines if ln.startswith("m-lap-us-")]
        res = [ln for ln in lines if ln.startswith("m-results-")]
        if len(laps) != 2 or not res or "m-infer-done" not in lines:
            raise TargetError(f"unexpected infer reply: {lines}")
        cyc = [ln for ln in lines if ln.startswith(CYCLES_PREFIX)]
        return InferReply(count, warmups, (laps[0], laps[1]), tuple(parse_results(res[-1])),
                          parse_cycles(cyc[-1]) if cyc else None)

    def results(self) -> list[float]:
        lines = self.command("results")
        return parse_results(next(ln for ln in lines if ln.startswith("m-results-")))

    def raw_output(self) -> bytes:
        """``edgeq-out%``: the raw output bytes of the last inference."""
        lines = self.command("edgeq-out")
        return parse_hex(next(ln for ln in lines if ln.startswith("m-edgeq-out-")), "m-edgeq-out-")

    def info(self) -> dict[str, str]:
        lines = self.command("edgeq-info")
        return parse_info(next(ln for ln in lines if ln.startswith("m-edgeq-info-")))

    def exit(self) -> None:
        """``edgeq-exit%``: end the run (semihosting exit 0)."""
        self.send("edgeq-exit")
