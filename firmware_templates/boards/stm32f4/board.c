/* stm32f4 board support: clock tree, USART (v1), TIM2 as the free-running timer, DWT cycle
 * counter, semihosting. Register layouts: ST RM0090 (STM32F405/407) and RM0390 (STM32F446);
 * the addresses and pins of a board come in as EDGEQ_* macros (edgeq/targets/stm32.py).
 *
 * Clocks: board_init brings the core to EDGEQ_SYSCLK_HZ from the crystal (EDGEQ_HSE_HZ; the
 * 16 MHz HSI when the crystal does not start) through the main PLL, with the flash wait
 * states, the regulator scale (and the F446's over-drive) that clock needs; APB1 = core / 4,
 * APB2 = core / 2. Every wait on a ready flag is bounded: whatever does not come up leaves the
 * core on the 16 MHz HSI it reset on. The clocks in use are then read back from the RCC, and
 * the UART's baud divider and the timer's prescaler are computed from them.
 *
 * Emulators: QEMU's stm32f405-soc (netduinoplus2) has no RCC (it reads 0, where a real part's
 * RCC_CR shows HSIRDY from reset): nothing is configured there, and its TIM2-5 count a fixed
 * EDGEQ_EMU_TIMER_CLOCK_HZ (1 GHz of virtual time). EDGEQ_TIMER_CLOCK_HZ, when defined,
 * overrides the timer input clock on any board (an emulator whose timers ignore the RCC).
 */
#include "board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#ifndef EDGEQ_HSE_HZ
#define EDGEQ_HSE_HZ 0u /* no crystal: the PLL runs from the HSI */
#endif
#ifndef EDGEQ_HSE_BYPASS
#define EDGEQ_HSE_BYPASS 0 /* 1: an external clock on OSC_IN (a Nucleo's ST-LINK MCO) */
#endif
#ifndef EDGEQ_SYSCLK_HZ
#define EDGEQ_SYSCLK_HZ 168000000u
#endif
#ifndef EDGEQ_OVERDRIVE
#define EDGEQ_OVERDRIVE 0 /* 1: the F446's regulator over-drive (above 168 MHz) */
#endif
#ifndef EDGEQ_EMU_TIMER_CLOCK_HZ
#define EDGEQ_EMU_TIMER_CLOCK_HZ 1000000000u /* QEMU's stm32f2xx-timer "clock-frequency" */
#endif
#ifndef EDGEQ_UART_TX_PIN
#define EDGEQ_UART_TX_PIN 9 /* GPIOA pins, alternate function 7 (USART1..3) */
#endif
#ifndef EDGEQ_UART_RX_PIN
#define EDGEQ_UART_RX_PIN 10
#endif

#define HSI_HZ 16000000u
/* Polls of a ready flag before giving up: > 50 ms at 16 MHz, where an HSE starts in ~2 ms and
 * the PLL locks in ~0.1 ms; one character at 115200 baud takes ~87 us. */
#define SPIN_LIMIT 200000u

/* ---- registers ---- */

#define RCC_BASE 0x40023800u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR REG(RCC_BASE + 0x40u)
#define RCC_APB2ENR REG(RCC_BASE + 0x44u)
#define CR_HSIRDY (1u << 1)
#define CR_HSEON (1u << 16)
#define CR_HSERDY (1u << 17)
#define CR_HSEBYP (1u << 18)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define PLLCFGR_M_MASK 0x3Fu        /* bits 5:0 */
#define PLLCFGR_N_SHIFT 6u          /* bits 14:6 */
#define PLLCFGR_P_SHIFT 16u         /* bits 17:16: P = 2, 4, 6, 8 */
#define PLLCFGR_SRC_HSE (1u << 22)
#define PLLCFGR_Q_SHIFT 24u         /* bits 27:24 */
#define PLLCFGR_FIELDS (0x3Fu | 0x1FFu << 6 | 3u << 16 | 1u << 22 | 0xFu << 24)
#define CFGR_SW_MASK 3u             /* 0 HSI, 1 HSE, 2 PLL */
#define CFGR_SWS_SHIFT 2u
#define CFGR_SWS_MASK (3u << 2)
#define CFGR_HPRE_SHIFT 4u          /* bits 7:4 */
#define CFGR_PPRE1_SHIFT 10u        /* bits 12:10 */
#define CFGR_PPRE2_SHIFT 13u        /* bits 15:13 */
#define CFGR_BUS_MASK (0xFu << 4 | 7u << 10 | 7u << 13)
#define PPRE_DIV2 4u
#define PPRE_DIV4 5u
#define APB1ENR_PWREN (1u << 28)
#define AHB1ENR_GPIOAEN (1u << 0)

#define PWR_CR REG(0x40007000u)
#define PWR_CSR REG(0x40007004u)
#if EDGEQ_OVERDRIVE
#define PWR_CR_VOS (3u << 14) /* F446: VOS = 11, scale 1 */
#else
#define PWR_CR_VOS (1u << 14) /* F405/F407: VOS = 1, scale 1 */
#endif
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

#define FLASH_ACR REG(0x40023C00u)
#define ACR_LATENCY_MASK 0xFu
#define ACR_PRFTEN (1u << 8)
#define ACR_ICEN (1u << 9)
#define ACR_DCEN (1u << 10)
/* wait states at 2.7-3.6 V: one per 30 MHz of HCLK (RM0090 table 10, RM0390 table 5) */
#define FLASH_WS ((EDGEQ_SYSCLK_HZ - 1u) / 30000000u)

#define GPIOA_BASE 0x40020000u
#define GPIOA_MODER REG(GPIOA_BASE + 0x00u)
#define GPIOA_OSPEEDR REG(GPIOA_BASE + 0x08u)
#define GPIOA_PUPDR REG(GPIOA_BASE + 0x0Cu)
#define GPIOA_AFR(pin) REG(GPIOA_BASE + 0x20u + 4u * ((pin) / 8u))

#define USART_SR REG(EDGEQ_UART_BASE + 0x00u)
#define USART_DR REG(EDGEQ_UART_BASE + 0x04u)
#define USART_BRR REG(EDGEQ_UART_BASE + 0x08u)
#define USART_CR1 REG(EDGEQ_UART_BASE + 0x0Cu)
#define USART_CR2 REG(EDGEQ_UART_BASE + 0x10u)
#define USART_CR3 REG(EDGEQ_UART_BASE + 0x14u)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR1_UE (1u << 13)

/* USART1 (0x40011000) and USART6 (0x40011400) sit on APB2, USART2/3 and UART4/5
 * (0x40004400 on) on APB1; their clock-enable bits follow the address order. */
#if EDGEQ_UART_BASE >= 0x40010000u
#define UART_ON_APB2 1
#define UART_ENR RCC_APB2ENR
#define UART_EN_BIT (1u << (4u + (EDGEQ_UART_BASE - 0x40011000u) / 0x400u))
#else
#define UART_ON_APB2 0
#define UART_ENR RCC_APB1ENR
#define UART_EN_BIT (1u << (17u + (EDGEQ_UART_BASE - 0x40004400u) / 0x400u))
#endif

/* TIM2..TIM5 (0x40000000 + 0x400 k) on APB1, enable bit k; TIM2 and TIM5 are 32-bit. */
#define TIM_CR1 REG(EDGEQ_TIMER_BASE + 0x00u)
#define TIM_SR REG(EDGEQ_TIMER_BASE + 0x10u)
#define TIM_EGR REG(EDGEQ_TIMER_BASE + 0x14u)
#define TIM_CNT REG(EDGEQ_TIMER_BASE + 0x24u)
#define TIM_PSC REG(EDGEQ_TIMER_BASE + 0x28u)
#define TIM_ARR REG(EDGEQ_TIMER_BASE + 0x2Cu)
#define TIM_EN_BIT (1u << ((EDGEQ_TIMER_BASE - 0x40000000u) / 0x400u))

#define DEMCR REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)
#define DWT_CTRL_CYCCNTENA 1u

#define NVIC_ISER REG(0xE000E100u + 4u * (EDGEQ_UART_RX_IRQ / 32u))
#define NVIC_ICPR REG(0xE000E280u + 4u * (EDGEQ_UART_RX_IRQ / 32u))
#define UART_IRQ_BIT (1u << (EDGEQ_UART_RX_IRQ % 32u))

/* ---- clocks ---- */

/* What board_init left running (read back from the RCC, not what was asked for). */
static uint32_t core_hz = HSI_HZ;
static uint32_t uart_clock_hz = HSI_HZ;
static uint32_t timer_clock_hz = HSI_HZ;

static int wait_for(volatile uint32_t *reg, uint32_t mask, uint32_t value)
{
    uint32_t n;
    for (n = 0; n < SPIN_LIMIT; ++n) {
        if ((*reg & mask) == value) {
            return 1;
        }
    }
    return 0;
}

/* PLLCFGR's M, N, P, Q for EDGEQ_SYSCLK_HZ from src_hz (a whole number of MHz): VCO input
 * 2 MHz (1 MHz when src_hz is odd in MHz), VCO = 2 x SYSCLK, P = 2, Q: 48 MHz or less. */
static uint32_t pll_fields(uint32_t src_hz)
{
    const uint32_t in = src_hz % 2000000u == 0u ? 2000000u : 1000000u;
    const uint32_t vco = 2u * EDGEQ_SYSCLK_HZ;
    const uint32_t q = (vco + 47999999u) / 48000000u;
    return (src_hz / in) | (vco / in) << PLLCFGR_N_SHIFT | 0u << PLLCFGR_P_SHIFT | q << PLLCFGR_Q_SHIFT;
}

/* log2 of the AHB and APB dividers that CFGR's HPRE / PPREx fields select */
static uint32_t ahb_shift(uint32_t hpre)
{
    static const uint8_t shifts[8] = {1, 2, 3, 4, 6, 7, 8, 9};
    return hpre < 8u ? 0u : shifts[hpre - 8u];
}

static uint32_t apb_shift(uint32_t ppre)
{
    return ppre < 4u ? 0u : ppre - 3u;
}

/* The clocks in use, from the RCC's registers. */
static void read_clocks(void)
{
    const uint32_t cfgr = RCC_CFGR;
    const uint32_t ppre1 = (cfgr >> CFGR_PPRE1_SHIFT) & 7u;
    const uint32_t ppre2 = (cfgr >> CFGR_PPRE2_SHIFT) & 7u;
    uint32_t sysclk = HSI_HZ;
    uint32_t pclk1;
    uint32_t pclk2;
    switch ((cfgr & CFGR_SWS_MASK) >> CFGR_SWS_SHIFT) {
    case 1u:
        sysclk = EDGEQ_HSE_HZ;
        break;
    case 2u: {
        const uint32_t pll = RCC_PLLCFGR;
        const uint32_t m = pll & PLLCFGR_M_MASK;
        const uint32_t n = (pll >> PLLCFGR_N_SHIFT) & 0x1FFu;
        const uint32_t p = (((pll >> PLLCFGR_P_SHIFT) & 3u) + 1u) * 2u;
        const uint32_t in = (pll & PLLCFGR_SRC_HSE) ? EDGEQ_HSE_HZ : HSI_HZ;
        if (m != 0u) {
            sysclk = in / m * n / p;
        }
        break;
    }
    default:
        break;
    }
    core_hz = sysclk >> ahb_shift((cfgr >> CFGR_HPRE_SHIFT) & 0xFu);
    pclk1 = core_hz >> apb_shift(ppre1);
    pclk2 = core_hz >> apb_shift(ppre2);
    uart_clock_hz = UART_ON_APB2 ? pclk2 : pclk1;
    /* the timers run at twice their APB clock when that bus is divided */
    timer_clock_hz = ppre1 < 4u ? pclk1 : 2u * pclk1;
}

/* Back to the reset clock: HSI, no bus dividers, PLL off. Flash wait states stay: more than
 * needed is harmless. */
static void fall_back_to_hsi(void)
{
    RCC_CFGR &= ~(CFGR_SW_MASK | CFGR_BUS_MASK);
    (void)wait_for(&RCC_CFGR, CFGR_SWS_MASK, 0u);
    RCC_CR &= ~CR_PLLON;
}

/* 0 when no RCC answers (QEMU: it reads 0, where a real part's RCC_CR shows HSIRDY from
 * reset): then nothing is configured and the core runs as it reset. */
static int clock_init(void)
{
    int hse = 0;
    if (!(RCC_CR & CR_HSIRDY)) {
        return 0;
    }
    /* From a known state: on the HSI with the PLL off (a boot loader may have left it on). */
    fall_back_to_hsi();
    (void)wait_for(&RCC_CR, CR_PLLRDY, 0u);
    RCC_APB1ENR |= APB1ENR_PWREN;
    (void)RCC_APB1ENR; /* the enable takes effect before PWR is written */
    PWR_CR |= PWR_CR_VOS;
    if (EDGEQ_HSE_HZ != 0u) {
        if (EDGEQ_HSE_BYPASS) {
            RCC_CR |= CR_HSEBYP; /* only while the HSE is off */
        }
        RCC_CR |= CR_HSEON;
        hse = wait_for(&RCC_CR, CR_HSERDY, CR_HSERDY);
        if (!hse) {
            RCC_CR &= ~CR_HSEON;
            RCC_CR &= ~CR_HSEBYP;
        }
    }
    RCC_PLLCFGR = (RCC_PLLCFGR & ~PLLCFGR_FIELDS) | pll_fields(hse ? EDGEQ_HSE_HZ : HSI_HZ)
                  | (hse ? PLLCFGR_SRC_HSE : 0u);
    RCC_CR |= CR_PLLON;
    if (!wait_for(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
        fall_back_to_hsi();
        return 1;
    }
#if EDGEQ_OVERDRIVE
    PWR_CR |= PWR_CR_ODEN;
    if (!wait_for(&PWR_CSR, PWR_CSR_ODRDY, PWR_CSR_ODRDY)) {
        fall_back_to_hsi();
        return 1;
    }
    PWR_CR |= PWR_CR_ODSWEN;
    if (!wait_for(&PWR_CSR, PWR_CSR_ODSWRDY, PWR_CSR_ODSWRDY)) {
        fall_back_to_hsi();
        return 1;
    }
#endif
    FLASH_ACR = FLASH_WS | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
    if ((FLASH_ACR & ACR_LATENCY_MASK) != FLASH_WS) {
        /* the wait states did not take: the full clock would read the flash too fast */
        fall_back_to_hsi();
        return 1;
    }
    RCC_CFGR = (RCC_CFGR & ~CFGR_BUS_MASK) | PPRE_DIV4 << CFGR_PPRE1_SHIFT | PPRE_DIV2 << CFGR_PPRE2_SHIFT;
    RCC_CFGR = (RCC_CFGR & ~CFGR_SW_MASK) | 2u;
    if (!wait_for(&RCC_CFGR, CFGR_SWS_MASK, 2u << CFGR_SWS_SHIFT)) {
        fall_back_to_hsi();
    }
    return 1;
}

/* ---- board ---- */

static void uart_pins(void)
{
    RCC_AHB1ENR |= AHB1ENR_GPIOAEN;
    (void)RCC_AHB1ENR;
    GPIOA_AFR(EDGEQ_UART_TX_PIN) = (GPIOA_AFR(EDGEQ_UART_TX_PIN) & ~(0xFu << 4u * (EDGEQ_UART_TX_PIN % 8u)))
                                   | 7u << 4u * (EDGEQ_UART_TX_PIN % 8u);
    GPIOA_AFR(EDGEQ_UART_RX_PIN) = (GPIOA_AFR(EDGEQ_UART_RX_PIN) & ~(0xFu << 4u * (EDGEQ_UART_RX_PIN % 8u)))
                                   | 7u << 4u * (EDGEQ_UART_RX_PIN % 8u);
    GPIOA_OSPEEDR |= 2u << 2u * EDGEQ_UART_TX_PIN;                                  /* fast */
    GPIOA_PUPDR = (GPIOA_PUPDR & ~(3u << 2u * EDGEQ_UART_RX_PIN)) | 1u << 2u * EDGEQ_UART_RX_PIN; /* pull-up */
    GPIOA_MODER = (GPIOA_MODER & ~(3u << 2u * EDGEQ_UART_TX_PIN) & ~(3u << 2u * EDGEQ_UART_RX_PIN))
                  | 2u << 2u * EDGEQ_UART_TX_PIN | 2u << 2u * EDGEQ_UART_RX_PIN; /* alternate function */
}

void board_init(void)
{
    if (clock_init()) {
        read_clocks();
    } else {
        timer_clock_hz = EDGEQ_EMU_TIMER_CLOCK_HZ; /* the emulator's timers: a fixed input clock */
    }
#ifdef EDGEQ_TIMER_CLOCK_HZ
    timer_clock_hz = EDGEQ_TIMER_CLOCK_HZ;
#endif

    /* UART: 8N1, oversampling by 16 (BRR = f / baud), RX interrupt (it only wakes WFI in
     * board_getc: PRIMASK stays set, so no handler runs). */
    UART_ENR |= UART_EN_BIT;
    (void)UART_ENR;
    uart_pins();
    USART_CR1 = 0u;
    USART_CR2 = 0u;
    USART_CR3 = 0u;
    USART_BRR = (uart_clock_hz + EDGEQ_BAUD / 2u) / EDGEQ_BAUD;
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    NVIC_ICPR = UART_IRQ_BIT;
    NVIC_ISER = UART_IRQ_BIT;

    /* TIM2: up-counting from 0 to 2^32 - 1 at EDGEQ_TIMER_HZ, no interrupt. */
    RCC_APB1ENR |= TIM_EN_BIT;
    (void)RCC_APB1ENR;
    TIM_CR1 = 0u;
    TIM_PSC = (timer_clock_hz + EDGEQ_TIMER_HZ / 2u) / EDGEQ_TIMER_HZ - 1u;
    TIM_ARR = 0xFFFFFFFFu;
    TIM_CNT = 0u;
    TIM_EGR = 1u; /* UG: the prescaler is buffered until an update event */
    TIM_SR = 0u;
    TIM_CR1 = 1u; /* CEN */

    /* DWT cycle counter (reads 0 where it is not implemented, e.g. QEMU). */
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

uint32_t board_clock_hz(void)
{
    return core_hz;
}

void board_putc(char c)
{
    uint32_t n;
    /* bounded: a UART whose clock never came up must not hang the firmware */
    for (n = 0; n < SPIN_LIMIT && !(USART_SR & SR_TXE); ++n) {
    }
    USART_DR = (uint32_t)(unsigned char)c;
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
    while (!(USART_SR & SR_RXNE)) {
        /* Sleep instead of spinning: the emulator (or core) idles until a byte arrives. */
        __asm__ volatile("wfi" ::: "memory");
    }
    c = (int)(USART_DR & 0xFFu); /* reading DR clears RXNE (and an overrun) and drops the IRQ */
    NVIC_ICPR = UART_IRQ_BIT;    /* ...whose pending state the NVIC latched: clear it */
    return c;
}

uint32_t board_ticks(void)
{
    return TIM_CNT;
}

uint32_t board_cycles(void)
{
    return DWT_CYCCNT;
}
