"""The native runtime's static memory planner: no live tensors overlap, views alias."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from edgeq.codegen.native.planner import PlanOp, plan, root_of


def _check_no_overlap(ops, sizes, aliases, external, mem):
    live: dict[int, tuple[int, int]] = {}
    for i, op in enumerate(ops):
        for t in (*op.inputs, *op.outputs):
            r = root_of(t, aliases)
            a, b = live.get(r, (i, i))
            live[r] = (min(a, i), max(b, i))
    bufs = [r for r in live if r not in external]
    for r in bufs:
        assert mem.offsets[r] % 16 == 0
        assert mem.offsets[r] + sizes[r] <= mem.arena_size
    for x in bufs:
        for y in bufs:
            if x >= y:
                continue
            (a1, b1), (a2, b2) = live[x], live[y]
            if b1 < a2 or b2 < a1:
                continue  # never live at the same time
            ox, oy = mem.offsets[x], mem.offsets[y]
            assert ox + sizes[x] <= oy or oy + sizes[y] <= ox, f"tensors {x} and {y} overlap"


def test_chain_reuses_memory():
    # t0 -> op0 -> t1 -> op1 -> t2 -> op2 -> t3: t1 and t3 can share
    ops = [PlanOp((0,), (1,)), PlanOp((1,), (2,)), PlanOp((2,), (3,))]
    sizes = {0: 100, 1: 100, 2: 100, 3: 100}
    mem = plan(ops, sizes, external={0})
    assert mem.offsets[1] == mem.offsets[3]
    assert mem.arena_size == 224  # two 100-byte buffers at 16-byte aligned offsets
    _check_no_overlap(ops, sizes, {}, {0}, mem)


def test_op_output_never_overlaps_its_inputs():
    ops = [PlanOp((0,), (1,)), PlanOp((1,), (2,))]
    mem = plan(ops, {0: 10, 1: 64, 2: 64}, external={0})
    assert mem.offsets[1] != mem.offsets[2]


def test_views_alias_their_input_and_extend_its_lifetime():
    # op0: 0->1, view 1->2, op1: 2->3, op2: 3->4, op3 reads 2 and 4 -> 5
    ops = [PlanOp((0,), (1,)), PlanOp((2,), (3,)), PlanOp((3,), (4,)), PlanOp((2, 4), (5,))]
    sizes = {0: 32, 1: 48, 2: 48, 3: 32, 4: 32, 5: 16}
    aliases = {2: 1}
    mem = plan(ops, sizes, aliases, external={0})
    assert mem.offsets[2] == mem.offsets[1]
    assert mem.lifetimes[1] == (0, 3)
    _check_no_overlap(ops, sizes, aliases, {0}, mem)


def test_external_tensors_take_no_arena():
    ops = [PlanOp((0,), (1,)), PlanOp((1,), (2,))]
    mem = plan(ops, {0: 1000, 1: 40, 2: 1000}, external={0, 2})
    assert mem.arena_size == 48 and 0 not in mem.offsets and 2 not in mem.offsets


@pytest.mark.parametrize("seed", range(20))
def test_random_graphs_have_no_overlaps(seed):
    rng = random.Random(seed)
    n_ops = rng.randint(1, 25)
    sizes = {0: rng.randint(1, 500)}
    avail = [0]
    ops, aliases = [], {}
    t = 1
    for _ in range(n_ops):
        ins = tuple(sorted(set(rng.sample(avail, k=min(len(avail), rng.randint(1, 3))))))
        sizes[t] = rng.randint(1, 700)
        ops.append(PlanOp(ins, (t,)))
        avail.append(t)
        if rng.random() < 0.3:  # a view of the new tensor
            aliases[t + 1] = t
            sizes[t + 1] = sizes[t]
            avail.append(t + 1)
            t += 1
        t += 1
    external = {0}
    mem = plan(ops, sizes, aliases, external)
    _check_no_overlap(ops, sizes, aliases, external, mem)
    assert plan(ops, sizes, aliases, external) == mem  # deterministic


def test_real_model_plan_has_no_overlaps():
    from edgeq.model.reader import read_model
    from edgeq.codegen.native import emit

    root = Path(__file__).resolve().parents[2]
    path = root.parent / "shared/fixtures/micro_speech/micro_speech_quantized.tflite"
    if not path.is_file():
        path = root / "tests/models/ds_cnn_kws.tflite"
    src = emit.generate(read_model(path))
    assert src.arena_size % 16 == 0 and src.arena_size > 0
