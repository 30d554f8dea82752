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

Concatenation by placement: an op may list in ``PlanOp.slices`` where its inputs lie in its
output (CONCATENATION). A placed input is a sub-buffer of the output: its producer writes
straight into the slice, the op no longer copies it (``MemoryPlan.placed``), and the output
(the root of the group, or the outermost output for nested concatenations) owns its bytes.
Each slice stays reserved from its producer until the output dies (its own last reader if
later), the rest of the output from the op on: the timeline counts the bytes once. An input
is placed only when it is written by an earlier op of the plan, is neither external nor
the output, appears once among the op's inputs, is not already placed by an earlier op,
and, for a slice interleaved with others (``span`` larger than the input: channel
concatenation), is read by no other op; a slice of an external output (a graph output) is
external too: it lives in the caller's buffer. A placed input is never an in-place output
(its producer writes the slice, not the bytes of a dying input), and an in-place output may
overlap the members of a group only where those are bytes of the input it replaces and not
read by its op. Whether each concatenation is placed is searched like the in-place ops:
all, none and greedy removal from all; the plan without placement is always among those
tried, so placement never makes the arena larger (on a tie, the plan with more inputs placed
wins: fewer copies).

Reported with the plan: ``timeline`` (bytes the plan's live buffers cover at each op,
16-byte aligned), ``peak`` (its maximum), ``lower_bound`` (the largest sum of buffers live
at one op: the bound of any plan that never overlaps an op's output with its inputs nor
places an input inside an output) and ``inplace_bound`` (the same less, at each op, the best
in-place overlap it allows and the inputs placement may put inside a live output: the
bound of any plan with these in-place and placement rules).

Persistent buffers (``persistent``: variable tensors, the state a recurrent op such as LSTM
or SVDF keeps from one inference to the next, as TFLM keeps them in its persistent area)
take the first bytes of the arena, one after another, and nothing else ever uses them;
every figure above counts them at every op.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping, Sequence

ALIGN = 16


@dataclass(frozen=True)
class Slice:
    """Where an input of an op may lie inside the op's ``outputs[0]``: from ``offset`` bytes
    into it, over ``span`` bytes (the input's size when its bytes are contiguous there; more
    when its rows are interleaved with other inputs' rows, e.g. concatenation on channels)."""

    tensor: int
    offset: int
    span: int


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
    # inputs the planner may place inside outputs[0] (the op then skips copying them)
    slices: tuple[Slice, ...] = ()


@dataclass(frozen=True)
class Placement:
    """An input placed inside the output ``into`` of op ``op``: it lives ``offset`` bytes into
    ``anchor``, the outermost buffer that holds it (``into`` itself unless that is placed too)."""

    op: int
    into: int
    anchor: int
    offset: int


@dataclass(frozen=True)
class MemoryPlan:
    """Result: ``offsets`` for every arena tensor (aliases included), the arena size, and
    each buffer's ``root`` and ``lifetime`` (first, last op index its bytes are reserved:
    a placed input until its output dies, an output holding placed inputs from the first
    of their producers) for checks and reports."""

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
    # input root -> where it lies inside a concatenation's output (placement)
    placed: Mapping[int, Placement] = field(default_factory=dict)
    # bytes at the start of the arena that hold the persistent (variable) tensors
    state_bytes: int = 0


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


# ---- placement -----------------------------------------------------------------------------

def _slice_candidates(ops, sizes, roots, external) -> dict[int, tuple[tuple[int, int, int], ...]]:
    """Op index -> ``(input root, offset, span)`` of each slice the placement rules allow
    (before claims: an input placed by an earlier op is not placed again)."""
    producer: dict[int, int] = {}
    readers: dict[int, set[int]] = {}
    for i, op in enumerate(ops):
        for t in op.outputs:
            if t >= 0:
                producer.setdefault(roots[t], i)
        for t in op.inputs:
            if t >= 0:
                readers.setdefault(roots[t], set()).add(i)
    out = {}
    for k, op in enumerate(ops):
        if not op.slices:
            continue
        if op.inplace:
            raise ValueError(f"op {k} lists both in-place inputs and slices")
        y = roots[op.outputs[0]]
        count: dict[int, int] = {}
        for t in op.inputs:
            if t >= 0:
                count[roots[t]] = count.get(roots[t], 0) + 1
        keep = []
        for s in op.slices:
            if s.tensor not in op.inputs:
                raise ValueError(f"slice tensor {s.tensor} is not an input of op {k}")
            r = roots[s.tensor]
            size = sizes.get(r, 0)
            if (r in external or r == y or count[r] != 1 or size <= 0 or sizes.get(s.tensor) != size
                    or producer.get(r, k) >= k or s.offset < 0 or s.span < size
                    or s.offset + s.span > sizes.get(y, 0)
                    or (s.span > size and readers[r] != {k})):
                continue
            keep.append((r, s.offset, s.span))
        if keep:
            out[k] = tuple(keep)
    return out


@dataclass(frozen=True)
class _Layout:
    """Groups before in-place merges, for one choice of placed ops: each buffer's group
    (``owner``), position in it (``sub``) and reserved extent and lifetime; the groups'
    lifetimes and sizes; the buffers that take arena space (``plain``)."""

    placed: Mapping[int, Placement]
    external: frozenset[int]
    plain: tuple[int, ...]
    owner: Mapping[int, int]
    sub: Mapping[int, int]
    extent: Mapping[int, int]
    life: Mapping[int, tuple[int, int]]
    glife: Mapping[int, tuple[int, int]]
    gsize: Mapping[int, int]
    members: Mapping[int, tuple[int, ...]]


def _layout(ops, sizes, life, roots, external, candidates, enabled: frozenset[int]) -> _Layout:
    """Place the candidate slices of the ``enabled`` ops (in op order: first claim wins)."""
    parent: dict[int, tuple[int, int, int, int]] = {}  # root -> (op, into, offset, span)
    for k in sorted(enabled):
        y = roots[ops[k].outputs[0]]
        for r, off, span in candidates[k]:
            if r not in parent:
                parent[r] = (k, y, off, span)
    placed: dict[int, Placement] = {}
    for r, (k, y, off, _span) in parent.items():
        anchor, total = y, off
        while anchor in parent:
            total += parent[anchor][2]
            anchor = parent[anchor][1]
        placed[r] = Placement(k, y, anchor, total)
    # a slice stays reserved until its output dies (outer placements first: nested outputs)
    plife = {r: list(v) for r, v in life.items()}
    for r in sorted(parent, key=lambda r: -parent[r][0]):
        plife[r][1] = max(plife[r][1], plife[parent[r][1]][1])
    ext = frozenset(external) | {r for r, p in placed.items() if p.anchor in external}
    owner = {r: placed[r].anchor if r in placed else r for r in life}
    members: dict[int, list[int]] = {}
    for r in sorted(life):
        members.setdefault(owner[r], []).append(r)
    glife = {g: (min(plife[m][0] for m in ms), max(plife[m][1] for m in ms)) for g, ms in members.items()}
    return _Layout(
        placed=placed, external=ext,
        plain=tuple(sorted(r for r in life if r not in ext and sizes.get(r, 0) > 0)),
        owner=owner, sub={r: placed[r].offset if r in placed else 0 for r in life},
        extent={r: parent[r][3] if r in parent else sizes.get(r, 0) for r in life},
        life={r: (a, b) for r, (a, b) in plife.items()}, glife=glife,
        gsize={g: sizes.get(g, 0) for g in members}, members={g: tuple(ms) for g, ms in members.items()},
    )


def _inside(m: int, x: int, placed: Mapping[int, Placement]) -> bool:
    """Whether buffer ``m`` is placed (directly or through nested outputs) inside ``x``."""
    while m in placed:
        m = placed[m].into
        if m == x:
            return True
    return False


# ---- in-place ------------------------------------------------------------------------------

def _merge_inplace(ops, roots, lay: _Layout, grow: bool, align: int = ALIGN,
                   allowed: frozenset[int] | None = None):
    """Greedy in op order: merge each in-place output into the group of a dying input.

    A group is one arena block holding several buffers at fixed positions (``sub``). The
    output goes ``op.gap`` bytes below its input's position; the block grows (and shifts its
    members up) where needed, unless ``grow`` is False, when only merges that fit are made.
    A merge is refused where the output would cover another member still live at the op,
    unless that member is a slice placed inside the input and not read by the op.
    Returns (group of each buffer, position in it, group lifetimes, group sizes,
    out root -> in root). ``allowed``: the op indices that may run in place (None: all).
    """
    external = lay.external
    owner = dict(lay.owner)
    sub = dict(lay.sub)
    members = {g: list(ms) for g, ms in lay.members.items()}
    mlife = {g: list(v) for g, v in lay.glife.items()}
    msize = dict(lay.gsize)
    merged: dict[int, int] = {}

    for i, op in enumerate(ops):
        if not op.inplace or not op.outputs or op.outputs[0] < 0 or (allowed is not None and i not in allowed):
            continue
        o = roots[op.outputs[0]]
        if o in external or owner[o] != o or len(members[o]) != 1 or mlife[o][0] != i or msize[o] <= 0:
            continue
        reads = {roots[t] for t in op.inputs if t >= 0}
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
            if any(m != x and lay.life[m][0] <= i <= lay.life[m][1]
                   and sub[m] < pos + msize[o] and pos < sub[m] + lay.extent[m]
                   and (m in reads or not _inside(m, x, lay.placed)) for m in members[r]):
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


SEARCH_BUDGET = 20_000  # layout evaluations x ops for the greedy in-place / placement searches


def plan(ops: Sequence[PlanOp], sizes: Mapping[int, int], aliases: Mapping[int, int] | None = None,
         external: set[int] | frozenset[int] = frozenset(), align: int = ALIGN,
         persistent: Sequence[int] = ()) -> MemoryPlan:
    """Place every non-external tensor that ``ops`` touch (``sizes``: bytes per tensor);
    ``persistent`` tensors first, at fixed offsets kept for the whole run.

    Deterministic: ties are broken by tensor index.
    """
    aliases = dict(aliases or {})
    fixed: dict[int, int] = {}
    for t in sorted(set(persistent)):
        if t in aliases:
            raise ValueError(f"persistent tensor {t} is a view")
        fixed[t] = sum(_align(sizes[u], align) for u in fixed)
    state_bytes = sum(_align(sizes[t], align) for t in fixed)
    inner = _plan(ops, sizes, aliases, frozenset(external) | frozenset(fixed), align)
    if not fixed:
        return inner
    offsets = {t: o + state_bytes for t, o in inner.offsets.items()}
    for t, r in inner.roots.items():
        if r in fixed:
            offsets[t] = fixed[r]
    return dataclasses.replace(
        inner, offsets=dict(sorted(offsets.items())), arena_size=inner.arena_size + state_bytes,
        sizes={**inner.sizes, **{t: sizes[t] for t in fixed}},
        lifetimes={**inner.lifetimes, **{t: (0, max(len(ops) - 1, 0)) for t in fixed}},
        timeline=tuple(b + state_bytes for b in inner.timeline), peak=inner.peak + state_bytes,
        lower_bound=inner.lower_bound + state_bytes, inplace_bound=inner.inplace_bound + state_bytes,
        state_bytes=state_bytes)


def _plan(ops, sizes, aliases, external, align) -> MemoryPlan:
    """:func:`plan` without persistent buffers."""
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
    candidates = _slice_candidates(ops, sizes, roots, external)
    lower_bound = max(_live_bytes(len(ops), life, sizes, plain, align), default=0)
    inplace_bound = _inplace_bound(ops, sizes, life, roots, external, plain, align, candidates)
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
    layouts: dict[frozenset[int], _Layout] = {}
    cache: dict = {}
    stats = {"evaluations": 0}

    def layout(enabled: frozenset[int]) -> _Layout:
        if enabled not in layouts:
            layouts[enabled] = _layout(ops, sizes, life, roots, external, candidates, enabled)
        return layouts[enabled]

    def evaluate(enabled: frozenset[int], allowed: frozenset[int] | None, grow: bool = True):
        key = (enabled, allowed, grow)
        if key in cache:
            return cache[key]
        stats["evaluations"] += 1
        lay = layout(enabled)
        if allowed is not None and not allowed:
            owner, sub, mlife, msize, merged = lay.owner, lay.sub, lay.glife, lay.gsize, {}
        else:
            owner, sub, mlife, msize, merged = _merge_inplace(ops, roots, lay, grow=grow, align=align,
                                                              allowed=allowed)
        # each group keeps its members' own lifetimes: a member's bytes are free outside them
        groups: dict[int, list[tuple[int, int, int, int]]] = {}
        for r in lay.plain:
            groups.setdefault(owner[r], []).append((sub[r], lay.extent[r], lay.life[r][0], lay.life[r][1]))
        best_here = None
        for order in orders:
            bases, arena = _first_fit(sorted(groups, key=lambda g: order(g, msize, mlife)), groups, align)
            offs = {r: bases[owner[r]] + sub[r] for r in lay.plain}
            tl = _timeline(n, lay, offs, align)
            score = (_align(arena, align), -len(lay.placed), tuple(sorted(tl, reverse=True)))
            if best_here is None or score < best_here[0]:
                best_here = (score, (enabled, arena, bases, owner, sub, merged))
        cache[key] = best_here
        return best_here

    inplace_ops = frozenset(i for i, op in enumerate(ops) if op.inplace)

    def over_budget() -> bool:
        """The greedy searches stop taking steps past a budget of evaluations x ops: each step
        tries every candidate, so a graph of hundreds of in-place ops (an unrolled RNN) would
        take minutes. The CNNs measured here stay well inside it (person_detect: 482 x 30)."""
        return stats["evaluations"] * max(n, 1) > SEARCH_BUDGET

    def quick(enabled: frozenset[int]):
        """A cheap score for comparing placement choices: all, none or the fitting in-place ops."""
        if not inplace_ops:
            return evaluate(enabled, frozenset())[0]
        return min(evaluate(enabled, inplace_ops)[0], evaluate(enabled, inplace_ops, grow=False)[0],
                   evaluate(enabled, frozenset())[0])

    def search_inplace(enabled: frozenset[int]):
        if not inplace_ops:
            return evaluate(enabled, frozenset())
        tried = [evaluate(enabled, inplace_ops), evaluate(enabled, inplace_ops, grow=False),
                 evaluate(enabled, frozenset())]
        for start, step in ((inplace_ops, -1), (frozenset(), +1)):
            current, score = start, evaluate(enabled, start)[0]
            while not over_budget():
                moves = [current - {i} for i in sorted(current)] if step < 0 else \
                        [current | {i} for i in sorted(inplace_ops - current)]
                if not moves:
                    break
                nxt = min(moves, key=lambda m: evaluate(enabled, m)[0])
                if evaluate(enabled, nxt)[0] >= score:
                    break
                current, score = nxt, evaluate(enabled, nxt)[0]
            tried.append(evaluate(enabled, current))
        return min(tried, key=lambda e: e[0])

    # which concatenations are placed: all, then greedy removal (on the cheap score), and none
    every = frozenset(candidates)
    choices = [every]
    current, score = every, quick(every)
    while current and not over_budget():
        nxt = min((current - {k} for k in sorted(current)), key=quick)
        if quick(nxt) >= score:
            break
        current, score = nxt, quick(nxt)
    choices += [c for c in (current, frozenset()) if c not in choices]
    best = min((search_inplace(c) for c in choices), key=lambda e: e[0])[1]

    enabled, arena, bases, owner, sub, merged = best
    lay = layout(enabled)
    offsets = {r: bases[owner[r]] + sub[r] for r in lay.plain}
    for t, r in roots.items():
        if r in offsets:
            offsets[t] = offsets[r]
    timeline = _timeline(n, lay, offsets, align)
    lifetimes = {r: lay.life[r] for r in sorted(life)}
    for r, p in lay.placed.items():  # an output's bytes are in use from its first slice's producer
        for g in (p.into, p.anchor):
            lifetimes[g] = (min(lifetimes[g][0], lay.life[r][0]), lifetimes[g][1])
    return MemoryPlan(
        offsets=dict(sorted(offsets.items())),
        arena_size=_align(arena, align),
        roots=dict(sorted(roots.items())),
        lifetimes=lifetimes,
        sizes={r: sizes[r] for r in lay.plain},
        inplace=dict(sorted(merged.items())),
        timeline=timeline,
        peak=max(timeline, default=0),
        lower_bound=lower_bound,
        inplace_bound=inplace_bound,
        placed=dict(sorted(lay.placed.items())),
    )


def _timeline(n_ops: int, lay: _Layout, offsets: Mapping[int, int], align: int) -> tuple[int, ...]:
    """Bytes the buffers reserved at each op cover (a placed slice counts inside its output)."""
    return tuple(_footprint([(offsets[r], offsets[r] + lay.extent[r]) for r in lay.plain
                             if lay.life[r][0] <= i <= lay.life[r][1]], align) for i in range(n_ops))


def _footprint(intervals, align: int) -> int:
    """Bytes covered by the union of ``(start, end)`` intervals (ends aligned up)."""
    total, reach = 0, 0
    for a, b in sorted(intervals):
        b = _align(b, align)
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def _inplace_bound(ops, sizes, life, roots, external, plain, align, candidates) -> int:
    """Largest aligned sum of buffers live at one op, less at each op what the best single
    in-place overlap of its output with a dying input saves and the inputs placement may put
    inside an output live there (or in a caller's buffer; before its output exists, such an
    input is not aligned: it counts its bytes less the ``align - 1`` that may lie in another
    buffer's padding): no plan that uses only the ops' in-place and placement permissions can
    need less (two buffers overlap only at the op where one dies and the other is born, as
    that op allows, or as a slice of an output)."""
    live = list(_live_bytes(len(ops), life, sizes, plain, align))
    inside: dict[int, set[int]] = {}  # a root placement may remove -> outputs that may hold it
    for k, slices in candidates.items():
        for r, _off, _span in slices:
            inside.setdefault(r, set()).add(roots[ops[k].outputs[0]])
    grown = True
    while grown:  # nested: inside y, and y inside z, is inside z
        grown = False
        for r, ys in inside.items():
            more = set().union(*(inside.get(y, set()) for y in ys)) - ys
            if more:
                ys |= more
                grown = True
    plain_set = set(plain)
    for r, ys in inside.items():
        if r not in plain_set:
            continue
        for i in range(life[r][0], life[r][1] + 1):
            if any(y in external or life[y][0] <= i <= life[y][1] for y in ys):
                live[i] -= _align(sizes[r], align)
            else:  # before its output exists, a slice may start in another buffer's padding
                live[i] -= _align(sizes[r], align) - max(0, sizes[r] - (align - 1))
    bound = 0
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
