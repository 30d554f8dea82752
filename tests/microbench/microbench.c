/* Cycle-model microbenchmarks: small Thumb-2 routines whose Cortex-M3/M4 cycle counts are
 * counted by hand from the TRM in tests/test_cycle_model.py. Each routine runs once inside
 * its own marker span; the test keeps the blocks between bench_NAME and bench_NAME_end.
 *
 * Every routine starts on a 256-byte boundary and is shorter than that, so none crosses a
 * 1 KB QEMU page (which would split a block where the code has no branch).
 * Only r0-r3 and r12 are used unless the routine saves more (AAPCS).
 */
#include <stdint.h>

#include "board.h"

void edgeq_bench_begin(void) __attribute__((noinline, used));
void edgeq_bench_end(void) __attribute__((noinline, used));
void edgeq_bench_begin(void) { __asm__ volatile("" ::: "memory"); }
void edgeq_bench_end(void) { __asm__ volatile("nop" ::: "memory"); }

uint32_t mb_data[32];   /* a[0..15], b[0..15] for the MAC loops */
uint32_t mb_ring[8];    /* mb_ring[i] = &mb_ring[(i + 1) % 8]: a pointer chain */
uint32_t mb_scratch[32];

uint32_t bench_mac(void);
uint32_t bench_dot(void);
uint32_t bench_chain(void);
uint32_t bench_loadstore(void);
uint32_t bench_branchy(void);
uint32_t bench_tbb(void);

__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .text\n"

    /* MAC loop, base-update loads: sum of a[i] * b[i], i < 16 */
    "    .balign 256\n"
    "    .global bench_mac\n"
    "    .type bench_mac, %function\n"
    "    .thumb_func\n"
    "bench_mac:\n"
    "    push {r4, r5}\n"
    "    movw r0, #:lower16:mb_data\n"
    "    movt r0, #:upper16:mb_data\n"
    "    add r1, r0, #64\n"
    "    movs r2, #0\n"
    "    movs r3, #16\n"
    "1:  ldr r4, [r0], #4\n"
    "    ldr r5, [r1], #4\n"
    "    mla r2, r4, r5, r2\n"
    "    subs r3, r3, #1\n"
    "    bne 1b\n"
    "    mov r0, r2\n"
    "    pop {r4, r5}\n"
    "    bx lr\n"
    "    .global bench_mac_end\n"
    "bench_mac_end:\n"

    /* the same sum with offset loads, the second pipelined behind the first */
    "    .balign 256\n"
    "    .global bench_dot\n"
    "    .type bench_dot, %function\n"
    "    .thumb_func\n"
    "bench_dot:\n"
    "    push {r4, r5}\n"
    "    movw r0, #:lower16:mb_data\n"
    "    movt r0, #:upper16:mb_data\n"
    "    add r1, r0, #64\n"
    "    movs r2, #0\n"
    "    movs r3, #16\n"
    "1:  ldr r4, [r0]\n"
    "    ldr r5, [r1]\n"
    "    adds r0, r0, #4\n"
    "    adds r1, r1, #4\n"
    "    mla r2, r4, r5, r2\n"
    "    subs r3, r3, #1\n"
    "    bne 1b\n"
    "    mov r0, r2\n"
    "    pop {r4, r5}\n"
    "    bx lr\n"
    "    .global bench_dot_end\n"
    "bench_dot_end:\n"

    /* load-use chain: each load's address is the previous load's result (80 hops) */
    "    .balign 256\n"
    "    .global bench_chain\n"
    "    .type bench_chain, %function\n"
    "    .thumb_func\n"
    "bench_chain:\n"
    "    movw r0, #:lower16:mb_ring\n"
    "    movt r0, #:upper16:mb_ring\n"
    "    movs r1, #10\n"
    "1:  ldr r0, [r0]\n"
    "    ldr r0, [r0]\n"
    "    ldr r0, [r0]\n"
    "    ldr r0, [r0]\n"
    "    ldr r0, [r0]\n"
    "    ldr r0, [r0]\n"
    "    ldr r0, [r0]\n"
    "    ldr r0, [r0]\n"
    "    subs r1, r1, #1\n"
    "    bne 1b\n"
    "    bx lr\n"
    "    .global bench_chain_end\n"
    "bench_chain_end:\n"

    /* the TRM's load/store pairings, an address-generation stall, a load feeding an add */
    "    .balign 256\n"
    "    .global bench_loadstore\n"
    "    .type bench_loadstore, %function\n"
    "    .thumb_func\n"
    "bench_loadstore:\n"
    "    movw r0, #:lower16:mb_scratch\n"
    "    movt r0, #:upper16:mb_scratch\n"
    "    movs r2, #32\n"
    "    ldr r1, [r0]\n"
    "    ldr r3, [r0, #4]\n"
    "    ldr r12, [r0, #8]\n"
    "    str r1, [r0, #64]\n"
    "    str r3, [r0, r2]\n"
    "    ldr r1, [r0, r2]\n"
    "    str r1, [r0, r2]\n"
    "    adds r0, r0, #4\n"
    "    ldr r1, [r0]\n"
    "    add r1, r1, r12\n"
    "    ldrd r2, r3, [r0]\n"
    "    strd r2, r3, [r0, #8]\n"
    "    add r0, r1, r2\n"
    "    bx lr\n"
    "    .global bench_loadstore_end\n"
    "bench_loadstore_end:\n"

    /* data-dependent forward branch: count the odd numbers in 1..20 */
    "    .balign 256\n"
    "    .global bench_branchy\n"
    "    .type bench_branchy, %function\n"
    "    .thumb_func\n"
    "bench_branchy:\n"
    "    movs r0, #0\n"
    "    movs r1, #20\n"
    "1:  tst r1, #1\n"
    "    beq 2f\n"
    "    adds r0, r0, #1\n"
    "2:  subs r1, r1, #1\n"
    "    bne 1b\n"
    "    bx lr\n"
    "    .global bench_branchy_end\n"
    "bench_branchy_end:\n"

    /* a switch through a byte table: r0 += (i & 3) + 1 for i < 8 */
    "    .balign 256\n"
    "    .global bench_tbb\n"
    "    .type bench_tbb, %function\n"
    "    .thumb_func\n"
    "bench_tbb:\n"
    "    movs r0, #0\n"
    "    movs r1, #0\n"
    "1:  and r2, r1, #3\n"
    "    tbb [pc, r2]\n"
    "3:  .byte (10f - 3b) / 2, (11f - 3b) / 2, (12f - 3b) / 2, (13f - 3b) / 2\n"
    "10: adds r0, r0, #1\n"
    "    b 2f\n"
    "11: adds r0, r0, #2\n"
    "    b 2f\n"
    "12: adds r0, r0, #3\n"
    "    b 2f\n"
    "13: adds r0, r0, #4\n"
    "2:  adds r1, r1, #1\n"
    "    cmp r1, #8\n"
    "    bne 1b\n"
    "    bx lr\n"
    "    .global bench_tbb_end\n"
    "bench_tbb_end:\n"
    "    .balign 4\n");

/* One span per routine, after the empty calibration span. The exit code says which
 * routine (1-based) returned a wrong value; 0 when all are right. */
int main(void)
{
    static uint32_t (*const benches[])(void) = {bench_mac, bench_dot, bench_chain, bench_loadstore,
                                                bench_branchy, bench_tbb};
    uint32_t got[6];
    uint32_t i, mac = 0;
    board_init();
    for (i = 0; i < 16; ++i) {
        mb_data[i] = i + 1;
        mb_data[16 + i] = 3 * i + 2;
        mac += (i + 1) * (3 * i + 2);
    }
    for (i = 0; i < 8; ++i) {
        mb_ring[i] = (uint32_t)(uintptr_t)&mb_ring[(i + 1) % 8];
    }
    for (i = 0; i < 32; ++i) {
        mb_scratch[i] = 100 + i;
    }
    edgeq_bench_begin();
    edgeq_bench_end();
    for (i = 0; i < 6; ++i) {
        edgeq_bench_begin();
        got[i] = benches[i]();
        edgeq_bench_end();
    }
    {
        /* bench_loadstore: r1 = scratch[1] + scratch[2] (the load at r0+4 plus r12), r2 = scratch[1] */
        const uint32_t want[6] = {mac, mac, (uint32_t)(uintptr_t)&mb_ring[0], (101u + 102u) + 101u, 10u, 20u};
        for (i = 0; i < 6; ++i) {
            if (got[i] != want[i]) {
                return (int)i + 1;
            }
        }
    }
    return 0;
}
