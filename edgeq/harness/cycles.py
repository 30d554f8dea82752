"""Cycle estimates for Cortex-M cores from executed basic blocks (an ESTIMATE, never a
measurement: QEMU executes instructions, it does not time them).

Input: the blocks the QEMU plugin saw inside the inference spans, each with its execution
count, how often it fell through to the next address (its closing conditional branch not
taken) and the disassembly of its instructions (``blocks=`` file of
``scripts/qemu_plugin/edgeq_insn.c``). Each block's cost is computed once from the core's
timing rules and multiplied by its count; taken branches add their refill per taken time.

The model (Arm Cortex-M4 TRM, "Instruction set summary" cycle table and "Load/store
timings"; the Cortex-M3 TRM, where the two differ), zero-wait-state memory, one
instruction at a time in program order:

* data processing, MUL/MLA and the long multiplies (M4), DSP and saturating instructions,
  IT, MOVW/MOVT: 1 cycle; SDIV/UDIV: 7 (the TRM's 2..12 by operand size: the middle);
* single loads (LDR, LDRB/H/SB/SH, LDREX, with an immediate or register offset): 2;
  a load or store right after such a load costs 1 less, unless its address uses the
  register the load wrote (TRM: "LDR R0,[R1]; LDR R1,[R2]" takes 3, the second load's
  address does not depend on the first);
* single stores: 1 with an immediate offset (the data phase overlaps the next instruction
  through the write buffer), 2 with a register offset (1 after a load, as above); nothing
  pipelines into the instruction after a store;
* a load or store with base update (``[Rn], #imm`` or ``[Rn, #imm]!``): 2 for a load, 1
  for a store with an immediate, never pipelined with its neighbours;
* LDRD/STRD: 3, never pipelined; LDM/STM/PUSH/POP and VLDM/VSTM/VPUSH/VPOP: 1 + N
  registers;
* a load or store whose address register was written by the instruction just before it
  (a data-processing result: there is no forwarding path to the address generator): +1;
* branches: taken 1 + P, not taken 1, with P = 2 (the TRM gives P = 1..3 by target
  alignment, width and speculation). A conditional branch closing a block is taken as
  often as the block did not fall through (the plugin counts both); without those counts
  a backward conditional branch is taken and a forward one not. B/BL/BX/BLX: 1 + P;
  POP/LDM with PC: 1 + N + P; LDR PC: 2 + P; TBB/TBH: 2 + P; MOV/ADD to PC: 1 + P;
* FPU (M4F): VADD/VSUB/VMUL/VCVT/VMOV/VCMP 1, VMLA/VMLS/VFMA/VFMS/VNMLA/VNMLS 3,
  VDIV/VSQRT 14, VLDR/VSTR 2;
* Cortex-M3: MLA/MLS 2, SMULL/UMULL 4, SMLAL/UMLAL 5 (middles of the TRM's ranges; the
  M3 ends long multiplies early on small operands).

The Cortex-M7 (dual issue, branch prediction) has no TRM table: ``cycles_m7`` schedules its
blocks after LLVM's scheduling model instead (``MODELS["cortex-m7"]``).

Not modelled: wait states and bus contention (flash at speed, no caches), the TRM's
"a base-update load takes 1 cycle when the next instruction reads no register", the
possible extra cycle of PC-relative loads, and interrupts.

``tests/test_cycle_model.py`` checks the model end to end against hand-counted TRM
arithmetic on microbenchmarks run under QEMU (a MAC loop, load-use chains, store/load
pairs, a branchy loop, a table branch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

P = 2  # pipeline refill after a taken branch (TRM: 1..3)

_COND = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le")
_BRANCH = re.compile(rf"^(b|bl|blx|bx)({'|'.join(_COND)})?$")
_SINGLE_LS = re.compile(r"^(ldr|str)(b|h|sb|sh|ex|exb|exh|t|bt|ht|sbt|sht)?$")
_MULTI_LS = ("pop", "push", "ldm", "ldmia", "ldmdb", "ldmfd", "ldmea", "stm", "stmia", "stmdb", "stmfd",
             "stmea")
_VMULTI_LS = ("vpush", "vpop", "vldm", "vstm", "vldmia", "vstmia", "vldmdb", "vstmdb")
_NO_DEST = ("cmp", "cmn", "tst", "teq", "it", "nop", "msr", "dmb", "dsb", "isb", "wfi", "wfe", "sev", "bkpt",
            "svc", "cpsie", "cpsid", "tbb", "tbh", "cbz", "cbnz", "vcmp", "vcmpe")
_TWO_DESTS = ("smull", "umull", "smlal", "umlal", "smlalbb", "smlalbt", "smlaltb", "smlaltt", "smlald",
              "smlaldx", "smlsld", "smlsldx", "umaal")
_REG_ALIAS = {"sb": "r9", "sl": "r10", "fp": "r11", "ip": "r12", "r13": "sp", "r14": "lr", "r15": "pc"}
_REG = re.compile(r"\b(r1[0-5]|r[0-9]|sp|lr|pc|sb|sl|fp|ip)\b")


@dataclass(frozen=True)
class CycleModel:
    """A core's timing table: name and the per-mnemonic exceptions to 1 cycle (the load,
    store and branch rules above are shared)."""

    name: str
    description: str
    overrides: tuple[tuple[str, int], ...]
    scheduler: str = "trm"  # "trm": this module's rules; "m7": edgeq.harness.cycles_m7

    def table(self) -> dict[str, int]:
        return dict(self.overrides)


_M4 = (("sdiv", 7), ("udiv", 7), ("vmla", 3), ("vmls", 3), ("vnmla", 3), ("vnmls", 3), ("vfma", 3),
       ("vfms", 3), ("vfnma", 3), ("vfnms", 3), ("vdiv", 14), ("vsqrt", 14), ("vldr", 2), ("vstr", 2))
_DESC = ("{core} TRM instruction and load/store timings, zero wait states, taken branch 1+P (P={p}), "
         "branch outcomes counted by the plugin")
MODELS = {
    "cortex-m4": CycleModel("cortex-m4-trm", _DESC.format(core="Cortex-M4", p=P), _M4),
    "cortex-m3": CycleModel("cortex-m3-trm", _DESC.format(core="Cortex-M3", p=P),
                            (("sdiv", 7), ("udiv", 7), ("mla", 2), ("mls", 2), ("smull", 4), ("umull", 4),
                             ("smlal", 5), ("umlal", 5))),
    "cortex-m7": CycleModel("cortex-m7-llvm", "Cortex-M7 dual-issue schedule after LLVM's ARMScheduleM7 "
                            "(units, latencies, issue rules), mispredict 4; see edgeq.harness.cycles_m7", (),
                            scheduler="m7"),
    # Arm publishes no instruction timing table for the M33; LLVM schedules it with its
    # Cortex-M4 model (ARMProcessors.td: cortex-m33 -> CortexM4Model), and so does edgeq
    "cortex-m33": CycleModel("cortex-m33-m4rules", "Cortex-M33 timed by the Cortex-M4 TRM rules (Arm publishes no "
                             f"M33 table; LLVM's M33 schedule is its M4 model), taken branch 1+P (P={P})", _M4),
    "cortex-m55": CycleModel("cortex-m55-llvm", "Cortex-M55: MVE beats and pipes after LLVM's ARMScheduleM55, "
                             "scalar instructions by the Cortex-M4 TRM rules; see edgeq.harness.cycles_m55", (),
                             scheduler="m55"),
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
    fall: int | None = None  # times the block fell through to the next address (None: unknown)


def parse_blocks(text: str) -> list[Block]:
    """Parse the plugin's blocks file: ``b PC N COUNT [FALL]`` then N ``i ADDR MNEMONIC OPERANDS``."""
    blocks: list[Block] = []
    cur: tuple[int, int, int | None] | None = None
    insns: list[Insn] = []

    def flush():
        if cur is not None:
            blocks.append(Block(cur[0], cur[1], tuple(insns), cur[2]))

    for line in text.splitlines():
        if line.startswith("b "):
            flush()
            fields = line.split()
            cur = (int(fields[1], 16), int(fields[3]), int(fields[4]) if len(fields) > 4 else None)
            insns = []
        elif line.startswith("i ") and cur is not None:
            parts = line[2:].split(None, 2)
            mnem = parts[1].lower() if len(parts) > 1 else ""
            for q in (".w", ".n"):
                if mnem.endswith(q):
                    mnem = mnem[: -len(q)]
            insns.append(Insn(int(parts[0], 16), mnem, parts[2].lower() if len(parts) > 2 else ""))
    flush()
    return blocks


# ---- reading one instruction ----------------------------------------------------------


def _base(insn: Insn, table: dict[str, int]) -> str:
    """The mnemonic without a data-type suffix (``vmla.f32``) or an IT condition
    (``ldrne``): a conditional instruction issues, and costs, whether or not it passes."""
    m = insn.mnemonic.split(".")[0]
    if _BRANCH.match(m) or m in table or m in ("cbz", "cbnz"):
        return m
    if m[-2:] in _COND and len(m) > 2:
        plain = m[:-2]
        if (_SINGLE_LS.match(plain) or plain in table or plain in _MULTI_LS or plain in _VMULTI_LS
                or plain in ("ldrd", "strd")):
            return plain
    return m


def _regs(text: str) -> set[str]:
    return {_REG_ALIAS.get(r, r) for r in _REG.findall(text)}


def _reg_list_len(operands: str) -> int:
    m = re.search(r"\{([^}]*)\}", operands)
    if not m:
        return 1
    n = 0
    for item in m.group(1).split(","):
        item = item.strip()
        r = re.match(r"^([a-z]+)(\d+)\s*-\s*[a-z]+(\d+)$", item)
        n += int(r.group(3)) - int(r.group(2)) + 1 if r else 1
    return n


def _address_regs(insn: Insn, base: str) -> set[str]:
    """Registers a load/store uses to form its address."""
    if base in ("push", "pop"):
        return {"sp"}
    if base in _MULTI_LS or base in _VMULTI_LS:
        return _regs(insn.operands.split(",")[0].rstrip("!"))
    m = re.search(r"\[([^\]]*)\]", insn.operands)
    return _regs(m.group(1)) if m else set()


def _written_regs(insn: Insn, base: str) -> set[str]:
    """Core registers ``insn`` writes (its result registers; flags ignored)."""
    ops = insn.operands
    if _SINGLE_LS.match(base):
        if base.startswith("str") and not base.startswith("strex"):
            return set()
        first = ops.split(",")[0]
        return _regs(first)
    if base == "ldrd":
        return _regs(",".join(ops.split(",")[:2]))
    if base in ("pop",) or base.startswith("ldm"):
        m = re.search(r"\{([^}]*)\}", ops)
        return _regs(m.group(1)) if m else set()
    if base in ("push", "strd") or base.startswith(("stm", "v", "b")) or base in _NO_DEST:
        return set()
    parts = [p.strip() for p in ops.split(",")]
    n = 2 if base in _TWO_DESTS else 1
    return set().union(*(_regs(p) for p in parts[:n] if _REG.fullmatch(p)))


def _register_offset(insn: Insn) -> bool:
    """``[Rn, Rm{, lsl #k}]``: the address adds a register."""
    m = re.search(r"\[([^\]]*)\]", insn.operands)
    parts = [p.strip() for p in m.group(1).split(",")] if m else []
    return len(parts) >= 2 and _REG.fullmatch(parts[1]) is not None


def _kind(insn: Insn, base: str) -> str:
    """load | store | load_wb | store_wb | pair | multi | branch | other."""
    ops = insn.operands
    if _SINGLE_LS.match(base):
        wb = "]!" in ops or re.search(r"\],\s*#", ops) is not None
        return ("load" if base.startswith("ldr") else "store") + ("_wb" if wb else "")
    if base in ("ldrd", "strd"):
        return "pair"
    if base in _MULTI_LS or base in _VMULTI_LS:
        return "multi"
    if _BRANCH.match(base) or base in ("cbz", "cbnz", "tbb", "tbh"):
        return "branch"
    return "other"


# ---- costs -----------------------------------------------------------------------------


def _is_conditional_branch(insn: Insn) -> bool:
    m = insn.mnemonic.split(".")[0]
    b = _BRANCH.match(m)
    return m in ("cbz", "cbnz") or (b is not None and b.group(2) is not None)


def _branch_target(operands: str) -> int | None:
    m = re.search(r"#(0x[0-9a-f]+|\d+)", operands)
    return int(m.group(1), 0) if m else None


def insn_cycles(insn: Insn, prev: Insn | None, table: dict[str, int]) -> int:
    """Cycles of one instruction given the one before it in the block, a conditional
    branch counted not taken (the block adds P per taken time)."""
    base = _base(insn, table)
    kind = _kind(insn, base)
    writes_pc = "pc" in _written_regs(insn, base) or bool(re.match(r"^pc\b", insn.operands))
    if kind == "branch":
        if base in ("tbb", "tbh"):
            return 2 + P
        return 1 if _is_conditional_branch(insn) else 1 + P
    stall = 0
    pipelined = False
    if prev is not None and kind in ("load", "store", "load_wb", "store_wb", "pair", "multi"):
        pbase = _base(prev, table)
        pkind = _kind(prev, pbase)
        addr = _address_regs(insn, base)
        if pkind == "other" and not pbase.startswith("v") and _written_regs(prev, pbase) & addr:
            stall = 1  # no forwarding path from a data-processing result to the address
        if pkind == "load" and kind in ("load", "store") and not (_written_regs(prev, pbase) & addr) \
                and "pc" not in _written_regs(prev, pbase):
            pipelined = True
    if kind in ("load", "load_wb"):
        if writes_pc:
            return 2 + P + stall
        return (1 if pipelined and kind == "load" else 2) + stall
    if kind in ("store", "store_wb"):
        if kind == "store" and _register_offset(insn):
            return (1 if pipelined else 2) + stall
        return 1 + stall
    if kind == "pair":
        return 3 + stall
    if kind == "multi":
        loads_pc = (base == "pop" or base.startswith("ldm")) and "pc" in _written_regs(insn, base)
        return 1 + _reg_list_len(insn.operands) + (P if loads_pc else 0) + stall
    if base in table:
        return table[base]
    if writes_pc and base in ("mov", "add"):
        return 1 + P
    return 1


def block_cycles(block: Block, model: CycleModel) -> int:
    """Cycles of one execution of ``block``, its closing conditional branch not taken."""
    table = model.table()
    ins = block.insns
    return sum(insn_cycles(i, ins[k - 1] if k else None, table) for k, i in enumerate(ins))


def taken(block: Block) -> int:
    """How many of the block's executions took its closing conditional branch (0 when it
    does not end in one)."""
    if not block.insns or not _is_conditional_branch(block.insns[-1]):
        return 0
    if block.fall is not None:
        return max(0, block.count - block.fall)
    last = block.insns[-1]
    target = _branch_target(last.operands)
    return block.count if target is not None and target <= last.addr else 0


def block_total(block: Block, model: CycleModel) -> int:
    """Cycles of all the block's executions."""
    if model.scheduler == "m7":
        from edgeq.harness import cycles_m7

        return cycles_m7.block_total(block)
    if model.scheduler == "m55":
        from edgeq.harness import cycles_m55

        return cycles_m55.block_total(block)
    return block_cycles(block, model) * block.count + P * taken(block)


def estimate(blocks: list[Block], core: str) -> tuple[int, CycleModel] | None:
    """(total cycles over all the blocks' executions, the model), or None for a core with
    no cycle model."""
    model = MODELS.get(core)
    if model is None:
        return None
    return sum(block_total(b, model) for b in blocks), model


@dataclass(frozen=True)
class SegmentEstimate:
    """Cycles of each segment of a profile build's spans (see the plugin's ``mark=``):
    ``inference[k]`` summed over the inference spans, ``calibration[k]`` of the first span."""

    inference: tuple[int, ...]
    calibration: tuple[int, ...]
    model: CycleModel
    # the instructions of the blocks each segment entered (summed over the inference spans):
    # equal to the plugin's own segment counts when every marker starts a block
    inference_instructions: tuple[int, ...] = ()


def estimate_segments(text: str, core: str) -> SegmentEstimate | None:
    """Per-segment cycles from a plugin blocks file with ``s``/``c`` lines (None for a core
    with no cycle model). Each block is costed as :func:`block_total` costs it, with the
    executions and fall-throughs it had in that segment."""
    model = MODELS.get(core)
    if model is None:
        return None
    blocks = parse_blocks(text)
    per = {"s": {}, "c": {}}
    k = -1
    for line in text.splitlines():
        if line.startswith("b "):
            k += 1
        elif line[:2] in ("s ", "c ") and k >= 0:
            _, seg, count, fall = line.split()
            per[line[0]].setdefault(int(seg), []).append((k, int(count), int(fall)))

    def costs(table, cost) -> tuple[int, ...]:
        n = max(table, default=-1) + 1
        out = [0] * n
        for seg, entries in table.items():
            for b, count, fall in entries:
                out[seg] += cost(Block(blocks[b].pc, count, blocks[b].insns, fall))
        return tuple(out)

    def total(b: Block) -> int:
        return block_total(b, model)

    return SegmentEstimate(costs(per["s"], total), costs(per["c"], total), model,
                           costs(per["s"], lambda b: b.count * len(b.insns)))


_CAPSTONE_UNKNOWN = (".byte", ".short", ".word", "ldc", "ldc2", "ldcl", "ldc2l", "stc", "stc2", "stcl", "stc2l", "cdp",
                     "cdp2", "mcr", "mcr2", "mrc", "mrc2", "mcrr", "mcrr2", "mrrc", "mrrc2")
_LOOP_INSNS = ("le", "letp", "dls", "dlstp", "wls", "wlstp", "lctp")


def redisassemble(text: str, table: dict[int, tuple[str, str]]) -> str:
    """A plugin blocks file with its MVE and low-overhead-loop instructions re-read from
    ``table`` (address -> (mnemonic, operands): ``edgeq.toolchain.arm.disassemble``): the
    capstone in QEMU 7.2 prints them as coprocessor instructions or bytes, or as the NEON
    instruction of the same encoding. Other lines are kept as they are."""
    out = []
    for line in text.splitlines():
        if line.startswith("i "):
            parts = line[2:].split(None, 2)
            addr = int(parts[0], 16)
            mnem = parts[1].lower() if len(parts) > 1 else ""
            new = table.get(addr)
            if new is not None and (new[0].startswith("v") or new[0].split(".")[0] in _LOOP_INSNS
                                    or mnem in _CAPSTONE_UNKNOWN):
                line = f"i {parts[0]} {new[0]} {new[1]}".rstrip()
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def estimate_file(path: str | Path, core: str) -> tuple[int, CycleModel] | None:
    """:func:`estimate` of a plugin blocks file (None when the file is missing)."""
    path = Path(path)
    if not path.is_file():
        return None
    return estimate(parse_blocks(path.read_text()), core)
