"""CONCATENATION (int8 or int16, all inputs quantized like the output, as TFLM requires)."""

from __future__ import annotations

import sys

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import Arg, KernelCall, OutputSlice, check_activation, check_io, fields

OPS = ("CONCATENATION",)
SOURCE = "concatenation.c"
MAX_INPUTS = 16


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this CONCATENATION, else why not."""
    n = len(op.inputs)
    reason = check_io(op, sg, tuple(range(n))) or check_activation(op)
    if reason:
        return reason
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        return "fused activation on CONCATENATION"
    if n > MAX_INPUTS:
        return f"more than {MAX_INPUTS} inputs"
    y = sg.tensor(op.outputs[0])
    rank = len(y.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        return "axis out of range"
    total = 0
    for i in op.inputs:
        t = sg.tensor(i)
        if len(t.shape) != rank or any(a != b for k, (a, b) in enumerate(zip(t.shape, y.shape)) if k != axis):
            return "input shapes do not match the output"
        if t.quant.scale[0] != y.quant.scale[0] or t.quant.zero_point[0] != y.quant.zero_point[0]:
            return "inputs quantized differently from the output"
        total += t.shape[axis]
    if total != y.shape[axis]:
        return "input sizes along the axis do not add up"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """Outer count and per-input slice sizes, and where each input lies in the output: one
    contiguous run when every dimension before the axis is 1 (``outer`` 1), else ``outer``
    runs a whole output row apart (on the last axis: one run per pixel, the input's channels)."""
    y = sg.tensor(op.outputs[0])
    rank = len(y.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    outer = 1
    for d in y.shape[:axis]:
        outer *= d
    sizes = []
    for i in op.inputs:
        t = sg.tensor(i)
        n = 1
        for d in t.shape[axis:]:
            n *= d
        sizes.append(n * t.itemsize)  # bytes: the kernel copies int16 tensors as bytes too
    row = sum(sizes)
    slices = tuple(OutputSlice(k, sum(sizes[:k]), n, outer, row) for k, n in enumerate(sizes))
    sizes += [0] * (MAX_INPUTS - len(sizes))
    return KernelCall(
        source=SOURCE,
        function="edgeq_concatenation_s8",
        struct_type="edgeq_concat_params_t",
        fields=fields(outer=outer, num_inputs=len(op.inputs),
                      copy_size="{" + ", ".join(map(str, sizes)) + "}"),
        args=tuple(Arg(i, "int8_t") for i in op.inputs) + (Arg(op.outputs[0], "int8_t", True),),
        packed_inputs=len(op.inputs),
        slices=slices,
    )


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
