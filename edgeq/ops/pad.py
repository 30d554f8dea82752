"""PAD and PADV2 (int8 or int16, up to 5 dimensions, constant paddings)."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import (
    Arg, KernelCall, act_type, c_array, check_io, const_ints, fields, register, row_major_strides, same_quant,
)

OPS = ("PAD", "PADV2")
SOURCE = "pad.c"
MAX_PAD_DIMS = 5


def _paddings(op: Operator, sg: Subgraph):
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    vals = const_ints(sg, op.inputs[1]) if len(op.inputs) > 1 else None
    if vals is None or len(vals) != 2 * len(y.shape) or len(x.shape) != len(y.shape):
        return None
    pairs = [(vals[2 * i], vals[2 * i + 1]) for i in range(len(y.shape))]
    for (b, a), n, m in zip(pairs, x.shape, y.shape):
        if b < 0 or a < 0 or n + b + a != m:
            return None
    return pairs


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this PAD/PADV2, else why not."""
    reason = check_io(op, sg)
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if len(x.shape) > MAX_PAD_DIMS:
        return f"more than {MAX_PAD_DIMS} dimensions (TFLM's limit)"
    if _paddings(op, sg) is None:
        return "paddings must be a constant, non-negative and match the output shape"
    if op.name == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        c = sg.tensor(op.inputs[2])
        if c is None or not c.is_constant or c.dtype != y.dtype or c.num_elements != 1:
            return "constant_values must be one constant value of the output's type"
        if c.quant is None or not same_quant(c, y):
            return "constant_values quantized differently from the output (TFLM refuses it)"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """Shapes 1-padded to 5 dimensions, output strides, padding before each dimension."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    pairs = _paddings(op, sg)
    lead = MAX_PAD_DIMS - len(x.shape)
    in_shape = [1] * lead + list(x.shape)
    out_shape = [1] * lead + list(y.shape)
    before = [0] * lead + [b for b, _ in pairs]
    pad_value = int(y.quant.zero_point[0])
    if op.name == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        pad_value = int(sg.tensor(op.inputs[2]).numpy().reshape(-1)[0])
    ctype, suffix = act_type(x)
    return KernelCall(
        source=SOURCE,
        function=f"edgeq_pad_{suffix}",
        struct_type="edgeq_pad_params_t",
        fields=fields(dims=MAX_PAD_DIMS, in_shape=c_array(in_shape, 5),
                      out_strides=c_array(row_major_strides(out_shape), 5), before=c_array(before, 5),
                      out_size=y.num_elements, pad_value=pad_value),
        args=(Arg(op.inputs[0], ctype), Arg(op.outputs[0], ctype, True)),
    )


register(__name__, OPS)
