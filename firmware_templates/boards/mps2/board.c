/* mps2 board support: CMSDK UART0, a CMSDK timer, semihosting (also the mps2-tz images
 * AN505/AN547, whose addresses and IRQ numbers come in as EDGEQ_* macros).
 * Register layouts: ARM CoreLink SDK (CMSDK) APB UART and timer, as used by QEMU's
 * hw/char/cmsdk-apb-uart.c and hw/timer/cmsdk-apb-timer.c.
 */
#include "board.h"

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
