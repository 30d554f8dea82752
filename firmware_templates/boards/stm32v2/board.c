/* stm32v2 board support: clock tree, USART v2 / LPUART, TIM5 as the free-running timer, DWT
 * cycle counter, the Cortex-M7's caches, semihosting. One file for three series, picked by
 * EDGEQ_STM32F7 / EDGEQ_STM32H7 / EDGEQ_STM32L4 (edgeq/targets/stm32v2.py); the register
 * layouts are those of ST's RM0385 (STM32F75x/74x), RM0433 (STM32H742/743/753/750) and
 * RM0432 (STM32L4+). The board's crystal, core clock and UART pins come in as EDGEQ_* macros.
 *
 * Clocks: board_init brings the core to EDGEQ_SYSCLK_HZ through the main PLL, from the
 * crystal (EDGEQ_HSE_HZ, when the board has one and it starts) or the part's internal RC
 * oscillator, with the regulator setting and flash wait states that clock needs:
 *   F7: 216 MHz from HSE/HSI, VOS scale 1 + over-drive, 7 wait states; APB1 /4, APB2 /2.
 *   H7: 400 MHz (VOS1) from HSE/HSI, LDO supply; AXI/AHB /2, every APB /2 (100 MHz); 2 wait
 *       states at the 200 MHz AXI clock.
 *   L4: 120 MHz from HSE/HSI16 in range 1 boost mode, 5 wait states; no bus divider.
 * Every wait on a ready flag is bounded: whatever does not come up leaves the core on the clock
 * it reset on (F7: HSI 16 MHz, H7: HSI 64 MHz, L4: MSI 4 MHz). The clocks in use are then read
 * back from the RCC, and the UART's baud divider and the timer's prescaler are computed from
 * them. EDGEQ_TIMER_CLOCK_HZ, when defined, overrides the timer input clock (an emulator whose
 * timers ignore the RCC: Renode's STM32_Timer).
 *
 * Cortex-M7 (F7, H7): the I and D caches are turned on (the flash is read through the AXI
 * bus, where only the L1 cache hides its wait states). Semihosting hands buffers to a
 * debugger that reads and writes memory behind the D-cache, so each semihosting call cleans
 * and invalidates it around the BKPT.
 */
#include "board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#if (defined(EDGEQ_STM32F7) + defined(EDGEQ_STM32H7) + defined(EDGEQ_STM32L4)) != 1
#error "stm32v2: define exactly one of EDGEQ_STM32F7, EDGEQ_STM32H7, EDGEQ_STM32L4"
#endif

#ifndef EDGEQ_HSE_HZ
#define EDGEQ_HSE_HZ 0u /* no crystal: the PLL runs from the internal RC oscillator */
#endif
#ifndef EDGEQ_HSE_BYPASS
#define EDGEQ_HSE_BYPASS 0 /* 1: an external clock on OSC_IN (a Nucleo's ST-LINK MCO) */
#endif
#ifndef EDGEQ_UART_AF
#define EDGEQ_UART_AF 7
#endif

/* Polls of a ready flag before giving up: each poll reads a peripheral register, so this is
 * tens of ms on the reset clocks (hundreds on the L4's 4 MHz MSI), where an HSE starts in
 * ~2 ms and a PLL locks in ~0.1 ms; still over a millisecond at 400 MHz, where one character
 * at 115200 baud takes ~87 us. */
#define SPIN_LIMIT 200000u

/* ---- the series ---- */

#if defined(EDGEQ_STM32F7)

#define RESET_HZ 16000000u /* HSI */
#define HSI_HZ 16000000u
#define IS_CORTEX_M7 1
#define RCC_BASE 0x40023800u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR REG(RCC_BASE + 0x40u)
#define RCC_APB2ENR REG(RCC_BASE + 0x44u)
#define CR_RESET_RDY (1u << 1) /* HSIRDY */
#define CR_HSEON (1u << 16)
#define CR_HSERDY (1u << 17)
#define CR_HSEBYP (1u << 18)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define PLLCFGR_N_SHIFT 6u  /* M: bits 5:0, N: 14:6, P: 17:16 (P = 2, 4, 6, 8), Q: 27:24 */
#define PLLCFGR_P_SHIFT 16u
#define PLLCFGR_SRC_HSE (1u << 22)
#define PLLCFGR_Q_SHIFT 24u
#define PLLCFGR_FIELDS (0x3Fu | 0x1FFu << 6 | 3u << 16 | 1u << 22 | 0xFu << 24)
#define CFGR_SW_MASK 3u /* 0 HSI, 1 HSE, 2 PLL */
#define CFGR_SWS_SHIFT 2u
#define CFGR_SWS_MASK (3u << 2)
#define CFGR_HPRE_SHIFT 4u
#define CFGR_PPRE1_SHIFT 10u
#define CFGR_PPRE2_SHIFT 13u
#define CFGR_BUS_MASK (0xFu << 4 | 7u << 10 | 7u << 13)
#define APB1ENR_PWREN (1u << 28)
#define PWR_CR1 REG(0x40007000u)
#define PWR_CSR1 REG(0x40007004u)
#define PWR_CR1_VOS_SCALE1 (3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)
#define FLASH_ACR REG(0x40023C00u)
#define ACR_LATENCY_MASK 0xFu
#define ACR_PRFTEN (1u << 8)
#define ACR_ARTEN (1u << 9)
/* wait states at 2.7-3.6 V: one per 30 MHz of HCLK (RM0385, flash read latency) */
#define FLASH_WS ((EDGEQ_SYSCLK_HZ - 1u) / 30000000u)
#define GPIO_BASE(port) (0x40020000u + 0x400u * (port))
#define GPIO_ENR RCC_AHB1ENR
#define TIM_ENR RCC_APB1ENR
/* the console UART's clock enable, and its bus (1: APB1, 2: APB2) */
#if EDGEQ_UART_BASE == 0x40011000u /* USART1 */
#define UART_ENR RCC_APB2ENR
#define UART_EN_BIT (1u << 4)
#define UART_BUS 2
#elif EDGEQ_UART_BASE == 0x40011400u /* USART6 */
#define UART_ENR RCC_APB2ENR
#define UART_EN_BIT (1u << 5)
#define UART_BUS 2
#elif EDGEQ_UART_BASE >= 0x40004400u && EDGEQ_UART_BASE <= 0x40005000u /* USART2/3, UART4/5 */
#define UART_ENR RCC_APB1ENR
#define UART_EN_BIT (1u << (17u + (EDGEQ_UART_BASE - 0x40004400u) / 0x400u))
#define UART_BUS 1
#elif EDGEQ_UART_BASE == 0x40007800u || EDGEQ_UART_BASE == 0x40007C00u /* UART7/8 */
#define UART_ENR RCC_APB1ENR
#define UART_EN_BIT (1u << (30u + (EDGEQ_UART_BASE - 0x40007800u) / 0x400u))
#define UART_BUS 1
#else
#error "stm32v2 (F7): unknown UART base"
#endif

#elif defined(EDGEQ_STM32H7)

#define RESET_HZ 64000000u /* HSI, HSIDIV = 1 */
#define HSI_HZ 64000000u
#define CSI_HZ 4000000u
#define IS_CORTEX_M7 1
#define RCC_BASE 0x58024400u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_CFGR REG(RCC_BASE + 0x10u)
#define RCC_D1CFGR REG(RCC_BASE + 0x18u)
#define RCC_D2CFGR REG(RCC_BASE + 0x1Cu)
#define RCC_D3CFGR REG(RCC_BASE + 0x20u)
#define RCC_PLLCKSELR REG(RCC_BASE + 0x28u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x2Cu)
#define RCC_PLL1DIVR REG(RCC_BASE + 0x30u)
#define RCC_AHB4ENR REG(RCC_BASE + 0xE0u)
#define RCC_APB1LENR REG(RCC_BASE + 0xE8u)
#define RCC_APB2ENR REG(RCC_BASE + 0xF0u)
#define RCC_APB4ENR REG(RCC_BASE + 0xF4u)
#define CR_RESET_RDY (1u << 2) /* HSIRDY */
#define CR_HSIDIV_SHIFT 3u     /* bits 4:3: HSI / 1, 2, 4, 8 */
#define CR_HSEON (1u << 16)
#define CR_HSERDY (1u << 17)
#define CR_HSEBYP (1u << 18)
#define CR_PLLON (1u << 24)  /* PLL1ON */
#define CR_PLLRDY (1u << 25) /* PLL1RDY */
#define CFGR_SW_MASK 7u      /* 0 HSI, 1 CSI, 2 HSE, 3 PLL1 */
#define CFGR_SWS_SHIFT 3u
#define CFGR_SWS_MASK (7u << 3)
#define CFGR_SW_PLL 3u
#define D1CFGR_HPRE_SHIFT 0u   /* bits 3:0: AXI/AHB = sys_ck / D1CPRE / HPRE */
#define D1CFGR_D1PPRE_SHIFT 4u /* bits 6:4: APB3 */
#define D1CFGR_D1CPRE_SHIFT 8u /* bits 11:8: the core */
#define D1CFGR_MASK (0xFu | 7u << 4 | 0xFu << 8)
#define D2CFGR_PPRE1_SHIFT 4u /* bits 6:4: APB1 */
#define D2CFGR_PPRE2_SHIFT 8u /* bits 10:8: APB2 */
#define D2CFGR_MASK (7u << 4 | 7u << 8)
#define D3CFGR_PPRE_SHIFT 4u /* bits 6:4: APB4 */
#define D3CFGR_MASK (7u << 4)
#define PLLCKSELR_SRC_MASK 3u /* 0 HSI, 1 CSI, 2 HSE */
#define PLLCKSELR_DIVM1_SHIFT 4u /* bits 9:4 */
#define PLLCKSELR_FIELDS (3u | 0x3Fu << 4)
#define PLLCFGR_PLL1_FIELDS (0xFu | 7u << 16) /* FRACEN, VCOSEL, RGE; DIVP1EN, DIVQ1EN, DIVR1EN */
#define PLLCFGR_RGE_4_8MHZ (2u << 2)           /* VCOSEL = 0: the wide VCO, 192-836 MHz */
#define PLLCFGR_DIV1EN (7u << 16)
#define PLL_REF_HZ 4000000u /* PLL1 input: HSE 8 MHz / 2, HSI 64 MHz / 16 */
#define PLL_Q 8u            /* pll1_q_ck = VCO / 8: 100 MHz (unused) */
#define PWR_CSR1 REG(0x58024804u)
#define PWR_CR3 REG(0x5802480Cu)
#define PWR_D3CR REG(0x58024818u)
#define PWR_CSR1_ACTVOSRDY (1u << 13)
#define PWR_CR3_BYPASS (1u << 0)
#define PWR_CR3_LDOEN (1u << 1)
#define PWR_CR3_SCUEN (1u << 2)
#define PWR_D3CR_VOS_MASK (3u << 14)
#define PWR_D3CR_VOS1 (3u << 14)
#define PWR_D3CR_VOSRDY (1u << 13)
#define FLASH_ACR REG(0x52002000u)
#define ACR_LATENCY_MASK 0xFu
/* VOS1, AXI clock 185-210 MHz: 2 wait states, programming delay WRHIGHFREQ = 2 (RM0433) */
#define FLASH_WS 2u
#define FLASH_WRHIGHFREQ (2u << 4)
#define GPIO_BASE(port) (0x58020000u + 0x400u * (port))
#define GPIO_ENR RCC_AHB4ENR
#define TIM_ENR RCC_APB1LENR
#if EDGEQ_UART_BASE == 0x40011000u /* USART1 */
#define UART_ENR RCC_APB2ENR
#define UART_EN_BIT (1u << 4)
#define UART_BUS 2
#elif EDGEQ_UART_BASE == 0x40011400u /* USART6 */
#define UART_ENR RCC_APB2ENR
#define UART_EN_BIT (1u << 5)
#define UART_BUS 2
#elif EDGEQ_UART_BASE >= 0x40004400u && EDGEQ_UART_BASE <= 0x40005000u /* USART2/3, UART4/5 */
#define UART_ENR RCC_APB1LENR
#define UART_EN_BIT (1u << (17u + (EDGEQ_UART_BASE - 0x40004400u) / 0x400u))
#define UART_BUS 1
#elif EDGEQ_UART_BASE == 0x40007800u || EDGEQ_UART_BASE == 0x40007C00u /* UART7/8 */
#define UART_ENR RCC_APB1LENR
#define UART_EN_BIT (1u << (30u + (EDGEQ_UART_BASE - 0x40007800u) / 0x400u))
#define UART_BUS 1
#elif EDGEQ_UART_BASE == 0x58000C00u /* LPUART1, on APB4 */
#define UART_ENR RCC_APB4ENR
#define UART_EN_BIT (1u << 3)
#define UART_BUS 4
#define UART_IS_LPUART 1
#else
#error "stm32v2 (H7): unknown UART base"
#endif

#else /* EDGEQ_STM32L4 */

#define RESET_HZ 4000000u /* MSI, range 6 */
#define HSI_HZ 16000000u  /* HSI16 */
#define IS_CORTEX_M7 0
#define RCC_BASE 0x40021000u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x0Cu)
#define RCC_AHB2ENR REG(RCC_BASE + 0x4Cu)
#define RCC_APB1ENR1 REG(RCC_BASE + 0x58u)
#define RCC_APB1ENR2 REG(RCC_BASE + 0x5Cu)
#define RCC_APB2ENR REG(RCC_BASE + 0x60u)
#define RCC_CSR REG(RCC_BASE + 0x94u)
#define CR_RESET_RDY (1u << 1) /* MSIRDY */
#define CR_MSIRGSEL (1u << 3)  /* the MSI range from CR.MSIRANGE (7:4), else CSR.MSISRANGE (11:8) */
#define CR_HSION (1u << 8)
#define CR_HSIRDY (1u << 10)
#define CR_HSEON (1u << 16)
#define CR_HSERDY (1u << 17)
#define CR_HSEBYP (1u << 18)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define CFGR_SW_MASK 3u /* 0 MSI, 1 HSI16, 2 HSE, 3 PLL */
#define CFGR_SWS_SHIFT 2u
#define CFGR_SWS_MASK (3u << 2)
#define CFGR_SW_PLL 3u
#define CFGR_HPRE_SHIFT 4u  /* bits 7:4 */
#define CFGR_PPRE1_SHIFT 8u /* bits 10:8 */
#define CFGR_PPRE2_SHIFT 11u /* bits 13:11 */
#define CFGR_BUS_MASK (0xFu << 4 | 7u << 8 | 7u << 11)
#define HPRE_DIV2 8u
#define PLLCFGR_SRC_HSI16 2u /* bits 1:0: 1 MSI, 2 HSI16, 3 HSE */
#define PLLCFGR_SRC_HSE 3u
#define PLLCFGR_M_SHIFT 4u /* bits 7:4: M - 1 */
#define PLLCFGR_N_SHIFT 8u /* bits 14:8 */
#define PLLCFGR_REN (1u << 24)
#define PLLCFGR_R_SHIFT 25u /* bits 26:25: R = 2, 4, 6, 8 */
#define PLL_REF_HZ 4000000u /* PLL input: HSI16 / 4 (2.66-16 MHz on the L4+) */
#define APB1ENR1_PWREN (1u << 28)
#define PWR_CR1 REG(0x40007000u)
#define PWR_CR2 REG(0x40007004u)
#define PWR_SR2 REG(0x40007014u)
#define PWR_CR5 REG(0x40007080u)
#define PWR_CR1_VOS_MASK (3u << 9)
#define PWR_CR1_VOS_RANGE1 (1u << 9)
#define PWR_CR2_IOSV (1u << 9) /* VDDIO2 valid: PG[15:2] usable */
#define PWR_SR2_VOSF (1u << 10)
#define PWR_CR5_R1MODE (1u << 8) /* 1: range 1 normal, 0: boost (above 80 MHz) */
#define FLASH_ACR REG(0x40022000u)
#define ACR_LATENCY_MASK 0xFu
#define ACR_PRFTEN (1u << 8)
#define ACR_ICEN (1u << 9)
#define ACR_DCEN (1u << 10)
/* range 1: one wait state per 20 MHz of HCLK (RM0432, flash read latency) */
#define FLASH_WS ((EDGEQ_SYSCLK_HZ - 1u) / 20000000u)
#define GPIO_BASE(port) (0x48000000u + 0x400u * (port))
#define GPIO_ENR RCC_AHB2ENR
#define TIM_ENR RCC_APB1ENR1
#if EDGEQ_UART_BASE == 0x40013800u /* USART1 */
#define UART_ENR RCC_APB2ENR
#define UART_EN_BIT (1u << 14)
#define UART_BUS 2
#elif EDGEQ_UART_BASE >= 0x40004400u && EDGEQ_UART_BASE <= 0x40005000u /* USART2/3, UART4/5 */
#define UART_ENR RCC_APB1ENR1
#define UART_EN_BIT (1u << (17u + (EDGEQ_UART_BASE - 0x40004400u) / 0x400u))
#define UART_BUS 1
#elif EDGEQ_UART_BASE == 0x40008000u /* LPUART1 */
#define UART_ENR RCC_APB1ENR2
#define UART_EN_BIT (1u << 0)
#define UART_BUS 1
#define UART_IS_LPUART 1
#else
#error "stm32v2 (L4): unknown UART base"
#endif

#endif

#ifndef UART_IS_LPUART
#define UART_IS_LPUART 0
#endif

/* ---- registers common to the three series ---- */

#define GPIO_MODER(port) REG(GPIO_BASE(port) + 0x00u)
#define GPIO_OSPEEDR(port) REG(GPIO_BASE(port) + 0x08u)
#define GPIO_PUPDR(port) REG(GPIO_BASE(port) + 0x0Cu)
#define GPIO_AFR(port, pin) REG(GPIO_BASE(port) + 0x20u + 4u * ((pin) / 8u))

/* USART v2 (and LPUART): the same registers and bits */
#define USART_CR1 REG(EDGEQ_UART_BASE + 0x00u)
#define USART_CR2 REG(EDGEQ_UART_BASE + 0x04u)
#define USART_CR3 REG(EDGEQ_UART_BASE + 0x08u)
#define USART_BRR REG(EDGEQ_UART_BASE + 0x0Cu)
#define USART_ISR REG(EDGEQ_UART_BASE + 0x1Cu)
#define USART_ICR REG(EDGEQ_UART_BASE + 0x20u)
#define USART_RDR REG(EDGEQ_UART_BASE + 0x24u)
#define USART_TDR REG(EDGEQ_UART_BASE + 0x28u)
#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR3_OVRDIS (1u << 12)
#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)
#define ICR_ORECF (1u << 3)

/* TIM2..TIM5 (0x40000000 + 0x400 k) on APB1, enable bit k on all three series; TIM2 and TIM5
 * are 32-bit. */
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
#define DWT_LAR REG(0xE0001FB0u) /* the Cortex-M7's DWT is locked against software writes */
#define DWT_CTRL_CYCCNTENA 1u
#define CORESIGHT_UNLOCK 0xC5ACCE55u

#define SCB_CCR REG(0xE000ED14u)
#define CCR_DC (1u << 16)
#define CCR_IC (1u << 17)
#define SCB_CCSIDR REG(0xE000ED80u)
#define SCB_CSSELR REG(0xE000ED84u)
#define SCB_ICIALLU REG(0xE000EF50u)
#define SCB_DCISW REG(0xE000EF60u)
#define SCB_DCCISW REG(0xE000EF74u)

#define NVIC_ISER REG(0xE000E100u + 4u * (EDGEQ_UART_RX_IRQ / 32u))
#define NVIC_ICPR REG(0xE000E280u + 4u * (EDGEQ_UART_RX_IRQ / 32u))
#define UART_IRQ_BIT (1u << (EDGEQ_UART_RX_IRQ % 32u))

/* ---- clocks ---- */

/* What board_init left running (read back from the RCC, not what was asked for). */
static uint32_t core_hz = RESET_HZ;
static uint32_t uart_clock_hz = RESET_HZ;
static uint32_t timer_clock_hz = RESET_HZ;

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

/* log2 of the dividers the AHB-style (4-bit: 0xxx = 1, 1000 = 2 ... 1111 = 512) and APB-style
 * (3-bit: 0xx = 1, 100 = 2 ... 111 = 16) prescaler fields select */
static uint32_t ahb_shift(uint32_t hpre)
{
    static const uint8_t shifts[8] = {1, 2, 3, 4, 6, 7, 8, 9};
    return hpre < 8u ? 0u : shifts[hpre - 8u];
}

static uint32_t apb_shift(uint32_t ppre)
{
    return ppre < 4u ? 0u : ppre - 3u;
}

/* The HSE, when the board has one: on (bypassed for an external clock) and ready, or off. */
static int hse_on(void)
{
    if (EDGEQ_HSE_HZ == 0u) {
        return 0;
    }
    if (EDGEQ_HSE_BYPASS) {
        RCC_CR |= CR_HSEBYP; /* only while the HSE is off */
    }
    RCC_CR |= CR_HSEON;
    if (wait_for(&RCC_CR, CR_HSERDY, CR_HSERDY)) {
        return 1;
    }
    RCC_CR &= ~CR_HSEON;
    RCC_CR &= ~CR_HSEBYP;
    return 0;
}

#if defined(EDGEQ_STM32F7)

/* PLLCFGR's M, N, P, Q for EDGEQ_SYSCLK_HZ from src_hz (a whole number of MHz): VCO input
 * 2 MHz (1 MHz when src_hz is odd in MHz, the 25 MHz crystal), VCO = 2 x SYSCLK, P = 2,
 * Q: 48 MHz or less. */
static uint32_t pll_fields(uint32_t src_hz)
{
    const uint32_t in = src_hz % 2000000u == 0u ? 2000000u : 1000000u;
    const uint32_t vco = 2u * EDGEQ_SYSCLK_HZ;
    const uint32_t q = (vco + 47999999u) / 48000000u;
    return (src_hz / in) | (vco / in) << PLLCFGR_N_SHIFT | 0u << PLLCFGR_P_SHIFT | q << PLLCFGR_Q_SHIFT;
}

static void read_clocks(void)
{
    const uint32_t cfgr = RCC_CFGR;
    const uint32_t ppre1 = (cfgr >> CFGR_PPRE1_SHIFT) & 7u;
    const uint32_t ppre2 = (cfgr >> CFGR_PPRE2_SHIFT) & 7u;
    uint32_t sysclk = HSI_HZ;
    uint32_t pclk1;
    switch ((cfgr & CFGR_SWS_MASK) >> CFGR_SWS_SHIFT) {
    case 1u:
        sysclk = EDGEQ_HSE_HZ;
        break;
    case 2u: {
        const uint32_t pll = RCC_PLLCFGR;
        const uint32_t m = pll & 0x3Fu;
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
    uart_clock_hz = UART_BUS == 2 ? core_hz >> apb_shift(ppre2) : pclk1;
    /* the timers run at twice their APB clock when that bus is divided (DCKCFGR1.TIMPRE = 0) */
    timer_clock_hz = ppre1 < 4u ? pclk1 : 2u * pclk1;
}

/* Back to the reset clock: HSI, no bus dividers, PLL off. Flash wait states stay: more than
 * needed is harmless. */
static void fall_back(void)
{
    RCC_CFGR &= ~(CFGR_SW_MASK | CFGR_BUS_MASK);
    (void)wait_for(&RCC_CFGR, CFGR_SWS_MASK, 0u);
    RCC_CR &= ~CR_PLLON;
}

static void clock_tree(void)
{
    int hse;
    RCC_APB1ENR |= APB1ENR_PWREN;
    (void)RCC_APB1ENR; /* the enable takes effect before PWR is written */
    PWR_CR1 |= PWR_CR1_VOS_SCALE1; /* only while the PLL is off */
    hse = hse_on();
    RCC_PLLCFGR = (RCC_PLLCFGR & ~PLLCFGR_FIELDS) | pll_fields(hse ? EDGEQ_HSE_HZ : HSI_HZ)
                  | (hse ? PLLCFGR_SRC_HSE : 0u);
    RCC_CR |= CR_PLLON;
    if (!wait_for(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
        fall_back();
        return;
    }
    /* 216 MHz needs the over-drive (above 180 MHz) */
    PWR_CR1 |= PWR_CR1_ODEN;
    if (!wait_for(&PWR_CSR1, PWR_CSR1_ODRDY, PWR_CSR1_ODRDY)) {
        fall_back();
        return;
    }
    PWR_CR1 |= PWR_CR1_ODSWEN;
    if (!wait_for(&PWR_CSR1, PWR_CSR1_ODSWRDY, PWR_CSR1_ODSWRDY)) {
        fall_back();
        return;
    }
    FLASH_ACR = FLASH_WS | ACR_PRFTEN | ACR_ARTEN;
    if ((FLASH_ACR & ACR_LATENCY_MASK) != FLASH_WS) {
        /* the wait states did not take: the full clock would read the flash too fast */
        fall_back();
        return;
    }
    RCC_CFGR = (RCC_CFGR & ~CFGR_BUS_MASK) | 5u << CFGR_PPRE1_SHIFT | 4u << CFGR_PPRE2_SHIFT; /* /4, /2 */
    RCC_CFGR = (RCC_CFGR & ~CFGR_SW_MASK) | 2u;
    if (!wait_for(&RCC_CFGR, CFGR_SWS_MASK, 2u << CFGR_SWS_SHIFT)) {
        fall_back();
    }
}

#elif defined(EDGEQ_STM32H7)

static void read_clocks(void)
{
    const uint32_t d1 = RCC_D1CFGR;
    const uint32_t d2 = RCC_D2CFGR;
    const uint32_t ppre1 = (d2 >> D2CFGR_PPRE1_SHIFT) & 7u;
    const uint32_t hsi = HSI_HZ >> ((RCC_CR >> CR_HSIDIV_SHIFT) & 3u);
    uint32_t sysclk = hsi;
    uint32_t hclk;
    uint32_t pclk1;
    switch ((RCC_CFGR & CFGR_SWS_MASK) >> CFGR_SWS_SHIFT) {
    case 1u:
        sysclk = CSI_HZ;
        break;
    case 2u:
        sysclk = EDGEQ_HSE_HZ;
        break;
    case 3u: {
        const uint32_t sel = RCC_PLLCKSELR;
        const uint32_t div = RCC_PLL1DIVR;
        const uint32_t m = (sel >> PLLCKSELR_DIVM1_SHIFT) & 0x3Fu;
        const uint32_t n = (div & 0x1FFu) + 1u;
        const uint32_t p = ((div >> 9) & 0x7Fu) + 1u;
        const uint32_t src = sel & PLLCKSELR_SRC_MASK;
        const uint32_t in = src == 2u ? EDGEQ_HSE_HZ : src == 1u ? CSI_HZ : hsi;
        if (m != 0u) {
            sysclk = in / m * n / p;
        }
        break;
    }
    default:
        break;
    }
    core_hz = sysclk >> ahb_shift((d1 >> D1CFGR_D1CPRE_SHIFT) & 0xFu);
    hclk = core_hz >> ahb_shift((d1 >> D1CFGR_HPRE_SHIFT) & 0xFu);
    pclk1 = hclk >> apb_shift(ppre1);
    uart_clock_hz = UART_BUS == 2   ? hclk >> apb_shift((d2 >> D2CFGR_PPRE2_SHIFT) & 7u)
                    : UART_BUS == 4 ? hclk >> apb_shift((RCC_D3CFGR >> D3CFGR_PPRE_SHIFT) & 7u)
                                    : pclk1;
    /* the timers run at twice their APB clock when that bus is divided (CFGR.TIMPRE = 0) */
    timer_clock_hz = ppre1 < 4u ? pclk1 : 2u * pclk1;
}

/* Back to the reset clock: HSI, no dividers, PLL1 off. The wait states and VOS stay. */
static void fall_back(void)
{
    RCC_CFGR &= ~CFGR_SW_MASK;
    (void)wait_for(&RCC_CFGR, CFGR_SWS_MASK, 0u);
    RCC_D1CFGR &= ~D1CFGR_MASK;
    RCC_D2CFGR &= ~D2CFGR_MASK;
    RCC_D3CFGR &= ~D3CFGR_MASK;
    RCC_CR &= ~CR_PLLON;
}

static void clock_tree(void)
{
    int hse;
    uint32_t src_hz;
    /* Supply from the LDO (the H753 has no SMPS), which locks the supply configuration until
     * the next power-on. ACTVOSRDY says the regulator is at the current VOS: waited for, but
     * not required (Renode models no PWR but D3CR.VOSRDY, which is checked below). */
    PWR_CR3 = (PWR_CR3 & ~(PWR_CR3_BYPASS | PWR_CR3_SCUEN)) | PWR_CR3_LDOEN;
    (void)wait_for(&PWR_CSR1, PWR_CSR1_ACTVOSRDY, PWR_CSR1_ACTVOSRDY);
    PWR_D3CR = (PWR_D3CR & ~PWR_D3CR_VOS_MASK) | PWR_D3CR_VOS1;
    if (!wait_for(&PWR_D3CR, PWR_D3CR_VOSRDY, PWR_D3CR_VOSRDY)) {
        return; /* the regulator did not reach VOS1: the core stays on the HSI */
    }
    hse = hse_on();
    src_hz = hse ? EDGEQ_HSE_HZ : HSI_HZ;
    /* PLL1: ref 4 MHz (4-8 MHz range, wide VCO), VCO = 2 x SYSCLK, P = 2, Q = 8, R = 2 */
    RCC_PLLCKSELR = (RCC_PLLCKSELR & ~PLLCKSELR_FIELDS) | (hse ? 2u : 0u)
                    | (src_hz / PLL_REF_HZ) << PLLCKSELR_DIVM1_SHIFT;
    RCC_PLL1DIVR = (2u * EDGEQ_SYSCLK_HZ / PLL_REF_HZ - 1u) | (2u - 1u) << 9 | (PLL_Q - 1u) << 16
                   | (2u - 1u) << 24;
    RCC_PLLCFGR = (RCC_PLLCFGR & ~PLLCFGR_PLL1_FIELDS) | PLLCFGR_RGE_4_8MHZ | PLLCFGR_DIV1EN;
    RCC_CR |= CR_PLLON;
    if (!wait_for(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
        fall_back();
        return;
    }
    FLASH_ACR = FLASH_WS | FLASH_WRHIGHFREQ;
    if ((FLASH_ACR & ACR_LATENCY_MASK) != FLASH_WS) {
        fall_back();
        return;
    }
    /* the AXI/AHB (200 MHz at most at VOS1) and APB (100 MHz) dividers before the switch */
    RCC_D1CFGR = (RCC_D1CFGR & ~D1CFGR_MASK) | 8u << D1CFGR_HPRE_SHIFT | 4u << D1CFGR_D1PPRE_SHIFT;
    RCC_D2CFGR = (RCC_D2CFGR & ~D2CFGR_MASK) | 4u << D2CFGR_PPRE1_SHIFT | 4u << D2CFGR_PPRE2_SHIFT;
    RCC_D3CFGR = (RCC_D3CFGR & ~D3CFGR_MASK) | 4u << D3CFGR_PPRE_SHIFT;
    RCC_CFGR = (RCC_CFGR & ~CFGR_SW_MASK) | CFGR_SW_PLL;
    if (!wait_for(&RCC_CFGR, CFGR_SWS_MASK, CFGR_SW_PLL << CFGR_SWS_SHIFT)) {
        fall_back();
    }
}

#else /* EDGEQ_STM32L4 */

static uint32_t msi_hz(void)
{
    static const uint32_t khz[12] = {100, 200, 400, 800, 1000, 2000, 4000, 8000, 16000, 24000, 32000, 48000};
    const uint32_t range = (RCC_CR & CR_MSIRGSEL) ? (RCC_CR >> 4) & 0xFu : (RCC_CSR >> 8) & 0xFu;
    return range < 12u ? khz[range] * 1000u : RESET_HZ;
}

static void read_clocks(void)
{
    const uint32_t cfgr = RCC_CFGR;
    const uint32_t ppre1 = (cfgr >> CFGR_PPRE1_SHIFT) & 7u;
    const uint32_t ppre2 = (cfgr >> CFGR_PPRE2_SHIFT) & 7u;
    uint32_t sysclk = 0u;
    uint32_t pclk1;
    switch ((cfgr & CFGR_SWS_MASK) >> CFGR_SWS_SHIFT) {
    case 0u:
        sysclk = msi_hz();
        break;
    case 1u:
        sysclk = HSI_HZ;
        break;
    case 2u:
        sysclk = EDGEQ_HSE_HZ;
        break;
    default: {
        const uint32_t pll = RCC_PLLCFGR;
        const uint32_t src = pll & 3u;
        const uint32_t m = ((pll >> PLLCFGR_M_SHIFT) & 0xFu) + 1u;
        const uint32_t n = (pll >> PLLCFGR_N_SHIFT) & 0x7Fu;
        const uint32_t r = (((pll >> PLLCFGR_R_SHIFT) & 3u) + 1u) * 2u;
        const uint32_t in = src == PLLCFGR_SRC_HSE ? EDGEQ_HSE_HZ : src == PLLCFGR_SRC_HSI16 ? HSI_HZ : msi_hz();
        sysclk = in / m * n / r;
        break;
    }
    }
    core_hz = sysclk >> ahb_shift((cfgr >> CFGR_HPRE_SHIFT) & 0xFu);
    pclk1 = core_hz >> apb_shift(ppre1);
    uart_clock_hz = UART_BUS == 2 ? core_hz >> apb_shift(ppre2) : pclk1;
    timer_clock_hz = ppre1 < 4u ? pclk1 : 2u * pclk1;
}

/* Back to the reset clock: MSI, no bus dividers, PLL off. Wait states and boost mode stay. */
static void fall_back(void)
{
    RCC_CFGR &= ~(CFGR_SW_MASK | CFGR_BUS_MASK);
    (void)wait_for(&RCC_CFGR, CFGR_SWS_MASK, 0u);
    RCC_CR &= ~CR_PLLON;
}

static void short_delay(void)
{
    volatile uint32_t n;
    for (n = 0; n < 200u; ++n) { /* > 1 us at 120 MHz */
    }
}

static void clock_tree(void)
{
    int hse;
    RCC_APB1ENR1 |= APB1ENR1_PWREN;
    (void)RCC_APB1ENR1;
    PWR_CR1 = (PWR_CR1 & ~PWR_CR1_VOS_MASK) | PWR_CR1_VOS_RANGE1;
    if (!wait_for(&PWR_SR2, PWR_SR2_VOSF, 0u)) {
        return;
    }
    /* Range 1 boost (above 80 MHz): R1MODE cleared with HCLK halved, then the wait states for
     * the full clock; the AHB goes back to / 1 a microsecond after the switch (RM0432, "Range 1
     * boost mode"). */
    RCC_CFGR = (RCC_CFGR & ~CFGR_BUS_MASK) | HPRE_DIV2 << CFGR_HPRE_SHIFT;
    PWR_CR5 &= ~PWR_CR5_R1MODE;
    FLASH_ACR = FLASH_WS | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
    if ((FLASH_ACR & ACR_LATENCY_MASK) != FLASH_WS) {
        fall_back();
        return;
    }
    hse = hse_on();
    if (!hse) {
        RCC_CR |= CR_HSION;
        if (!wait_for(&RCC_CR, CR_HSIRDY, CR_HSIRDY)) {
            fall_back();
            return;
        }
    }
    /* PLL: ref 4 MHz, VCO = 2 x SYSCLK (64-344 MHz), R = 2 */
    RCC_PLLCFGR = (hse ? PLLCFGR_SRC_HSE : PLLCFGR_SRC_HSI16)
                  | ((hse ? EDGEQ_HSE_HZ : HSI_HZ) / PLL_REF_HZ - 1u) << PLLCFGR_M_SHIFT
                  | (2u * EDGEQ_SYSCLK_HZ / PLL_REF_HZ) << PLLCFGR_N_SHIFT | 0u << PLLCFGR_R_SHIFT | PLLCFGR_REN;
    RCC_CR |= CR_PLLON;
    if (!wait_for(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
        fall_back();
        return;
    }
    RCC_CFGR = (RCC_CFGR & ~CFGR_SW_MASK) | CFGR_SW_PLL;
    if (!wait_for(&RCC_CFGR, CFGR_SWS_MASK, CFGR_SW_PLL << CFGR_SWS_SHIFT)) {
        fall_back();
        return;
    }
    short_delay();
    RCC_CFGR &= ~(0xFu << CFGR_HPRE_SHIFT);
}

#endif

/* 0 when no RCC answers (its reset clock does not read ready): nothing is configured and the
 * core runs as it reset. */
static int clock_init(void)
{
    if (!(RCC_CR & CR_RESET_RDY)) {
        return 0;
    }
    /* From a known state: on the reset clock with the PLL off (a boot loader may have left
     * it on). */
    fall_back();
    (void)wait_for(&RCC_CR, CR_PLLRDY, 0u);
    clock_tree();
    return 1;
}

/* ---- the Cortex-M7's L1 caches ---- */

#if IS_CORTEX_M7
static void barrier(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

/* One set/way operation (DCISW: invalidate, DCCISW: clean and invalidate) over the whole
 * data cache, its geometry from CCSIDR. */
static void dcache_each_line(volatile uint32_t *op)
{
    uint32_t ccsidr;
    uint32_t sets;
    uint32_t ways;
    uint32_t line_shift;
    uint32_t way_shift;
    uint32_t set;
    uint32_t way;
    SCB_CSSELR = 0u; /* level 1, data */
    barrier();
    ccsidr = SCB_CCSIDR;
    sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    line_shift = (ccsidr & 7u) + 4u;
    way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (way = 0; way < ways; ++way) {
        for (set = 0; set < sets; ++set) {
            *op = way << way_shift | set << line_shift;
        }
    }
    barrier();
}

static int dcache_on; /* set by caches_on (an emulator may show CCR.DC set from reset) */

static void caches_on(void)
{
    uint32_t ccsidr;
    barrier();
    SCB_ICIALLU = 0u;
    barrier();
    SCB_CCR |= CCR_IC;
    barrier();
    SCB_CSSELR = 0u;
    barrier();
    ccsidr = SCB_CCSIDR;
    /* an M7 has 4 ways of 32-byte lines and at most 64 KB: anything else (an emulator's
     * zero) leaves the D-cache off */
    if (((ccsidr >> 3) & 0x3FFu) != 3u || ((ccsidr >> 13) & 0x7FFFu) >= 512u) {
        return;
    }
    dcache_each_line(&SCB_DCISW);
    SCB_CCR |= CCR_DC;
    barrier();
    dcache_on = 1;
}

static void dcache_flush(void)
{
    if (dcache_on) {
        dcache_each_line(&SCB_DCCISW);
    }
}
#else
static void caches_on(void)
{
}

static void dcache_flush(void)
{
}
#endif

/* ---- board ---- */

static void pin_alternate(uint32_t port, uint32_t pin, uint32_t pull_up)
{
    const uint32_t af_shift = 4u * (pin % 8u);
    GPIO_ENR |= 1u << port;
    (void)GPIO_ENR;
    GPIO_AFR(port, pin) = (GPIO_AFR(port, pin) & ~(0xFu << af_shift)) | (uint32_t)EDGEQ_UART_AF << af_shift;
    GPIO_OSPEEDR(port) = (GPIO_OSPEEDR(port) & ~(3u << 2u * pin)) | 2u << 2u * pin; /* fast */
    GPIO_PUPDR(port) = (GPIO_PUPDR(port) & ~(3u << 2u * pin)) | pull_up << 2u * pin;
    GPIO_MODER(port) = (GPIO_MODER(port) & ~(3u << 2u * pin)) | 2u << 2u * pin; /* alternate function */
}

static void uart_pins(void)
{
#if defined(EDGEQ_STM32L4)
    /* PG2..PG15 sit in the VDDIO2 domain: isolated until software says the supply is valid */
    if (EDGEQ_UART_TX_PORT == 6 || EDGEQ_UART_RX_PORT == 6) {
        RCC_APB1ENR1 |= APB1ENR1_PWREN;
        (void)RCC_APB1ENR1;
        PWR_CR2 |= PWR_CR2_IOSV;
    }
#endif
    pin_alternate(EDGEQ_UART_TX_PORT, EDGEQ_UART_TX_PIN, 0u);
    pin_alternate(EDGEQ_UART_RX_PORT, EDGEQ_UART_RX_PIN, 1u); /* pull-up */
}

/* The baud rate divider: USARTDIV = f / baud (oversampling by 16); an LPUART's BRR is
 * 256 f / baud (f / baud < 4096), computed without 64-bit division. */
static uint32_t baud_divider(uint32_t f)
{
    if (UART_IS_LPUART) {
        return (f / EDGEQ_BAUD) * 256u + ((f % EDGEQ_BAUD) * 256u + EDGEQ_BAUD / 2u) / EDGEQ_BAUD;
    }
    return (f + EDGEQ_BAUD / 2u) / EDGEQ_BAUD;
}

void board_init(void)
{
    caches_on();
    if (clock_init()) {
        read_clocks();
    }
#ifdef EDGEQ_TIMER_CLOCK_HZ
    timer_clock_hz = EDGEQ_TIMER_CLOCK_HZ;
#endif

    /* UART: 8N1, no overrun detection (a byte that arrives before the last was read replaces
     * it, as on the USART v1), RX interrupt (it only wakes WFI in board_getc: PRIMASK stays
     * set, so no handler runs). */
    UART_ENR |= UART_EN_BIT;
    (void)UART_ENR;
    uart_pins();
    USART_CR1 = 0u;
    USART_CR2 = 0u;
    USART_CR3 = CR3_OVRDIS;
    USART_BRR = baud_divider(uart_clock_hz);
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    NVIC_ICPR = UART_IRQ_BIT;
    NVIC_ISER = UART_IRQ_BIT;

    /* TIM5: up-counting from 0 to 2^32 - 1 at EDGEQ_TIMER_HZ, no interrupt. */
    TIM_ENR |= TIM_EN_BIT;
    (void)TIM_ENR;
    TIM_CR1 = 0u;
    TIM_PSC = (timer_clock_hz + EDGEQ_TIMER_HZ / 2u) / EDGEQ_TIMER_HZ - 1u;
    TIM_ARR = 0xFFFFFFFFu;
    TIM_CNT = 0u;
    TIM_EGR = 1u; /* UG: the prescaler is buffered until an update event */
    TIM_SR = 0u;
    TIM_CR1 = 1u; /* CEN */

    /* DWT cycle counter (reads 0 where it is not implemented, e.g. an emulator). */
    DEMCR |= DEMCR_TRCENA;
#if IS_CORTEX_M7
    DWT_LAR = CORESIGHT_UNLOCK;
#endif
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
    for (n = 0; n < SPIN_LIMIT && !(USART_ISR & ISR_TXE); ++n) {
    }
    USART_TDR = (uint32_t)(unsigned char)c;
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
    while (!(USART_ISR & ISR_RXNE)) {
        /* Sleep instead of spinning: the emulator (or core) idles until a byte arrives. */
        __asm__ volatile("wfi" ::: "memory");
    }
    c = (int)(USART_RDR & 0xFFu); /* reading RDR clears RXNE and drops the IRQ */
    USART_ICR = ICR_ORECF;        /* (no overrun with OVRDIS; cleared in case) */
    NVIC_ICPR = UART_IRQ_BIT;     /* ...whose pending state the NVIC latched: clear it */
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

/* Semihosting (boards/common/semihosting.c): the host reads our buffers from memory and
 * writes them there, so the D-cache is cleaned around each call. */
void board_sh_sync(void)
{
    dcache_flush();
}
