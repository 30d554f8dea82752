"""The native runtime's op registry: the one table that says which ops edgeq-micro runs.

Each op module in this package registers itself; the code generator (``edgeq.codegen.native``)
and ``edgeq inspect`` (``edgeq.model.support``) both ask this registry, so the two can never
disagree about support.
"""

from __future__ import annotations

from edgeq.model.ir import Operator, Subgraph

# op name (schema name, e.g. "CONV_2D") -> op implementation module/object
REGISTRY: dict[str, object] = {}


def native_support(op: Operator, subgraph: Subgraph) -> str | None:
    """None when edgeq-micro can run this op instance, else a short reason why not."""
    impl = REGISTRY.get(op.name)
    if impl is None:
        return f"{op.name} is not implemented in edgeq-micro"
    check = getattr(impl, "unsupported_reason", None)
    return check(op, subgraph) if check else None


# The op modules register themselves on import; importing them here means every user of the
# registry (codegen, inspect) sees the full table. At the end: they import REGISTRY above.
from edgeq.ops import (  # noqa: E402,F401
    add,
    arg_min_max,
    batch_matmul,
    concatenation,
    conv_2d,
    depth_to_space,
    depthwise_conv_2d,
    fully_connected,
    gather,
    lstm,
    hard_swish,
    logistic,
    maximum_minimum,
    mean,
    mul,
    pack,
    pad,
    pooling,
    quantize,
    reduce_minmax,
    relu,
    reshape,
    resize,
    resize_bilinear,
    rsqrt,
    softmax,
    split,
    squared_difference,
    strided_slice,
    sub,
    svdf,
    transpose,
    transpose_conv,
)
