"""Static memory plan for edgeq-micro: every activation gets a fixed offset in one arena.

Lifetime-based offset packing: a tensor is live from the op that writes it to the last op
that reads it (both inclusive, so an op's output never overlaps its own inputs). Tensors
are placed at the lowest 16-byte aligned offset that does not collide with an already
placed tensor whose lifetime overlaps, largest first (the greedy-by-size strategy TFLM's own
planner uses) and in two other orders; the smallest of the three arenas is kept. Views
(RESHAPE, SQUEEZE, EXPAND_DIMS) alias their input: the alias and its root share one buffer
whose lifetime covers all of them. Tensors in ``external`` (graph inputs and outputs, which
live in the caller's buffers, and constants) take no arena space.

In-place execution: an op may list in ``PlanOp.inplace`` the inputs its output may be
written over, starting ``PlanOp.gap`` bytes below such an input: elementwise kernels read
element i before writing element i (gap 0); convolutions walk the output row-major and
only read the current pixel's window, so the output may start a little below the input
(the gap the op module proves, see ``edgeq.ops._common.window_inplace_gap``). An output is
merged into the group of such an input when that input dies at this op and is not
external: a group is a rigid block of buffers at fixed relative positions, which shifts its
members up when an output must start below the block. Groups are packed by first fit with
each member keeping its own lifetime, so a group's dead members cost nothing. A chain of
in-place ops drifts down by its gaps, so which ops run in place is searched: all, none,
only those that need no shift, greedy removal from all and greedy addition to none; the
smallest arena wins (then the smaller sorted per-op footprint).

Reported with the plan: ``timeline`` (bytes the plan's live buffers cover at each op,
16-byte aligned), ``peak`` (its maximum), ``lower_bound`` (the largest sum of buffers live
at one op: the bound of any plan that never overlaps an op's output with its inputs) and
``inplace_bound`` (the same less the best in-place overlap each op allows: the bound of any
plan with these in-place rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

ALIGN = 16


@dataclass(frozen=True)
class PlanOp:
    """An op as the planner sees it: which tensors it reads and writes."""

    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    # inputs that outputs[0] may overwrite in place (the kernel reads each element first)
    inplace: tuple[int, ...] = ()
    # bytes by which outputs[0] must start below such an input (0: same address); windowed
    # kernels (convolutions) write row r of the output only below the input rows still to read
    gap: int = 0


@dataclass(frozen=True)
class MemoryPlan:
    """Result: ``offsets`` for every arena tensor (aliases included), the arena size, and
    each buffer's ``root`` and ``lifetime`` (first, last op index) for checks and reports."""

    offsets: Mapping[int, int]
    arena_size: int
    roots: Mapping[int, int]
    lifetimes: Mapping[int, tuple[int, int]]
    sizes: Mapping[int, int]
    # output root -> the input root whose bytes it reuses (in-place ops)
    inplace: Mapping[int, int] = field(default_factory=dict)
    timeline: tuple[int, ...] = ()
    peak: int = 0
    lower_bound: int = 0
    inplace_bound: int = 0


def root_of(tensor: int, aliases: Mapping[int, int]) -> int:
    """Follow alias links (view output -> view input) to the tensor that owns the bytes."""
    seen = set()
    while tensor in aliases:
        if tensor in seen:
            raise ValueError(f"alias cycle at tensor {tensor}")
        seen.add(tensor)
        tensor = aliases[tensor]
    return tensor


def _align(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


def _first_fit(order, groups, align):
    """Place groups (lists of ``(position, size, first, last)`` members, rigid) at the lowest
    aligned base where no member collides with a placed member whose lifetime overlaps."""
    placed: list[tuple[int, int, int, int]] = []  # (offset, end, first, last)
    bases: dict[int, int] = {}
    arena = 0
    for g in order:
        members = groups[g]
        hits = [(pos, size, o, e) for pos, size, first, last in members
                for o, e, f, l in placed if not (l < first or f > last)]
        candidates = sorted({0, *(max(0, _align(e - pos, align)) for pos, _s, _o, e in hits)})
        for base in candidates:
            if all(base + pos + size <= o or e <= base + pos for pos, size, o, e in hits):
                break
        bases[g] = base
        for pos, size, first, last in members:
            placed.append((base + pos, base + pos + size, first, last))
            arena = max(arena, base + pos + size)
    return bases, arena


def _live_bytes(n_ops: int, life: Mapping[int, Sequence[int]], sizes: Mapping[int, int],
                buffers, align: int) -> tuple[int, ...]:
    """Aligned bytes of ``buffers`` live at each op."""
    out = [0] * n_ops
    for r in buffers:
        a, b = life[r]
        for i in range(a, b + 1):
            out[i] += _align(sizes[r], align)
    return tuple(out)


def _merge_inplace(ops, sizes, life, roots, external, grow: bool, align: int = ALIGN,
                   allowed: frozenset[int] | None = None):
    """Greedy in op order: merge each in-place output into the group of a dying input.

    A group is one arena block holding several buffers at fixed positions (``sub``). The
    output goes ``op.gap`` bytes below its input's position; the block grows (and shifts its
    members up) where needed, unless ``grow`` is False, when only merges that fit are made.
    Returns (group of each buffer, position in it, group lifetimes, group sizes,
    out root -> in root). ``allowed``: the op indices that may run in place (None: all).
    """
    owner: dict[int, int] = {r: r for r in life}
    sub: dict[int, int] = {r: 0 for r in life}
    members: dict[int, list[int]] = {r: [r] for r in life}
    mlife = {r: list(v) for r, v in life.items()}
    msize = {r: sizes.get(r, 0) for r in life}
    merged: dict[int, int] = {}

    for i, op in enumerate(ops):
        if not op.inplace or not op.outputs or op.outputs[0] < 0 or (allowed is not None and i not in allowed):
            continue
        o = roots[op.outputs[0]]
        if o in external or owner[o] != o or len(members[o]) != 1 or mlife[o][0] != i or msize[o] <= 0:
            continue
        for t in op.inplace:
            if t < 0 or t not in roots:
                continue
            x = roots[t]
            r = owner[x]
            if r == o or r in external or mlife[r][1] != i:
                continue
            pos = sub[x] - _align(op.gap, align)
            if not grow and (pos < 0 or pos + msize[o] > msize[r]):
                continue
            if pos < 0:
                for m in members[r]:
                    sub[m] -= pos
                msize[r] -= pos
                pos = 0
            owner[o], sub[o] = r, pos
            members[r].append(o)
            del members[o]
            msize[r] = max(msize[r], pos + msize.pop(o))
            mlife[r][1] = mlife.pop(o)[1]
            merged[o] = x
            break
    return owner, sub, mlife, msize, merged


def plan(ops: Sequence[PlanOp], sizes: Mapping[int, int], aliases: Mapping[int, int] | None = None,
         external: set[int] | frozenset[int] = frozenset(), align: int = ALIGN) -> MemoryPlan:
    """Place every non-external tensor that ``ops`` touch (``sizes``: bytes per tensor).

    Deterministic: ties are broken by tensor index.
    """
    aliases = dict(aliases or {})
    life: dict[int, list[int]] = {}
    roots: dict[int, int] = {}
    for i, op in enumerate(ops):
        for t in (*op.inputs, *op.outputs):
            if t < 0:
                continue
            r = root_of(t, aliases)
            roots[t] = r
            span = life.setdefault(r, [i, i])
            span[0], span[1] = min(span[0], i), max(span[1], i)
    for op in ops:
        for t in op.inplace:
            if t >= 0 and t not in roots:
                raise ValueError(f"in-place input {t} is not an input of its op")
    plain = sorted({r for r in life if r not in external and sizes.get(r, 0) > 0})
    lower_bound = max(_live_bytes(len(ops), life, sizes, plain, align), default=0)
    inplace_bound = _inplace_bound(ops, sizes, life, roots, external, plain, align)
    # Greedy first-fit of the merged groups under a few orderings; which ops run in place is
    # searched: all of them, none, only those that fit, then greedy removal from "all" and
    # greedy addition to "none" (a long in-place chain drifts down by its gaps, so running
    # every op in place is not always best). Score: arena, then the sorted per-op footprint.
    orders = (
        lambda g, ms, ml: (-ms[g], g),                                   # largest first (TFLM's)
        lambda g, ms, ml: (ml[g][0], -ms[g], g),                         # in order of creation
        lambda g, ms, ml: (-(ml[g][1] - ml[g][0]), -ms[g], g),           # longest-lived first
    )
    n = len(ops)
    cache: dict = {}

    def evaluate(allowed: frozenset[int] | None, grow: bool = True):
        key = (allowed, grow)
        if key in cache:
            return cache[key]
        if allowed is not None and not allowed:
            owner, sub, mlife, msize, merged = ({r: r for r in life}, {r: 0 for r in life},
                                                {r: list(v) for r, v in life.items()},
                                                {r: sizes.get(r, 0) for r in life}, {})
        else:
            owner, sub, mlife, msize, merged = _merge_inplace(ops, sizes, life, roots, external, grow=grow,
                                                              align=align, allowed=allowed)
        # each group keeps its members' own lifetimes: a member's bytes are free outside them
        groups: dict[int, list[tuple[int, int, int, int]]] = {}
        for r in plain:
            groups.setdefault(owner[r], []).append((sub[r], sizes[r], life[r][0], life[r][1]))
        best_here = None
        for order in orders:
            bases, arena = _first_fit(sorted(groups, key=lambda g: order(g, msize, mlife)), groups, align)
            offs = {r: bases[owner[r]] + sub[r] for r in plain}
            tl = tuple(_footprint([(offs[r], offs[r] + sizes[r]) for r in plain
                                   if life[r][0] <= i <= life[r][1]], align) for i in range(n))
            score = (_align(arena, align), tuple(sorted(tl, reverse=True)))
            if best_here is None or score < best_here[0]:
                best_here = (score, (arena, bases, owner, sub, merged))
        cache[key] = best_here
        return best_here

    candidates = frozenset(i for i, op in enumerate(ops) if op.inplace)
    if candidates:
        tried = [evaluate(candidates), evaluate(candidates, grow=False), evaluate(frozenset())]
        for start, step in ((candidates, -1), (frozenset(), +1)):
            current, score = start, evaluate(start)[0]
            while True:
                moves = [current - {i} for i in sorted(current)] if step < 0 else \
                        [current | {i} for i in sorted(candidates - current)]
                if not moves:
                    break
                nxt = min(moves, key=lambda m: evaluate(m)[0])
                if evaluate(nxt)[0] >= score:
                    break
                current, score = nxt, evaluate(nxt)[0]
            tried.append(evaluate(current))
        best = min(tried, key=lambda e: e[0])[1]
    else:
        best = evaluate(frozenset())[1]
    arena, bases, owner, sub, merged = best
    offsets = {r: bases[owner[r]] + sub[r] for r in plain}
    for t, r in roots.items():
        if r in offsets:
            offsets[t] = offsets[r]
    timeline = tuple(_footprint([(offsets[r], offsets[r] + sizes[r]) for r in plain
                                 if life[r][0] <= i <= life[r][1]], align) for i in range(len(ops)))
    return MemoryPlan(
        offsets=dict(sorted(offsets.items())),
        arena_size=_align(arena, align),
        roots=dict(sorted(roots.items())),
        lifetimes={r: (life[r][0], life[r][1]) for r in sorted(life)},
        sizes={r: sizes[r] for r in plain},
        inplace=dict(sorted(merged.items())),
        timeline=timeline,
        peak=max(timeline, default=0),
        lower_bound=lower_bound,
        inplace_bound=inplace_bound,
    )


def _footprint(intervals, align: int) -> int:
    """Bytes covered by the union of ``(start, end)`` intervals (ends aligned up)."""
    total, reach = 0, 0
    for a, b in sorted(intervals):
        b = _align(b, align)
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def _inplace_bound(ops, sizes, life, roots, external, plain, align) -> int:
    """Largest aligned sum of buffers live at one op, less at each op what the best single
    in-place overlap of its output with a dying input saves: no plan that uses only the
    ops' in-place permissions can need less (two buffers overlap only at the op where one
    dies and the other is born, and only as that op allows)."""
    live = _live_bytes(len(ops), life, sizes, plain, align)
    bound = 0
    plain_set = set(plain)
    for i, op in enumerate(ops):
        save = 0
        o = roots.get(op.outputs[0]) if op.outputs and op.outputs[0] >= 0 else None
        if o in plain_set and life[o][0] == i:
            so = _align(sizes[o], align)
            for t in op.inplace:
                x = roots.get(t)
                if x in plain_set and x != o and life[x][1] == i:
                    sx = _align(sizes[x], align)
                    save = max(save, so + sx - max(so, _align(op.gap, align) + sx))
        bound = max(bound, live[i] - save)
    return bound
