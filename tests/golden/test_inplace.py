"""In-place execution is bit-exact: ops whose output the memory planner may put over a dying
input (convolutions a few rows below it, elementwise ops at the same address), each wrapped
between two QUANTIZE ops so that its input and output live in the arena, vs TFLM.

The random op parameters come from the single-op fuzz cases (strides, dilations, padding,
depth multipliers, int8 and int16x8); the generated plan must actually run the op in place.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from edgeq.codegen.native.emit import generate, plan_model
from edgeq.model.reader import read_model
from golden_helpers import assert_bit_exact, private_build_cache
from test_fuzz_ops import binary_case, conv_case, to_int16x8, unary_case
from tflite_builder import Op, OneOp, build_graph

__all__ = ["private_build_cache"]  # the autouse fixture, imported

SAMPLES = 100
MAKERS = {
    "conv": lambda r: conv_case(r, False), "dwconv": lambda r: conv_case(r, True),
    "conv16": lambda r: to_int16x8(conv_case(r, False)), "dwconv16": lambda r: to_int16x8(conv_case(r, True)),
    "relu": lambda r: unary_case(r, "RELU"), "hard_swish": lambda r: unary_case(r, "HARD_SWISH"),
    "logistic": lambda r: unary_case(r, "LOGISTIC"), "sub": lambda r: binary_case(r, "SUB"),
    "mul": lambda r: binary_case(r, "MUL"),
}
CASES = [(k, i) for k in MAKERS for i in range(16 if "conv" in k else 4)]


def _wrapped(m: OneOp) -> bytes:
    """The op between QUANTIZE (graph input -> op input 0) and QUANTIZE (op output -> graph
    output); other graph inputs of the op stay graph inputs."""
    tensors = list(m.tensors)
    x, y = m.inputs[0], m.outputs[0]
    src = copy.deepcopy(tensors[x])
    src.scale = (float(np.float32(src.scale[0] * 1.37)),)
    dst = copy.deepcopy(tensors[y])
    dst.scale = (float(np.float32(dst.scale[0] * 0.71)),)
    tensors += [src, dst]
    a, b = len(tensors) - 2, len(tensors) - 1
    ops = [Op("QUANTIZE", [a], [x]), Op(m.op, m.inputs, m.outputs, m.options), Op("QUANTIZE", [y], [b])]
    graph_inputs = [a] + [t for t in m.graph_inputs if t != x]
    return build_graph(tensors, ops, graph_inputs, [b])


@pytest.mark.parametrize("kind, i", CASES, ids=[f"{k}{i}" for k, i in CASES])
def test_in_place_op_is_bit_exact(kind, i, tmp_path):
    rng = np.random.default_rng(5000 + 100 * list(MAKERS).index(kind) + i)
    m = MAKERS[kind](rng)
    path = tmp_path / f"{kind}{i}.tflite"
    path.write_bytes(_wrapped(m))
    model = read_model(path)
    mp = plan_model(model)
    op_out = model.main.operators[1].outputs[0]
    if mp.mem.inplace.get(op_out) is None:
        # the planner drops in-place merges only when they do not make the arena smaller
        assert plan_model(model, inplace=False).mem.arena_size <= mp.mem.arena_size
    assert_bit_exact(path, generate(model), seed=i)


def test_most_cases_run_in_place(tmp_path):
    ran = 0
    for kind, i in CASES:
        rng = np.random.default_rng(5000 + 100 * list(MAKERS).index(kind) + i)
        p = tmp_path / f"{kind}{i}.tflite"
        p.write_bytes(_wrapped(MAKERS[kind](rng)))
        model = read_model(p)
        ran += model.main.operators[1].outputs[0] in plan_model(model).mem.inplace
    assert ran >= 0.6 * len(CASES), f"{ran}/{len(CASES)} in place"

