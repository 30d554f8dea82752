"""AVERAGE_POOL_2D and MAX_POOL_2D (int8 or int16)."""

from __future__ import annotations

import dataclasses
import sys

from edgeq.model.ir import Operator, Subgraph
from edgeq.ops import REGISTRY
from edgeq.ops._common import (
    Arg, KernelCall, activation_range, check_activation, check_io, fields, out_size,
    pad_before,
)

OPS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
SOURCES = {"AVERAGE_POOL_2D": "average_pool_2d.c", "MAX_POOL_2D": "max_pool_2d.c"}
FUNCTIONS = {"AVERAGE_POOL_2D": "edgeq_average_pool_2d_s8", "MAX_POOL_2D": "edgeq_max_pool_2d_s8"}


def unsupported_reason(op: Operator, sg: Subgraph) -> str | None:
    """None when edgeq-micro runs this pooling op, else why not."""
    reason = check_io(op, sg) or check_activation(op)
    if reason:
        return reason
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[3] != y.shape[3]:
        return "input and output must be 4-D NHWC with equal channels"
    o = op.options
    for axis, (n, k, s) in enumerate(((x.shape[1], o.get("filter_height", 1), o.get("stride_h", 1)),
                                      (x.shape[2], o.get("filter_width", 1), o.get("stride_w", 1)))):
        if out_size(o.get("padding", "SAME"), n, k, s) != y.shape[1 + axis]:
            return "output shape does not match padding/stride"
    return None


def prepare(op: Operator, sg: Subgraph) -> KernelCall:
    """What TFLM's pooling Prepare computes (padding, activation range)."""
    x, y = sg.tensor(op.inputs[0]), sg.tensor(op.outputs[0])
    o = op.options
    kh, kw = o.get("filter_height", 1), o.get("filter_width", 1)
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    lo, hi = activation_range(o.get("fused_activation_function", "NONE"), y)
    ctype = "int16_t" if x.dtype == "INT16" else "int8_t"
    return KernelCall(
        source=SOURCES[op.name],
        function=FUNCTIONS[op.name].replace("_s8", "_s16") if x.dtype == "INT16" else FUNCTIONS[op.name],
        struct_type="edgeq_pool_params_t",
        fields=fields(
            batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], channels=x.shape[3],
            out_h=y.shape[1], out_w=y.shape[2], k_h=kh, k_w=kw, stride_h=sh, stride_w=sw,
            pad_h=pad_before(sh, 1, x.shape[1], kh, y.shape[1]),
            pad_w=pad_before(sw, 1, x.shape[2], kw, y.shape[2]),
            act_min=lo, act_max=hi,
        ),
        args=(Arg(op.inputs[0], ctype), Arg(op.outputs[0], ctype, True)),
    )


def specialize(op: Operator, sg: Subgraph, call: KernelCall, features: frozenset[str]) -> KernelCall:
    """int8 pools: the fast variants, 4 channels at a time (``max_pool_2d_fast.h``: SSUB8/SEL
    bytewise maxima on a DSP core; ``average_pool_2d_fast.h``, for windows of at most 256
    taps: sums in int16 lanes); on a core with ``mve`` their Helium forms (``*_mve.h``: 16
    channels a VMAX, 8 channels of 16-bit sums). Otherwise ``call`` unchanged."""
    f = dict(call.fields)
    kind = "mve" if "mve" in features else "fast"
    if call.function == "edgeq_max_pool_2d_s8":
        return dataclasses.replace(call, source=f"max_pool_2d_{kind}.h", function=f"edgeq_max_pool_2d_s8_{kind}")
    if call.function == "edgeq_average_pool_2d_s8" and int(f["k_h"]) * int(f["k_w"]) <= 256:
        return dataclasses.replace(call, source=f"average_pool_2d_{kind}.h",
                                   function=f"edgeq_average_pool_2d_s8_{kind}")
    return call


for _name in OPS:
    REGISTRY[_name] = sys.modules[__name__]
