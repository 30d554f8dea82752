"""Real parts as memory budgets: ``--part NAME`` holds an emulated build to the part's flash
and RAM and turns the cycle estimate into milliseconds at the part's clock.

An emulated board has far more memory than a real microcontroller (the MPS2 images: 4 MB +
4 MB), so a model that "runs" there may not fit the chip it is meant for. A part is data:
its core, on-chip flash and SRAM (total bytes, from the vendor's datasheet) and maximum core
clock. ``board`` names the emulated board with the same core, used when no ``--target`` is
given. The ms figure is an estimate at zero wait states: a real part at full clock adds
flash wait states (hidden in part by its cache/accelerator), which the model does not see.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgeq.errors import TargetError

KB = 1024


@dataclass(frozen=True)
class Part:
    """One microcontroller part: memory budget, core and nominal clock."""

    name: str  # lower case, as given to --part
    display: str
    core: str  # e.g. "cortex-m4"
    flash_bytes: int
    ram_bytes: int
    clock_hz: int
    board: str | None  # emulated board with this core (None: no emulator for the core)
    note: str = ""


PARTS = (
    Part("stm32l4r5zi", "STM32L4R5ZI", "cortex-m4", 2048 * KB, 640 * KB, 120_000_000, "mps2-an386",
         "MLPerf Tiny reference part (NUCLEO-L4R5ZI); SRAM1+2+3"),
    Part("nrf52840", "nRF52840", "cortex-m4", 1024 * KB, 256 * KB, 64_000_000, "mps2-an386",
         "Nordic BLE SoC"),
    Part("stm32f746ng", "STM32F746NG", "cortex-m7", 1024 * KB, 320 * KB, 216_000_000, "mps2-an500",
         "STM32F746G-DISCO; DTCM+SRAM1+SRAM2"),
    Part("stm32f446re", "STM32F446RE", "cortex-m4", 512 * KB, 128 * KB, 180_000_000, "mps2-an386",
         "NUCLEO-F446RE"),
    Part("rp2040", "RP2040", "cortex-m0plus", 2048 * KB, 264 * KB, 133_000_000, None,
         "Raspberry Pi Pico: flash is the board's external 2 MB QSPI; Cortex-M0+ (ARMv6-M) is not emulated here"),
)


def all_parts() -> dict[str, Part]:
    """Every known part, by name."""
    return {p.name: p for p in PARTS}


def get_part(name: str) -> Part:
    """The part called ``name`` (case-insensitive); TargetError naming the known parts otherwise."""
    parts = all_parts()
    key = name.strip().lower()
    if key not in parts:
        raise TargetError(f"unknown part {name!r}; known parts: {', '.join(sorted(parts))} "
                          f"(or give --flash-kb/--ram-kb)")
    return parts[key]


@dataclass(frozen=True)
class Budget:
    """The memory an emulated build is held to, and the clock for ms figures."""

    name: str  # the part's display name, or "--flash-kb/--ram-kb"
    flash_bytes: int | None
    ram_bytes: int | None
    clock_hz: int | None  # None: the board's nominal clock
    part: Part | None = None


def resolve(target_name: str | None, part: str | None = None, flash_kb: int | None = None,
            ram_kb: int | None = None) -> tuple[str, Budget | None]:
    """(board name, budget) from the ``--target/--part/--flash-kb/--ram-kb`` options.

    ``--part`` alone picks the part's emulated board; ``--flash-kb``/``--ram-kb`` override
    the part's figures. A part whose core differs from the board's is refused: its
    instruction counts and cycle model would be another core's."""
    from edgeq import targets

    p = get_part(part) if part else None
    if target_name is None:
        if p is None:
            raise TargetError("give --target BOARD (or --part PART; see `edgeq targets`)")
        if p.board is None:
            raise TargetError(f"{p.display} has a {p.core} core, which no board here emulates; "
                              f"give --target BOARD with --flash-kb {p.flash_bytes // KB} --ram-kb {p.ram_bytes // KB}")
        target_name = p.board
    board = targets.get(target_name)
    if p is not None and p.core != board.core:
        raise TargetError(f"{p.display} has a {p.core} core but {board.name} emulates a {board.core}; "
                          + (f"use --target {p.board}" if p.board else
                             f"use --flash-kb {p.flash_bytes // KB} --ram-kb {p.ram_bytes // KB} instead of --part"))
    if p is None and flash_kb is None and ram_kb is None:
        return target_name, None
    flash = flash_kb * KB if flash_kb else (p.flash_bytes if p else None)
    ram = ram_kb * KB if ram_kb else (p.ram_bytes if p else None)
    name = p.display if p else "--flash-kb/--ram-kb"
    return target_name, Budget(name, flash, ram, p.clock_hz if p else None, p)
