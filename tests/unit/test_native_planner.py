"""The native runtime's static memory planner: no live tensors overlap, views alias."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from edgeq.codegen.native.planner import PlanOp, Slice, plan, root_of


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


# ---- concatenation by placement ---------------------------------------------------------------

def _concat(inputs, output, sizes, offset=0):
    """A CONCATENATION PlanOp whose inputs lie side by side in ``output`` (outer 1)."""
    slices, at = [], offset
    for t in inputs:
        slices.append(Slice(t, at, sizes[t]))
        at += sizes[t]
    return PlanOp(tuple(inputs), (output,), slices=tuple(slices))


def _simulate(ops, sizes, aliases, external, mem):
    """Run the plan on tagged bytes: each op checks that every input it reads still holds what
    its producer wrote, then writes its output (a concatenation writes only the slices of its
    inputs that are not placed). A placed input's bytes are its output's bytes. An output may
    overlap an input of its op only as its in-place input, at least ``gap`` bytes below it."""
    def root(t):
        return root_of(t, aliases)

    def where(r):
        return mem.offsets.get(r)

    def accepts(r, at, tag):
        """Whether byte ``at`` of buffer ``r`` may hold ``tag``: r's own byte, or the byte
        an input placed inside r (at any depth) wrote there."""
        if tag is None:
            return False
        if tag == (r, at):
            return True
        inner, p = tag[0], mem.placed.get(tag[0])
        while p is not None and p.into != r:
            p = mem.placed.get(p.into)
        return p is not None and where(inner) + tag[1] == where(r) + at

    memory: dict[int, tuple[int, int]] = {}
    for i, op in enumerate(ops):
        placed_here = {root(s.tensor) for s in op.slices
                       if mem.placed.get(root(s.tensor)) and mem.placed[root(s.tensor)].op == i}
        for t in op.inputs:
            r = root(t)
            if r in external or r in placed_here or where(r) is None:
                continue
            for b in range(sizes[r]):
                assert accepts(r, b, memory.get(where(r) + b)), f"op {i}: input {r} byte {b} clobbered"
        for t in op.outputs:
            o = root(t)
            if where(o) is None:
                continue
            lo = where(o)
            written = set(range(sizes[o]))
            if op.slices:  # the kernel leaves the slices of inputs in place untouched
                for s in op.slices:
                    if root(s.tensor) in placed_here:
                        written -= set(range(s.offset, s.offset + sizes[s.tensor]))
            for x in {root(t) for t in op.inputs} - external - placed_here:
                if where(x) is None or not any(where(x) <= lo + b < where(x) + sizes[x] for b in written):
                    continue
                assert mem.inplace.get(o) == x, f"op {i}: output {o} overlaps input {x}"
                assert where(x) - where(o) >= op.gap
            for b in written:
                memory[lo + b] = (o, b)


def test_placed_inputs_lie_in_their_slices():
    # x -> a, x -> b, CONCAT(a, b) -> y, y -> z: a and b are written straight into y
    sizes = {0: 64, 1: 40, 2: 24, 3: 64, 4: 16}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes), PlanOp((3,), (4,))]
    mem = plan(ops, sizes, external={0, 4})
    assert mem.placed[1].offset == 0 and mem.placed[2].offset == 40
    assert mem.placed[1].op == 2 and mem.placed[1].into == mem.placed[2].anchor == 3
    assert mem.offsets[1] == mem.offsets[3] and mem.offsets[2] == mem.offsets[3] + 40
    # the output's bytes are in use from the first slice's producer; each slice until y dies
    assert mem.lifetimes[3] == (0, 3) and mem.lifetimes[1] == (0, 3) and mem.lifetimes[2] == (1, 3)
    assert mem.arena_size == 64 and mem.timeline == (48, 64, 64, 64)
    flat = plan([PlanOp(op.inputs, op.outputs) for op in ops], sizes, external={0, 4})
    assert flat.arena_size == 48 + 32 + 64 and not flat.placed
    assert mem.lower_bound == flat.lower_bound == 144 and mem.inplace_bound <= mem.peak
    _simulate(ops, sizes, {}, {0, 4}, mem)


def test_placed_input_read_after_the_concatenation_keeps_its_slice():
    # a is read again by op 4, after y (op 3's input) died: its slice stays reserved until then
    sizes = {0: 32, 1: 48, 2: 32, 3: 80, 4: 16, 5: 64, 6: 16}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes), PlanOp((3,), (4,)),
           PlanOp((0,), (5,)), PlanOp((1, 5), (6,))]
    mem = plan(ops, sizes, external={0, 6})
    assert set(mem.placed) == {1, 2} and mem.lifetimes[1] == (0, 5) and mem.lifetimes[2] == (1, 3)
    assert not (mem.offsets[5] < mem.offsets[1] + 48 and mem.offsets[1] < mem.offsets[5] + 64)
    _simulate(ops, sizes, {}, {0, 6}, mem)


def test_views_of_placed_inputs_share_their_slice():
    # conv -> RESHAPE (view 2 of 1) -> CONCAT(2, 3): the view's root is placed, the view follows
    sizes = {0: 16, 1: 36, 2: 36, 3: 12, 4: 48, 5: 8}
    aliases = {2: 1}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (3,)), _concat((2, 3), 4, sizes), PlanOp((4,), (5,))]
    mem = plan(ops, sizes, aliases, external={0, 5})
    assert mem.placed[1].offset == 0 and mem.offsets[2] == mem.offsets[1] == mem.offsets[4]
    assert mem.offsets[3] == mem.offsets[4] + 36
    _simulate(ops, sizes, aliases, {0, 5}, mem)


def test_nested_concatenations_place_into_the_outermost_output():
    sizes = {0: 8, 1: 20, 2: 12, 3: 32, 4: 16, 5: 48, 6: 8}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes), PlanOp((0,), (4,)),
           _concat((4, 3), 5, sizes), PlanOp((5,), (6,))]
    mem = plan(ops, sizes, external={0, 6})
    assert {r: (p.into, p.anchor, p.offset) for r, p in mem.placed.items()} == {
        1: (3, 5, 16), 2: (3, 5, 36), 3: (5, 5, 16), 4: (5, 5, 0)}
    assert mem.offsets[2] == mem.offsets[5] + 36 and mem.arena_size == 48
    _simulate(ops, sizes, {}, {0, 6}, mem)


def test_slices_of_an_external_output_are_external():
    # the concatenation is the graph output: its inputs live in the caller's buffer
    sizes = {0: 8, 1: 6, 2: 5, 3: 11}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes)]
    mem = plan(ops, sizes, external={0, 3})
    assert mem.placed[2].anchor == 3 and mem.placed[2].offset == 6
    assert mem.arena_size == 0 and 1 not in mem.offsets and 2 not in mem.offsets


def test_placement_is_refused_where_it_cannot_be():
    sizes = {0: 16, 1: 16, 2: 16, 3: 32, 4: 32, 5: 16, 6: 48, 7: 8}
    # graph-output input (external), constant input (external), duplicated input
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes), PlanOp((3,), (7,))]
    assert set(plan(ops, sizes, external={0, 2, 7}).placed) == {1}
    ops = [PlanOp((0,), (1,)), _concat((1, 5), 3, sizes), PlanOp((3,), (7,))]
    assert set(plan(ops, sizes, external={0, 5, 7}).placed) == {1}
    ops = [PlanOp((0,), (1,)), PlanOp((1, 1), (3,), slices=(Slice(1, 0, 16), Slice(1, 16, 16))),
           PlanOp((3,), (7,))]
    mem = plan(ops, sizes, external={0, 7})
    assert not mem.placed
    # an input with no producer in the plan (a graph input the caller did not mark external)
    ops = [_concat((0, 1), 3, sizes), PlanOp((3,), (7,))]
    assert not plan(ops, sizes, external={7}).placed
    # an input two concatenations want: the first one places it, the second copies it
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes), _concat((1, 5), 4, sizes),
           PlanOp((3, 4), (6,)), PlanOp((6,), (7,))]
    mem = plan(ops, sizes, external={0, 5, 7})
    assert mem.placed[1].op == 2 and set(mem.placed) == {1, 2}
    _simulate(ops, sizes, {}, {0, 5, 7}, mem)


def test_interleaved_slices_need_a_sole_reader():
    # channel concatenation: two [4 pixels x 3 ch] inputs interleaved in [4 x 6]; span 21 bytes
    sizes = {0: 8, 1: 12, 2: 12, 3: 24, 4: 8, 5: 8}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)),
           PlanOp((1, 2), (3,), slices=(Slice(1, 0, 21), Slice(2, 3, 21))), PlanOp((3,), (4,))]
    mem = plan(ops, sizes, external={0, 4})
    assert set(mem.placed) == {1, 2} and mem.offsets[2] == mem.offsets[3] + 3
    ops.append(PlanOp((2,), (5,)))  # another reader would see the interleaved layout
    mem = plan(ops, sizes, external={0, 4, 5})
    assert set(mem.placed) == {1}


def test_placement_never_makes_the_arena_larger_and_wins_ties():
    # tie: y is not the peak either way; placing still removes the copy
    sizes = {0: 8, 1: 16, 2: 16, 3: 32, 4: 256, 5: 256, 6: 8}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes), PlanOp((3,), (4,)),
           PlanOp((4,), (5,)), PlanOp((5,), (6,))]
    mem = plan(ops, sizes, external={0, 6})
    flat = plan([PlanOp(op.inputs, op.outputs) for op in ops], sizes, external={0, 6})
    assert mem.arena_size == flat.arena_size == 512 and set(mem.placed) == {1, 2}


def test_an_inplace_output_never_covers_a_slice_its_op_still_reads():
    # ADD(y, a) in place over y, where a is a slice of y read by the same op: refused
    sizes = {0: 8, 1: 32, 2: 32, 3: 64, 4: 64, 5: 8}
    ops = [PlanOp((0,), (1,)), PlanOp((0,), (2,)), _concat((1, 2), 3, sizes),
           PlanOp((3, 1), (4,), inplace=(3,)), PlanOp((4,), (5,))]
    mem = plan(ops, sizes, external={0, 5})
    assert not (mem.inplace.get(4) == 3 and 1 in mem.placed)
    _simulate(ops, sizes, {}, {0, 5}, mem)
    # without the second read the output may go over y and its slices
    ops[3] = PlanOp((3,), (4,), inplace=(3,))
    mem = plan(ops, sizes, external={0, 5})
    assert mem.inplace.get(4) == 3 and set(mem.placed) == {1, 2} and mem.arena_size == 64
    _simulate(ops, sizes, {}, {0, 5}, mem)


def test_a_placed_input_is_never_an_inplace_output():
    # b = RELU(a) may run in place over a, or be placed in y: never both
    sizes = {0: 8, 1: 64, 2: 64, 3: 16, 4: 80, 5: 8}
    ops = [PlanOp((0,), (1,)), PlanOp((1,), (2,), inplace=(1,)), PlanOp((0,), (3,)), _concat((2, 3), 4, sizes),
           PlanOp((4,), (5,))]
    mem = plan(ops, sizes, external={0, 5})
    assert not (2 in mem.placed and 2 in mem.inplace)
    _simulate(ops, sizes, {}, {0, 5}, mem)


@pytest.mark.parametrize("seed", range(60))
def test_random_graphs_with_concatenations_are_safe(seed):
    rng = random.Random(7000 + seed)
    sizes = {0: rng.choice((16, 40))}
    avail, ops, aliases, external = [0], [], {}, {0}
    t = 1
    for _ in range(rng.randint(3, 18)):
        kind = rng.random()
        if kind < 0.3 and len(avail) >= 2:  # a concatenation, sometimes of a duplicate or the graph input
            ins = [rng.choice(avail) for _ in range(rng.randint(2, 3))]
            sizes[t] = sum(sizes[i] for i in ins)
            ops.append(_concat(ins, t, sizes))
        else:
            ins = tuple(sorted(set(rng.sample(avail, k=min(len(avail), rng.randint(1, 2))))))
            sizes[t] = rng.choice((8, 16, 24, 40, 64, 100))
            ops.append(PlanOp(ins, (t,), inplace=ins if rng.random() < 0.5 else (),
                              gap=rng.choice((0, 0, 16, 24))))
        avail.append(t)
        if rng.random() < 0.2:  # a view of the new tensor
            aliases[t + 1] = t
            sizes[t + 1] = sizes[t]
            avail.append(t + 1)
            t += 1
        t += 1
    if rng.random() < 0.5:  # the last tensor is the graph output
        external.add(root_of(avail[-1], aliases))
    mem = plan(ops, sizes, aliases, external)
    _simulate(ops, sizes, aliases, external, mem)
    flat = plan([PlanOp(op.inputs, op.outputs, op.inplace, op.gap) for op in ops], sizes, aliases, external)
    assert mem.arena_size <= flat.arena_size  # placement never makes the arena larger
    assert mem.peak <= mem.lower_bound and mem.inplace_bound <= mem.peak <= mem.arena_size
    assert plan(ops, sizes, aliases, external) == mem
