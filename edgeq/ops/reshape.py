"""RESHAPE, SQUEEZE, EXPAND_DIMS: views. The output aliases the input's bytes; no code runs."""

from __future__ import annotations

import sys

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import Alias

OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when the op is a pure view of its input (same type and byte size)."""
    x = sg.tensor(op.inputs[0]) if op.inputs else None
    y = sg.tensor(op.outputs[0]) if op.outputs else None
    if x is None or y is None:
        return "missing input or output"
    if x.dtype != y.dtype or x.nbytes != y.nbytes or x.nbytes == 0:
        return "output is not a same-size view of the input"
    if any(d < 0 for d in y.shape):
        return "dynamic output shape"
    return None


def prepare(op: Operator, sg: Subgraph) -> Alias:
    """The output is an alias of input 0."""
    return Alias(output=op.outputs[0], input=op.inputs[0])


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
