"""Multiply-accumulates per op and parameter bytes, computed from the graph IR alone.

MACs count the multiply-accumulates of the op's main arithmetic (the convolution, the
matrix product), not bias adds, requantization or activations, which is how model zoos
and the MLPerf Tiny tables quote them. Ops without such arithmetic count 0.

The figures are pure shape arithmetic on Python ints, so a hostile model with huge shapes
gives a huge number, never an overflow or an allocation. An op whose operands do not have
the ranks its kind needs (a malformed or dynamic-shape model) counts 0.
"""

from __future__ import annotations

import logging
from math import prod
from typing import Callable

from edgeq.model.ir import Model, Operator, Subgraph

log = logging.getLogger(__name__)


def _shape(subgraph: Subgraph, op: Operator, pos: int, io: str = "in") -> tuple[int, ...] | None:
    """Shape of the op's ``pos``-th input (or output), None when absent (-1 or missing)."""
    indices = op.inputs if io == "in" else op.outputs
    if pos >= len(indices) or indices[pos] < 0 or indices[pos] >= len(subgraph.tensors):
        return None
    return subgraph.tensors[indices[pos]].shape


def _out_elements(subgraph: Subgraph, op: Operator) -> int | None:
    out = _shape(subgraph, op, 0, "out")
    if not out:  # absent, or rank 0 (unknown/dynamic shape): nothing to count
        return None
    return prod(out)


def _conv_2d(subgraph: Subgraph, op: Operator) -> int | None:
    # filter [out_ch, kh, kw, in_ch / groups]: each output element sums kh*kw*(in_ch/groups)
    filt, n_out = _shape(subgraph, op, 1), _out_elements(subgraph, op)
    if filt is None or len(filt) != 4 or n_out is None:
        return None
    return n_out * filt[1] * filt[2] * filt[3]


def _depthwise_conv_2d(subgraph: Subgraph, op: Operator) -> int | None:
    # filter [1, kh, kw, out_ch]: each output element sums one kh*kw window of one channel
    filt, n_out = _shape(subgraph, op, 1), _out_elements(subgraph, op)
    if filt is None or len(filt) != 4 or n_out is None:
        return None
    return n_out * filt[1] * filt[2]


def _fully_connected(subgraph: Subgraph, op: Operator) -> int | None:
    # weights [units, in_features]
    weights, n_out = _shape(subgraph, op, 1), _out_elements(subgraph, op)
    if not weights or len(weights) < 2 or n_out is None:
        return None
    return n_out * weights[-1]


def _batch_matmul(subgraph: Subgraph, op: Operator) -> int | None:
    # [..., M, K] x [..., K, N]; adj_x transposes the left operand's last two dimensions
    lhs, n_out = _shape(subgraph, op, 0), _out_elements(subgraph, op)
    if lhs is None or len(lhs) < 2 or n_out is None:
        return None
    depth = lhs[-2] if op.options.get("adj_x") else lhs[-1]
    return n_out * depth


def _transpose_conv(subgraph: Subgraph, op: Operator) -> int | None:
    # inputs (output_shape, weights [out_ch, kh, kw, in_ch], input): every input element
    # is scattered through a kh*kw*out_ch window.
    weights, inp = _shape(subgraph, op, 1), _shape(subgraph, op, 2)
    if weights is None or len(weights) != 4 or not inp:
        return None
    return prod(inp) * weights[0] * weights[1] * weights[2]


# UNIDIRECTIONAL_SEQUENCE_LSTM operand positions (TFLite schema / lstm_shared.h):
# 1-4 input-to-{input,forget,cell,output} weights [n_cell, n_input],
# 5-8 recurrent-to-* weights [n_cell, n_output], 16 projection weights [n_output, n_cell].
# Optional ones (CIFG drops the input gate, no projection) are -1.
_LSTM_MATMUL_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 16)


def _unidirectional_sequence_lstm(subgraph: Subgraph, op: Operator) -> int | None:
    inp = _shape(subgraph, op, 0)
    if not inp or len(inp) < 2:
        return None
    steps = prod(inp[:-1])  # batch x time, whichever is major
    per_step = 0
    for pos in _LSTM_MATMUL_WEIGHTS:
        w = _shape(subgraph, op, pos)
        if w:
            per_step += prod(w)  # a [rows, cols] matrix-vector product = rows*cols MACs
    return steps * per_step


_RULES: dict[str, Callable[[Subgraph, Operator], int | None]] = {
    "CONV_2D": _conv_2d,
    "DEPTHWISE_CONV_2D": _depthwise_conv_2d,
    "FULLY_CONNECTED": _fully_connected,
    "BATCH_MATMUL": _batch_matmul,
    "TRANSPOSE_CONV": _transpose_conv,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _unidirectional_sequence_lstm,
}


def op_macs(op: Operator, subgraph: Subgraph) -> int:
    """Multiply-accumulates of one op (0 for ops without a matrix/convolution core)."""
    rule = _RULES.get(op.opcode)
    if rule is None:
        return 0
    macs = rule(subgraph, op)
    if macs is None:
        log.info("op %d (%s): operand shapes do not fit the op; counting 0 MACs", op.index, op.name)
        return 0
    return max(int(macs), 0)


def total_macs(model: Model) -> int:
    """MACs of one inference: every op of every subgraph, each counted once.

    Control flow (IF/WHILE bodies) is counted once per body, not per executed iteration.
    """
    return sum(op_macs(op, sg) for sg in model.subgraphs for op in sg.operators)


def param_bytes(model: Model) -> int:
    """Bytes of constant data (weights, biases, shape operands): each buffer counted once."""
    sizes: dict[int, int] = {}
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.data is not None:
                sizes[t.buffer] = len(t.data)
    return sum(sizes.values())
