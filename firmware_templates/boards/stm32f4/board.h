/* Board support interface used by the edgeq app (one implementation per board family).
 * stm32f4: STM32F405/F407/F446 parts (Netduino Plus 2 under QEMU, STM32F4DISCOVERY,
 * NUCLEO-F446RE): RCC clock tree to the part's nominal clock, USART (v1 registers), a
 * 32-bit general-purpose timer, DWT cycle counter, semihosting. No vendor SDK.
 */
#ifndef EDGEQ_BOARD_H
#define EDGEQ_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* The board counts core cycles (board_cycles): the app reports them after an inference. */
#define EDGEQ_BOARD_CYCLES 1

void board_init(void);

/* UART (USART1/2 at EDGEQ_UART_BASE): blocking byte I/O. board_getc sleeps (WFI) while no
 * byte waits; board_putc waits a bounded time for room, then sends regardless. */
void board_putc(char c);
void board_puts(const char *s);
int board_getc(void);

/* Free-running timer (TIM2), counting up at EDGEQ_TIMER_HZ, 32 bits. */
uint32_t board_ticks(void);

/* Core cycles (DWT->CYCCNT), 32 bits, wrapping. 0 where the core (or emulator) does not
 * count them: the host reads 0 as "not measured". */
uint32_t board_cycles(void);

/* The core clock in use after board_init (Hz): the nominal clock, or the 16 MHz HSI when
 * the clock tree did not come up. */
uint32_t board_clock_hz(void);

/* Bytes of stack used so far (high-water mark of the stack painted at reset). */
uint32_t board_stack_used(void);

/* Semihosting (a debugger or QEMU -semihosting must be attached). */
int board_sh_open(const char *name, int mode); /* mode: 1 = "rb", 5 = "wb"; -1 on failure */
int board_sh_read(int fh, void *buf, size_t len);        /* bytes read */
int board_sh_write(int fh, const void *buf, size_t len); /* bytes written */
void board_sh_close(int fh);
void board_exit(int code) __attribute__((noreturn));     /* SYS_EXIT_EXTENDED with the code */
/* Hooks of boards/common/semihosting.c (weak no-ops there): around every call; before the exit. */
void board_sh_sync(void);
void board_before_exit(void);

#endif /* EDGEQ_BOARD_H */
