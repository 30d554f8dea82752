"""QUANTIZE (int8 -> int8 requantization, float32 -> int8) and DEQUANTIZE (int8 -> float32)."""

from __future__ import annotations

import sys

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import Arg, KernelCall, f32, fields, per_tensor_int8, quantize_multiplier

OPS = ("QUANTIZE", "DEQUANTIZE")


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this (DE)QUANTIZE, else why not."""
    x = sg.tensor(op.inputs[0]) if op.inputs else None
    y = sg.tensor(op.outputs[0]) if op.outputs else None
    if x is None or y is None or x.num_elements != y.num_elements:
        return "missing or mismatched input/output"
    if op.name == "QUANTIZE":
        if not per_tensor_int8(y):
            return f"output is {y.dtype}; edgeq-micro quantizes to per-tensor int8 only"
        if x.dtype == "FLOAT32":
            return None
        if per_tensor_int8(x):
            return None
        return f"{x.dtype} -> {y.dtype} is not supported"
    if not per_tensor_int8(x) or y.dtype != "FLOAT32":
        return f"{x.dtype} -> {y.dtype} is not supported (int8 -> float32 only)"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """TFLM's quantize/dequantize Prepare: the requantization multiplier or the scale."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if op.name == "DEQUANTIZE":
        return KernelCall(
            source="dequantize.c", function="edgeq_dequantize_s8_f32",
            struct_type="edgeq_affine_params_t",
            fields=fields(size=x.num_elements, zero_point=x.quant.zero_point[0], scale=f32(x.quant.scale[0])),
            args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "float", True)),
        )
    if x.dtype == "FLOAT32":
        return KernelCall(
            source="quantize.c", function="edgeq_quantize_f32_s8",
            struct_type="edgeq_affine_params_t",
            fields=fields(size=x.num_elements, zero_point=y.quant.zero_point[0], scale=f32(y.quant.scale[0])),
            args=(Arg(op.inputs[0], "float"), Arg(op.outputs[0], "int8_t", True)),
        )
    mult, shift = quantize_multiplier(float(f32(x.quant.scale[0])) / float(f32(y.quant.scale[0])))
    return KernelCall(
        source="quantize.c", function="edgeq_requantize_s8",
        struct_type="edgeq_requantize_params_t",
        fields=fields(size=x.num_elements, input_zero_point=x.quant.zero_point[0],
                      output_zero_point=y.quant.zero_point[0], multiplier=mult, shift=shift),
        args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
    )


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
