"""Static memory plan for edgeq-micro: every activation gets a fixed offset in one arena.

Lifetime-based offset packing: a tensor is live from the op that writes it to the last op
that reads it (both inclusive, so an op's output never overlaps its own inputs). Tensors
are placed at the lowest 16-byte aligned offset that does not collide with an already
placed tensor whose lifetime overlaps, largest first (the greedy-by-size strategy TFLM's own
planner uses) and in two other orders; the smallest of the three arenas is kept. Views (RESHAPE, SQUEEZE, EXPAND_DIMS) alias their input: the alias and its
root share one buffer whose lifetime covers all of them. Tensors in ``external`` (graph
inputs and outputs, which live in the caller's buffers, and constants) take no arena space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

ALIGN = 16


@dataclass(frozen=True)
class PlanOp:
    """An op as the planner sees it: which tensors it reads and writes."""

    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class MemoryPlan:
    """Result: ``offsets`` for every arena tensor (aliases included), the arena size, and
    each buffer's ``root`` and ``lifetime`` (first, last op index) for checks and reports."""

    offsets: Mapping[int, int]
    arena_size: int
    roots: Mapping[int, int]
    lifetimes: Mapping[int, tuple[int, int]]
    sizes: Mapping[int, int]


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


def _first_fit(order, sizes, life, align):
    placed: list[tuple[int, int, int, int]] = []  # (offset, end, first, last)
    offsets: dict[int, int] = {}
    arena = 0
    for r in order:
        size, (first, last) = sizes[r], life[r]
        conflicts = sorted((o, e) for o, e, f, l in placed if not (l < first or f > last))
        offset = 0
        for o, e in conflicts:
            if offset + size <= o:
                break
            offset = max(offset, _align(e, align))
        offsets[r] = offset
        placed.append((offset, offset + size, first, last))
        arena = max(arena, offset + size)
    return offsets, arena


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
    buffers = sorted({r for r in life if r not in external and sizes.get(r, 0) > 0})
    # Greedy first-fit under a few orderings; keep the smallest arena (ties: the first).
    orders = (
        lambda r: (-sizes[r], r),                                   # largest first (TFLM's)
        lambda r: (life[r][0], -sizes[r], r),                       # in order of creation
        lambda r: (-(life[r][1] - life[r][0]), -sizes[r], r),       # longest-lived first
    )
    best: tuple[int, dict[int, int]] | None = None
    for key in orders:
        offsets, arena = _first_fit(sorted(buffers, key=key), sizes, life, align)
        if best is None or arena < best[0]:
            best = (arena, offsets)
    arena, offsets = best if best is not None else (0, {})
    for t, r in roots.items():
        if r in offsets:
            offsets[t] = offsets[r]
    return MemoryPlan(
        offsets=dict(sorted(offsets.items())),
        arena_size=_align(arena, align),
        roots=dict(sorted(roots.items())),
        lifetimes={r: (life[r][0], life[r][1]) for r in sorted(life)},
        sizes={r: sizes[r] for r in sorted(buffers)},
    )
