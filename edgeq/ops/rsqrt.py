"""RSQRT (int8): TFLM's integer kernel. Prepare: the output multiplier of
1 / (sqrt(input scale) * output scale), the square root and the product taken in float as
TFLM's C++ does. Each element then goes through TFLite's fixed-point inverse square root
(rsqrt.c). An element below the zero point (a negative value) ends the inference with
status 1: TFLM's kernel refuses it the same way."""

from __future__ import annotations

import numpy as np

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops._common import Arg, KernelCall, check_io, f32, fields, quantize_multiplier, register

OPS = ("RSQRT",)


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this RSQRT, else why not."""
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        return "wrong number of inputs or outputs"
    return check_io(op, sg, dtypes=("INT8",))


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    denom = np.float32(np.sqrt(f32(x.quant.scale[0])) * f32(y.quant.scale[0]))
    m, s = quantize_multiplier(1.0 / float(denom))
    return KernelCall(
        source="rsqrt.c",
        function="edgeq_rsqrt_s8",
        struct_type="edgeq_rsqrt_params_t",
        fields=fields(size=y.num_elements, input_zero_point=x.quant.zero_point[0],
                      output_zero_point=y.quant.zero_point[0], multiplier=m, shift=s),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
        inplace=(0,),
        checked=True,
    )


register(__name__, OPS)
