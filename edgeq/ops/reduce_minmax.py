"""REDUCE_MAX and REDUCE_MIN (int8, any set of constant axes; GlobalMaxPooling converts to
REDUCE_MAX). TFLM requires the output quantized like the input, so the result is the largest
(smallest) input byte: nothing is requantized."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, check_io_int8, fields, register
from edgeq.ops.mean import _axes, geometry, reduced_count, reduction_problem

OPS = ("REDUCE_MAX", "REDUCE_MIN")


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this REDUCE_MAX/REDUCE_MIN, else why not."""
    reason = check_io_int8(op, sg) or reduction_problem(op, sg)
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if float(x.quant.scale[0]) != float(y.quant.scale[0]) or x.quant.zero_point[0] != y.quant.zero_point[0]:
        return f"int8 {op.name} output quantized differently from its input (TFLM requires the same)"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    axes = _axes(op, sg)
    return KernelCall(
        source="reduce_minmax.c",
        function="edgeq_reduce_max_s8" if op.name == "REDUCE_MAX" else "edgeq_reduce_min_s8",
        struct_type="edgeq_mean_params_t",
        fields=fields(**geometry(x.shape, axes), num_outputs=y.num_elements, count=reduced_count(x.shape, axes),
                      input_zero_point=0, output_zero_point=0, multiplier=0, shift=0),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
    )


register(__name__, OPS)
