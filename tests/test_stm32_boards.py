"""STM32F4 boards (edgeq/targets/stm32.py, firmware_templates/boards/stm32f4/): the board
data, a build for each board that fits its part with the vector table and UART where they
belong, and hello_world on QEMU's netduinoplus2 bit-exact with TFLM in batch mode and over
the device protocol (no cycles there: QEMU's DWT does not count), a HardFault reported."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from conftest import FIXTURES

HELLO = FIXTURES / "hello_world" / "models" / "hello_world_int8.tflite"
BOARDS = ("netduinoplus2", "stm32f4-discovery", "nucleo-f446re")
KB = 1024
VECTORS = 16 + 97  # system exceptions + the STM32F446's interrupts (the most of the three)


# ---- data (no tools) --------------------------------------------------------------------


def test_board_data():
    from edgeq import targets

    b = targets.all_targets()
    nd, disco, nucleo = (b[n] for n in BOARDS)
    for t in (nd, disco, nucleo):
        assert (t.family, t.core, t.cycle_model, t.features) == ("stm32f4", "cortex-m4", "cortex-m4", ("dsp",))
        assert t.cpu_flags == b["mps2-an386"].cpu_flags and t.has_fpu
        assert (t.flash.origin, t.ram.origin, t.ram.size) == (0x08000000, 0x20000000, 128 * KB)
        assert t.timer_base == 0x40000000  # TIM2, 32 bits
        # the timer's rate divides every input clock it may see: APB1 x 2 = core / 2 at the
        # nominal clock, the 16 MHz HSI of the fall-back
        for clock in (t.clock_hz // 2, 16_000_000):
            assert clock % t.timer_hz == 0, (t.name, clock)
    assert (nd.qemu_machine, nd.uart_base, nd.uart_rx_irq, nd.flash.size, nd.clock_hz) == (
        "netduinoplus2", 0x40011000, 37, 1024 * KB, 168_000_000)
    assert 1_000_000_000 % nd.timer_hz == 0
    assert (disco.qemu_machine, disco.uart_base, disco.uart_rx_irq, disco.clock_hz) == (None, 0x40004400, 38, 168_000_000)
    assert disco.renode_platform == "platforms/boards/stm32f4_discovery-kit.repl"
    assert (nucleo.qemu_machine, nucleo.uart_base, nucleo.flash.size, nucleo.clock_hz) == (
        None, 0x40004400, 512 * KB, 180_000_000)
    d = nucleo.defines()
    assert (d["EDGEQ_HSE_HZ"], d["EDGEQ_HSE_BYPASS"], d["EDGEQ_SYSCLK_HZ"], d["EDGEQ_OVERDRIVE"]) == (
        "8000000u", "1", "180000000u", "1")
    assert nd.defines()["EDGEQ_HSE_HZ"] == "25000000u" and nd.defines()["EDGEQ_UART_TX_PIN"] == "9"
    assert "EDGEQ_HSE_HZ" not in b["mps2-an386"].defines()  # the mps2 boards build as before


def test_cycles_line_parses_zero_as_not_measured():
    from edgeq.errors import TargetError
    from edgeq.harness import protocol

    assert protocol.parse_cycles("m-edgeq-cycles-[123456]") == 123456
    assert protocol.parse_cycles("m-edgeq-cycles-[0]") is None
    with pytest.raises(TargetError):
        protocol.parse_cycles("m-edgeq-cycles-[x]")


# ---- builds and QEMU ------------------------------------------------------------------


def _tools(plugin: bool = False) -> None:
    from test_firmware import _tools as tools

    tools(plugin)


def _words(elf, section: str) -> tuple[int, list[int]]:
    """(address, little-endian 32-bit words) of an ELF section, from objdump -s."""
    from edgeq.toolchain import arm

    text = subprocess.run([arm.find_tool("objdump"), "-s", "-j", section, str(elf)], capture_output=True,
                          text=True, check=True).stdout
    addr, data = None, b""
    for line in text.splitlines():
        words = line[1:].split("  ")[0].split() if line.startswith(" ") else []  # address, hex, then ASCII
        if words and all(re.fullmatch(r"[0-9a-f]+", w) for w in words):
            addr = int(words[0], 16) if addr is None else addr
            data += bytes.fromhex("".join(words[1:]))
    return addr, [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data) - 3, 4)]


def _addresses(elf, name: str) -> set[int]:
    """The addresses one function may reach: each constant it loads (a literal-pool word or a
    move's immediate) plus each offset of its loads and stores (and none)."""
    from edgeq.toolchain import arm

    text = subprocess.run([arm.find_tool("objdump"), "-d", f"--disassemble={name}", str(elf)], capture_output=True,
                          text=True, check=True).stdout
    consts = {int(w, 16) for w in re.findall(r"\.word\s+0x([0-9a-f]+)", text)}
    consts |= {int(w) for w in re.findall(r"\bmov(?:w|\.w)?\s+r\d+, #(\d+)", text)}
    offsets = {0} | {int(o) for o in re.findall(r"\[r\d+, #(\d+)\]", text)}
    return {c + o for c in consts for o in offsets}


@pytest.mark.emulator
@pytest.mark.parametrize("board", BOARDS)
def test_build_fits_the_part_with_vectors_and_uart_in_place(board, tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.codegen import native
    from edgeq.toolchain import arm

    t = targets.get(board)
    fw = arm.build_firmware(native.generate(HELLO, features=t.features), t, tmp_path)
    assert 0 < fw.size.flash_bytes <= t.flash.size and 0 < fw.size.ram_bytes <= t.ram.size
    sym = fw.symbols
    addr, vec = _words(fw.elf, ".isr_vector")
    assert addr == t.flash.origin == 0x08000000 and len(vec) == VECTORS
    assert vec[0] == sym["_estack"] and t.ram.origin < vec[0] <= t.ram.origin + t.ram.size
    assert vec[1] == sym["Reset_Handler"] | 1 and vec[3] == sym["HardFault_Handler"] | 1
    assert vec[16 + t.uart_rx_irq] == sym["Default_Handler"] | 1
    assert "board_cycles" in sym  # the app reports cycles on this family (EDGEQ_BOARD_CYCLES)
    # the UART the board names is the one the firmware writes: its data register (DR, +4)
    assert t.uart_base + 4 in _addresses(fw.elf, "board_putc")


@pytest.mark.emulator
def test_hello_world_bit_exact_on_netduinoplus2():
    _tools()
    from edgeq.harness import measure

    r = measure.bench(HELLO, "netduinoplus2")
    assert r.bit_exact_vs_tflm, r.first_mismatch
    assert r.samples == 4 and r.emulator == "qemu-system-arm -M netduinoplus2" and r.clock_hz == 168_000_000
    assert r.instruction_method in ("plugin", "icount-timer") and 0 < r.instructions_per_inference < 10_000
    if r.instruction_method == "plugin":
        assert r.cycle_model == "cortex-m4-trm" and r.cycles_per_inference_estimate > r.instructions_per_inference
    else:  # the timer under -icount shift=0: TIM2 at 4 MHz of a 1 GHz virtual clock
        assert r.instruction_resolution == 250
    assert 0 < r.stack_used_bytes < r.stack_bytes


@pytest.mark.emulator
def test_protocol_and_fault_on_netduinoplus2(tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.codegen import native
    from edgeq.errors import TargetError
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    t = targets.get("netduinoplus2")
    fw = arm.build_firmware(native.generate(HELLO, features=t.features), t, tmp_path, diag=True)
    x = np.array([[17]], np.int8)
    ref = TflmReference(HELLO.read_bytes()).run(x)[0]
    with qemu.session(fw, t, timeout=20, count_instructions=False) as s:
        assert s.device.name() == "edgeq-micro"
        assert s.device.info()["timer_hz"] == str(t.timer_hz)
        s.device.load(x.tobytes())
        rep = s.device.infer(3, 1)
        assert rep.count == 3 and rep.lap_us[1] >= rep.lap_us[0]
        assert rep.cycles is None  # the firmware sends m-edgeq-cycles-[0]: QEMU's DWT does not count
        assert any(ln == "m-edgeq-cycles-[0]" for ln in s.device.transcript)
        assert s.device.raw_output() == ref.astype(np.int8).tobytes()
    with pytest.raises(TargetError, match=r"faulted on netduinoplus2: HardFault CFSR=0x[0-9a-f]{8} "
                                          r"HFSR=0x[0-9a-f]{8} PC=0x[0-9a-f]{8} in \w+\+0x"):
        with qemu.session(fw, t, timeout=5, count_instructions=False) as s:
            s.device.command("edgeq-fault")
