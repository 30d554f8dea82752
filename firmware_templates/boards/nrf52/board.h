/* Board support interface used by the edgeq app (one implementation per board family).
 * nrf52: nRF52840 boards (nRF52840 DK, Arduino Nano 33 BLE): 64 MHz crystal (or the internal
 * oscillator), UARTE0 through EasyDMA, TIMER1, DWT cycle counter, semihosting. No vendor SDK.
 */
#ifndef EDGEQ_BOARD_H
#define EDGEQ_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* The board counts core cycles (board_cycles): the app reports them after an inference. */
#define EDGEQ_BOARD_CYCLES 1

void board_init(void);

/* UART (UARTE0 at EDGEQ_UART_BASE): byte I/O. board_putc queues into a RAM buffer that
 * EasyDMA sends at each line end (or when full, or before board_getc waits), waiting a
 * bounded time for the previous transfer; board_getc returns the next received byte (the
 * UARTE0 interrupt collects them into a ring buffer) and sleeps (WFI) while none waits. */
void board_putc(char c);
void board_puts(const char *s);
int board_getc(void);

/* Free-running timer (TIMER1), counting up at EDGEQ_TIMER_HZ, 32 bits. */
uint32_t board_ticks(void);

/* Core cycles (DWT->CYCCNT), 32 bits, wrapping. 0 where the core (or emulator) does not
 * count them: the host reads 0 as "not measured". */
uint32_t board_cycles(void);

/* The core clock (Hz): 64 MHz, from the crystal or, when it did not start, the internal
 * oscillator. */
uint32_t board_clock_hz(void);

/* Bytes of stack used so far (high-water mark of the stack painted at reset). */
uint32_t board_stack_used(void);

/* Semihosting (a debugger must be attached). */
int board_sh_open(const char *name, int mode); /* mode: 1 = "rb", 5 = "wb"; -1 on failure */
int board_sh_read(int fh, void *buf, size_t len);        /* bytes read */
int board_sh_write(int fh, const void *buf, size_t len); /* bytes written */
void board_sh_close(int fh);
void board_exit(int code) __attribute__((noreturn));     /* SYS_EXIT_EXTENDED with the code */
/* Hooks of boards/common/semihosting.c (weak no-ops there): around every call; before the exit. */
void board_sh_sync(void);
void board_before_exit(void);

#endif /* EDGEQ_BOARD_H */
