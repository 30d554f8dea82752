"""STM32 "USART v2" boards (edgeq/targets/stm32v2.py, firmware_templates/boards/stm32v2/):
the board data, and person_detect built for each board with `edgeq build`: it links, fits the
part, reports flash and RAM, and has the series' vector table and the console UART's v2
registers (ISR, TDR) where the board says. No emulator runs here: Renode boots the F7 and H7
builds (see the README), the L4R5 has none."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES, need
from test_stm32_boards import _addresses, _words

MODEL = FIXTURES / "person_detection" / "person_detect.tflite"
BOARDS = ("stm32f746g-disco", "nucleo-h753zi", "nucleo-l4r5zi")
KB = 1024
IRQS = {"stm32f746g-disco": 98, "nucleo-h753zi": 150, "nucleo-l4r5zi": 95}  # the part's interrupts
TIM5 = 0x40000C00


# ---- data (no tools) --------------------------------------------------------------------


def test_board_data():
    from edgeq import targets
    from edgeq.toolchain.tflm_lib import fpu_variant

    b = targets.all_targets()
    f7, h7, l4 = (b[n] for n in BOARDS)
    for t in (f7, h7, l4):
        assert t.family == "stm32v2" and t.features == ("dsp",) and t.has_fpu and t.qemu_machine is None
        assert t.flash.origin == 0x08000000 and t.timer_base == TIM5  # 32 bits
        d = t.defines()
        assert sum(d.get(f"EDGEQ_STM32{s}") == "1" for s in ("F7", "H7", "L4")) == 1
        assert int(d["EDGEQ_SYSCLK_HZ"].rstrip("u")) == t.clock_hz
    assert (f7.core, f7.cycle_model, f7.cpu_flags[-1]) == ("cortex-m7", "cortex-m7", "-mfpu=fpv5-sp-d16")
    assert (h7.core, h7.cycle_model, h7.cpu_flags) == ("cortex-m7", "cortex-m7", b["mps2-an500"].cpu_flags)
    assert (l4.core, l4.cycle_model, l4.cpu_flags) == ("cortex-m4", "cortex-m4", b["mps2-an386"].cpu_flags)
    # memory: F746 DTCM + SRAM1 + SRAM2, the H753's AXI SRAM, L4R5 SRAM1 + SRAM2 + SRAM3
    assert (f7.flash.size, f7.ram.origin, f7.ram.size) == (1024 * KB, 0x20000000, 320 * KB)
    assert (h7.flash.size, h7.ram.origin, h7.ram.size) == (2048 * KB, 0x24000000, 512 * KB)
    assert (l4.flash.size, l4.ram.origin, l4.ram.size) == (2048 * KB, 0x20000000, 640 * KB)
    # console: USART1 (ST-LINK VCP on the disco, Renode's usart1), USART3, LPUART1
    assert (f7.uart_base, f7.uart_rx_irq, f7.uart_clock_hz, f7.clock_hz) == (0x40011000, 37, 108_000_000, 216_000_000)
    assert (h7.uart_base, h7.uart_rx_irq, h7.uart_clock_hz, h7.clock_hz) == (0x40004800, 39, 100_000_000, 400_000_000)
    assert (l4.uart_base, l4.uart_rx_irq, l4.uart_clock_hz, l4.clock_hz) == (0x40008000, 70, 120_000_000, 120_000_000)
    d = f7.defines()
    assert (d["EDGEQ_HSE_HZ"], d["EDGEQ_HSE_BYPASS"], d["EDGEQ_UART_TX_PORT"], d["EDGEQ_UART_TX_PIN"],
            d["EDGEQ_UART_RX_PORT"], d["EDGEQ_UART_RX_PIN"], d["EDGEQ_UART_AF"]) == (
        "25000000u", "0", "0", "9", "1", "7", "7")  # PA9 TX, PB7 RX, AF7
    d = h7.defines()
    assert (d["EDGEQ_HSE_HZ"], d["EDGEQ_HSE_BYPASS"], d["EDGEQ_UART_TX_PORT"], d["EDGEQ_UART_TX_PIN"],
            d["EDGEQ_UART_RX_PIN"]) == ("8000000u", "1", "3", "8", "9")
    d = l4.defines()
    assert (d["EDGEQ_HSE_HZ"], d["EDGEQ_UART_TX_PORT"], d["EDGEQ_UART_TX_PIN"], d["EDGEQ_UART_RX_PIN"],
            d["EDGEQ_UART_AF"]) == ("0u", "6", "7", "8", "8")
    # the timer's rate divides every input clock it may see: nominal (APB1 x 2), the reset
    # clock of the fall-back, and Renode's fixed STM32_Timer clock on the H7
    for t, clocks in ((f7, (108_000_000, 16_000_000)), (h7, (200_000_000, 64_000_000, 250_000_000)),
                      (l4, (120_000_000, 4_000_000))):
        for clock in clocks:
            assert clock % t.timer_hz == 0, (t.name, clock)
    assert f7.renode_platform == "platforms/boards/stm32f7_discovery-bb.repl"
    assert h7.renode_platform == "platforms/boards/nucleo_h753zi.repl" and l4.renode_platform is None
    # TFLM's cortex-m7+fp library has double-precision FPU instructions: the F7 gets its own
    assert fpu_variant(f7) == "fpv5-sp-d16"
    assert fpu_variant(h7) is None and fpu_variant(l4) is None and fpu_variant(b["mps2-an500"]) is None


# ---- builds ------------------------------------------------------------------------------


@pytest.mark.emulator
@pytest.mark.parametrize("board", BOARDS)
def test_person_detect_builds_for_the_part(board, edgeq_cmd, tmp_path):
    from test_firmware import _cli

    from edgeq import targets
    from edgeq.toolchain import arm

    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")
    t = targets.get(board)
    r = _cli(edgeq_cmd, "build", MODEL, "--target", board, "-o", tmp_path / "fw")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    m = re.search(r"flash ([\d,]+) B .*RAM ([\d,]+) B", out)
    assert m, out
    flash, ram = (int(g.replace(",", "")) for g in m.groups())
    # the model's ~263 KB of weights; edgeq-micro's ~37 KB arena + 4 KB stack
    assert 263_000 < flash <= t.flash.size and 40_000 < ram < 64 * KB <= t.ram.size
    elf = tmp_path / "fw" / "firmware.elf"
    sym = arm.read_symbols(elf)
    addr, vec = _words(elf, ".isr_vector")
    assert addr == t.flash.origin and len(vec) == 16 + IRQS[board]
    assert vec[0] == sym["_estack"] and t.ram.origin < vec[0] <= t.ram.origin + t.ram.size
    assert vec[1] == sym["Reset_Handler"] | 1 and vec[3] == sym["HardFault_Handler"] | 1
    assert vec[16 + t.uart_rx_irq] == sym["Default_Handler"] | 1
    assert "board_cycles" in sym  # the app reports cycles on this family (EDGEQ_BOARD_CYCLES)
    # the UART the board names is the one the firmware writes, with the v2 layout: TDR at
    # +0x28 after polling ISR at +0x1C (the v1 USART's DR at +4 is not touched)
    putc = _addresses(elf, "board_putc")
    assert {t.uart_base + 0x28, t.uart_base + 0x1C} <= putc and t.uart_base + 4 not in putc
    assert TIM5 + 0x24 in _addresses(elf, "board_ticks")  # TIM5_CNT
