"""nRF52840 boards (edgeq/targets/nrf52.py, firmware_templates/boards/nrf52/): the board data,
and `edgeq build --target` for person_detect and hello_world on each board: the firmware links
at the board's flash address, fits the part, has its vector table (with the UARTE0 handler)
at the link address and writes the UART the board names. No emulator: QEMU has no nRF52
machine (Renode's nrf52840dk_nrf52840.repl / arduino_nano_33_ble.repl run these images)."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import FIXTURES, need

HELLO = FIXTURES / "hello_world" / "models" / "hello_world_int8.tflite"
PERSON = FIXTURES / "person_detection" / "person_detect.tflite"
BOARDS = ("nrf52840dk", "arduino-nano-33-ble")
KB = 1024
VECTORS = 16 + 48  # system exceptions + the nRF52840's interrupts
UARTE_TXD_PTR = 0x544


# ---- data (no tools) --------------------------------------------------------------------


def test_board_data():
    from edgeq import targets

    b = targets.all_targets()
    dk, nano = b["nrf52840dk"], b["arduino-nano-33-ble"]
    for t in (dk, nano):
        assert (t.family, t.core, t.cycle_model, t.features, t.qemu_machine) == (
            "nrf52", "cortex-m4", "cortex-m4", ("dsp",), None)
        assert t.cpu_flags == b["mps2-an386"].cpu_flags and t.has_fpu
        assert (t.ram.origin, t.ram.size, t.clock_hz) == (0x20000000, 256 * KB, 64_000_000)
        assert (t.uart_base, t.uart_rx_irq, t.baud) == (0x40002000, 2, 115200)  # UARTE0, IRQ UARTE0_UART0
        assert (t.timer_base, t.timer_hz) == (0x40009000, 1_000_000)  # TIMER1: 16 MHz / 2^4
        assert t.flash.origin + t.flash.size == 1024 * KB  # the part's 1 MB ends where it ends
    assert dk.flash.origin == 0x0 and nano.flash.origin == 0x10000  # after the Arduino boot loader
    assert dk.renode_platform == "platforms/boards/nrf52840dk_nrf52840.repl"
    assert nano.renode_platform == "platforms/boards/arduino_nano_33_ble.repl"
    # UART pins in PSEL form (port * 32 + pin): P0.06/P0.08 (the DK's VCP), P1.03/P1.10 (D1/D0)
    assert (dk.defines()["EDGEQ_UART_TX_PIN"], dk.defines()["EDGEQ_UART_RX_PIN"]) == ("6", "8")
    assert (nano.defines()["EDGEQ_UART_TX_PIN"], nano.defines()["EDGEQ_UART_RX_PIN"]) == ("35", "42")
    assert "EDGEQ_HSE_HZ" not in dk.defines()  # nothing of the stm32f4 family's


# ---- builds -----------------------------------------------------------------------------


def _arm_gcc() -> None:
    from edgeq.toolchain import arm

    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")


def _objdump(*args) -> str:
    from edgeq.toolchain import arm

    return subprocess.run([arm.find_tool("objdump"), *map(str, args)], capture_output=True, text=True,
                          check=True).stdout


def _section_words(elf, section: str) -> tuple[int, list[int]]:
    """(address, little-endian 32-bit words) of an ELF section."""
    addr, data = None, b""
    for line in _objdump("-s", "-j", section, elf).splitlines():
        cols = line[1:].split("  ")[0].split() if line.startswith(" ") else []
        if cols and all(re.fullmatch(r"[0-9a-f]+", c) for c in cols):
            addr = int(cols[0], 16) if addr is None else addr
            data += bytes.fromhex("".join(cols[1:]))
    return addr, [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data) - 3, 4)]


def _symbols(elf) -> dict[str, int]:
    out = {}
    for line in _objdump("-t", elf).splitlines():
        parts = line.split()
        if len(parts) >= 2 and re.fullmatch(r"[0-9a-f]{8}", parts[0]):
            out[parts[-1]] = int(parts[0], 16)
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory, edgeq_cmd):
    """`edgeq build MODEL --target BOARD -o DIR` for both models on both boards (once)."""
    _arm_gcc()
    done = {}
    for board in BOARDS:
        for model in (PERSON, HELLO):
            out = tmp_path_factory.mktemp(f"{board}-{model.stem}")
            r = subprocess.run([edgeq_cmd, "build", str(model), "--target", board, "-o", str(out)],
                               check=False, capture_output=True, text=True, timeout=300)
            done[board, model.stem] = (r, out)
    return done


@pytest.mark.parametrize("model", [PERSON.stem, HELLO.stem])
@pytest.mark.parametrize("board", BOARDS)
def test_build_fits_the_part_with_vectors_and_uart_in_place(builds, board, model):
    from edgeq import targets

    t = targets.get(board)
    r, out = builds[board, model]
    assert r.returncode == 0, r.stderr
    elf = out / "firmware.elf"
    assert elf.is_file() and (out / "board.ld").is_file() and (out / "board.c").is_file()
    # the sizes the build reports, within the part (person_detect: ~300 KB flash, ~50 KB RAM)
    text = " ".join(r.stdout.split())
    m = re.search(r"flash ([\d,]+) B .*RAM ([\d,]+) B", text)
    assert m, r.stdout
    flash, ram = (int(g.replace(",", "")) for g in m.groups())
    assert 0 < flash <= t.flash.size and 0 < ram <= t.ram.size
    if model == PERSON.stem:
        assert flash > 250 * KB and ram > 37 * KB  # the weights and the arena are in there
    # the vector table first, at the link address, where VTOR is pointed at reset
    sym = _symbols(elf)
    addr, vec = _section_words(elf, ".isr_vector")
    assert addr == t.flash.origin == sym["edgeq_vectors"] and len(vec) == VECTORS
    assert vec[0] == sym["_estack"] and t.ram.origin < vec[0] <= t.ram.origin + t.ram.size
    assert vec[1] == sym["Reset_Handler"] | 1 and vec[3] == sym["HardFault_Handler"] | 1
    assert vec[16 + t.uart_rx_irq] == sym["UARTE0_UART0_IRQHandler"] | 1
    assert vec[16 + t.uart_rx_irq + 1] == sym["Default_Handler"] | 1
    assert all(t.flash.origin <= v - 1 < t.flash.origin + t.flash.size for v in vec[1:])
    assert "board_cycles" in sym  # the app reports DWT cycles on this family
    # the UART the board names is the one board_putc hands its buffer to: UARTE0's TXD.PTR
    dis = _objdump("-d", "--disassemble=board_putc", elf)
    assert f".word\t0x{t.uart_base:08x}" in dis and f"#{UARTE_TXD_PTR}]" in dis
    # the linker script the build wrote: flash at the board's link address, RAM at 0x20000000
    ld = (out / "board.ld").read_text()
    assert f"ORIGIN = 0x{t.flash.origin:08x}" in ld and "ORIGIN = 0x20000000" in ld
