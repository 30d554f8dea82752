"""ARM MPS2 FPGA images as QEMU emulates them (hw/arm/mps2.c): code SSRAM at 0x0 (4 MB,
used as flash), SSRAM2/3 at 0x20000000 (4 MB), CMSDK APB UART0 at 0x40004000 (RX IRQ 0),
CMSDK TIMER0 at 0x40000000; 25 MHz system clock (SYSCLK feeds the UART and timers).
AN385 (Cortex-M3), AN386 (Cortex-M4F) and AN500 (Cortex-M7) share this map in mps2.c."""

from __future__ import annotations

from edgeq.targets import Region, Target

_COMMON = dict(
    family="mps2",
    flash=Region(0x00000000, 4 * 1024 * 1024),
    ram=Region(0x20000000, 4 * 1024 * 1024),
    uart_base=0x40004000,
    uart_rx_irq=0,
    uart_clock_hz=25_000_000,
    timer_base=0x40000000,
    timer_hz=25_000_000,
    clock_hz=25_000_000,
)

TARGETS = (
    Target(
        name="mps2-an386",
        core="cortex-m4",
        cpu_flags=("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
        qemu_machine="mps2-an386",
        cycle_model="cortex-m4",
        features=("dsp",),
        description="MPS2 AN386: Cortex-M4F, 4 MB code SSRAM + 4 MB SSRAM",
        **_COMMON,
    ),
    Target(
        name="mps2-an385",
        core="cortex-m3",
        cpu_flags=("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"),
        qemu_machine="mps2-an385",
        cycle_model="cortex-m3",
        description="MPS2 AN385: Cortex-M3, 4 MB code SSRAM + 4 MB SSRAM",
        **_COMMON,
    ),
    Target(
        name="mps2-an500",
        core="cortex-m7",
        # QEMU's cortex-m7 has the double-precision FPv5 (MVFR0 0x10110221)
        cpu_flags=("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
        qemu_machine="mps2-an500",
        cycle_model="cortex-m7",  # dual issue: LLVM's scheduling model (edgeq.harness.cycles_m7)
        features=("dsp",),
        description="MPS2 AN500: Cortex-M7 (FPv5-D16), 4 MB code SSRAM + 4 MB SSRAM",
        **_COMMON,
    ),
)
