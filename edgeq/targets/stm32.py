"""STM32F4 boards (real parts; board support in firmware_templates/boards/stm32f4/).

Memory is the part's own: flash at 0x08000000 (aliased at 0x0 when booting from flash), and
the contiguous SRAM1+SRAM2 at 0x20000000 (128 KB on all three parts; the 64 KB CCM at
0x10000000 of the F405/F407 is left unused). The firmware brings the core up to its
nominal clock from the board's crystal (HSE, else HSI) through the PLL, and falls back to
the 16 MHz HSI when the clock tree does not come up (an emulator); the UART's baud
divider and the timer's prescaler come from the clock actually in use. ``uart_clock_hz``
is the UART's bus clock at the nominal core clock (APB2 = core / 2, APB1 = core / 4).

* netduinoplus2: STM32F405RG as QEMU 7.2 emulates it (hw/arm/stm32f405_soc.c,
  netduinoplus2.c): the first ``-serial`` is USART1 (0x40011000, IRQ 37); TIM2-5 are
  modelled (TIM2 at 0x40000000) on a fixed 1 GHz input clock of virtual time; RCC, PWR,
  flash interface and GPIO are unimplemented (read 0, writes ignored); QEMU maps 192 KB of
  SRAM where the part has 128 KB. 25 MHz crystal on the real board.
* stm32f4-discovery: STM32F407VG, USART2 (0x40004400, IRQ 38, PA2/PA3); 8 MHz crystal.
  No QEMU machine; Renode's ``platforms/boards/stm32f4_discovery-kit.repl`` emulates it.
* nucleo-f446re: STM32F446RE, USART2 on PA2/PA3 (the ST-LINK virtual COM port), 8 MHz
  HSE from the ST-LINK's MCO (bypass); 180 MHz needs the regulator's over-drive. Build only.

``timer_hz`` divides every timer input clock the firmware may see (84 MHz / 90 MHz at the
nominal clock, 16 MHz on the HSI fallback, 1 GHz on QEMU; 10 MHz on Renode, whose
STM32_Timer ignores the RCC: a Renode build sets ``EDGEQ_TIMER_CLOCK_HZ``), so m-lap-us
stays exact.
"""

from __future__ import annotations

from edgeq.targets import Region, Target

KB = 1024
_M4F = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
_COMMON = dict(
    family="stm32f4",
    core="cortex-m4",
    cpu_flags=_M4F,
    cycle_model="cortex-m4",
    features=("dsp",),
    timer_base=0x40000000,  # TIM2: 32 bits
)


def _defines(hse_hz: int, sysclk_hz: int, tx_pin: int, rx_pin: int, *, hse_bypass: bool = False,
             overdrive: bool = False) -> tuple[tuple[str, str], ...]:
    """The stm32f4 board support's macros: crystal, target core clock, UART pins (GPIOA, AF7)."""
    return (
        ("EDGEQ_HSE_HZ", f"{hse_hz}u"),
        ("EDGEQ_HSE_BYPASS", "1" if hse_bypass else "0"),
        ("EDGEQ_SYSCLK_HZ", f"{sysclk_hz}u"),
        ("EDGEQ_OVERDRIVE", "1" if overdrive else "0"),
        ("EDGEQ_UART_TX_PIN", str(tx_pin)),
        ("EDGEQ_UART_RX_PIN", str(rx_pin)),
    )


TARGETS = (
    Target(
        name="netduinoplus2",
        pyocd_target="stm32f405rgtx",
        flash=Region(0x08000000, 1024 * KB),
        ram=Region(0x20000000, 128 * KB),
        uart_base=0x40011000,  # USART1: QEMU's first -serial
        uart_rx_irq=37,
        uart_clock_hz=84_000_000,
        timer_hz=4_000_000,
        clock_hz=168_000_000,
        qemu_machine="netduinoplus2",
        board_defines=_defines(25_000_000, 168_000_000, 9, 10),
        description="Netduino Plus 2: STM32F405RG (Cortex-M4F), 1 MB flash + 128 KB SRAM, 168 MHz",
        **_COMMON,
    ),
    Target(
        name="stm32f4-discovery",
        pyocd_target="stm32f407vgtx",
        flash=Region(0x08000000, 1024 * KB),
        ram=Region(0x20000000, 128 * KB),
        uart_base=0x40004400,  # USART2
        uart_rx_irq=38,
        uart_clock_hz=42_000_000,
        timer_hz=2_000_000,  # also divides the 10 MHz Renode's STM32_Timer counts (EDGEQ_TIMER_CLOCK_HZ)
        clock_hz=168_000_000,
        board_defines=_defines(8_000_000, 168_000_000, 2, 3),
        renode_platform="platforms/boards/stm32f4_discovery-kit.repl",
        description="STM32F4DISCOVERY: STM32F407VG (Cortex-M4F), 1 MB flash + 128 KB SRAM, 168 MHz",
        **_COMMON,
    ),
    Target(
        name="nucleo-f446re",
        pyocd_target="stm32f446retx",
        flash=Region(0x08000000, 512 * KB),
        ram=Region(0x20000000, 128 * KB),
        uart_base=0x40004400,  # USART2: the ST-LINK virtual COM port
        uart_rx_irq=38,
        uart_clock_hz=45_000_000,
        timer_hz=2_000_000,
        clock_hz=180_000_000,
        board_defines=_defines(8_000_000, 180_000_000, 2, 3, hse_bypass=True, overdrive=True),
        description="NUCLEO-F446RE: STM32F446RE (Cortex-M4F), 512 KB flash + 128 KB SRAM, 180 MHz",
        **_COMMON,
    ),
)
