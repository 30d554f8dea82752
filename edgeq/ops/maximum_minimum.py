"""MAXIMUM and MINIMUM (int8 or int16, with TFLM's broadcasting over up to 5 dimensions)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, act_type, broadcast_fields, check_broadcast, check_io, fields, register,
)

OPS = ("MAXIMUM", "MINIMUM")
SOURCE = "maximum_minimum.c"


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this MAXIMUM/MINIMUM, else why not."""
    # TFLM compares the raw values without requantizing (the converter gives both inputs
    # the output's quantization); edgeq-micro computes the same bytes in every case
    return check_io(op, sg, (0, 1)) or check_broadcast(op, sg, 5)


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """The broadcast walk; no arithmetic parameters."""
    a, b = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1])
    ctype, suffix = act_type(a)
    return KernelCall(
        source=SOURCE,
        function=f"edgeq_maximum_minimum_{suffix}",
        struct_type="edgeq_maxmin_params_t",
        fields=fields(bc=broadcast_fields(a.shape, b.shape), is_max=op.name == "MAXIMUM"),
        args=(Arg(op.inputs[0], ctype), Arg(op.inputs[1], ctype), Arg(op.outputs[0], ctype, True)),
        inplace=(0, 1),  # elementwise
    )


register(__name__, OPS)
