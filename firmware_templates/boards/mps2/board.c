/* mps2 board support: CMSDK UART0, a CMSDK timer, semihosting (also the mps2-tz images
 * AN505/AN547, whose addresses and IRQ numbers come in as EDGEQ_* macros).
 * Register layouts: ARM CoreLink SDK (CMSDK) APB UART and timer, as used by QEMU's
 * hw/char/cmsdk-apb-uart.c and hw/timer/cmsdk-apb-timer.c.
 */
#include "board.h"

#include <string.h>

#define REG(addr) (*(volatile uint32_t *)(addr))

#define UART_DATA REG(EDGEQ_UART_BASE + 0x00u)
#define UART_STATE REG(EDGEQ_UART_BASE + 0x04u)
#define UART_CTRL REG(EDGEQ_UART_BASE + 0x08u)
#define UART_INTCLEAR REG(EDGEQ_UART_BASE + 0x0Cu)
#define UART_BAUDDIV REG(EDGEQ_UART_BASE + 0x10u)
#define UART_STATE_TXFULL 1u
#define UART_STATE_RXFULL 2u
#define UART_CTRL_TXEN 1u
#define UART_CTRL_RXEN 2u
#define UART_CTRL_RXINTEN 8u

#define TIMER_CTRL REG(EDGEQ_TIMER_BASE + 0x00u)
#define TIMER_VALUE REG(EDGEQ_TIMER_BASE + 0x04u)
#define TIMER_RELOAD REG(EDGEQ_TIMER_BASE + 0x08u)

/* The UART's RX IRQ may be past 31 (the mps2-tz images: 32, 33): pick the NVIC word. */
#define NVIC_ISER REG(0xE000E100u + 4u * (EDGEQ_UART_RX_IRQ / 32u))
#define NVIC_ICPR REG(0xE000E280u + 4u * (EDGEQ_UART_RX_IRQ / 32u))
#define UART_IRQ_BIT (1u << (EDGEQ_UART_RX_IRQ % 32u))

void board_init(void)
{
    UART_BAUDDIV = EDGEQ_UART_CLOCK_HZ / EDGEQ_BAUD;
    /* The RX interrupt only wakes WFI in board_getc: PRIMASK stays set, so no handler runs. */
    UART_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN | UART_CTRL_RXINTEN;
    NVIC_ISER = UART_IRQ_BIT;
    TIMER_CTRL = 0;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1u; /* enable, no interrupt */
}

void board_putc(char c)
{
    while (UART_STATE & UART_STATE_TXFULL) {
    }
    UART_DATA = (uint32_t)(unsigned char)c;
}

void board_puts(const char *s)
{
    while (*s) {
        board_putc(*s++);
    }
}

int board_getc(void)
{
    while (!(UART_STATE & UART_STATE_RXFULL)) {
        /* Sleep instead of spinning: the emulator (or core) idles until a byte arrives. */
        __asm__ volatile("wfi" ::: "memory");
        UART_INTCLEAR = 2u;
        NVIC_ICPR = UART_IRQ_BIT;
    }
    return (int)(UART_DATA & 0xFFu);
}

uint32_t board_ticks(void)
{
    return 0xFFFFFFFFu - TIMER_VALUE; /* the CMSDK timer counts down */
}

uint32_t board_cycles(void)
{
    return 0u;
}

/* ---- semihosting (ARM "Semihosting for AArch32 and AArch64", BKPT 0xAB on M-profile) ---- */

static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int board_sh_open(const char *name, int mode)
{
    uint32_t block[3];
    block[0] = (uint32_t)(uintptr_t)name;
    block[1] = (uint32_t)mode;
    block[2] = (uint32_t)strlen(name);
    return semihost(0x01, block);
}

int board_sh_read(int fh, void *buf, size_t len)
{
    uint32_t block[3];
    block[0] = (uint32_t)fh;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)len;
    return (int)len - semihost(0x06, block); /* SYS_READ returns the bytes NOT read */
}

int board_sh_write(int fh, const void *buf, size_t len)
{
    uint32_t block[3];
    block[0] = (uint32_t)fh;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)len;
    return (int)len - semihost(0x05, block);
}

void board_sh_close(int fh)
{
    uint32_t block[1];
    block[0] = (uint32_t)fh;
    (void)semihost(0x02, block);
}

void board_exit(int code)
{
    /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, code} -> the emulator's exit code. */
    uint32_t block[2];
    block[0] = 0x20026u;
    block[1] = (uint32_t)code;
    (void)semihost(0x20, block);
    for (;;) {
        __asm__ volatile("wfi");
    }
}
