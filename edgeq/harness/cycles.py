"""Cycle estimates for Cortex-M cores from executed basic blocks (an ESTIMATE, never a
measurement: QEMU executes instructions, it does not time them).

Input: the blocks the QEMU plugin saw inside the inference spans, each with its execution
count and the disassembly of its instructions (``blocks=`` file of
``scripts/qemu_plugin/edgeq_insn.c``). Each block's cost is computed once from the core's
instruction timing table and multiplied by its count.

Timings (Arm Cortex-M4 TRM, "Processor instruction timings"; Cortex-M3 TRM for the M3),
zero-wait-state memory:
* data processing, MUL/MLA (M4), the DSP and saturating instructions, IT: 1 cycle;
* LDR/STR (byte, half, word, single register): 2 cycles, 1 when immediately followed by
  another single load/store (address and data phases pipeline); LDRD/STRD 3; LDM/STM,
  PUSH/POP, VLDM/VSTM/VPUSH/VPOP: 1 + N registers;
* branches: taken 1 + P with P = 2 (the TRM gives P = 1..3, by target alignment and width),
  not taken 1. A conditional branch is taken when it jumps backwards (a loop) and not taken
  when it jumps forwards: the blocks carry counts, not outcomes. POP {..., pc} and
  LDR pc: + P; BX/BLX/BL/B: 1 + P;
* SDIV/UDIV: 7 (the TRM's 2..12, by operand size: the middle);
* FPU (M4F): VADD/VSUB/VMUL/VCVT/VMOV/VCMP 1, VMLA/VMLS/VFMA/VFMS/VNMLA 3, VDIV/VSQRT 14,
  VLDR/VSTR 2;
* Cortex-M3 differences: MLA/MLS 2, SMULL/UMULL 4, SMLAL/UMLAL 5 (middle of the TRM ranges).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

P = 2  # pipeline refill after a taken branch (TRM: 1..3)

_COND = "eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le"
_BRANCH = re.compile(rf"^(b|bl|blx|bx)({_COND})?$")
_SINGLE_LS = re.compile(r"^(ldr|str)(b|h|sb|sh|ex|exb|exh|t|bt|ht|sbt|sht)?$")


@dataclass(frozen=True)
class CycleModel:
    """A core's timing table: name and the per-mnemonic exceptions to 1 cycle."""

    name: str
    description: str
    overrides: tuple[tuple[str, int], ...]

    def table(self) -> dict[str, int]:
        return dict(self.overrides)


_M4 = (("sdiv", 7), ("udiv", 7), ("vmla", 3), ("vmls", 3), ("vnmla", 3), ("vnmls", 3), ("vfma", 3),
       ("vfms", 3), ("vfnma", 3), ("vfnms", 3), ("vdiv", 14), ("vsqrt", 14), ("vldr", 2), ("vstr", 2))
MODELS = {
    "cortex-m4": CycleModel("cortex-m4-trm", "Cortex-M4 TRM instruction timings, zero wait states, taken branch 1+P "
                            f"(P={P}), backward conditional branches taken", _M4),
    "cortex-m3": CycleModel("cortex-m3-trm", "Cortex-M3 TRM instruction timings, zero wait states, taken branch 1+P "
                            f"(P={P}), backward conditional branches taken",
                            (("sdiv", 7), ("udiv", 7), ("mla", 2), ("mls", 2), ("smull", 4), ("umull", 4),
                             ("smlal", 5), ("umlal", 5))),
}


@dataclass(frozen=True)
class Insn:
    addr: int
    mnemonic: str  # lower case, width qualifier (.w/.n) removed
    operands: str


@dataclass(frozen=True)
class Block:
    pc: int
    count: int
    insns: tuple[Insn, ...]


def parse_blocks(text: str) -> list[Block]:
    """Parse the plugin's blocks file: ``b PC N COUNT`` then N ``i ADDR MNEMONIC OPERANDS``."""
    blocks: list[Block] = []
    cur: tuple[int, int, int] | None = None
    insns: list[Insn] = []

    def flush():
        if cur is not None:
            blocks.append(Block(cur[0], cur[2], tuple(insns)))

    for line in text.splitlines():
        if line.startswith("b "):
            flush()
            _, pc, n, count = line.split()
            cur, insns = (int(pc, 16), int(n), int(count)), []
        elif line.startswith("i ") and cur is not None:
            parts = line[2:].split(None, 2)
            mnem = parts[1].lower() if len(parts) > 1 else ""
            for q in (".w", ".n"):
                if mnem.endswith(q):
                    mnem = mnem[: -len(q)]
            insns.append(Insn(int(parts[0], 16), mnem, parts[2] if len(parts) > 2 else ""))
    flush()
    return blocks


def _regs(operands: str) -> int:
    m = re.search(r"\{([^}]*)\}", operands)
    if not m:
        return 1
    n = 0
    for item in m.group(1).split(","):
        item = item.strip()
        r = re.match(r"^([a-z]+)(\d+)\s*-\s*[a-z]+(\d+)$", item)
        n += int(r.group(3)) - int(r.group(2)) + 1 if r else 1
    return n


def _branch_target(operands: str) -> int | None:
    m = re.search(r"#(0x[0-9a-f]+|\d+)", operands)
    return int(m.group(1), 0) if m else None


def insn_cycles(insn: Insn, nxt: Insn | None, table: dict[str, int]) -> int:
    """Cycles of one instruction (``nxt``: the next one in the block, for load pipelining)."""
    m = insn.mnemonic
    base = m.split(".")[0]
    if not (_BRANCH.match(base) or base in table) and base[-2:] in _COND.split("|"):
        # a conditional (IT block) form of a non-branch: costs as the plain one (it issues
        # whether or not its condition passes)
        plain = base[:-2]
        if _SINGLE_LS.match(plain) or plain in table or plain in ("pop", "push", "ldm", "stm", "ldrd", "strd"):
            base = plain
    writes_pc = bool(re.match(r"^pc\b", insn.operands))
    if _BRANCH.match(base) or base in ("cbz", "cbnz"):
        conditional = base in ("cbz", "cbnz") or _BRANCH.match(base).group(2) is not None
        if not conditional:
            return 1 + P
        target = _branch_target(insn.operands)
        return 1 + P if target is not None and target <= insn.addr else 1
    if base in ("pop", "ldm", "ldmia", "ldmdb", "ldmfd", "stm", "stmia", "stmdb", "stmfd", "push"):
        n = _regs(insn.operands)
        return 1 + n + (P if base.startswith(("pop", "ldm")) and "pc" in insn.operands else 0)
    if base in ("vpush", "vpop", "vldm", "vstm", "vldmia", "vstmia", "vldmdb", "vstmdb"):
        return 1 + _regs(insn.operands)
    if base in ("ldrd", "strd"):
        return 3
    if _SINGLE_LS.match(base):
        if base.startswith("ldr") and writes_pc:
            return 2 + P
        nb = nxt.mnemonic.split(".")[0] if nxt is not None else ""
        pipelined = bool(_SINGLE_LS.match(nb) or (nb[-2:] in _COND.split("|") and _SINGLE_LS.match(nb[:-2])))
        return 1 if pipelined else 2
    if base in table:
        return table[base]
    if writes_pc and base in ("mov", "add"):
        return 1 + P
    return 1


def block_cycles(block: Block, model: CycleModel) -> int:
    """Cycles of one execution of ``block``."""
    table = model.table()
    ins = block.insns
    return sum(insn_cycles(i, ins[k + 1] if k + 1 < len(ins) else None, table) for k, i in enumerate(ins))


def estimate(blocks: list[Block], core: str) -> tuple[int, CycleModel] | None:
    """(total cycles over all the blocks' executions, the model), or None for a core with
    no cycle model."""
    model = MODELS.get(core)
    if model is None:
        return None
    return sum(block_cycles(b, model) * b.count for b in blocks), model


def estimate_file(path: str | Path, core: str) -> tuple[int, CycleModel] | None:
    """:func:`estimate` of a plugin blocks file (None when the file is missing)."""
    path = Path(path)
    if not path.is_file():
        return None
    return estimate(parse_blocks(path.read_text()), core)
