"""The Cortex-M3/M4 cycle model against hand-counted TRM arithmetic, and the Cortex-M7
schedule against the same routines counted by hand under its documented rules; the
Cortex-M33 model (the M4 TRM rules) and the Cortex-M55 model's scalar part (the same rules)
against the M4 figures; the M55 model's Helium beats against MVE routines
(``tests/microbench/microbench_mve.c``) counted by hand under ``edgeq.harness.cycles_m55``'s
rules, which reproduce LLVM's two M55 pipeline examples (5 and 6 cycles).

``tests/microbench/microbench.c`` holds six Thumb-2 routines. Each runs once under QEMU
with the instruction plugin (mps2-an386 for the M4, mps2-an385 for the M3, mps2-an500 for
the M7); the blocks
between a routine's two labels go through ``edgeq.harness.cycles`` exactly as a bench's
blocks do. The expected figures below are counted by hand, instruction by instruction,
from the Cortex-M4 TRM (cycle table and "Load/store timings") and the Cortex-M3 TRM's
multiply timings, with the model's branch refill P: they are what the TRM says these
routines take at zero wait states, and the model must reproduce them exactly. The
executed-instruction counts are checked too (the routine ran as written), and the
firmware checks each routine's return value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeq.harness import cycles
from test_firmware import _tools

pytestmark = pytest.mark.emulator

P = cycles.P
SOURCE = Path(__file__).parent / "microbench" / "microbench.c"


def _mac(mla: int) -> int:
    # push {r4,r5} 1+2; movw, movt, add, movs, movs 1 each
    entry = 3 + 5
    # ldr r4,[r0],#4 2 (base update: never pipelined); ldr r5,[r1],#4 2; mla; subs 1; bne 1
    body = 2 + 2 + mla + 1 + 1
    # mov 1; pop {r4,r5} 1+2; bx lr 1+P
    leave = 1 + 3 + 1 + P
    return entry + 16 * body + 15 * P + leave  # bne taken 15 times of 16


def _dot(mla: int) -> int:
    entry = 3 + 5
    # ldr r4,[r0] 2; ldr r5,[r1] 1 (pipelined behind a load whose result it does not use
    # as an address); adds, adds 1 each; mla; subs 1; bne 1
    body = 2 + 1 + 1 + 1 + mla + 1 + 1
    return entry + 16 * body + 15 * P + (1 + 3 + 1 + P)


# movw, movt, movs 1 each; 8 x ldr r0,[r0] 2 each (the address is the previous load's
# result: no pipelining); subs 1; bne 1 (taken 9 of 10); bx lr 1+P
CHAIN = 3 + 10 * (8 * 2 + 1 + 1) + 9 * P + (1 + P)

LOADSTORE = (
    1 + 1 + 1        # movw, movt, movs r2
    + 2              # ldr r1,[r0]: r0 last written two instructions back, no stall
    + 1 + 1          # ldr r3,[r0,#4]; ldr ip,[r0,#8]: pipelined behind a load
    + 1              # str r1,[r0,#64]: immediate-offset store, always 1
    + 2              # str r3,[r0,r2]: register offset after a store (nothing pipelines after a store)
    + 2              # ldr r1,[r0,r2]: after a store
    + 1              # str r1,[r0,r2]: register offset pipelined behind a load
    + 1              # adds r0,#4
    + 2 + 1          # ldr r1,[r0]: address written by the add just before: +1 (no forwarding)
    + 1              # add r1, ip (using the loaded r1: no extra stall)
    + 3 + 3          # ldrd, strd: 3 each, never pipelined
    + 1              # add
    + 1 + P          # bx lr
)

# movs, movs 1 each; 20 x (tst 1, beq 1); beq taken for the 10 even values of r1; adds 1
# for the 10 odd ones; 20 x (subs 1, bne 1), bne taken 19 times; bx lr 1+P
BRANCHY = 2 + 20 * 2 + 10 * P + 10 * 1 + 20 * 2 + 19 * P + (1 + P)

# movs, movs; 8 x (and 1, tbb 2+P); cases 0..2 (6 times): adds 1 + b 1+P; case 3 (twice):
# adds 1, falling through; 8 x (adds 1, cmp 1, bne 1), bne taken 7 times; bx lr 1+P
TBB = 2 + 8 * (1 + 2 + P) + 6 * (1 + 1 + P) + 2 * 1 + 8 * 3 + 7 * P + (1 + P)

EXPECTED = {  # routine: (M4 cycles, M3 cycles, instructions executed)
    "mac": (_mac(1), _mac(2), 6 + 16 * 5 + 3),
    "dot": (_dot(1), _dot(2), 6 + 16 * 7 + 3),
    "chain": (CHAIN, CHAIN, 3 + 10 * 10 + 1),
    "loadstore": (LOADSTORE, LOADSTORE, 17),
    "branchy": (BRANCHY, BRANCHY, 2 + 20 * 2 + 10 + 20 * 2 + 1),
    "tbb": (TBB, TBB, 2 + 8 * 2 + 8 + 6 + 8 * 3 + 1),
}


# Cortex-M7 (edgeq.harness.cycles_m7: dual issue, LLVM's latencies, mispredict M = 4),
# counted by hand cycle by cycle; "a | b" = a and b issue in the same cycle.
M = 4
# entry: push (alone) | movw | movt (reads r0) | add r1,r0 + movs r2 | movs r3 + ldr r4,[r0],#4
# (address ready) | ldr r5,[r1],#4 (r1 from the add: read early) | mla (r5 ready 1 after its
# load) + subs | bne: 8 cycles. Loop: ldr + ldr (two load ports) | mla + subs | bne: 3.
# Exit: mov | pop (alone) | bx: 3. Mispredicts: the loop branch once, the return once.
MAC_M7 = 8 + 15 * 3 + 3 + 2 * M
# entry: movw | movt + movs | 8 loads 2 apart (a load's result as the next address: 1
# latency + read a cycle early), subs beside the last | bne: 1 + 1 + 15 + 1 + 1 = 19;
# loop: 15 + 1 = 16; bx 1; mispredicts: the loop exit, the return.
CHAIN_M7 = 19 + 9 * 16 + 1 + 2 * M
# movs + movs | tst + beq: 2; tst + beq: 1 (19 times); adds + subs | bne: 2 (10 times);
# subs + bne: 1 (10 times); bx 1. Mispredicts: the beq block entered 19 times fell through
# 10: min(10, 9) = 9; the adds block's bne falls through once: 1; the return: 1.
BRANCHY_M7 = 2 + 19 + 10 * 2 + 10 + 1 + (9 + 1 + 1) * M
# entry as bench_mac's up to movs r3 + ldr r4,[r0] | ldr r5,[r1] + adds r0 | adds r1 + mla
# | subs + bne: 8. Loop: ldr + ldr | adds + adds | mla + subs | bne: 4. Exit 3.
DOT_M7 = 8 + 15 * 4 + 3 + 2 * M
# movw | movt + movs | ldr + ldr | ldr ip + str (store port) | str [r0,r2] + ldr [r0,r2] |
# str (port free again) + adds | ldr r1,[r0] (address from the add, read early: +1) |
# add | ldrd (alone) | strd (alone) | add + bx: 13 cycles; the return mispredicts.
LOADSTORE_M7 = 13 + M
# entry: movs + movs | and | tbb (alone, 2 cycles, its index read early): 5. Loop head:
# and | tbb: 4 (7 times). Cases 0..2: adds + b: 1 (6 times). Case 3: adds + adds | cmp +
# bne: 2 (twice). Join: adds | cmp + bne: 2 (6 times). bx 1. Mispredicts: every tbb (8),
# the loop exit (1), the return (1).
TBB_M7 = 5 + 7 * 4 + 6 * 1 + 2 * 2 + 6 * 2 + 1 + (8 + 1 + 1) * M
EXPECTED_M7 = {"mac": MAC_M7, "dot": DOT_M7, "chain": CHAIN_M7, "loadstore": LOADSTORE_M7,
               "branchy": BRANCHY_M7, "tbb": TBB_M7}


@pytest.fixture(scope="module", params=["mps2-an386", "mps2-an385", "mps2-an500", "mps2-an505", "mps3-an547"])
def traced(request):
    _tools(plugin=True)
    from edgeq.harness.runners.qemu import trace
    from edgeq.targets import get
    from edgeq.toolchain.arm import build_program

    target = get(request.param)
    fw = build_program({"main.c": SOURCE.read_text()}, target, "microbench")
    tr = trace(fw, target, timeout=30)
    # the calibration span, then one a routine (plus the call and the markers)
    assert len(tr.spans) == 1 + len(EXPECTED)
    return target, fw, tr


def _routine_blocks(fw, tr, name):
    lo, hi = fw.symbols[f"bench_{name}"] & ~1, fw.symbols[f"bench_{name}_end"]
    blocks = [b for b in tr.blocks if lo <= b.pc < hi]
    assert blocks, f"no block of bench_{name} was seen"
    return blocks


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_model_matches_hand_counted_trm_cycles(traced, name):
    target, fw, tr = traced
    m4, m3, n_insns = EXPECTED[name]
    blocks = _routine_blocks(fw, tr, name)
    assert sum(b.count * len(b.insns) for b in blocks) == n_insns
    # the M33 model is the M4 TRM rules; the M55 model times scalar code by them too
    want = {"cortex-m4": m4, "cortex-m3": m3, "cortex-m7": EXPECTED_M7[name], "cortex-m33": m4,
            "cortex-m55": m4}[target.core]
    model = cycles.MODELS[target.cycle_model]
    got = sum(cycles.block_total(b, model) for b in blocks)
    assert got == want, (name, target.name)


def test_branch_outcomes_come_from_the_plugin_not_the_direction(traced):
    """The forward ``beq`` is taken 10 times of 20: the plugin's fall-through counts say so;
    guessing "forward = not taken" would miss 10 refills."""
    _target, fw, tr = traced
    blocks = _routine_blocks(fw, tr, "branchy")
    assert all(b.fall is not None for b in blocks)
    beq_taken = sum(cycles.taken(b) for b in blocks if b.insns[-1].mnemonic == "beq")
    assert beq_taken == 10
    guessed = [cycles.Block(b.pc, b.count, b.insns, None) for b in blocks]
    assert sum(cycles.taken(b) for b in guessed if b.insns[-1].mnemonic == "beq") == 0


# ---- Cortex-M55: Helium beats (edgeq.harness.cycles_m55) ------------------------------------
# Counted by hand under the model's rules: an MVE instruction holds its pipe (load/store,
# integer, multiply, control) 2 cycles (control 1) and the next may start a cycle after it
# when its own pipe is free and its operands are ready (loads and integer results after 1,
# the multiply pipe's and rounding shifts' after 2; a store reads its data a cycle late);
# scalar instructions take their M4 TRM cycles; DLS/LE 1; a block ends at its last issue or
# beat, whichever is later. "x@c" below: instruction x starts at cycle c of its block.
MVE_SOURCE = Path(__file__).parent / "microbench" / "microbench_mve.c"

# entry: push {r4,lr} 3, 4 x movw/movt + movs 5, dls 1 -> vldrw@9 (load/store busy to 11),
# vadd@10, vmul@11 (result at 13), vstrw@12 (data read late: 13 - 1), le@13: 14.
# loop: vldrw@0, vadd@1, vmul@2 (result 4), vstrw@3, le@4: 5 (LLVM's first example) x 3.
# exit: ldr 2, pop {r4,pc} 1 + 2 + P.
OVERLAP = 14 + 3 * 5 + (2 + 3 + P)
# entry: push 3, 6 x movw/movt + movs 7, dls 1 -> vldrw@11 (busy to 13), vldrb@13 (busy to
# 15, result 14), vadd@14 (result 15), vstrw@15 (to 17), le@16: 17.
# loop: vldrw@0, vldrb@2 (the load/store pipe), vadd@3, vstrw@4 (busy to 6), le@5: 6
# (LLVM's second example) x 3. exit as above.
LSBOUND = 17 + 3 * 6 + (2 + 3 + P)
# entry: push {r4,r5,r6,lr} 5, 9 x mov 9 -> vldrb@14, vldrb@16 (result 17), vmladava@17,
# @19, @21, @23 (the multiply pipe, 2 beats each), subs@24, bne@25: 26; bne taken: + P.
# loop: vldrb@0, vldrb@2, vmladava@3, @5, @7, @9, subs@10, bne@11: 12 x 3, taken twice.
# exit: pop {r4,r5,r6,pc} 1 + 4 + P.
DOT = 26 + P + 3 * 12 + 2 * P + (1 + 4 + P)
# movw, movt, movs, movs 4, vctp@4 (control, 1 beat): 5 (QEMU ends the block here);
# vpst@0, vldrbt@1 (result 2), vmladava@2, bx lr 1 + P from 3: 6.
TAIL = 5 + (3 + 1 + P)
# movw, movt 2; vldrw@2 (busy to 4), vldrw@4 (result 5); movs@5 (r0 at 6); four lane moves
# on the integer or multiply pipe, whichever frees first: @6 (int), @7 (mul), @8 (int),
# @9 (mul), q0 at 10; vqrdmulh@11 (multiply pipe free at 11; result 13); vshr@13 (int,
# result 14); vadd@15 (int pipe free at 15); vrshl@17 (result 19); vadd r0@19 (result 20);
# vstrb@20; ldr 2 from 21; bx lr 1 + P: 26.
REQUANT = 23 + (1 + P)
EXPECTED_MVE = {  # routine: (cycles, instructions executed)
    "overlap": (OVERLAP, 12 + 3 * 5 + 2),
    "lsbound": (LSBOUND, 14 + 3 * 5 + 2),
    "dot": (DOT, 18 + 3 * 8 + 1),
    "tail": (TAIL, 5 + 4),
    "requant": (REQUANT, 17),
}


@pytest.fixture(scope="module")
def traced_mve():
    _tools(plugin=True)
    from edgeq.harness.runners.qemu import trace
    from edgeq.targets import get
    from edgeq.toolchain.arm import build_program

    target = get("mps3-an547")
    fw = build_program({"main.c": MVE_SOURCE.read_text()}, target, "microbench_mve")
    tr = trace(fw, target, timeout=30)
    assert len(tr.spans) == 1 + len(EXPECTED_MVE)
    return target, fw, tr


@pytest.mark.parametrize("name", sorted(EXPECTED_MVE))
def test_m55_model_matches_hand_counted_beats(traced_mve, name):
    target, fw, tr = traced_mve
    want, n_insns = EXPECTED_MVE[name]
    blocks = _routine_blocks(fw, tr, name)
    assert sum(b.count * len(b.insns) for b in blocks) == n_insns
    model = cycles.MODELS[target.cycle_model]
    assert model.scheduler == "m55"
    assert sum(cycles.block_total(b, model) for b in blocks) == want, name


def test_m55_blocks_are_read_by_binutils_not_capstone(traced_mve):
    """QEMU's capstone prints MVE as coprocessor instructions or bytes: the trace's blocks
    carry binutils' reading of them (what the M55 model classifies)."""
    _target, fw, tr = traced_mve
    mnemonics = {i.mnemonic for b in _routine_blocks(fw, tr, "dot") for i in b.insns}
    assert {"vldrb.u8", "vmlava.s8"} <= mnemonics, mnemonics
    assert not mnemonics & {"ldc", "stc", "cdp", ".byte"}, mnemonics
