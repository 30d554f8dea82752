/* Board support interface used by the edgeq app (one implementation per board family).
 * mps2: ARM MPS2/MPS3 FPGA images (AN385/AN386/AN500, and AN505/AN547 running Secure) as
 * QEMU emulates them: CMSDK UART and timer, semihosting for the exit code and the batch
 * files. No vendor SDK.
 */
#ifndef EDGEQ_BOARD_H
#define EDGEQ_BOARD_H

#include <stddef.h>
#include <stdint.h>

void board_init(void);

/* UART (CMSDK APB UART0): blocking byte I/O. board_getc sleeps (WFI) while no byte waits. */
void board_putc(char c);
void board_puts(const char *s);
int board_getc(void);

/* Free-running timer (CMSDK TIMER0), counting up at EDGEQ_TIMER_HZ, 32 bits. */
uint32_t board_ticks(void);

/* Core cycles: 0, not measured (QEMU's DWT does not count; no EDGEQ_BOARD_CYCLES here, so
 * the app reports none). */
uint32_t board_cycles(void);

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
