"""QUANTIZE (requantization between int8 and int16, float32 -> int8/int16) and DEQUANTIZE
(int8/int16 -> float32). The int8 <-> int16 requantizations join int8 and int16x8 layers
in mixed models."""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph, Tensor
from edgeq.ops._common import Arg, KernelCall, f32, fields, quantize_multiplier, register

OPS = ("QUANTIZE", "DEQUANTIZE")
INTS = {"INT8": ("int8_t", 8), "INT16": ("int16_t", 16)}


def _per_tensor(t: Tensor | None) -> bool:
    return (t is not None and t.dtype in INTS and t.quant is not None and len(t.quant.scale) == 1)


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this (DE)QUANTIZE, else why not."""
    x = sg.tensor(op.inputs[0]) if op.inputs else None
    y = sg.tensor(op.outputs[0]) if op.outputs else None
    if x is None or y is None or x.num_elements != y.num_elements:
        return "missing or mismatched input/output"
    if op.name == "QUANTIZE":
        if not _per_tensor(y):
            return f"output is {y.dtype}; edgeq-micro quantizes to per-tensor int8 or int16 only"
        if x.dtype == "FLOAT32" or _per_tensor(x):
            return None
        return f"{x.dtype} -> {y.dtype} is not supported"
    if not _per_tensor(x) or y.dtype != "FLOAT32":
        return f"{x.dtype} -> {y.dtype} is not supported (int8/int16 -> float32 only)"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """TFLM's quantize/dequantize Prepare: the requantization multiplier or the scale."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if op.name == "DEQUANTIZE":
        ctype, bits = INTS[x.dtype]
        return KernelCall(
            source="dequantize.c", function=f"edgeq_dequantize_s{bits}_f32",
            struct_type="edgeq_affine_params_t",
            fields=fields(size=x.num_elements, zero_point=x.quant.zero_point[0], scale=f32(x.quant.scale[0])),
            args=(Arg(op.inputs[0], ctype), Arg(op.outputs[0], "float", True)),
        )
    out_ctype, out_bits = INTS[y.dtype]
    if x.dtype == "FLOAT32":
        return KernelCall(
            source="quantize.c", function=f"edgeq_quantize_f32_s{out_bits}",
            struct_type="edgeq_affine_params_t",
            fields=fields(size=x.num_elements, zero_point=y.quant.zero_point[0], scale=f32(y.quant.scale[0])),
            args=(Arg(op.inputs[0], "float"), Arg(op.outputs[0], out_ctype, True)),
            inplace=(0,),  # elementwise, narrowing
        )
    mult, shift = quantize_multiplier(float(f32(x.quant.scale[0])) / float(f32(y.quant.scale[0])))
    if x.dtype == "INT8" and y.dtype == "INT8":
        return KernelCall(
            source="quantize.c", function="edgeq_requantize_s8",
            struct_type="edgeq_requantize_params_t",
            fields=fields(size=x.num_elements, input_zero_point=x.quant.zero_point[0],
                          output_zero_point=y.quant.zero_point[0], multiplier=mult, shift=shift),
            args=(Arg(op.inputs[0], "int8_t"), Arg(op.outputs[0], "int8_t", True)),
            inplace=(0,),  # elementwise
        )
    in_ctype, in_bits = INTS[x.dtype]
    return KernelCall(
        source="quantize.c", function="edgeq_requantize_mixed",
        struct_type="edgeq_requantize_mixed_params_t",
        fields=fields(size=x.num_elements, input_zero_point=x.quant.zero_point[0],
                      output_zero_point=y.quant.zero_point[0], multiplier=mult, shift=shift,
                      in_bits=in_bits, out_bits=out_bits),
        args=(Arg(op.inputs[0], "void"), Arg(op.outputs[0], "void", True)),
        inplace=(0,),  # elementwise (codegen allows it only when not widening)
    )


register(__name__, OPS)
