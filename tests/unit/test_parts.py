"""Part budgets (--part, --flash-kb/--ram-kb) and the board table: pure data, no tools."""

from __future__ import annotations

import pytest

from edgeq import targets
from edgeq.errors import TargetError
from edgeq.targets import parts


def test_reference_part_is_the_mlperf_tiny_board():
    p = parts.get_part("STM32L4R5ZI")
    assert (p.core, p.flash_bytes, p.ram_bytes, p.clock_hz, p.board) == (
        "cortex-m4", 2048 * 1024, 640 * 1024, 120_000_000, "mps2-an386")
    for name in ("nrf52840", "stm32f746ng", "rp2040"):
        assert parts.get_part(name).name == name


def test_every_part_board_emulates_its_core():
    boards = targets.all_targets()
    for p in parts.PARTS:
        if p.board is not None:
            assert boards[p.board].core == p.core, p.name
            assert p.flash_bytes <= boards[p.board].flash.size and p.ram_bytes <= boards[p.board].ram.size


def test_resolve_part_board_limits_and_clock():
    board, b = parts.resolve(None, "stm32l4r5zi")
    assert board == "mps2-an386" and (b.flash_bytes, b.ram_bytes, b.clock_hz, b.name) == (
        2048 * 1024, 640 * 1024, 120_000_000, "STM32L4R5ZI")
    board, b = parts.resolve(None, "stm32f746ng", ram_kb=100)
    assert board == "mps2-an500" and b.ram_bytes == 100 * 1024 and b.flash_bytes == 1024 * 1024
    board, b = parts.resolve("mps2-an385", None, flash_kb=256)
    assert board == "mps2-an385" and (b.flash_bytes, b.ram_bytes, b.clock_hz) == (256 * 1024, None, None)
    assert parts.resolve("mps2-an386") == ("mps2-an386", None)


@pytest.mark.parametrize("target,part,match", [
    (None, "stm32f9", r"unknown part 'stm32f9'; known parts: .*stm32l4r5zi"),
    (None, "rp2040", r"RP2040 has a cortex-m0plus core, which no board here emulates; give --target BOARD with --flash-kb 2048 --ram-kb 264"),
    ("mps2-an386", "stm32f746ng", r"STM32F746NG has a cortex-m7 core but mps2-an386 emulates a cortex-m4; use --target mps2-an500"),
    (None, None, r"give --target BOARD"),
])
def test_resolve_refusals(target, part, match):
    with pytest.raises(TargetError, match=match):
        parts.resolve(target, part)


def test_board_table():
    b = targets.all_targets()
    assert {"mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547"} <= set(b)
    assert [b[n].core for n in ("mps2-an385", "mps2-an500", "mps2-an505", "mps3-an547")] == [
        "cortex-m3", "cortex-m7", "cortex-m33", "cortex-m55"]
    an505 = b["mps2-an505"]  # boots Secure: the Secure aliases (bit 28) of code, data, UART
    assert (an505.flash.origin, an505.ram.origin, an505.uart_base, an505.timer_hz) == (
        0x10000000, 0x38000000, 0x50200000, 20_000_000)
    an547 = b["mps3-an547"]
    assert (an547.flash.origin, an547.flash.size, an547.ram.origin, an547.uart_base) == (
        0, 512 * 1024, 0x20000000, 0x59303000)
    assert [b[n].cycle_model for n in ("mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547")] == [
        "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]
    assert b["mps2-an505"].defines()["EDGEQ_UART_RX_IRQ"] == "32"
