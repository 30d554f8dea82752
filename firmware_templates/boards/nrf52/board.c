/* nrf52 board support: the 64 MHz crystal oscillator, UARTE0 through EasyDMA, TIMER1 as the
 * free-running timer, DWT cycle counter, semihosting. Register layouts: Nordic's nRF52840
 * Product Specification (CLOCK, UARTE, TIMER, GPIO, NVMC chapters); the addresses and pins of
 * a board come in as EDGEQ_* macros (edgeq/targets/nrf52.py).
 *
 * Clock: the core always runs at 64 MHz; board_init starts the crystal oscillator (HFXO, the
 * accurate source the UART's baud rate wants) and waits for EVENTS_HFCLKSTARTED a bounded
 * time: when it does not start, the HFXO is stopped again and the internal oscillator (HFINT)
 * stays the source.
 *
 * UART: UARTE0, 8N1 at 115200. TX: board_putc fills one of two RAM buffers; a line end, a
 * full buffer, board_getc and board_exit hand it to EasyDMA (TXD.PTR/MAXCNT, STARTTX) after
 * waiting, bounded, for the previous transfer's ENDTX. RX: EasyDMA receives one byte a
 * transfer (RXD.MAXCNT = 1); the UARTE0 interrupt (ENDRX) moves it into a ring buffer and
 * restarts reception, so bytes that arrive while the app is busy wait there (a full ring
 * holds reception back); board_getc takes them and sleeps (WFI) while none waits. Interrupts are enabled from board_init on;
 * only the UARTE0 one is unmasked in the NVIC.
 *
 * Renode (platforms/cpus/nrf52840.repl) models UART0 as an EasyDMA UARTE without the
 * legacy TXD/RXD registers (hence EasyDMA here, which silicon has too) and without SHORTS
 * (hence the restart from the interrupt); it sends a TX buffer at STARTTX and sets ENDTX at
 * once; its CLOCK sets EVENTS_HFCLKSTARTED at once.
 */
#include "board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#ifndef EDGEQ_UART_TX_PIN
#define EDGEQ_UART_TX_PIN 6 /* PSEL form: port * 32 + pin (the nRF52840 DK's P0.06) */
#endif
#ifndef EDGEQ_UART_RX_PIN
#define EDGEQ_UART_RX_PIN 8
#endif

#define CORE_HZ 64000000u
/* Polls of a flag before giving up: > 50 ms at 64 MHz. The HFXO starts in well under 1 ms;
 * a full TX buffer (TX_BUF bytes) takes ~11 ms at 115200 baud. */
#define SPIN_LIMIT 1000000u

/* ---- registers ---- */

#define CLOCK_BASE 0x40000000u
#define CLOCK_TASKS_HFCLKSTART REG(CLOCK_BASE + 0x000u)
#define CLOCK_TASKS_HFCLKSTOP REG(CLOCK_BASE + 0x004u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(CLOCK_BASE + 0x100u)
#define CLOCK_INTENCLR REG(CLOCK_BASE + 0x308u)

#define NVMC_ICACHECNF REG(0x4001E540u)
#define ICACHECNF_CACHEEN 1u

/* GPIO ports: P0 at 0x50000000, P1 at 0x50000300 (PSEL's bit 5 picks the port). */
#define GPIO_BASE(psel) (0x50000000u + 0x300u * ((uint32_t)(psel) >> 5))
#define GPIO_OUTSET(psel) REG(GPIO_BASE(psel) + 0x508u)
#define GPIO_DIRSET(psel) REG(GPIO_BASE(psel) + 0x518u)
#define GPIO_PIN_CNF(psel) REG(GPIO_BASE(psel) + 0x700u + 4u * ((uint32_t)(psel) & 31u))
#define PIN_CNF_OUTPUT_NO_INPUT 3u  /* DIR = output, INPUT = disconnect */
#define PIN_CNF_INPUT_PULLUP (3u << 2) /* DIR = input, INPUT = connect, PULL = pull-up */

#define UARTE_TASKS_STARTRX REG(EDGEQ_UART_BASE + 0x000u)
#define UARTE_TASKS_STOPRX REG(EDGEQ_UART_BASE + 0x004u)
#define UARTE_TASKS_STARTTX REG(EDGEQ_UART_BASE + 0x008u)
#define UARTE_TASKS_STOPTX REG(EDGEQ_UART_BASE + 0x00Cu)
#define UARTE_EVENTS_ENDRX REG(EDGEQ_UART_BASE + 0x110u)
#define UARTE_EVENTS_ENDTX REG(EDGEQ_UART_BASE + 0x120u)
#define UARTE_EVENTS_ERROR REG(EDGEQ_UART_BASE + 0x124u)
#define UARTE_EVENTS_RXTO REG(EDGEQ_UART_BASE + 0x144u)
#define UARTE_EVENTS_TXSTOPPED REG(EDGEQ_UART_BASE + 0x158u)
#define UARTE_SHORTS REG(EDGEQ_UART_BASE + 0x200u)
#define UARTE_INTENSET REG(EDGEQ_UART_BASE + 0x304u)
#define UARTE_INTENCLR REG(EDGEQ_UART_BASE + 0x308u)
#define UARTE_ERRORSRC REG(EDGEQ_UART_BASE + 0x480u)
#define UARTE_ENABLE REG(EDGEQ_UART_BASE + 0x500u)
#define UARTE_PSEL_RTS REG(EDGEQ_UART_BASE + 0x508u)
#define UARTE_PSEL_TXD REG(EDGEQ_UART_BASE + 0x50Cu)
#define UARTE_PSEL_CTS REG(EDGEQ_UART_BASE + 0x510u)
#define UARTE_PSEL_RXD REG(EDGEQ_UART_BASE + 0x514u)
#define UARTE_BAUDRATE REG(EDGEQ_UART_BASE + 0x524u)
#define UARTE_RXD_PTR REG(EDGEQ_UART_BASE + 0x534u)
#define UARTE_RXD_MAXCNT REG(EDGEQ_UART_BASE + 0x538u)
#define UARTE_RXD_AMOUNT REG(EDGEQ_UART_BASE + 0x53Cu)
#define UARTE_TXD_PTR REG(EDGEQ_UART_BASE + 0x544u)
#define UARTE_TXD_MAXCNT REG(EDGEQ_UART_BASE + 0x548u)
#define UARTE_CONFIG REG(EDGEQ_UART_BASE + 0x56Cu)
#define UARTE_INT_ENDRX (1u << 4)
#define UARTE_INT_ERROR (1u << 9)
#define UARTE_ENABLE_UARTE 8u
#define PSEL_DISCONNECTED 0xFFFFFFFFu
#define BAUDRATE_115200 0x01D60000u /* the UARTE's table (the legacy UART's is 0x01D7E000) */

#define TIMER_TASKS_START REG(EDGEQ_TIMER_BASE + 0x000u)
#define TIMER_TASKS_STOP REG(EDGEQ_TIMER_BASE + 0x004u)
#define TIMER_TASKS_CLEAR REG(EDGEQ_TIMER_BASE + 0x00Cu)
#define TIMER_TASKS_CAPTURE0 REG(EDGEQ_TIMER_BASE + 0x040u)
#define TIMER_SHORTS REG(EDGEQ_TIMER_BASE + 0x200u)
#define TIMER_INTENCLR REG(EDGEQ_TIMER_BASE + 0x308u)
#define TIMER_MODE REG(EDGEQ_TIMER_BASE + 0x504u)
#define TIMER_BITMODE REG(EDGEQ_TIMER_BASE + 0x508u)
#define TIMER_PRESCALER REG(EDGEQ_TIMER_BASE + 0x510u)
#define TIMER_CC0 REG(EDGEQ_TIMER_BASE + 0x540u)
#define TIMER_BITMODE_32 3u
#define TIMER_INPUT_HZ 16000000u /* f = 16 MHz / 2^PRESCALER */

#define SYST_CSR REG(0xE000E010u)
#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) REG(0xE000E280u + 4u * (n))
#define UART_IRQ_WORD (EDGEQ_UART_RX_IRQ / 32u)
#define UART_IRQ_BIT (1u << (EDGEQ_UART_RX_IRQ % 32u))

#define DEMCR REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)
#define DWT_CTRL_CYCCNTENA 1u

#define TIMER_DIV (TIMER_INPUT_HZ / EDGEQ_TIMER_HZ)
_Static_assert(TIMER_INPUT_HZ % EDGEQ_TIMER_HZ == 0u && (TIMER_DIV & (TIMER_DIV - 1u)) == 0u && TIMER_DIV <= 512u,
               "EDGEQ_TIMER_HZ must be 16 MHz / 2^k, k = 0..9 (TIMER PRESCALER)");

/* ---- state ---- */

#define TX_BUF 128u
#define RX_RING 256u /* a power of two: more than one command line (MAX_COMMAND 80) */

static uint8_t tx_buf[2][TX_BUF]; /* EasyDMA reads RAM only: these are in .bss */
static uint32_t tx_len;           /* bytes queued in tx_buf[tx_cur] */
static uint32_t tx_cur;
static int tx_busy; /* a transfer was started and its ENDTX not yet seen */

static volatile uint8_t rx_dma; /* EasyDMA's one-byte RX buffer */
static volatile uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head; /* written by the interrupt only */
static volatile uint32_t rx_tail; /* written by board_getc only */
static volatile int rx_stalled;   /* the ring was full: ENDRX left pending, its interrupt off */

static int wait_set(volatile uint32_t *event)
{
    uint32_t n;
    for (n = 0; n < SPIN_LIMIT; ++n) {
        if (*event) {
            return 1;
        }
    }
    return 0;
}

/* ---- clock ---- */

/* 1 when the HFXO runs; otherwise it is stopped again and HFINT stays the source. */
static int hfxo_start(void)
{
    CLOCK_INTENCLR = 0xFFFFFFFFu;
    CLOCK_EVENTS_HFCLKSTARTED = 0u;
    CLOCK_TASKS_HFCLKSTART = 1u;
    if (wait_set(&CLOCK_EVENTS_HFCLKSTARTED)) {
        CLOCK_EVENTS_HFCLKSTARTED = 0u;
        return 1;
    }
    CLOCK_TASKS_HFCLKSTOP = 1u;
    return 0;
}

/* ---- UART ---- */

/* Waits (bounded) for the transfer in flight; stops the transmitter when it never ends. */
static void tx_wait(void)
{
    if (!tx_busy) {
        return;
    }
    if (!wait_set(&UARTE_EVENTS_ENDTX)) {
        UARTE_EVENTS_TXSTOPPED = 0u;
        UARTE_TASKS_STOPTX = 1u;
        (void)wait_set(&UARTE_EVENTS_TXSTOPPED);
    }
    UARTE_EVENTS_ENDTX = 0u;
    tx_busy = 0;
}

/* Hands the queued bytes to EasyDMA; the other buffer takes the next ones. */
static void tx_flush(void)
{
    if (tx_len == 0u) {
        return;
    }
    tx_wait();
    UARTE_TXD_PTR = (uint32_t)(uintptr_t)tx_buf[tx_cur];
    UARTE_TXD_MAXCNT = tx_len;
    __asm__ volatile("dsb" ::: "memory"); /* the buffer is in RAM before the DMA reads it */
    UARTE_TASKS_STARTTX = 1u;
    tx_busy = 1;
    tx_cur ^= 1u;
    tx_len = 0u;
}

static void rx_start(void)
{
    UARTE_RXD_PTR = (uint32_t)(uintptr_t)&rx_dma;
    UARTE_RXD_MAXCNT = 1u;
    UARTE_TASKS_STARTRX = 1u;
}

/* ENDRX seen: the byte EasyDMA wrote goes into the ring and reception restarts (the UARTE's
 * FIFO keeps what arrived meanwhile). With the ring full, the byte stays in rx_dma and the
 * ENDRX interrupt is switched off (rx_stalled) until board_getc has made room: the sender is
 * held back (Renode queues the bytes; silicon's FIFO holds a few) instead of bytes dropped. */
static void rx_take(void)
{
    const uint32_t head = rx_head;
    if (head - rx_tail >= RX_RING) {
        UARTE_INTENCLR = UARTE_INT_ENDRX;
        rx_stalled = 1;
        return;
    }
    if (UARTE_RXD_AMOUNT != 0u) {
        rx_ring[head % RX_RING] = rx_dma;
        rx_head = head + 1u;
    }
    UARTE_EVENTS_ENDRX = 0u;
    rx_start();
}

/* UARTE0: ENDRX -> rx_take; ERROR: the sticky error sources are cleared (the byte is
 * delivered as received). */
void UARTE0_UART0_IRQHandler(void)
{
    if (UARTE_EVENTS_ENDRX && !rx_stalled) {
        rx_take();
    }
    if (UARTE_EVENTS_ERROR) {
        UARTE_EVENTS_ERROR = 0u;
        UARTE_ERRORSRC = UARTE_ERRORSRC; /* write 1 to clear */
    }
    (void)UARTE_EVENTS_ENDRX; /* the event writes have landed before the handler returns */
}

/* A boot loader (the Arduino Nano 33 BLE's) may leave the UARTE running: stop it first. */
static void uart_stop(void)
{
    if (UARTE_ENABLE == 0u) {
        return;
    }
    UARTE_INTENCLR = 0xFFFFFFFFu;
    UARTE_EVENTS_RXTO = 0u;
    UARTE_EVENTS_TXSTOPPED = 0u;
    UARTE_TASKS_STOPRX = 1u;
    UARTE_TASKS_STOPTX = 1u;
    (void)wait_set(&UARTE_EVENTS_RXTO);
    (void)wait_set(&UARTE_EVENTS_TXSTOPPED);
    UARTE_ENABLE = 0u;
}

static void uart_init(void)
{
    uart_stop();
    /* pins: TX an output driven high (idle) before the UARTE takes it, RX an input with a
     * pull-up (a floating header pin reads idle, not noise) */
    GPIO_OUTSET(EDGEQ_UART_TX_PIN) = 1u << (EDGEQ_UART_TX_PIN & 31u);
    GPIO_PIN_CNF(EDGEQ_UART_TX_PIN) = PIN_CNF_OUTPUT_NO_INPUT;
    GPIO_DIRSET(EDGEQ_UART_TX_PIN) = 1u << (EDGEQ_UART_TX_PIN & 31u);
    GPIO_PIN_CNF(EDGEQ_UART_RX_PIN) = PIN_CNF_INPUT_PULLUP;
    UARTE_PSEL_TXD = EDGEQ_UART_TX_PIN;
    UARTE_PSEL_RXD = EDGEQ_UART_RX_PIN;
    UARTE_PSEL_RTS = PSEL_DISCONNECTED;
    UARTE_PSEL_CTS = PSEL_DISCONNECTED;
    UARTE_BAUDRATE = BAUDRATE_115200;
    UARTE_CONFIG = 0u; /* no flow control, no parity, one stop bit */
    UARTE_SHORTS = 0u;
    UARTE_INTENCLR = 0xFFFFFFFFu;
    UARTE_EVENTS_ENDRX = 0u;
    UARTE_EVENTS_ENDTX = 0u;
    UARTE_EVENTS_ERROR = 0u;
    UARTE_ERRORSRC = UARTE_ERRORSRC;
    UARTE_ENABLE = UARTE_ENABLE_UARTE;
    rx_head = 0u;
    rx_tail = 0u;
    rx_stalled = 0;
    rx_start();
    UARTE_INTENSET = UARTE_INT_ENDRX | UARTE_INT_ERROR;
    NVIC_ICPR(UART_IRQ_WORD) = UART_IRQ_BIT;
    NVIC_ISER(UART_IRQ_WORD) = UART_IRQ_BIT;
}

/* ---- board ---- */

void board_init(void)
{
    uint32_t i;
    /* Whatever a boot loader left on: interrupts, SysTick. */
    SYST_CSR = 0u;
    for (i = 0; i < 2u; ++i) {
        NVIC_ICER(i) = 0xFFFFFFFFu;
        NVIC_ICPR(i) = 0xFFFFFFFFu;
    }
    (void)hfxo_start();
    NVMC_ICACHECNF = ICACHECNF_CACHEEN; /* the flash's instruction cache: off after reset */

    uart_init();

    /* TIMER1: timer mode, 32 bits, counting up at EDGEQ_TIMER_HZ from 0, no interrupt. */
    TIMER_TASKS_STOP = 1u;
    TIMER_INTENCLR = 0xFFFFFFFFu;
    TIMER_SHORTS = 0u;
    TIMER_MODE = 0u;
    TIMER_BITMODE = TIMER_BITMODE_32;
    for (i = 0; (TIMER_INPUT_HZ >> i) > EDGEQ_TIMER_HZ; ++i) {
    }
    TIMER_PRESCALER = i; /* 16 MHz / 2^i = EDGEQ_TIMER_HZ */
    TIMER_TASKS_CLEAR = 1u;
    TIMER_TASKS_START = 1u;

    /* DWT cycle counter (reads 0 where it is not implemented). */
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;

    __asm__ volatile("cpsie i" ::: "memory"); /* the UARTE0 interrupt: the only one unmasked */
}

uint32_t board_clock_hz(void)
{
    return CORE_HZ;
}

void board_putc(char c)
{
    tx_buf[tx_cur][tx_len++] = (uint8_t)c;
    if (c == '\n' || tx_len == TX_BUF) {
        tx_flush();
    }
}

void board_puts(const char *s)
{
    while (*s) {
        board_putc(*s++);
    }
}

int board_getc(void)
{
    int c;
    tx_flush(); /* what the app sent before it waits: out now */
    /* The check with interrupts masked, so a byte that arrives between it and WFI still
     * wakes WFI (a pending interrupt does, masked or not); the handler runs in the gap. */
    __asm__ volatile("cpsid i" ::: "memory");
    while (rx_head == rx_tail) {
        __asm__ volatile("wfi\n\tcpsie i\n\tisb\n\tcpsid i" ::: "memory");
    }
    c = rx_ring[rx_tail % RX_RING];
    rx_tail = rx_tail + 1u;
    if (rx_stalled) { /* room again: the byte held in rx_dma, then reception restarts */
        rx_stalled = 0;
        rx_take();
        UARTE_INTENSET = UARTE_INT_ENDRX;
    }
    __asm__ volatile("cpsie i" ::: "memory");
    return c;
}

uint32_t board_ticks(void)
{
    TIMER_TASKS_CAPTURE0 = 1u;
    return TIMER_CC0;
}

uint32_t board_cycles(void)
{
    return DWT_CYCCNT;
}

/* Before the semihosting exit (boards/common/semihosting.c): what is queued for the UART
 * goes out first. */
void board_before_exit(void)
{
    tx_flush();
    tx_wait();
}
