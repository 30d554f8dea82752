"""ADD (int8 or int16, with broadcasting over up to 6 dimensions, as TFLM allows)."""

from __future__ import annotations

import dataclasses
import sys

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import (
    Arg, KernelCall, activation_range, broadcast_shape, c_array, check_activation, check_io, f32, fields,
    quantize_multiplier,
)

OPS = ("ADD",)
SOURCE = "add.c"
MAX_DIMS = 6
LEFT_SHIFT = 20  # int8 headroom TFLM uses before rescaling both inputs


def _multipliers(s1: float, s2: float, so: float, left_shift: int = LEFT_SHIFT):
    twice_max = 2.0 * float(max(f32(s1), f32(s2)))
    r1 = float(f32(s1)) / twice_max
    r2 = float(f32(s2)) / twice_max
    ro = twice_max / ((1 << left_shift) * float(f32(so)))
    return r1, r2, ro


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this ADD, else why not."""
    reason = check_io(op, sg, (0, 1)) or check_activation(op)
    if reason:
        return reason
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    shape = broadcast_shape(a.shape, b.shape)
    if shape is None or tuple(shape) != tuple(y.shape) and _prod(shape) != y.num_elements:
        return f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast"
    if a.shape != b.shape and len(_iteration(a.shape, b.shape)[0]) > MAX_DIMS:
        return f"broadcasting over more than {MAX_DIMS} dimensions"
    r1, r2, ro = _multipliers(a.quant.scale[0], b.quant.scale[0], y.quant.scale[0], _left_shift(y))
    if not (0.0 < ro < 1.0):
        return "output scale too small for TFLM's ADD rescaling"
    return None


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    shape = (1,) * (len(out) - len(shape)) + tuple(shape)
    strides, acc = [0] * len(out), 1
    for d in range(len(out) - 1, -1, -1):
        strides[d] = 0 if (shape[d] == 1 and out[d] != 1) else acc
        acc *= shape[d]
    return strides


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's CalculateOpDataAdd computes for int8 (20 bits of headroom) or int16 (15)."""
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    left_shift = _left_shift(y)
    r1, r2, ro = _multipliers(a.quant.scale[0], b.quant.scale[0], y.quant.scale[0], left_shift)
    m1, s1 = quantize_multiplier(r1)
    m2, s2 = quantize_multiplier(r2)
    mo, so = quantize_multiplier(ro)
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y)
    suffix = "s16" if y.dtype == "INT16" else "s8"
    return rescaled_call(op, sg, SOURCE, f"edgeq_add_{suffix}", left_shift, (m1, s1, m2, s2, mo, so), (lo, hi))


def rescaled_call(op: Operator, sg: Subgraph, source: str, function: str, left_shift: int, multipliers,
                  act_range) -> KernelCall:
    """The call of a binary op on ``edgeq_add_params_t`` (ADD, SQUARED_DIFFERENCE): both inputs
    shifted left, rescaled by their multipliers, combined, rescaled to the output; broadcasting
    as strides. ``multipliers``: (m1, s1, m2, s2, m_out, s_out)."""
    a, b, y = (sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0]))
    m1, s1, m2, s2, mo, so = multipliers
    broadcast = tuple(a.shape) != tuple(b.shape)
    ctype = "int16_t" if y.dtype == "INT16" else "int8_t"
    shape, st1, st2 = _iteration(a.shape, b.shape) if broadcast else ((), (), ())
    return KernelCall(
        source=source,
        function=function,
        struct_type="edgeq_add_params_t",
        fields=fields(
            size=y.num_elements, broadcast=broadcast, dims=len(shape),
            out_shape=c_array(shape), in1_strides=c_array(st1), in2_strides=c_array(st2),
            input1_offset=-a.quant.zero_point[0], input2_offset=-b.quant.zero_point[0],
            left_shift=left_shift, input1_multiplier=m1, input1_shift=s1,
            input2_multiplier=m2, input2_shift=s2, output_multiplier=mo, output_shift=so,
            output_offset=y.quant.zero_point[0], act_min=act_range[0], act_max=act_range[1],
        ),
        args=(Arg(op.inputs[0], ctype), Arg(op.inputs[1], ctype), Arg(op.outputs[0], ctype, True)),
        inplace=(0, 1),  # elementwise: output[i] from input1/2 at i (full-size inputs)
    )


def _left_shift(y) -> int:
    """TFLM's headroom: 20 bits for int8, 15 for int16."""
    return 15 if y.dtype == "INT16" else LEFT_SHIFT


def _iteration(a: tuple[int, ...], b: tuple[int, ...]):
    """Output shape and per-input element strides (0 where broadcast), unit dims dropped."""
    shape = broadcast_shape(a, b)
    st1, st2 = _strides(a, shape), _strides(b, shape)
    keep = [i for i, d in enumerate(shape) if d != 1] or [len(shape) - 1]
    return (tuple(shape[i] for i in keep), tuple(st1[i] for i in keep), tuple(st2[i] for i in keep))


def specialize(op: Operator, sg: Subgraph, call: KernelCall, features: frozenset[str]) -> KernelCall:
    """The fast variant (``add_fast.h``: TFLM's three rescalings as rounded high-word
    multiplies, exact for int8's 20-bit headroom) for int8 inputs of the output's shape whose
    multipliers are below 1; on a core with ``mve`` the Helium variant (``add_mve.h``: the same
    arithmetic 4 elements a vector) under the same conditions. Otherwise ``call`` unchanged."""
    f = dict(call.fields)
    if call.function != "edgeq_add_s8" or f["broadcast"] != "0":
        return call
    if int(f["left_shift"]) != LEFT_SHIFT or any(
            not -31 <= int(f[k]) <= 0 for k in ("input1_shift", "input2_shift", "output_shift")):
        return call
    if "mve" in features:
        return dataclasses.replace(call, source="add_mve.h", function="edgeq_add_s8_mve")
    return dataclasses.replace(call, source="add_fast.h", function="edgeq_add_s8_fast")


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
