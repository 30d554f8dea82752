"""Firmware host side without tools: size and map parsing, targets, the protocol parser and
the Device state machine against a simulated device-under-test."""

from __future__ import annotations

import time

import pytest

from edgeq.errors import TargetError
from edgeq.harness import protocol
from edgeq.toolchain import arm

SIZE_A = """\
/tmp/fw/firmware.elf  :
section             size        addr
.isr_vector          192           0
.text              11360         192
.weights          243324       11552
.rodata              869      254876
.ARM.exidx             8      255748
.data                 12   536870912
.arena             55296   536870928
.bss                9248   536926224
.noinit                4   536935472
.stack             16384   536935480
.debug_info        27138           0
.comment              38           0
.ARM.attributes       50           0
Total             408555
"""

MAP = """\
Archive member included to satisfy reference by file (symbol)

Memory Configuration

Linker script and memory map

                0x00004000                        STACK_SIZE = 0x4000

.isr_vector     0x00000000       0xc0
 *(.isr_vector)
 .isr_vector    0x00000000       0xc0 startup.o
                0x00000000                edgeq_vectors

.text           0x000000c0     0x2c60
 *(.text .text.*)
 .text          0x00000000        0x0 conv_2d.o
 .text.edgeq_conv_2d_s8
                0x000000c0      0x19c conv_2d.o
                0x000000c0                edgeq_conv_2d_s8
 .text.main     0x0000025c       0x30 main.o
 .text.board_putc
                0x0000028c       0x10 board.o
 .text          0x000026f4      0x134 /usr/lib/arm-none-eabi/lib/thumb/v7e-m+fp/hard/libc_nano.a(lib_a-memcpy.o)
 .text.edgeq_conv_2d_fast
                0x00002828       0x20 conv_2d.o

.weights        0x00002d20    0x3b67c
 *(.rodata.edgeq_t*)
 .rodata.edgeq_t1
                0x00002d20      0x100 edgeq_model.o
OUTPUT(firmware.elf elf32-littlearm)
"""


def test_parse_size_a_keeps_allocated_and_debug_sections():
    secs = arm.parse_size_a(SIZE_A)
    names = [s.name for s in secs]
    assert names[:3] == [".isr_vector", ".text", ".weights"]
    assert "Total" not in names and "section" not in names
    assert next(s for s in secs if s.name == ".arena").addr == 536870928


def test_size_report_breakdown():
    rep = arm.size_report(arm.parse_size_a(SIZE_A))
    assert rep.code_bytes == 192 + 11360 + 8
    assert rep.model_bytes == 243324
    assert rep.rodata_bytes == 869
    assert rep.flash_bytes == rep.code_bytes + rep.model_bytes + rep.rodata_bytes + 12  # + .data image
    assert rep.arena_bytes == 55296 and rep.stack_bytes == 16384
    assert rep.other_ram_bytes == 12 + 9248 + 4
    assert rep.ram_bytes == 55296 + 16384 + 12 + 9248 + 4


def test_parse_map_attributes_code_to_objects():
    m = arm.parse_map(MAP)
    assert m[".text"]["conv_2d.o"] == 0x19C + 0x20
    assert m[".text"]["main.o"] == 0x30
    assert m[".text"]["board.o"] == 0x10
    assert m[".text"]["libc_nano.a(lib_a-memcpy.o)"] == 0x134
    assert m[".isr_vector"]["startup.o"] == 0xC0
    assert m[".weights"]["edgeq_model.o"] == 0x100
    rep = arm.size_report(arm.parse_size_a(SIZE_A), m)
    assert list(rep.code_by_object)[0] == "conv_2d.o"


def test_linker_overflow_message():
    err = "ld: firmware.elf section `.weights' will not fit in region `FLASH'\nld: region `FLASH' overflowed by 1234 bytes"
    assert arm._overflow_message(err) == "FLASH by 1234 bytes"


def test_io_layout_aligns_each_buffer():
    class S:
        def __init__(self, n):
            self.nbytes = n

    assert arm.io_layout([S(9216)]) == ((0, 9216),)
    assert arm.io_layout([S(3), S(8), S(1)]) == ((0, 3), (16, 8), (32, 1))
    assert arm.layout_bytes(arm.io_layout([S(3), S(8), S(1)])) == 33


def test_targets_registry():
    from edgeq import targets

    t = targets.get("mps2-an386")
    assert t.core == "cortex-m4" and t.has_fpu and t.qemu_machine == "mps2-an386"
    assert t.flash.origin == 0 and t.ram.origin == 0x20000000 and t.uart_base == 0x40004000
    assert not targets.get("mps2-an385").has_fpu
    with pytest.raises(TargetError, match="known boards"):
        targets.get("nucleo-f401")


# ---- protocol -----------------------------------------------------------------------------


def test_db_commands_split_in_31_byte_hex_chunks():
    data = bytes(range(70))
    cmds = protocol.db_commands(data)
    assert cmds[0] == "db load 70%"
    assert [len(c) for c in cmds[1:]] == [3 + 62 + 1, 3 + 62 + 1, 3 + 16 + 1]
    assert bytes.fromhex("".join(c[3:-1] for c in cmds[1:])) == data
    assert all(len(c) - 1 <= protocol.MAX_COMMAND for c in cmds)


def test_reply_parsers():
    assert protocol.parse_results("m-results-[0.059,-0.941]") == [0.059, -0.941]
    assert protocol.parse_hex("m-edgeq-out-[8f71]", "m-edgeq-out-") == b"\x8f\x71"
    assert protocol.parse_info("m-edgeq-info-[in=9216,out=2]") == {"in": "9216", "out": "2"}
    f = protocol.parse_fault("m-edgeq-fault-[HardFault cfsr=0x00008200 hfsr=0x40000000 pc=0x00000fa0]")
    assert f == {"kind": "HardFault", "cfsr": "0x00008200", "hfsr": "0x40000000", "pc": "0x00000fa0"}
    with pytest.raises(TargetError):
        protocol.parse_results("m-result-[1]")


class FakeDut:
    """A device-under-test in Python: the firmware's protocol loop, byte by byte."""

    def __init__(self, in_bytes=4, lost_prefix=0, fault_on=None, silent_on=None):
        self.rx = b""
        self.tx = b""
        self.in_bytes = in_bytes
        self.buf = bytearray(in_bytes)
        self.expected = self.count = 0
        self.drop = lost_prefix  # bytes of output the host never sees (pty opened late)
        self.fault_on, self.silent_on = fault_on, silent_on

    def _say(self, line: str) -> None:
        self.tx += (line + "\r\n").encode()

    def write(self, data: bytes):
        self.rx += data
        while b"%" in self.rx:
            cmd, self.rx = self.rx.split(b"%", 1)
            self._handle(cmd.decode())
        return len(data)

    def read(self, size: int = 1) -> bytes:
        if self.drop:
            n = min(self.drop, len(self.tx))
            self.tx, self.drop = self.tx[n:], self.drop - n
        out, self.tx = self.tx[:size], self.tx[size:]
        if not out:
            time.sleep(0.001)
        return out

    def _handle(self, cmd: str) -> None:
        if cmd == self.silent_on:
            return
        if cmd == self.fault_on:
            self._say("m-edgeq-fault-[HardFault cfsr=0x00000400 pc=0x00001234]")
            return
        if cmd == "name":
            self._say("m-name-dut-[fake]")
        elif cmd.startswith("db load "):
            self.expected, self.count = int(cmd[8:]), 0
            self._say(f"m-[Expecting {self.expected} bytes]")
        elif cmd.startswith("db "):
            for b in bytes.fromhex(cmd[3:]):
                self.buf[self.count] = b
                self.count += 1
            if self.count == self.expected:
                self._say("m-load-done")
        elif cmd.startswith("infer"):
            self._say("m-warmup-start-1")
            self._say("m-warmup-done")
            self._say("m-infer-start-2")
            self._say("m-lap-us-100")
            self._say("m-lap-us-300")
            self._say("m-infer-done")
            self._say("m-results-[" + ",".join(f"{b / 10:0.3f}" for b in self.buf) + "]")
        elif cmd == "edgeq-out":
            self._say(f"m-edgeq-out-[{bytes(self.buf).hex()}]")
        else:
            self._say(f"e-[Unknown command: {cmd}]")
        self._say("m-ready")


def test_device_round_trip_after_lost_output():
    dut = FakeDut(lost_prefix=7)
    dut._say("m-edgeq-boot-[x]")  # boot banner, partly lost
    dut._say("m-ready")
    dev = protocol.Device(dut, timeout=2)
    dev.sync()
    assert dev.name() == "fake"
    dev.load(b"\x01\x02\x03\x04")
    rep = dev.infer(2, 1)
    assert rep.lap_us == (100, 300) and rep.us_per_inference == 100
    assert rep.results == (0.1, 0.2, 0.3, 0.4)
    assert dev.raw_output() == b"\x01\x02\x03\x04"


def test_device_errors_timeouts_and_faults():
    dev = protocol.Device(FakeDut(silent_on="infer 1 0", fault_on="boom"), timeout=0.3)
    with pytest.raises(TargetError, match=r"Unknown command: nope"):
        dev.command("nope")
    t0 = time.monotonic()
    with pytest.raises(TargetError, match="no reply within 0.3 s"):
        dev.infer(1, 0)
    assert time.monotonic() - t0 < 2
    with pytest.raises(protocol.DeviceFault, match="cfsr=0x00000400"):
        dev.command("boom")


def test_device_notices_an_exited_emulator():
    dev = protocol.Device(FakeDut(silent_on="name"), timeout=30, alive=lambda: False)
    t0 = time.monotonic()
    with pytest.raises(TargetError, match="emulator exited"):
        dev.command("name")
    assert time.monotonic() - t0 < 2


def test_bench_json_has_every_design_key():
    from edgeq.harness.measure import JSON_KEYS, BenchResult
    from edgeq.report import bench as report

    r = BenchResult(model="m.tflite", target="mps2-an386", runtime="native", clock_hz=25_000_000,
                    flash_bytes=10, ram_bytes=20, arena_bytes=5, model_bytes=4, code_bytes=6,
                    instructions_per_inference=1000, cycles_per_inference_estimate=None, cycle_model=None,
                    latency_ms_estimate=None, samples=2, accuracy=None, host_accuracy=None,
                    bit_exact_vs_tflm=True, mismatched_outputs=0, instruction_method="plugin", instruction_resolution=1)
    d = r.as_json()
    assert list(d)[:len(JSON_KEYS)] == list(JSON_KEYS)
    md = report.render_markdown(r)
    assert "| bit-exact vs TFLM | yes |" in md and "n/a (no labels)" in md
