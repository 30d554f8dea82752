"""A static estimate of the instructions of one inference, from the graph IR alone.

For when no board is measured (``edgeq quantize --mode mixed`` without ``--target``): each op
costs ``a * work + t * taps + c * outputs + b`` instructions, with ``work`` its
multiply-accumulates (convolutions, matrix products), its window reads (pooling) or its input
elements (the rest), ``taps`` the (output, filter position) pairs of a convolution (its MACs
over its input depth: a reference loop pays its bounds checks per tap, so a first convolution
over one channel costs more per MAC than a 1x1 over 32), ``outputs`` its output elements,
and ``(a, t, c, b)`` fitted per op class (op name and output type: int8 and int16 kernels
cost differently) from exact per-op profiles of
edgeq-micro's fast kernels on mps2-an386, a Cortex-M4 with DSP (``scripts/fit_cost_model.py``
writes ``cost_cortex_m4.json``; it prints the estimate's error on the models it fitted).
An op class no profiled model had falls back to the fit over every op of its output type.
The figure is an estimate of *instructions* on that core, not cycles; measured counts come
from ``bench`` (exact, under QEMU).
"""

from __future__ import annotations

import json
from functools import lru_cache
from math import prod
from pathlib import Path

from edgeq.model.ir import Model, Operator, Subgraph
from edgeq.model.macs import op_macs

TABLE = Path(__file__).with_name("cost_cortex_m4.json")
_POOLS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
_CONVS = ("CONV_2D", "DEPTHWISE_CONV_2D")


@lru_cache(maxsize=1)
def _table() -> dict:
    return json.loads(TABLE.read_text())


def reload() -> None:
    """Read the coefficient table again (after the fitting script rewrote it)."""
    _table.cache_clear()


def board() -> str:
    """The board whose profiles the table was fitted on."""
    return _table()["board"]


def op_class(op: Operator, sg: Subgraph) -> str:
    """``"NAME:TYPE"``: the op and its first output's type (INT8, INT16, ...)."""
    out = op.outputs[0] if op.outputs and 0 <= op.outputs[0] < len(sg.tensors) else None
    return f"{op.name}:{sg.tensors[out].dtype if out is not None else 'NONE'}"


def op_work(op: Operator, sg: Subgraph) -> tuple[int, int, int]:
    """(work, taps, output elements) of one op, as the table's coefficients expect them."""
    outs = sum(prod(sg.tensors[i].shape) for i in op.outputs if 0 <= i < len(sg.tensors))
    macs = op_macs(op, sg)
    if macs:
        taps = 0
        if op.opcode in _CONVS and len(op.inputs) > 1 and 0 <= op.inputs[1] < len(sg.tensors):
            filt = sg.tensors[op.inputs[1]].shape  # [out, kh, kw, in]; depthwise [1, kh, kw, out]
            if len(filt) == 4:
                taps = macs // max(filt[3], 1) if op.opcode != "DEPTHWISE_CONV_2D" else macs
        return macs, taps, outs
    if op.opcode in _POOLS:
        return outs * int(op.options.get("filter_height", 1)) * int(op.options.get("filter_width", 1)), 0, outs
    ins = sum(prod(sg.tensors[i].shape) for i in op.inputs
              if 0 <= i < len(sg.tensors) and not sg.tensors[i].is_constant)
    return ins, 0, outs


def op_instructions(op: Operator, sg: Subgraph) -> int:
    """Estimated instructions of one op."""
    classes = _table()["classes"]
    key = op_class(op, sg)
    coef = classes.get(key) or classes.get("*:" + key.split(":")[1]) or classes.get("*:INT8")
    return int(round(sum(k * x for k, x in zip(coef, (*op_work(op, sg), 1)))))


def estimate_instructions(model: Model) -> int:
    """Estimated instructions of one inference of edgeq-micro's fast kernels (the main subgraph)."""
    sg = model.subgraphs[0]
    return sum(op_instructions(op, sg) for op in sg.operators)
