/* Cortex-M55 cycle-model microbenchmarks: small Helium (MVE) routines whose cycles are
 * counted by hand in tests/test_cycle_model.py under edgeq.harness.cycles_m55's rules
 * (LLVM's Cortex-M55 beat model). Each runs once inside its own marker span; the test keeps
 * the blocks between bench_NAME and bench_NAME_end. Every routine starts on a 256-byte
 * boundary and is shorter than that. Only r0-r3, r12, lr (saved) and q0-q3 are used.
 */
#include <stdint.h>

#include "board.h"

void edgeq_bench_begin(void) __attribute__((noinline, used));
void edgeq_bench_end(void) __attribute__((noinline, used));
void edgeq_bench_begin(void) { __asm__ volatile("" ::: "memory"); }
void edgeq_bench_end(void) { __asm__ volatile("nop" ::: "memory"); }

int8_t mb_a[64] __attribute__((aligned(16)));
int8_t mb_b[64] __attribute__((aligned(16)));
int32_t mb_w[16] __attribute__((aligned(16)));
int32_t mb_out[16] __attribute__((aligned(16)));

uint32_t bench_overlap(void);
uint32_t bench_lsbound(void);
uint32_t bench_dot(void);
uint32_t bench_tail(void);
uint32_t bench_requant(void);

__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .text\n"

    /* LLVM's first example (load, add, multiply, store on four pipes) in a low-overhead
     * loop of 4: mb_out = (2 * mb_w)^2, word by word */
    "    .balign 256\n"
    "    .global bench_overlap\n"
    "    .type bench_overlap, %function\n"
    "    .thumb_func\n"
    "bench_overlap:\n"
    "    push {r4, lr}\n"
    "    movw r0, #:lower16:mb_w\n"
    "    movt r0, #:upper16:mb_w\n"
    "    movw r1, #:lower16:mb_out\n"
    "    movt r1, #:upper16:mb_out\n"
    "    movs r2, #4\n"
    "    dls lr, r2\n"
    "1:  vldrw.u32 q0, [r0], #16\n"
    "    vadd.i32 q1, q0, q0\n"
    "    vmul.i32 q2, q1, q1\n"
    "    vstrw.32 q2, [r1], #16\n"
    "    le lr, 1b\n"
    "    ldr r0, [r1, #-4]\n"
    "    pop {r4, pc}\n"
    "    .global bench_overlap_end\n"
    "bench_overlap_end:\n"

    /* LLVM's second example (two loads back to back on the load/store pipe), 4 times */
    "    .balign 256\n"
    "    .global bench_lsbound\n"
    "    .type bench_lsbound, %function\n"
    "    .thumb_func\n"
    "bench_lsbound:\n"
    "    push {r4, lr}\n"
    "    movw r0, #:lower16:mb_w\n"
    "    movt r0, #:upper16:mb_w\n"
    "    movw r1, #:lower16:mb_out\n"
    "    movt r1, #:upper16:mb_out\n"
    "    movw r3, #:lower16:mb_a\n"
    "    movt r3, #:upper16:mb_a\n"
    "    movs r2, #4\n"
    "    dls lr, r2\n"
    "1:  vldrw.u32 q0, [r0], #16\n"
    "    vldrb.u32 q1, [r3], #4\n"
    "    vadd.i32 q2, q1, q1\n"
    "    vstrw.32 q2, [r1], #16\n"
    "    le lr, 1b\n"
    "    ldr r0, [r1, #-4]\n"
    "    pop {r4, pc}\n"
    "    .global bench_lsbound_end\n"
    "bench_lsbound_end:\n"

    /* int8 dot products, edgeq_mve_gemm.h's shape: 2 columns x 2 rows of VMLADAVA over
     * 64 bytes (4 chunks), a SUBS/BNE loop: r0 = sum of mb_a[i] * mb_b[i] */
    "    .balign 256\n"
    "    .global bench_dot\n"
    "    .type bench_dot, %function\n"
    "    .thumb_func\n"
    "bench_dot:\n"
    "    push {r4, r5, r6, lr}\n"
    "    movw r1, #:lower16:mb_a\n"
    "    movt r1, #:upper16:mb_a\n"
    "    movw r3, #:lower16:mb_b\n"
    "    movt r3, #:upper16:mb_b\n"
    "    movs r0, #0\n"
    "    movs r2, #0\n"
    "    movs r4, #0\n"
    "    movs r6, #0\n"
    "    movs r5, #4\n"
    "1:  vldrb.8 q0, [r1], #16\n"
    "    vldrb.8 q1, [r3], #16\n"
    "    vmladava.s8 r0, q0, q1\n"
    "    vmladava.s8 r2, q1, q0\n"
    "    vmladava.s8 r4, q0, q0\n"
    "    vmladava.s8 r6, q1, q1\n"
    "    subs r5, r5, #1\n"
    "    bne 1b\n"
    "    pop {r4, r5, r6, pc}\n"
    "    .global bench_dot_end\n"
    "bench_dot_end:\n"

    /* a tail-predicated chunk: 5 bytes of mb_a under VCTP.8, a dot with itself */
    "    .balign 256\n"
    "    .global bench_tail\n"
    "    .type bench_tail, %function\n"
    "    .thumb_func\n"
    "bench_tail:\n"
    "    movw r1, #:lower16:mb_a\n"
    "    movt r1, #:upper16:mb_a\n"
    "    movs r2, #5\n"
    "    movs r0, #0\n"
    "    vctp.8 r2\n"
    "    vpst\n"
    "    vldrbt.u8 q0, [r1]\n"
    "    vmladava.s8 r0, q0, q0\n"
    "    bx lr\n"
    "    .global bench_tail_end\n"
    "bench_tail_end:\n"

    /* edgeq_mve_gemm.h's requantization of one vector: four lane moves, VQRDMULH, the
     * sign fix-up, VRSHL, the offset, the clamp, a narrowing store */
    "    .balign 256\n"
    "    .global bench_requant\n"
    "    .type bench_requant, %function\n"
    "    .thumb_func\n"
    "bench_requant:\n"
    "    movw r1, #:lower16:mb_w\n"
    "    movt r1, #:upper16:mb_w\n"
    "    vldrw.u32 q2, [r1]\n"
    "    vldrw.u32 q3, [r1, #16]\n"
    "    movs r0, #100\n"
    "    vmov.32 q0[0], r0\n"
    "    vmov.32 q0[1], r0\n"
    "    vmov.32 q0[2], r0\n"
    "    vmov.32 q0[3], r0\n"
    "    vqrdmulh.s32 q0, q0, q2\n"
    "    vshr.s32 q1, q0, #31\n"
    "    vadd.i32 q0, q0, q1\n"
    "    vrshl.s32 q0, q0, q3\n"
    "    vadd.i32 q0, q0, r0\n"
    "    vstrb.32 q0, [r1, #32]\n"
    "    ldr r0, [r1, #32]\n"
    "    bx lr\n"
    "    .global bench_requant_end\n"
    "bench_requant_end:\n");

int main(void)
{
    static uint32_t (*const benches[])(void) = {bench_overlap, bench_lsbound, bench_dot, bench_tail, bench_requant};
    uint32_t got[5];
    int32_t i, dot = 0, tail = 0;
    board_init();
    for (i = 0; i < 64; ++i) {
        mb_a[i] = (int8_t)(i - 20);
        mb_b[i] = (int8_t)(3 * i - 90);
        dot += mb_a[i] * mb_b[i];
    }
    for (i = 0; i < 5; ++i) {
        tail += mb_a[i] * mb_a[i];
    }
    for (i = 0; i < 16; ++i) {
        mb_w[i] = i + 1;
    }
    edgeq_bench_begin();
    edgeq_bench_end();
    for (i = 0; i < 5; ++i) {
        edgeq_bench_begin();
        got[i] = benches[i]();
        edgeq_bench_end();
    }
    {
        /* overlap: (2 * 16)^2; lsbound: 2 * mb_a[15]; dot; tail; requant: lanes 0-3 of
         * the stored bytes, each requant(100) */
        const uint32_t want[4] = {1024u, 2u * (uint8_t)(15 - 20), (uint32_t)dot, (uint32_t)tail};
        for (i = 0; i < 4; ++i) {
            if (got[i] != want[i]) {
                return (int)i + 1;
            }
        }
    }
    return 0;
}
