"""edgeq.harness.cycles on hand-written blocks: the parser, the TRM's load/store pairing
examples, branch outcomes (counted, or guessed by direction without counts), IT forms and
the per-core tables. tests/test_cycle_model.py runs the same model on QEMU-traced code."""

from __future__ import annotations

import pytest

from edgeq.harness import cycles

M4, M3 = cycles.MODELS["cortex-m4"], cycles.MODELS["cortex-m3"]
P = cycles.P

BLOCKS = """\
b 100 6 10 1
i 100 ldr r3, [r0]
i 102 ldr.w r4, [r1, #4]
i 106 mla r5, r3, r4, r5
i 10a push {r4, r5, r6, lr}
i 10c sdiv r0, r1, r2
i 110 bne #0x100
b 200 3 1
i 200 vmla.f32 s0, s1, s2
i 204 pop {r4, r5, r6, pc}
i 206 beq #0x300
"""


def _block(*lines: str, count: int = 1, fall: int | None = None) -> cycles.Block:
    text = f"b 0 {len(lines)} {count}" + (f" {fall}" if fall is not None else "") + "\n"
    text += "".join(f"i {2 * k:x} {line}\n" for k, line in enumerate(lines))
    return cycles.parse_blocks(text)[0]


def test_parse_blocks_with_and_without_fall_through_counts():
    blocks = cycles.parse_blocks(BLOCKS)
    assert [(b.pc, b.count, b.fall, len(b.insns)) for b in blocks] == [(0x100, 10, 1, 6), (0x200, 1, None, 3)]
    assert blocks[0].insns[1].mnemonic == "ldr"  # .w dropped
    assert blocks[1].insns[0].mnemonic == "vmla.f32"


def test_block_costs_and_counted_branch_outcomes():
    b0, b1 = cycles.parse_blocks(BLOCKS)
    # ldr 2 + ldr pipelined 1 + mla 1 + push 1+4 + sdiv 7 + bne (not taken) 1
    assert cycles.block_cycles(b0, M4) == 2 + 1 + 1 + 5 + 7 + 1
    # 10 runs, 1 fell through: bne taken 9 times
    assert cycles.taken(b0) == 9 and cycles.block_total(b0, M4) == 10 * 17 + 9 * P
    # vmla 3 + pop with pc 1+4+P + beq 1; no counts, forward: guessed not taken
    assert cycles.block_cycles(b1, M4) == 3 + (5 + P) + 1 and cycles.taken(b1) == 0
    total, model = cycles.estimate([b0, b1], "cortex-m4")
    assert total == 10 * 17 + 9 * P + 9 + P and model.name == "cortex-m4-trm"
    # the M3 pays 2 for MLA; no model for a core edgeq has no board for
    assert cycles.block_cycles(b0, M3) == cycles.block_cycles(b0, M4) + 1
    assert cycles.estimate([b0], "cortex-m0plus") is None
    # the M33 is timed by the M4 rules
    assert cycles.estimate([b0, b1], "cortex-m33")[0] == total


def test_without_counts_backward_branches_are_taken():
    b = cycles.parse_blocks("b 100 2 5\ni 100 subs r0, #1\ni 102 bne #0x100\n")[0]
    assert cycles.taken(b) == 5


@pytest.mark.parametrize("lines, want", [
    # the TRM's own pairing examples ("Load/store timings")
    (("ldr r0, [r1]", "ldr r1, [r2]"), 3),
    (("ldr r0, [r1, r2]", "str r0, [r3, #0x14]"), 3),
    (("ldr r0, [r1, r2]", "str r1, [r3, r2]"), 3),
    (("ldr r0, [r1, r5]", "ldr r1, [r2]", "ldr r2, [r3, #4]"), 4),
    # a load whose address is the previous load's result is not pipelined
    (("ldr r0, [r1]", "ldr r2, [r0]"), 4),
    # address from the data-processing result just before: one stall cycle
    (("adds r0, #4", "ldr r1, [r0]"), 1 + 3),
    (("movt r0, #0x2000", "push {r4, lr}"), 1 + 3),
    (("adds r1, #4", "ldr r2, [r0]"), 1 + 2),
    # stores: immediate 1, register offset 2, nothing pipelines after a store
    (("str r1, [r0, #4]", "str r2, [r0, #8]"), 2),
    (("str r1, [r0, r2]",), 2),
    (("str r1, [r0]", "ldr r2, [r0, #4]"), 1 + 2),
    # base update: never pipelined
    (("ldr r3, [r0], #4", "ldr r4, [r1], #4"), 4),
    (("ldr r3, [r0, #4]!", "ldr r4, [r1]"), 4),
    (("ldr r4, [r1]", "ldr r3, [r0], #4"), 4),
    (("str r3, [r0], #4",), 1),
    # pairs and multiples
    (("ldr r0, [r1]", "ldrd r2, r3, [r4]"), 5),
    (("stm r0!, {r1, r2, r3}",), 4),
    (("vpush {d8, d9, d10}",), 4),
    # branches and writes to the PC
    (("tbb [pc, r2]",), 2 + P),
    (("ldr pc, [sp], #4",), 2 + P),
    (("mov pc, lr",), 1 + P),
    (("bl #0x4000",), 1 + P),
    (("cbz r0, #0x40",), 1),
    # IT forms issue whether or not they pass, and cost as the plain instruction
    (("it ne", "ldrne r0, [r1]", "sdivne r0, r0, r2"), 1 + 2 + 7),
    (("ite eq", "addeq r0, #1", "ldrne r1, [r0]"), 1 + 1 + 3),
    (("teq r0, r1",), 1),
])
def test_trm_timings(lines, want):
    assert cycles.block_cycles(_block(*lines), M4) == want


def test_m3_multiplies_differ_from_the_m4():
    lines = ("mla r0, r1, r2, r0", "smull r0, r1, r2, r3", "smlal r0, r1, r2, r3", "mul r0, r1")
    assert cycles.block_cycles(_block(*lines), M4) == 4
    assert cycles.block_cycles(_block(*lines), M3) == 2 + 4 + 5 + 1


def test_long_multiply_writes_two_registers():
    # smull writes r0 and r1: a load addressed by r1 right after stalls
    assert cycles.block_cycles(_block("smull r0, r1, r2, r3", "ldr r2, [r1]"), M4) == 1 + 3


# ---- Cortex-M7 (edgeq.harness.cycles_m7) -----------------------------------------------

M7 = cycles.MODELS["cortex-m7"]


@pytest.mark.parametrize("lines, want", [
    # two independent ALU ops issue together; a dependent one waits for the result (1)
    (("adds r0, #1", "adds r1, #1"), 1),
    (("adds r0, #1", "adds r0, #1"), 2),
    # two loads pair (two load ports); a third waits; a store pairs with a load
    (("ldr r0, [r4]", "ldr r1, [r4, #4]", "ldr r2, [r4, #8]"), 2),
    (("ldr r0, [r4]", "str r1, [r4, #8]"), 1),
    # a loaded value: used by an ALU op 1 later, as an address 2 later, as store data 1 later
    (("ldr r0, [r4]", "adds r1, r0, #1"), 2),
    (("ldr r0, [r4]", "ldr r1, [r0]"), 3),
    (("ldr r0, [r4]", "str r0, [r5]"), 1),
    (("ldrb r0, [r4]", "adds r1, r0, #1"), 3),  # byte loads: latency 2
    # an ALU result as an address is read a cycle early
    (("adds r4, #4", "ldr r0, [r4]"), 3),
    # shifted operands are read early too
    (("adds r1, #1", "add.w r0, r2, r1, lsl #2"), 3),
    # multiply latency 2; a MAC's accumulator is read a cycle late
    (("mul r0, r1, r2", "adds r3, r0, #1"), 3),
    (("mla r0, r1, r2, r0", "mla r0, r3, r4, r0"), 2),
    # one MAC unit: two independent multiplies do not pair
    (("mul r0, r1, r2", "mul r3, r4, r5"), 2),
    # issued alone: LDM (one cycle per two registers), LDRD; SIMD only first of a pair
    (("adds r0, #1", "ldm r4!, {r5, r6, r7}", "adds r1, #1"), 1 + 2 + 1),
    (("adds r0, #1", "ldrd r2, r3, [r4]"), 2),
    (("adds r0, #1", "uxtb r1, r2"), 2),
    (("uxtb r1, r2", "adds r0, #1"), 1),
    # the divider holds the pipeline
    (("sdiv r0, r1, r2", "adds r3, #1"), 7 + 1),
    # FP: latency 3, VMLA 6 (its result read by a dependent op)
    (("vadd.f32 s0, s1, s2", "vadd.f32 s3, s0, s1"), 4),
    (("vmla.f32 s0, s1, s2", "vmla.f32 s0, s3, s4"), 6),
    (("vldr s0, [r0]", "vadd.f32 s1, s0, s0"), 2),
])
def test_m7_schedule(lines, want):
    from edgeq.harness import cycles_m7

    assert cycles_m7.block_cycles(_block(*lines)) == want


def test_m7_mispredicts_and_totals():
    from edgeq.harness import cycles_m7

    loop = _block("subs r0, #1", "bne #0x0", count=16, fall=1)
    assert cycles_m7.mispredicts(loop) == 1  # the loop exit
    alternating = _block("tst r1, #1", "beq #0x40", count=20, fall=10)
    assert cycles_m7.mispredicts(alternating) == 10
    ret = _block("pop {r4, pc}", count=3)
    assert cycles_m7.mispredicts(ret) == 3  # indirect: charged every time
    assert cycles_m7.mispredicts(_block("bl #0x400", count=5)) == 0
    total, model = cycles.estimate([loop, ret], "cortex-m7")
    assert model.name == "cortex-m7-llvm"
    assert total == 16 * 1 + 1 * cycles_m7.MISPREDICT + cycles_m7.block_total(ret)


def test_m55_beats_reproduce_llvms_two_examples():
    """ARMScheduleM55.td's pipeline pictures: VLDR;VADD;VMUL;VSTR overlap on four pipes in 5
    cycles; VLDR;VLDRB;VADD;VSTR wait on the one load/store pipe: 6."""
    from edgeq.harness import cycles_m55

    four_pipes = _block("vldrw.u32 q0, [r0]", "vadd.i32 q1, q0, q0", "vmul.i32 q2, q1, q1",
                        "vstrw.32 q2, [r1]")
    one_pipe = _block("vldrw.u32 q0, [r0]", "vldrb.u32 q1, [r2]", "vadd.i32 q2, q1, q1",
                      "vstrw.32 q2, [r1]")
    assert cycles_m55.block_cycles(four_pipes) == 5
    assert cycles_m55.block_cycles(one_pipe) == 6


def test_m55_classifies_helium_and_scalar():
    from edgeq.harness import cycles_m55

    mve = ["vmlava.s8 r0, q2, q0", "vldrbt.u8 q0, [r1, #0]", "vpst", "vctp.8 r7", "vmov.32 d0[1], r2"]
    assert all(cycles_m55.is_mve(i) for i in _block(*mve).insns)
    assert not cycles_m55.is_mve(cycles.Insn(0, "vldr", "s0, [r0]"))  # a VFP load
    assert not cycles_m55.is_mve(cycles.Insn(0, "ldr", "r0, [r1]"))
    # across-vector sums on the multiply pipe, 2 beats: four back to back take 8 cycles
    dots = _block(*[f"vmlava.s8 r{2 * k}, q0, q1" for k in range(4)])
    assert cycles_m55.block_cycles(dots) == 8
    # the accumulator is read: a chain on one register waits for the result (2) each time
    chain = _block(*["vmlava.s8 r0, q0, q1" for _ in range(4)])
    assert cycles_m55.block_cycles(chain) == 8
    # scalar code by the M4 rules: ldr 2, add 1; a low-overhead loop end 1
    assert cycles_m55.block_cycles(_block("ldr r0, [r1]", "adds r0, #1", "le lr, 100")) == 4


def test_redisassemble_replaces_capstones_mve_text():
    text = "b 100 1 0\ni 100 ldc p14, c1, [r0]\ni 104 adds r0, #1\ni 106 .byte 0x0f, 0xf0\n"
    table = {0x100: ("vldrb.u8", "q0, [r1], #16"), 0x104: ("adds", "r0, #1"), 0x106: ("le", "lr, 100 <x>")}
    (b,) = cycles.parse_blocks(cycles.redisassemble(text, table))
    assert [(i.mnemonic, i.operands) for i in b.insns] == [("vldrb.u8", "q0, [r1], #16"), ("adds", "r0, #1"),
                                                          ("le", "lr, 100 <x>")]
