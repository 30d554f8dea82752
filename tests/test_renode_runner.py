"""The Renode runner (edgeq.harness.runners.renode) with a tiny bare-metal program for the
STM32F4 Discovery (USART2): a protocol round trip and an echo over the pty, exact
instruction counts between the markers, and one-line errors with no process left behind
when Renode is missing, crashes, or the firmware hangs or stops the CPU.

Renode is found through EDGEQ_RENODE or PATH; without it these tests skip, unless
EDGEQ_REQUIRE names ``renode``."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import need

pytestmark = pytest.mark.renode

PLATFORM = "platforms/boards/stm32f4_discovery-kit.repl"
UART = "sysbus.usart2"

# The markers and the measured loop are assembly, so the counts do not depend on the
# compiler: a span runs `bx lr` (begin), `mov r4, r0`, n x (subs, bne), `bl edgeq_bench_end`
# = 2n + 3 instructions; the empty span (`bl begin` then `bl end`) is `bx lr` + `bl` = 2.
SPAN_LOOPS = (1000, 50000)
FIRMWARE = r"""
#include <stdint.h>
#define REG(a) (*(volatile uint32_t *)(a))
#define USART2 0x40004400u

__asm__(
    ".syntax unified\n.thumb\n.text\n"
    ".global edgeq_bench_begin\n.type edgeq_bench_begin, %function\n.thumb_func\n"
    "edgeq_bench_begin:\n    bx lr\n"
    ".global edgeq_bench_end\n.type edgeq_bench_end, %function\n.thumb_func\n"
    "edgeq_bench_end:\n    nop\n    bx lr\n"
    ".global empty_span\n.type empty_span, %function\n.thumb_func\n"
    "empty_span:\n    push {r4, lr}\n    bl edgeq_bench_begin\n    bl edgeq_bench_end\n    pop {r4, pc}\n"
    ".global loop_span\n.type loop_span, %function\n.thumb_func\n"
    "loop_span:\n    push {r4, lr}\n    bl edgeq_bench_begin\n    mov r4, r0\n"
    "1:  subs r4, #1\n    bne 1b\n    bl edgeq_bench_end\n    pop {r4, pc}\n");
void empty_span(void);
void loop_span(uint32_t n);

static void putc_(char c) { while (!(REG(USART2) & (1u << 7))) {} REG(USART2 + 4) = (uint8_t)c; }
static void puts_(const char *s) { while (*s) putc_(*s++); }

static int getc_(void) {  /* sleeps while no byte waits; the RX interrupt only wakes WFI */
    while (!(REG(USART2) & (1u << 5))) __asm__ volatile("wfi" ::: "memory");
    return (int)(REG(USART2 + 4) & 0xFF);
}

int main(void) {
    static char line[96];
    unsigned n = 0;
#ifdef HANG
    for (;;) {}
#endif
    REG(0x40023840) |= 1u << 17;                        /* RCC: USART2 clock */
    REG(USART2 + 0x08) = 139;                           /* 115200 baud from the 16 MHz HSI */
    REG(USART2 + 0x0C) = (1u << 13) | (1u << 5) | (1u << 3) | (1u << 2); /* UE RXNEIE TE RE */
    __asm__ volatile("cpsid i");
    REG(0xE000E104) = 1u << (38 - 32);                  /* NVIC: USART2 (IRQ 38) wakes WFI */
    puts_("hello\n");
    empty_span();
    loop_span(SPAN_A);
    loop_span(SPAN_B);
    for (;;) {
        int c = getc_();
        if (c == '!') ((void (*)(void))0x30000001u)();  /* off into unmapped memory */
        if (c != '%' && c != '\n') {
            if (n < sizeof line - 1) line[n++] = (char)c;
            continue;
        }
        line[n] = 0;
        if (c == '\n') {                                /* a line: echoed upper-cased */
            for (unsigned i = 0; i < n; i++) putc_(line[i] >= 'a' && line[i] <= 'z' ? line[i] - 32 : line[i]);
            putc_('\n');
        } else if (n == 4 && line[0] == 'n' && line[1] == 'a' && line[2] == 'm' && line[3] == 'e') {
            puts_("m-name-dut-[renode-test]\r\nm-ready\r\n");
        } else if (n) {                                 /* the protocol's answer to the unknown */
            puts_("e-[Unknown command: "); puts_(line); puts_("]\r\nm-ready\r\n");
        }
        n = 0;
    }
}

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
void Reset_Handler(void) {
    uint32_t *s = &_sidata, *d = &_sdata;
    while (d < &_edata) *d++ = *s++;
    for (d = &_sbss; d < &_ebss; d++) *d = 0;
    main();
    for (;;) {}
}
void Default_Handler(void) { for (;;) {} }
__attribute__((section(".isr_vector"), used)) void (*const vectors[16 + 82])(void) = {
    [0] = (void (*)(void))&_estack, [1] = Reset_Handler, [2 ... 16 + 81] = Default_Handler,
};
"""
LINKER = """
MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 1024K  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 128K }
SECTIONS {
  .isr_vector : { KEEP(*(.isr_vector)) } > FLASH
  .text : { *(.text*) *(.rodata*) } > FLASH
  _sidata = LOADADDR(.data);
  .data : { _sdata = .; *(.data*) _edata = .; } > RAM AT > FLASH
  .bss : { _sbss = .; *(.bss*) *(COMMON) _ebss = .; } > RAM
  _estack = ORIGIN(RAM) + LENGTH(RAM);
}
"""


def _need_renode():
    from edgeq.harness.runners import renode

    reason = renode.available()
    need("renode", reason is None, reason or "")


def _build(tmp_path: Path, *defines: str) -> Path:
    from edgeq.toolchain import arm

    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")
    (tmp_path / "fw.c").write_text(FIRMWARE)
    (tmp_path / "fw.ld").write_text(LINKER)
    elf = tmp_path / ("fw" + "".join(f"_{d.lower()}" for d in defines) + ".elf")
    flags = [f"-DSPAN_A={SPAN_LOOPS[0]}u", f"-DSPAN_B={SPAN_LOOPS[1]}u", *(f"-D{d}" for d in defines)]
    subprocess.run([arm.find_tool("gcc"), "-mcpu=cortex-m4", "-mthumb", "-O2", "-nostdlib", "-ffreestanding",
                    *flags, "-T", str(tmp_path / "fw.ld"), str(tmp_path / "fw.c"), "-o", str(elf)],
                   check=True, capture_output=True, text=True)
    return elf


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention ``text``."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """tempfile's directory (where the runner makes its run directory) in tmp_path, to see
    what is left there and which processes still refer to it."""
    import tempfile

    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


def test_renode_missing_is_one_line(tmp_path, monkeypatch):
    from edgeq.errors import MissingToolError
    from edgeq.harness.runners import renode

    monkeypatch.setenv("EDGEQ_RENODE", str(tmp_path / "no" / "renode"))
    reason = renode.available()
    assert reason and "EDGEQ_RENODE" in reason and "mono-complete" in reason
    with pytest.raises(MissingToolError) as err, renode.session(tmp_path / "fw.elf", PLATFORM, UART, timeout=5):
        pass
    msg = str(err.value)
    assert "\n" not in msg and "Renode not found" in msg and "renode.io" in msg


def test_board_without_renode_platform(monkeypatch):
    from edgeq import targets
    from edgeq.harness.runners import renode

    assert "no Renode platform" in renode.available(targets.get("mps2-an386"))


def test_renode_crashing_at_start_is_one_line_with_its_last_output(tmp_path, private_tmp, monkeypatch):
    from edgeq.errors import TargetError
    from edgeq.harness.runners import renode

    fake = tmp_path / "renode"
    fake.write_text("#!/bin/sh\necho 'Renode, version 0.0 (fake)'\n"
                    "echo 'Unhandled Exception: System.TypeInitializationException: boom' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDGEQ_RENODE", str(fake))
    (tmp_path / "board.repl").write_text("cpu: CPU.CortexM @ sysbus\n")
    (tmp_path / "fw.elf").write_bytes(b"\x7fELF")
    with pytest.raises(TargetError) as err, renode.session(tmp_path / "fw.elf", tmp_path / "board.repl", UART,
                                                             timeout=5, count_instructions=False):
        pass
    msg = str(err.value)
    assert "\n" not in msg and "exited with code 3" in msg and "boom" in msg, msg
    assert list(private_tmp.iterdir()) == []


def test_uart_found_in_the_platform():
    from edgeq.harness.runners import renode

    _need_renode()
    assert renode.uart_peripheral(PLATFORM, 0x40004400) == "sysbus.usart2"
    assert renode.uart_peripheral("platforms/boards/nrf52840dk_nrf52840.repl", 0x40002000) == "sysbus.uart0"
    assert renode.uart_peripheral("platforms/boards/nucleo_h753zi.repl", 0x40004800) == "sysbus.usart3"


def test_protocol_echo_and_exact_instructions(tmp_path, private_tmp):
    """One session: the protocol's sync and a command through Device, a line echoed over
    the pty, the marker spans exact; then the firmware jumps off into unmapped memory and
    the CPU stop becomes one line, with Renode gone."""
    from edgeq.errors import TargetError
    from edgeq.harness.runners import renode

    _need_renode()
    elf = _build(tmp_path)
    with pytest.raises(TargetError) as err, renode.session(elf, PLATFORM, UART, timeout=15) as sess:
        assert sess.device.name() == "renode-test"
        sess.transport.write(b"round trip 1\n")
        assert sess.transport.read_until(b"\n", 5) == b"ROUND TRIP 1\n"
        assert sess.spans() == [2] + [2 * n + 3 for n in SPAN_LOOPS]
        sess.transport.write(b"!")
        sess.device.wait_ready(timeout=10, what="the jump")
    msg = str(err.value)
    assert "\n" not in msg and "CPU abort" in msg and "0x30000000" in msg, msg
    assert not _processes_mentioning(str(private_tmp))
    assert list(private_tmp.iterdir()) == []


def test_hang_times_out_and_leaves_no_process(tmp_path, private_tmp):
    from edgeq.errors import TargetError
    from edgeq.harness.runners import renode

    _need_renode()
    elf = _build(tmp_path, "HANG")
    with pytest.raises(TargetError) as err, renode.session(elf, PLATFORM, UART, timeout=3, sync=False):
        pass
    msg = str(err.value)
    assert "\n" not in msg and "no UART output within 3 s" in msg and "stopped" in msg, msg
    assert not _processes_mentioning(str(private_tmp))
    assert list(private_tmp.iterdir()) == []


def test_script_error_is_one_line(tmp_path, private_tmp):
    from edgeq.errors import TargetError
    from edgeq.harness.runners import renode

    _need_renode()
    elf = _build(tmp_path)
    with pytest.raises(TargetError) as err, renode.session(elf, PLATFORM, "sysbus.usart9", timeout=5):
        pass
    msg = str(err.value)
    assert "\n" not in msg and "connector Connect sysbus.usart9" in msg, msg
    assert not _processes_mentioning(str(private_tmp))
