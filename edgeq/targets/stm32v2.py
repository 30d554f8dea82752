"""STM32 boards with the second-generation USART (CR1/CR2/CR3/BRR, then ISR/ICR/RDR/TDR):
STM32F7, STM32H7 and STM32L4 parts (board support in firmware_templates/boards/stm32v2/,
one board.c for the three: the family comes in as EDGEQ_STM32F7 / EDGEQ_STM32H7 /
EDGEQ_STM32L4, with the crystal, core clock and UART pins, from ``board_defines``).

As on the STM32F4 boards, the firmware brings the core to its nominal clock through the PLL
with every wait bounded, falls back to the reset clock when the tree does not come up (HSI
16 MHz on the F7, HSI 64 MHz on the H7, MSI 4 MHz on the L4), and computes the UART's baud
divider and the timer's prescaler from the clocks read back from the RCC. The timer is TIM5
(32 bits, on APB1 on all three parts); the core counts cycles in the DWT. ``uart_clock_hz``
is the UART's kernel clock at the nominal core clock.

* stm32f746g-disco: STM32F746NG (Cortex-M7, single-precision FPv5), 1 MB flash, 320 KB of
  contiguous SRAM at 0x20000000 (DTCM 64 KB, SRAM1 240 KB, SRAM2 16 KB). 25 MHz crystal;
  216 MHz needs the regulator's over-drive and 7 flash wait states; APB2 = core / 2 feeds
  USART1 (TX PA9, RX PB7: the ST-LINK virtual COM port; 0x40011000, IRQ 37), APB1 = core / 4
  the timers (x 2: 108 MHz). I and D caches on. Renode: ``stm32f7_discovery-bb.repl`` maps
  USART1 there (an STM32F7_USART), 384 KB of SRAM and an STM32F4_RCC; it has no TIM2-5
  (only TIM5's counter register, a Python "ticker" that counts reads) and tags the DWT
  (reads 0: no cycles).
* nucleo-h753zi: STM32H753ZI (Cortex-M7, double-precision FPv5), 2 MB flash (two banks,
  contiguous), RAM: the 512 KB AXI SRAM at 0x24000000 (the 128 KB DTCM at 0x20000000 would
  hold edgeq-micro's person_detect but not TFLM's). 400 MHz at VOS1 (the maximum of the
  revision Y silicon; revision V reaches 480 MHz only at VOS0 with the SYSCFG over-drive,
  which this board support does not do), from the ST-LINK's 8 MHz MCO (HSE bypass; the HSI
  when it is absent); AXI/AHB = core / 2, every APB = 100 MHz, timers 200 MHz. USART3 (PD8 TX,
  PD9 RX: the ST-LINK virtual COM port; 0x40004800, IRQ 39). I and D caches on. Renode:
  ``nucleo_h753zi.repl`` (USART3 through EXTI line 28 to IRQ 39, unmasked from reset); its
  TIM2/TIM5 count a fixed 250 MHz, whatever the RCC says: a Renode build sets
  ``EDGEQ_TIMER_CLOCK_HZ`` as on the STM32F4 boards. Renode 1.15.3 models no PWR (reads 0,
  but D3CR.VOSRDY) and neither PLL1DIVR nor D1CFGR-D3CFGR (read 0), so the PLL comes up but
  the clock read back there is 4 MHz (only the baud divider, which its UART ignores, and the
  timer prescaler, overridden, use it); its VRINTA.F64 is wrong, which stops TFLM's
  double-precision QuantizeMultiplier there (edgeq-micro uses no doubles).
* nucleo-l4r5zi: STM32L4R5ZI (Cortex-M4F; the MLPerf Tiny reference board), 2 MB flash,
  640 KB of contiguous SRAM (SRAM1 192 KB, SRAM2 64 KB, SRAM3 384 KB). 120 MHz from HSI16
  through the PLL in range 1 boost mode, 5 flash wait states; the console is LPUART1 (PG7 TX,
  PG8 RX, in the VDDIO2 domain: PWR_CR2.IOSV; 0x40008000, IRQ 70) on PCLK1. No emulator:
  build only.

``timer_hz`` divides every timer input clock the firmware may see (nominal, fall-back, and
Renode's fixed one), so m-lap-us stays exact.
"""

from __future__ import annotations

from edgeq.targets import Region, Target

KB = 1024
TIM5 = 0x40000C00  # 32 bits, APB1 enable bit 3 on all three parts


def _defines(series: str, sysclk_hz: int, tx: str, rx: str, af: int, *, hse_hz: int = 0,
             hse_bypass: bool = False) -> tuple[tuple[str, str], ...]:
    """The stm32v2 board support's macros: the series, crystal, core clock and UART pins
    (``tx``/``rx`` as "PA9": port letter and pin; ``af``: their alternate function)."""

    def pin(name: str) -> tuple[str, str]:
        return str(ord(name[1]) - ord("A")), name[2:]

    (tx_port, tx_pin), (rx_port, rx_pin) = pin(tx), pin(rx)
    return (
        (f"EDGEQ_{series}", "1"),
        ("EDGEQ_HSE_HZ", f"{hse_hz}u"),
        ("EDGEQ_HSE_BYPASS", "1" if hse_bypass else "0"),
        ("EDGEQ_SYSCLK_HZ", f"{sysclk_hz}u"),
        ("EDGEQ_UART_TX_PORT", tx_port),  # 0 = GPIOA
        ("EDGEQ_UART_TX_PIN", tx_pin),
        ("EDGEQ_UART_RX_PORT", rx_port),
        ("EDGEQ_UART_RX_PIN", rx_pin),
        ("EDGEQ_UART_AF", str(af)),
    )


_COMMON = {"family": "stm32v2", "timer_base": TIM5, "features": ("dsp",)}
_M7 = {"core": "cortex-m7", "cycle_model": "cortex-m7", **_COMMON}

TARGETS = (
    Target(
        name="stm32f746g-disco",
        pyocd_target="stm32f746nghx",
        cpu_flags=("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
        flash=Region(0x08000000, 1024 * KB),
        ram=Region(0x20000000, 320 * KB),
        uart_base=0x40011000,  # USART1: the ST-LINK virtual COM port
        uart_rx_irq=37,
        uart_clock_hz=108_000_000,
        timer_hz=4_000_000,  # divides 108 MHz and the 16 MHz HSI
        clock_hz=216_000_000,
        board_defines=_defines("STM32F7", 216_000_000, "PA9", "PB7", 7, hse_hz=25_000_000),
        renode_platform="platforms/boards/stm32f7_discovery-bb.repl",
        description="STM32F746G-DISCO: STM32F746NG (Cortex-M7, FPv5-SP), 1 MB flash + 320 KB SRAM, 216 MHz",
        **_M7,
    ),
    Target(
        name="nucleo-h753zi",
        pyocd_target="stm32h753zitx",
        cpu_flags=("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
        flash=Region(0x08000000, 2048 * KB),
        ram=Region(0x24000000, 512 * KB),  # AXI SRAM
        uart_base=0x40004800,  # USART3: the ST-LINK virtual COM port
        uart_rx_irq=39,
        uart_clock_hz=100_000_000,
        timer_hz=2_000_000,  # divides 200 MHz, the 64 MHz HSI and Renode's 250 MHz
        clock_hz=400_000_000,
        board_defines=_defines("STM32H7", 400_000_000, "PD8", "PD9", 7, hse_hz=8_000_000, hse_bypass=True),
        renode_platform="platforms/boards/nucleo_h753zi.repl",
        description="NUCLEO-H753ZI: STM32H753ZI (Cortex-M7, FPv5-D16), 2 MB flash + 512 KB AXI SRAM, 400 MHz",
        **_M7,
    ),
    Target(
        name="nucleo-l4r5zi",
        pyocd_target="stm32l4r5zitx",
        core="cortex-m4",
        cpu_flags=("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
        cycle_model="cortex-m4",
        flash=Region(0x08000000, 2048 * KB),
        ram=Region(0x20000000, 640 * KB),
        uart_base=0x40008000,  # LPUART1: the ST-LINK virtual COM port
        uart_rx_irq=70,
        uart_clock_hz=120_000_000,
        timer_hz=4_000_000,  # divides 120 MHz and the 4 MHz MSI
        clock_hz=120_000_000,
        board_defines=_defines("STM32L4", 120_000_000, "PG7", "PG8", 8),
        description="NUCLEO-L4R5ZI: STM32L4R5ZI (Cortex-M4F, the MLPerf Tiny reference), 2 MB flash + 640 KB SRAM, "
                    "120 MHz",
        **_COMMON,
    ),
)
