/* stm32v2 start-up: vector table (the 16 system exceptions and the series' interrupts: 98 on
 * the STM32F746, 150 on the STM32H753, 95 on the STM32L4R5), reset handler (VTOR, .data
 * copy, .bss clear, stack paint, FPU on), and fault handlers that report over the UART in the
 * mps2 family's format and exit through semihosting with a nonzero code. The clock tree and
 * the caches are set up later, in board_init. */
#include <stdint.h>

#include "board.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;

#define STACK_PAINT 0xA5A5A5A5u
int main(void);

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)

#if defined(EDGEQ_STM32H7)
#define IRQS 150
#elif defined(EDGEQ_STM32F7)
#define IRQS 98
#else
#define IRQS 95
#endif

/* Exit codes the host knows (edgeq/harness/runners/qemu.py). */
#define EXIT_HARDFAULT 3
#define EXIT_UNEXPECTED_IRQ 4

void Reset_Handler(void) __attribute__((noreturn));
void HardFault_Handler(void) __attribute__((naked));
void Default_Handler(void);

typedef void (*vector_t)(void);
extern const vector_t edgeq_vectors[];

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst = &_sdata;
    __asm__ volatile("cpsid i"); /* no handlers run; the UART IRQ only wakes WFI */
    /* The table in flash at 0x08000000, whichever alias the core booted through (0x0 on the
     * L4, the F7's ITCM flash interface at 0x00200000). */
    SCB_VTOR = (uint32_t)(uintptr_t)edgeq_vectors;
    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    /* Paint the unused stack so board_stack_used() can find the high-water mark. */
    {
        uint32_t *sp;
        __asm__ volatile("mov %0, sp" : "=r"(sp));
        for (dst = &_sstack; dst < sp - 16;) {
            *dst++ = STACK_PAINT;
        }
    }
#if defined(__ARM_FP)
    SCB_CPACR |= 0xFu << 20; /* CP10, CP11 full access: the FPU */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    board_exit(main());
}

uint32_t board_stack_used(void)
{
    const uint32_t *p = &_sstack;
    while (p < &_estack && *p == STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((uintptr_t)&_estack - (uintptr_t)p);
}

static void put_hex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    int i;
    board_puts("0x");
    for (i = 28; i >= 0; i -= 4) {
        board_putc(digits[(v >> i) & 0xFu]);
    }
}

/* frame: the stacked r0-r3, r12, lr, pc, xpsr of the faulting context */
void edgeq_fault_report(const uint32_t *frame, uint32_t exc_return) __attribute__((used, noreturn));
void edgeq_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    (void)exc_return;
    board_puts("\r\nm-edgeq-fault-[HardFault cfsr=");
    put_hex(SCB_CFSR);
    board_puts(" hfsr=");
    put_hex(SCB_HFSR);
    board_puts(" pc=");
    put_hex(frame[6]);
    board_puts(" lr=");
    put_hex(frame[5]);
    board_puts(" bfar=");
    put_hex(SCB_BFAR);
    board_puts("]\r\n");
    board_exit(EXIT_HARDFAULT);
}

void HardFault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "b edgeq_fault_report\n\t");
}

void Default_Handler(void)
{
    board_puts("\r\nm-edgeq-fault-[unexpected exception ");
    put_hex(SCB_ICSR & 0x1FFu);
    board_puts("]\r\n");
    board_exit(EXIT_UNEXPECTED_IRQ);
}

#define VECTORS (16 + IRQS)

__attribute__((section(".isr_vector"), used)) const vector_t edgeq_vectors[VECTORS] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    Default_Handler,   /* NMI */
    HardFault_Handler, /* HardFault */
    HardFault_Handler, /* MemManage (escalates to HardFault unless enabled) */
    HardFault_Handler, /* BusFault */
    HardFault_Handler, /* UsageFault */
    [7 ... VECTORS - 1] = Default_Handler,
};
