/* nrf52 start-up: vector table (the 16 system exceptions and the nRF52840's 48 interrupts),
 * reset handler (VTOR, .data copy, .bss clear, stack paint, FPU on), and fault handlers that
 * report over the UART in the mps2 family's format and exit through semihosting with a
 * nonzero code. The clock, UART and timer are set up later, in board_init.
 *
 * The application may be started by a boot loader (the Arduino Nano 33 BLE's, at 0x10000):
 * the reset handler points VTOR at this table itself and masks interrupts until board_init
 * has silenced whatever the boot loader left enabled. */
#include <stdint.h>

#include "board.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;

#define STACK_PAINT 0xA5A5A5A5u
int main(void);

#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

/* Exit codes the host knows (edgeq/harness/runners/qemu.py). */
#define EXIT_HARDFAULT 3
#define EXIT_UNEXPECTED_IRQ 4

#define VECTORS (16 + 48)
typedef void (*vector_t)(void);
extern const vector_t edgeq_vectors[VECTORS];

void Reset_Handler(void) __attribute__((naked, noreturn));
void board_start(void) __attribute__((used, noreturn));
void HardFault_Handler(void) __attribute__((naked));
void Default_Handler(void);
void UARTE0_UART0_IRQHandler(void); /* board.c: the UART's received bytes */

/* The main stack from the top again and CONTROL at its reset value (privileged, MSP, no FP
 * context): what a reset leaves, and what a boot loader's jump may not. */
void Reset_Handler(void)
{
    __asm__ volatile(
        "cpsid i\n\t"
        "movw r0, #:lower16:_estack\n\t"
        "movt r0, #:upper16:_estack\n\t"
        "msr msp, r0\n\t"
        "movs r0, #0\n\t"
        "msr control, r0\n\t"
        "isb\n\t"
        "b board_start\n\t");
}

void board_start(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst = &_sdata;
    /* interrupts stay masked (cpsid i above) until board_init has set up the UART's */
    SCB_VTOR = (uint32_t)(uintptr_t)edgeq_vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
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

/* 128-word aligned at least (VTOR's alignment for 64 entries: 256 bytes): the linker
 * script puts it first in flash, at the link address. */
__attribute__((section(".isr_vector"), used, aligned(256))) const vector_t edgeq_vectors[VECTORS] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    Default_Handler,   /* NMI */
    HardFault_Handler, /* HardFault */
    HardFault_Handler, /* MemManage (escalates to HardFault unless enabled) */
    HardFault_Handler, /* BusFault */
    HardFault_Handler, /* UsageFault */
    [7 ... 16 + EDGEQ_UART_RX_IRQ - 1] = Default_Handler,
    [16 + EDGEQ_UART_RX_IRQ] = UARTE0_UART0_IRQHandler,
    [16 + EDGEQ_UART_RX_IRQ + 1 ... VECTORS - 1] = Default_Handler,
};
