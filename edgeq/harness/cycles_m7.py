"""Cortex-M7 cycle estimate: an in-order dual-issue schedule of each executed block, after
LLVM's Cortex-M7 scheduling model (``llvm/lib/Target/ARM/ARMScheduleM7.td``: its units,
latencies, operand read stages and issue restrictions). An ESTIMATE: Arm publishes no
M7 timing table, and nothing here was checked on a board.

The schedule of one block (:func:`block_cycles`), cycles counted from the block's first
issue to its last, results still in flight at the end not counted (they overlap the next
block):

* up to two instructions issue a cycle, in program order, when their source registers are
  ready and the units are free: two ALUs, one shifter for shifted operands, one MAC, one
  divider (the ALU), two load ports and one store port, one branch unit, one FPU;
* results are ready (for an operand read in EX2, the normal case) after: ALU 1 (its base
  update of a load or store: 0), load word 1, load byte/halfword 2, MUL/MLA and the long
  multiplies 2, FP 3, VMLA/VFMA 6, VDIV/VSQRT 16, VMOV to a core register 3, DSP/SIMD 1
  (SSAT/USAT/QADD.. 2);
* operands read early or late: addresses (load/store base and index) and shifted
  operands are needed a cycle earlier (EX1), store data a cycle later (EX3), a MAC's
  accumulator a cycle later; so a load's result used as the next load's address waits 2;
* issue restrictions: LDM/STM/PUSH/POP, VLDM/VSTM, LDRD/STRD, SDIV/UDIV, TBB/TBH, STREX
  and system instructions (MSR/MRS, barriers, hints such as NOP) issue alone; DSP/SIMD,
  CLZ, BFI/BFC and LDREX only as the first of a pair; a multiple transfer takes one cycle
  per two registers (64-bit ports); SDIV/UDIV holds the pipeline 7 cycles (the middle of
  the real early-terminating 2..12, as for the M3/M4 model);
* branches are predicted: a correctly predicted branch costs its issue slot only. A
  mispredicted one costs 4 (LLVM's MispredictPenalty). A conditional branch closing a block
  is counted as mispredicted min(taken, not taken) times (a bimodal predictor on the
  plugin's counts: a loop branch misses once, an alternating one every other time);
  indirect branches (BX, BLX Rm, POP/LDM/LDR to PC, MOV PC, TBB/TBH) are charged a
  mispredict every time (the BTAC's hit rate on them is not modelled).

Not modelled: caches and TCM wait states, the pipeline state carried from one block into
the next, write-buffer stalls, IT folding (IT takes a slot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edgeq.harness.cycles import (Block, Insn, _address_regs, _base, _is_conditional_branch, _kind,
                                  _reg_list_len, _regs, _written_regs)

MISPREDICT = 4
DIV_CYCLES = 7
UNITS = {"alu": 2, "shift": 1, "mac": 1, "load": 2, "store": 1, "branch": 1, "fpu": 1}

_SINGLE_ISSUE = ("tbb", "tbh", "msr", "mrs", "dmb", "dsb", "isb", "nop", "wfi", "wfe", "sev", "bkpt", "svc",
                 "cpsie", "cpsid", "strex", "strexb", "strexh", "clrex", "udf", "yield")
_SLOT0 = ("clz", "bfi", "bfc", "ldrex", "ldrexb", "ldrexh", "sxtb", "sxth", "uxtb", "uxth", "sxtab", "sxtah",
          "uxtab", "uxtah", "sxtb16", "uxtb16", "rbit", "rev", "rev16", "revsh", "sbfx", "ubfx", "pkhbt", "pkhtb",
          "sel", "usad8", "usada8")
_SAT2 = re.compile(r"^(ssat|usat|ssat16|usat16|q|uq)")  # saturating DSP: latency 2
_SIMD = re.compile(r"^(s|u|sh|uh|q|uq)(add16|add8|sub16|sub8|asx|sax)$")
_MAC = re.compile(r"^(mul|muls|mla|mls|smul|smla|smls|smmul|smmla|smmls|smuad|smusd|umull|umlal|umaal|smull|"
                  r"smlal)")
_FP_LONG = {"vdiv": 16, "vsqrt": 16}
_FP_MAC = ("vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms")


@dataclass(frozen=True)
class _Class:
    units: tuple[str, ...]
    latency: int  # cycles from issue to a result read in EX2
    single: bool = False  # issues alone
    slot0: bool = False  # only as the first of a pair
    occupy: int = 1  # issue cycles (multiple transfers, divides)


def _classify(insn: Insn, base: str) -> _Class:
    kind = _kind(insn, base)
    ops = insn.operands
    if kind == "branch":
        if base in ("tbb", "tbh"):
            return _Class(("load", "branch"), 2, single=True, occupy=2)
        return _Class(("branch",), 1)
    if kind in ("load", "load_wb"):
        slow = base[3:4] in ("b", "h", "s") or base.startswith("ldrex") and base != "ldrex"
        return _Class(("load",), 2 if slow else 1, slot0=base.startswith("ldrex"))
    if kind in ("store", "store_wb"):
        return _Class(("store",), 1, single=base.startswith("strex"))
    if kind == "pair":
        return _Class(("load",) if base == "ldrd" else ("store",), 1, single=True)
    if kind == "multi":
        return _Class(("load",) if base.startswith(("ldm", "pop", "vldm", "vpop")) else ("store",), 1,
                      single=True, occupy=max(1, (_reg_list_len(ops) + 1) // 2))
    if base in ("sdiv", "udiv"):
        return _Class(("alu",), 1, single=True, occupy=DIV_CYCLES)
    if base.startswith("v"):
        root = base.split(".")[0]
        if root in ("vldr",):
            return _Class(("load", "fpu"), 1)
        if root in ("vstr",):
            return _Class(("store", "fpu"), 1)
        if root in _FP_LONG:
            return _Class(("fpu",), _FP_LONG[root])
        if root in _FP_MAC:
            return _Class(("fpu",), 6)
        return _Class(("fpu",), 3)  # FP ALU, multiply, convert, moves: 3
    if base in _SINGLE_ISSUE:
        return _Class((), 3, single=True)
    if base == "it":
        return _Class((), 0)
    if _MAC.match(base):
        return _Class(("mac",), 2)
    if _SAT2.match(base) and not _SIMD.match(base):
        return _Class(("alu", "shift"), 2, slot0=True)
    if _SIMD.match(base) or base in _SLOT0:
        return _Class(("alu",), 1, slot0=True)
    if _shifted_operand(ops):
        return _Class(("alu", "shift"), 1)
    return _Class(("alu",), 1)


_SHIFT = re.compile(r",\s*(lsl|lsr|asr|ror)\s*#")


def _shifted_operand(ops: str) -> bool:
    return _SHIFT.search(ops) is not None and "[" not in ops


def _sources(insn: Insn, base: str, kind: str) -> tuple[set[str], set[str], set[str]]:
    """(early, normal, late) source registers: read in EX1, EX2 and EX3."""
    ops = insn.operands
    if kind in ("load", "load_wb", "pair", "multi") or kind.startswith("store"):
        addr = _address_regs(insn, base)
        if base in ("push",) or base.startswith("stm") or base in ("vpush",) or base.startswith("vstm"):
            m = re.search(r"\{([^}]*)\}", ops)
            return addr, set(), _regs(m.group(1)) if m else set()
        if kind.startswith("store") or base == "strd":
            data = _regs(ops.split("[")[0])
            return addr, set(), data
        return addr, set(), set()
    if kind == "branch":
        if base in ("tbb", "tbh"):
            return _regs(ops) - {"pc"}, set(), set()
        return set(), _regs(ops) - {"pc"}, set()
    written = _written_regs(insn, base)
    parts = [p.strip() for p in ops.split(",")]
    n_dest = len(written) if written and _REG_ALL.fullmatch(parts[0] if parts else "") else 0
    reads = set().union(*(_regs(p) for p in parts[n_dest:])) if parts else set()
    if n_dest and (len(parts) == 2 and base not in _NO_SOURCE_DEST or base in ("movt", "bfi", "bfc")):
        reads |= written  # "adds r0, #4" is r0 = r0 + 4; MOVT/BFI keep the other bits
    if base in ("mla", "mls") or base.startswith(("smla", "smls", "smmla", "smmls")):
        acc = _regs(parts[-1]) if parts else set()
        if base.startswith(("smlal", "smlsl")):
            acc = _regs(",".join(parts[:2]))
        return set(), reads - acc, acc
    if base in ("umlal", "smlal", "umaal"):
        return set(), reads, _regs(",".join(parts[:2]))
    if _shifted_operand(ops):
        shifted = _regs(parts[-2]) if len(parts) >= 2 else set()
        return shifted, reads - shifted, set()
    return set(), reads, set()


_NO_SOURCE_DEST = ("mov", "movs", "mvn", "mvns", "movw", "neg", "negs", "rsbs", "sxtb", "sxth", "uxtb", "uxth",
                   "rev", "rev16", "revsh", "rbit", "clz", "vmov", "vcvt")
_REG_ALL = re.compile(r"(r1[0-5]|r[0-9]|sp|lr|pc|sb|sl|fp|ip)")


_FP_REG = re.compile(r"\b([sd]\d{1,2}|apsr_nzcv|fpscr)\b")


def _all_regs(text: str) -> set[str]:
    return _regs(text) | set(_FP_REG.findall(text))


def _fp_written_and_sources(insn: Insn, base: str, kind: str) -> tuple[set[str], tuple[set[str], set[str], set[str]]]:
    """FPU instructions: (registers written, (early, normal, late) sources), FP registers
    included (a D register is tracked by its name, not as its S pair)."""
    ops = insn.operands
    root = base.split(".")[0]
    if kind == "multi":
        m = re.search(r"\{([^}]*)\}", ops)
        listed = _all_regs(m.group(1)) if m else set()
        addr = _address_regs(insn, base)
        return (listed, (addr, set(), set())) if root in ("vldm", "vpop", "vldmia", "vldmdb") else \
            (set(), (addr, set(), listed))
    if root == "vldr":
        return _all_regs(ops.split(",")[0]), (_address_regs(insn, base), set(), set())
    if root == "vstr":
        return set(), (_address_regs(insn, base), set(), _all_regs(ops.split(",")[0]))
    parts = [p.strip() for p in ops.split(",")]
    if root in ("vcmp", "vcmpe"):
        return set(), (set(), _all_regs(ops), set())
    dest = _all_regs(parts[0]) if parts else set()
    reads = set().union(*(_all_regs(p) for p in parts[1:])) if len(parts) > 1 else set()
    if root in _FP_MAC:
        return dest, (set(), reads, dest)  # the accumulator is read late (LLVM: ReadFPMAC)
    return dest, (set(), reads, set())


def block_cycles(block: Block) -> int:
    """Issue cycles of one execution of ``block`` (mispredictions not included)."""
    cycle, slot, used, single_now = 0, 0, {}, False
    ready: dict[str, int] = {}
    last_issue = 0
    for insn in block.insns:
        base = _base(insn, {})
        kind = _kind(insn, base)
        cls = _classify(insn, base)
        if base.startswith("v"):
            written, (early, normal, late) = _fp_written_and_sources(insn, base, kind)
        else:
            written, (early, normal, late) = _written_regs(insn, base), _sources(insn, base, kind)
        need = 0
        for regs, advance in ((early, -1), (normal, 0), (late, 1)):
            for r in regs:
                if r in ready:  # written earlier in this block (else ready before it began)
                    need = max(need, ready[r] - advance)
        c = max(cycle, need)
        if c == cycle and slot >= 1:
            clash = any(used.get(u, 0) + 1 > UNITS[u] for u in cls.units)
            if slot >= 2 or single_now or cls.single or cls.slot0 or clash:
                c = cycle + 1
        if c > cycle:
            cycle, slot, used, single_now = c, 0, {}, False
        for u in cls.units:
            used[u] = used.get(u, 0) + 1
        slot += 1
        single_now = single_now or cls.single
        last_issue = cycle
        for r in written:
            ready[r] = cycle + cls.latency
        if kind in ("load_wb", "store_wb") or (kind == "multi" and "!" in insn.operands) or base in ("push", "pop"):
            for r in _address_regs(insn, base):
                ready[r] = cycle  # base update: bypassed out of EX1
        if cls.occupy > 1:
            cycle += cls.occupy - 1
            last_issue = cycle
            slot, single_now = 2, True
    return last_issue + 1 if block.insns else 0


def _indirect(insn: Insn, base: str) -> bool:
    if base in ("tbb", "tbh", "bx", "blx") and "#" not in insn.operands:
        return True
    return "pc" in _written_regs(insn, base)


def mispredicts(block: Block) -> int:
    """Mispredicted branches over all the block's executions (see the module docstring)."""
    out = 0
    for k, insn in enumerate(block.insns):
        base = _base(insn, {})
        if _indirect(insn, base):
            out += block.count
        elif k == len(block.insns) - 1 and _is_conditional_branch(insn) and block.fall is not None:
            out += min(block.fall, block.count - block.fall)
    return out


def block_total(block: Block) -> int:
    """Cycles of all the block's executions."""
    return block_cycles(block) * block.count + MISPREDICT * mispredicts(block)
