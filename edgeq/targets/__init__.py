"""Boards as data: one module a board family, one frozen :class:`Target` a board.

Adding a board of an existing family is one ``Target(...)`` entry in that family's module;
a new chip family also gets ``firmware_templates/boards/<family>/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgeq.errors import TargetError


@dataclass(frozen=True)
class Region:
    """A memory region: where it starts and how many bytes it holds."""

    origin: int
    size: int


@dataclass(frozen=True)
class Target:
    """One board: what the compiler, the linker script, the app and the emulator need."""

    name: str
    family: str  # firmware_templates/boards/<family>/
    core: str  # e.g. "cortex-m4"
    cpu_flags: tuple[str, ...]  # -mcpu/-mthumb/-mfloat-abi/-mfpu
    flash: Region
    ram: Region
    uart_base: int
    uart_rx_irq: int
    uart_clock_hz: int
    timer_base: int
    timer_hz: int  # the free-running timer behind m-lap-us (and the icount fallback)
    clock_hz: int  # nominal core clock, for ms figures
    qemu_machine: str | None = None  # None: no emulator for this board
    stack_size: int = 4 * 1024  # the kernels use ~350 B (measured: bench reports stack_used_bytes)
    baud: int = 115200
    cycle_model: str | None = None  # core key of edgeq.harness.cycles.MODELS; None: no estimate
    # what the core offers the kernels: "dsp" (the DSP extension's SIMD MACs: SMLAD, SXTB16),
    # "mve" (Helium); edgeq-micro picks its kernel variants from these
    features: tuple[str, ...] = ()
    description: str = ""
    # further macros for the family's board support, (name, value) pairs: what only that
    # family needs (the stm32f4 and stm32v2 families: crystal frequency, core clock, UART pins)
    board_defines: tuple[tuple[str, str], ...] = ()
    renode_platform: str | None = None  # the Renode platform (.repl) that emulates this board
    # the part as pyOCD names it (``bench --port`` flashes through pyOCD with it unless
    # --flash-cmd/--no-flash; a CMSIS-Pack part needs `pyocd pack install NAME` once)
    pyocd_target: str | None = None

    @property
    def has_fpu(self) -> bool:
        return any(f.startswith("-mfpu=") for f in self.cpu_flags) and "-mfloat-abi=soft" not in self.cpu_flags

    def defines(self) -> dict[str, str]:
        """The board macros the board support and app are compiled with."""
        return {
            "EDGEQ_UART_BASE": f"0x{self.uart_base:08x}u",
            "EDGEQ_UART_RX_IRQ": str(self.uart_rx_irq),
            "EDGEQ_UART_CLOCK_HZ": f"{self.uart_clock_hz}u",
            "EDGEQ_BAUD": f"{self.baud}u",
            "EDGEQ_TIMER_BASE": f"0x{self.timer_base:08x}u",
            "EDGEQ_TIMER_HZ": f"{self.timer_hz}u",
            **dict(self.board_defines),
        }


def all_targets() -> dict[str, Target]:
    """Every known board, by name."""
    from edgeq.targets import mps2, mps2tz, nrf52, stm32, stm32v2

    boards: dict[str, Target] = {}
    for family in (mps2, mps2tz, stm32, stm32v2, nrf52):
        for t in family.TARGETS:
            boards[t.name] = t
    return boards


def get(name: str) -> Target:
    """The board called ``name``; TargetError naming the known boards otherwise."""
    boards = all_targets()
    if name not in boards:
        raise TargetError(f"unknown target {name!r}; known boards: {', '.join(sorted(boards))} (see `edgeq targets`)")
    return boards[name]
