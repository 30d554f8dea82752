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


def _check_inplace_plan(ops, sizes, external, mem):
    """No two buffers overlap while both live, except an in-place output over its input at the
    op that consumes the input, where the output starts at least ``gap`` bytes below it."""
    life: dict[int, tuple[int, int]] = {}
    for i, op in enumerate(ops):
        for t in (*op.inputs, *op.outputs):
            a, b = life.get(t, (i, i))
            life[t] = (min(a, i), max(b, i))
    bufs = [t for t in life if t not in external]
    for x in bufs:
        assert mem.offsets[x] % 16 == 0 and mem.offsets[x] + sizes[x] <= mem.arena_size
    for x in bufs:
        for y in bufs:
            if x >= y:
                continue
            (a1, b1), (a2, b2) = life[x], life[y]
            if b1 < a2 or b2 < a1:
                continue
            ox, oy = mem.offsets[x], mem.offsets[y]
            if ox + sizes[x] <= oy or oy + sizes[y] <= ox:
                continue
            out, inp = (y, x) if mem.inplace.get(y) == x else (x, y)
            assert mem.inplace.get(out) == inp, f"tensors {x} and {y} overlap"
            k = life[out][0]
            assert life[inp][1] == k and inp in ops[k].inputs and out in ops[k].outputs
            assert mem.offsets[inp] - mem.offsets[out] >= ops[k].gap


def test_elementwise_output_overwrites_a_dying_input():
    # resnet block: x -> a -> b, ADD(x, b) -> c; x and b die at the ADD
    ops = [PlanOp((0,), (1,)), PlanOp((1,), (2,)), PlanOp((1, 2), (3,), inplace=(1, 2)), PlanOp((3,), (4,))]
    sizes = {0: 64, 1: 256, 2: 256, 3: 256, 4: 64}
    mem = plan(ops, sizes, external={0, 4})
    assert mem.inplace[3] in (1, 2)
    assert mem.offsets[3] == mem.offsets[mem.inplace[3]]
    assert mem.lower_bound == 768 and mem.peak == 512 and mem.arena_size == 512
    assert mem.timeline == (256, 512, 512, 256)
    _check_inplace_plan(ops, sizes, {0, 4}, mem)


def test_no_inplace_over_an_input_still_needed_later():
    ops = [PlanOp((0,), (1,)), PlanOp((1,), (2,), inplace=(1,)), PlanOp((1, 2), (3,))]
    sizes = {0: 32, 1: 128, 2: 128, 3: 32}
    mem = plan(ops, sizes, external={0, 3})
    assert mem.inplace == {} and mem.arena_size == 256


def test_no_inplace_over_external_or_without_permission():
    ops = [PlanOp((0,), (1,), inplace=(0,)), PlanOp((1,), (2,))]
    sizes = {0: 128, 1: 128, 2: 128}
    mem = plan(ops, sizes, external={0})
    assert 1 not in mem.inplace and mem.arena_size == 256


def test_windowed_inplace_output_starts_gap_bytes_below_its_input():
    # conv chain: x -> a -> (in place, 2 rows of 32 B below) b -> c
    ops = [PlanOp((0,), (1,)), PlanOp((1,), (2,), inplace=(1,), gap=64), PlanOp((2,), (3,))]
    sizes = {0: 16, 1: 1024, 2: 1024, 3: 16}
    mem = plan(ops, sizes, external={0, 3})
    assert mem.inplace == {2: 1}
    assert mem.offsets[1] - mem.offsets[2] == 64
    assert mem.arena_size == 1024 + 64 and mem.lower_bound == 2048
    _check_inplace_plan(ops, sizes, {0, 3}, mem)


@pytest.mark.parametrize("seed", range(30))
def test_random_inplace_graphs_are_safe(seed):
    rng = random.Random(1000 + seed)
    sizes = {0: rng.choice((64, 256))}
    avail, ops = [0], []
    for t in range(1, rng.randint(2, 20)):
        ins = tuple(sorted(set(rng.sample(avail, k=min(len(avail), rng.randint(1, 2))))))
        sizes[t] = rng.choice((64, 128, 256, 512))
        ops.append(PlanOp(ins, (t,), inplace=ins if rng.random() < 0.7 else (),
                          gap=rng.choice((0, 0, 16, 40, 100))))
        avail.append(t)
    external = {0}
    mem = plan(ops, sizes, external=external)
    _check_inplace_plan(ops, sizes, external, mem)
    assert mem.peak <= mem.lower_bound and mem.arena_size >= mem.peak
    flat = plan([PlanOp(op.inputs, op.outputs) for op in ops], sizes, external=external)
    assert mem.arena_size <= flat.arena_size  # never worse than the plan without in-place ops
    assert plan(ops, sizes, external=external) == mem


def test_models_plan_in_place_below_the_no_inplace_bound():
    from edgeq.model.reader import read_model
    from edgeq.codegen.native import emit

    path = Path(__file__).resolve().parents[2] / "tests/models/resnet8_cifar10.tflite"
    mp = emit.plan_model(read_model(path))
    assert mp.mem.inplace and mp.mem.arena_size < mp.mem.lower_bound
    assert emit.plan_model(read_model(path), inplace=False).mem.arena_size == mp.mem.lower_bound


@pytest.mark.parametrize("seed", range(40))
def test_window_inplace_gap_never_overwrites_an_input_byte_still_to_be_read(seed):
    """Replays the conv kernels' access order (output pixels row-major, each pixel's window
    read while its channels are written) with the output exactly ``gap`` bytes below the
    input: no byte is read after the output has overwritten it."""
    from edgeq.model.ir import Operator, Tensor
    from edgeq.ops._common import out_size, window_fields, window_inplace_gap

    rng = random.Random(seed)
    h, w, cin = rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 5)
    kh, kw, sh, sw = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 3)
    dh, dw = rng.randint(1, 2), rng.randint(1, 2)
    pad = rng.choice(["SAME", "VALID"])
    oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    if oh < 1 or ow < 1:
        pad = "SAME"
        oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    cout = rng.randint(1, 6)
    itx, ity = rng.choice([(1, 1), (2, 2), (1, 2), (2, 1)])
    dt = {1: "INT8", 2: "INT16"}

    def tensor(i, shape, dtype):
        return Tensor(index=i, name=f"t{i}", shape=shape, dtype=dtype)

    x, y = tensor(0, (1, h, w, cin), dt[itx]), tensor(2, (1, oh, ow, cout), dt[ity])
    wt = tensor(1, (cout, kh, kw, cin), "INT8")
    op = Operator(index=0, opcode="CONV_2D", version=1, inputs=(0, 1), outputs=(2,),
                  options={"padding": pad, "stride_h": sh, "stride_w": sw,
                           "dilation_h_factor": dh, "dilation_w_factor": dw})
    gap = window_inplace_gap(op, x, wt, y)
    win = window_fields(op, x, wt, y)
    clobbered: set[int] = set()  # byte addresses relative to the input start
    for oy in range(oh):
        for ox in range(ow):
            for oc in range(cout):
                for ky in range(kh):
                    iy = oy * sh - win["pad_h"] + dh * ky
                    if not 0 <= iy < h:
                        continue
                    for kx in range(kw):
                        ix = ox * sw - win["pad_w"] + dw * kx
                        if not 0 <= ix < w:
                            continue
                        first = ((iy * w + ix) * cin) * itx
                        for b in range(first, first + cin * itx):
                            assert b not in clobbered, (gap, oy, ox)
                at = ((oy * ow + ox) * cout + oc) * ity - gap
                clobbered.update(range(at, at + ity))
