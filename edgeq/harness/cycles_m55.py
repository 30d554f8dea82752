"""Cortex-M55 cycle estimate: an in-order schedule of each executed block, scalar
instructions timed by the Cortex-M4 TRM rules (``edgeq.harness.cycles``) and Helium (MVE)
instructions by the beat model of LLVM's Cortex-M55 scheduling model
(``llvm/lib/Target/ARM/ARMScheduleM55.td``). An ESTIMATE: nothing here was checked on a
board, and Arm's M55 Software Optimization Guide was not at hand; where LLVM's model and
this one differ, it says so below.

The schedule of one block (:func:`block_cycles`):

* an MVE instruction runs in two beats (64 bits each) on one of four pipes: load/store
  (VLDR/VSTR and their gathers, scatters and interleaving forms), integer (VADD, VSUB,
  logic, VMAX/VMIN, shifts, VDUP, VMOV of vectors, ...), multiply/float (VMUL, VMLA,
  VMLADAV and the other across-vector sums, VQ(R)DMULH, VMULL, compares, VMOV of a lane to a
  core register) and control (VCTP, VPST, VPT, VPNOT: one beat). The next instruction may
  start one cycle after an MVE instruction started, overlapping its second beat, when its
  pipe is free and its operands are ready: VLDR;VADD;VMUL;VSTR takes 5 cycles, VLDR;VLDR;
  VADD;VSTR 6 (LLVM's two examples);
* MVE results are ready (for the next instruction's first beat) after: loads and most
  integer operations 1 cycle, rounding shifts (VRSHL, VRSHR, VQRSHL), VADC/VSBC and the
  multiply pipe's operations 2, narrowing moves and shifts (VMOVN, VQMOVN, VSHRN..) 3,
  VMAXV/VMINV 2..4 by element size; a post-increment base register after 1; gathers and
  scatters need their offset vector 4 cycles earlier (LLVM's read advance);
* scalar instructions take their Cortex-M4 TRM cycles (LLVM: "the Cortex-M55 is a lot like
  the M4/M33 in terms of scheduling"), after their sources are ready; they may issue while
  an MVE instruction's second beat runs. The M55's dual issue of some 16-bit pairs is not
  modelled (an estimate on the slow side);
* low-overhead loops: LE/LETP and DLS/WLS(TP) cost one cycle, no refill (the loop-end
  branch is the hardware's); other branches as on the M4: taken 1 + P;
* a store reads its data a cycle late (LLVM's read advance for stores);
* a block costs until its last issue or its last beat, whichever ends later (so a loop
  bound by one pipe costs that pipe's beats an iteration; a block whose successor starts on
  another pipe is charged the overlap it would have had).

Not modelled: TCM/cache wait states, the M55's 16-bit dual issue, pipeline state carried
across blocks, interleaved loads' extra beats, and gather/scatter element-per-beat costs
beyond the two beats LLVM gives them (an estimate on the fast side for those).
"""

from __future__ import annotations

import re

from edgeq.harness.cycles import (P, Block, Insn, _base, _is_conditional_branch, _kind, _regs, _written_regs,
                                  insn_cycles, taken)
from edgeq.harness.cycles_m7 import _sources

_Q = re.compile(r"\bq([0-7])\b")
_D_LANE = re.compile(r"\bd(\d+)\[")
_LOOP = ("le", "letp", "dls", "dlstp", "wls", "wlstp", "lctp")
_LS = re.compile(r"^v(ldr|str|ld2|ld4|st2|st4)")
_SYS = ("vctp", "vpst", "vpt", "vpnot", "vpsel_sys")
# multiply / float pipe (LLVM: M55UnitVecFPALU)
_MUL = re.compile(r"^v(mul|mla|mls|qdmul|qrdmul|qdml|qrdml|rmlal|rmlsl|rmulh|mulh|cmp|pt|addv|addlv|cvt|fm|"
                  r"cadd|cmla|cmul|rint|minnm|maxnm|abs\.f|neg\.f|div|sqrt)")
_E3 = re.compile(r"^v(rshl|qrshl|rshr|adc|sbc|qshl)")  # integer, result after 2
_NARROW = re.compile(r"^v(q?movn|q?r?shrn|q?r?shrun)")  # integer, after 3
_ACROSS_INT = re.compile(r"^v(max|min)a?v")  # VMAXV/VMINV: after 2 (8-bit) .. 4 (32-bit)
# accumulating forms: VMLA/VMLAS (vector by scalar), the A forms of the across-vector sums
# (VMLADAVA, VMLAVA, VADDVA, ...), VABAV, VSLI/VSRI, VQ(R)DMLAH
_ACCUMULATES = re.compile(r"^v(mla|mlas|qdmlah|qrdmlah|qdmlash|qrdmlash|abav|sli|sri)$|^v\w*(dav|av|v|lv)ax?$")


def _root(mnemonic: str) -> str:
    return mnemonic.split(".")[0]


def _plain(root: str) -> str:
    """The mnemonic root without a VPT-block predication suffix (``vldrbt`` -> ``vldrb``)."""
    if root in ("vpst", "vpstt", "vpsttt", "vpstttt", "vpste", "vpstet", "vpstee") or root.startswith("vpst"):
        return "vpst"
    if root.startswith("vpt"):
        return "vpt"
    if len(root) > 2 and root[-1] in "te" and root[:-1] not in ("vpnot",) and not root.endswith(("abs", "ext")):
        base = root[:-1]
        if base.startswith(("vldr", "vstr", "vadd", "vsub", "vmul", "vmla", "vmax", "vmin", "vqrdmulh", "vqdmulh",
                            "vrshl", "vshr", "vshl", "vdup", "vmov", "vand", "vorr", "veor", "vbic", "vcmp",
                            "vqadd", "vqsub", "vabs", "vneg", "vmvn", "vrshr", "vqmovn", "vmovn", "vmull", "vhadd",
                            "vrhadd", "vhsub", "vcvt", "vfma", "vaddv", "vaddlv", "vmladav", "vmlav", "vmlaldav",
                            "vmlsdav", "vctp", "vabd", "vmulh", "vrmulh")):
            return base
    return root


def is_mve(insn: Insn) -> bool:
    """An MVE (vector) instruction: one with a Q register or a lane of one (binutils writes
    a 32-bit lane move as ``vmov.32 d0[1], r2``), or a predicate instruction."""
    root = _plain(_root(insn.mnemonic))
    return root.startswith("v") and (_Q.search(insn.operands) is not None or root in _SYS
                                     or _D_LANE.search(insn.operands) is not None)


def _pipe(root: str) -> tuple[str, int, int]:
    """(pipe, beats, result latency) of an MVE instruction by its (plain) mnemonic root."""
    if root in _SYS:
        return "sys", 1, 1
    if _LS.match(root):
        return "ls", 2, 1
    if root.startswith("vmov"):
        return "mov", 2, 1  # lanes <-> core registers, vector copies: either pipe (below)
    if _ACROSS_INT.match(root):
        return "int", 2, 2
    if _MUL.match(root):
        return "mul", 2, 2
    if _NARROW.match(root):
        return "int", 2, 3
    if _E3.match(root):
        return "int", 2, 2
    return "int", 2, 1


def _mve_regs(insn: Insn, root: str) -> tuple[set[str], set[str], set[str]]:
    """(written, read, read early) registers of an MVE instruction: Q registers as "qN",
    core registers by name; read early: a gather's or scatter's offset vector."""
    ops = insn.operands
    parts = [p.strip() for p in re.split(r",(?![^\[]*\])", ops) if p.strip()]

    def regs(text: str) -> set[str]:
        halves = {f"q{int(n) // 2}" for n in _D_LANE.findall(text)}  # "vmov.32 d0[1], r2": a lane of q0
        return {f"q{m}" for m in _Q.findall(text)} | halves | _regs(text)

    if root in _SYS:
        return set(), regs(ops), set()
    if _LS.match(root):
        m = re.search(r"\[([^\]]*)\]", ops)
        inside = m.group(1) if m else ""
        addr = _regs(inside)
        offsets = {f"q{x}" for x in _Q.findall(inside)}
        wb = re.search(r"\]\s*(!|,\s*#)", ops) is not None
        data = regs(ops.split("[")[0])
        if root.startswith(("vldr", "vld2", "vld4")):
            return data | (addr if wb else set()), addr, offsets
        return (addr if wb else set()), data | addr, offsets
    if not parts:
        return set(), set(), set()
    dest = regs(parts[0])
    reads = set().union(*(regs(p) for p in parts[1:])) if len(parts) > 1 else set()
    if _ACCUMULATES.search(root) or re.search(r"\[\d\]", parts[0]):
        reads |= dest  # accumulators; a lane insert keeps the other lanes
    if root.startswith("vmov") and len(parts) >= 2 and _Q.search(parts[0]) is None:
        dest = regs(",".join(p for p in parts if _Q.search(p) is None and "[" not in p))
    return dest, reads, set()


def block_cycles(block: Block) -> int:
    """Cycles of one execution of ``block`` (see the module docstring), its closing
    conditional branch counted not taken."""
    t = 0
    free = {"ls": 0, "int": 0, "mul": 0, "sys": 0}
    ready: dict[str, int] = {}
    prev_scalar: Insn | None = None
    table: dict[str, int] = {}
    for insn in block.insns:
        root = _plain(_root(insn.mnemonic))
        if root in _LOOP:
            t += 1
            prev_scalar = None
            continue
        if is_mve(insn):
            pipe, beats, latency = _pipe(root)
            written, read, early = _mve_regs(insn, root)
            late = {r for r in read if r.startswith("q")} if root.startswith(("vstr", "vst2", "vst4")) else set()
            need = max([ready.get(r, 0) for r in read - late] + [ready.get(r, 0) - 1 for r in late]
                       + [ready.get(r, 0) + 4 for r in early] + [t])
            if pipe == "mov":  # the integer or the multiply pipe, whichever frees first
                pipe = "int" if free["int"] <= free["mul"] else "mul"
            start = max(need, free[pipe])
            free[pipe] = start + beats
            for r in written:
                ready[r] = start + latency
            t = start + 1
            prev_scalar = None
            continue
        base = _base(insn, table)
        sources = set().union(*_sources(insn, base, _kind(insn, base)))
        start = max([t] + [ready.get(r, 0) for r in sources])
        cost = insn_cycles(insn, prev_scalar, table)
        t = start + cost
        for r in _written_regs(insn, base):
            ready[r] = t
        prev_scalar = insn
    return max([t] + list(free.values()))


def block_total(block: Block) -> int:
    """Cycles of all the block's executions: taken conditional branches add their refill
    (low-overhead loop ends do not)."""
    extra = 0
    if block.insns and _is_conditional_branch(block.insns[-1]):
        extra = P * taken(block)
    return block_cycles(block) * block.count + extra
