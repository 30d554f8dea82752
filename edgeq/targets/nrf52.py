"""nRF52840 boards (real parts; board support in firmware_templates/boards/nrf52/).

The nRF52840 (Cortex-M4F, 64 MHz): 1 MB flash at 0x0, 256 KB RAM at 0x20000000. The
firmware starts the 64 MHz crystal oscillator (HFXO) with a bounded wait and stays on the
internal 64 MHz oscillator (HFINT) when it does not start: the core runs at 64 MHz either
way, only the clock's accuracy differs. The console is UARTE0 (0x40002000, IRQ 2) through
EasyDMA at 115200 baud: TX from a RAM buffer, RX one byte a DMA transfer into a ring buffer
filled by the UARTE0 interrupt. TIMER1 counts at 1 MHz (16 MHz / 2^4), 32 bits; the core's
cycles come from the DWT.

* nrf52840dk: the nRF52840 DK (PCA10056); UARTE0 on P0.06 (TX) / P0.08 (RX), the pins of
  the on-board J-Link's virtual COM port. Renode: ``platforms/boards/nrf52840dk_nrf52840.repl``.
* arduino-nano-33-ble: the Arduino Nano 33 BLE (NINA-B306 module). Its Arduino boot loader
  (bossac over USB) occupies the first 64 KB of flash and starts the application at 0x10000,
  so the firmware links there (960 KB left) and points VTOR at its own vector table. UARTE0
  on the header pins D1/TX = P1.03 and D0/RX = P1.10 (the USB port is the boot loader's, not
  a console: a USB-serial adapter goes on those pins). Renode:
  ``platforms/boards/arduino_nano_33_ble.repl`` (the firmware is loaded where it links).

Renode's nRF52840 model (``platforms/cpus/nrf52840.repl``) instantiates UART0 as
``NRF52840_UART`` with ``easyDMA: true``: the UARTE registers only (no legacy TXD/RXD),
which is why the firmware uses EasyDMA; its CLOCK sets EVENTS_HFCLKSTARTED at once; its
TIMER counts 16 MHz of virtual time divided by 2^PRESCALER, so ``timer_hz`` holds there too.
"""

from __future__ import annotations

from edgeq.targets import Region, Target

KB = 1024
_M4F = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
_COMMON = {
    "family": "nrf52",
    "core": "cortex-m4",
    "cpu_flags": _M4F,
    "cycle_model": "cortex-m4",
    "features": ("dsp",),
    "ram": Region(0x20000000, 256 * KB),
    "uart_base": 0x40002000,  # UARTE0
    "uart_rx_irq": 2,  # UARTE0_UART0
    "uart_clock_hz": 16_000_000,  # the peripherals' clock (the baud rate is a register value)
    "timer_base": 0x40009000,  # TIMER1, 32-bit mode
    "timer_hz": 1_000_000,  # 16 MHz / 2^4
    "clock_hz": 64_000_000,
}


def _defines(tx_port: int, tx_pin: int, rx_port: int, rx_pin: int) -> tuple[tuple[str, str], ...]:
    """The nrf52 board support's macros: the UART pins in PSEL form (port * 32 + pin)."""
    return (
        ("EDGEQ_UART_TX_PIN", str(tx_port * 32 + tx_pin)),
        ("EDGEQ_UART_RX_PIN", str(rx_port * 32 + rx_pin)),
    )


TARGETS = (
    Target(
        name="nrf52840dk",
        pyocd_target="nrf52840",
        flash=Region(0x00000000, 1024 * KB),
        board_defines=_defines(0, 6, 0, 8),
        renode_platform="platforms/boards/nrf52840dk_nrf52840.repl",
        description="nRF52840 DK: nRF52840 (Cortex-M4F), 1 MB flash + 256 KB RAM, 64 MHz",
        **_COMMON,
    ),
    Target(
        name="arduino-nano-33-ble",
        flash=Region(0x00010000, 1024 * KB - 0x10000),  # after the Arduino boot loader
        board_defines=_defines(1, 3, 1, 10),
        renode_platform="platforms/boards/arduino_nano_33_ble.repl",
        description="Arduino Nano 33 BLE: nRF52840 (Cortex-M4F), 960 KB flash (after the boot loader) "
                    "+ 256 KB RAM, 64 MHz",
        **_COMMON,
    ),
)
