"""The Cortex-M3/M4 cycle model against hand-counted TRM arithmetic.

``tests/microbench/microbench.c`` holds six Thumb-2 routines. Each runs once under QEMU
with the instruction plugin (mps2-an386 for the M4, mps2-an385 for the M3); the blocks
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


@pytest.fixture(scope="module", params=["mps2-an386", "mps2-an385"])
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
    model = cycles.MODELS[target.cycle_model]
    got = sum(cycles.block_total(b, model) for b in blocks)
    assert got == (m4 if target.core == "cortex-m4" else m3), (name, target.name)


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
