"""ARM MPS2/MPS3 TrustZone FPGA images as QEMU emulates them (hw/arm/mps2-tz.c, armsse.c).

Both boot in the Secure state with the SAU off, so every access is Secure; the firmware
uses the Secure aliases (address bit 28 set) of memory and peripherals. The board support
is the mps2 family's (CMSDK UART and timer, semihosting): only addresses differ.
UART RX IRQs: QEMU 7.2 raises the first of each UART's IRQ pair on receive (checked by
the protocol tests; newer mps2-tz.c lists the pair as tx, rx).

* mps2-an505 (IoTKit, Cortex-M33 with FPU and DSP): init-svtor 0x10000000, so code runs
  from the Secure alias of ZBT SSRAM1 (0x00000000, 4 MB); data in SSRAM2+3 (0x28000000,
  2 + 2 MB contiguous; Secure alias 0x38000000). UART0 0x40200000 (Secure 0x50200000), RX
  IRQ 32; IoTKit TIMER0 0x40000000 (Secure 0x50000000) on the 20 MHz MAINCLK.
* mps3-an547 (SSE-300, Cortex-M55 with FPU and MVE): init-svtor 0x00000000; ITCM at 0x0
  (512 KB) for code, DTCM at 0x20000000 (512 KB) for data. UART0 0x49303000 (Secure
  0x59303000), RX IRQ 33, 25 MHz APB clock. The SSE-300's fast timers are not CMSDK
  timers; the one CMSDK timer is the 32 kHz S32KTIMER (0x4802f000, Secure 0x5802f000), so
  m-lap-us has ~31 us resolution there and the icount fallback 31,250 instructions (the
  instruction plugin is exact either way).
"""

from __future__ import annotations

from edgeq.targets import Region, Target

TARGETS = (
    Target(
        name="mps2-an505",
        family="mps2",
        core="cortex-m33",
        cpu_flags=("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
        flash=Region(0x10000000, 4 * 1024 * 1024),
        ram=Region(0x38000000, 4 * 1024 * 1024),
        uart_base=0x50200000,
        uart_rx_irq=32,
        uart_clock_hz=20_000_000,
        timer_base=0x50000000,
        timer_hz=20_000_000,
        clock_hz=20_000_000,
        qemu_machine="mps2-an505",
        cycle_model="cortex-m33",
        features=("dsp",),
        description="MPS2 AN505: Cortex-M33 (Secure), 4 MB SSRAM1 + 4 MB SSRAM2/3",
    ),
    Target(
        name="mps3-an547",
        family="mps2",
        core="cortex-m55",
        cpu_flags=("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"),
        flash=Region(0x00000000, 512 * 1024),
        ram=Region(0x20000000, 512 * 1024),
        uart_base=0x59303000,
        uart_rx_irq=33,
        uart_clock_hz=25_000_000,
        timer_base=0x5802F000,
        timer_hz=32_000,
        clock_hz=32_000_000,
        qemu_machine="mps3-an547",
        cycle_model="cortex-m55",
        features=("dsp", "mve"),  # Helium kernels where they apply, DSP ones elsewhere
        description="MPS3 AN547: Cortex-M55 (Secure, MVE), 512 KB ITCM + 512 KB DTCM",
    ),
)
