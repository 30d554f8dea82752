"""The graph IR: a frozen, TensorFlow-free view of a .tflite model.

Produced by :func:`edgeq.model.reader.read_model`; consumed by ``inspect``, the code
generators and the harness. Names follow the TFLite schema (op names such as
``DEPTHWISE_CONV_2D``, enum values such as ``padding="SAME"``) so that what a user reads in
``edgeq inspect`` is what they would read in Netron or the TFLite docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

# TFLite TensorType name -> numpy dtype (types edgeq can hold as constants or run).
NUMPY_DTYPES: Mapping[str, type] = MappingProxyType(
    {
        "FLOAT32": np.float32,
        "FLOAT16": np.float16,
        "FLOAT64": np.float64,
        "INT8": np.int8,
        "UINT8": np.uint8,
        "INT16": np.int16,
        "UINT16": np.uint16,
        "INT32": np.int32,
        "UINT32": np.uint32,
        "INT64": np.int64,
        "UINT64": np.uint64,
        "BOOL": np.bool_,
    }
)


@dataclass(frozen=True)
class QuantParams:
    """Affine quantization: ``real = scale * (q - zero_point)``.

    Per-tensor when ``scale`` has one entry; per-channel along ``quantized_dimension``
    otherwise.
    """

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    quantized_dimension: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass(frozen=True)
class Tensor:
    """One tensor of a subgraph. ``data`` holds the raw little-endian bytes of a constant
    (weights, biases, shape operands) and is ``None`` for activations."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # TFLite TensorType name, e.g. "INT8"
    quant: QuantParams | None = None
    data: bytes | None = field(default=None, repr=False)
    buffer: int = 0  # index into the model's buffer table (tensors may share one)
    shape_signature: tuple[int, ...] | None = None
    is_variable: bool = False

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def num_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= max(int(d), 0)
        return n

    @property
    def itemsize(self) -> int:
        """Bytes per element (0 for types edgeq cannot size, e.g. STRING)."""
        if self.dtype in NUMPY_DTYPES:
            return np.dtype(NUMPY_DTYPES[self.dtype]).itemsize
        return {"INT4": 1, "UINT4": 1, "INT2": 1}.get(self.dtype, 0)

    @property
    def nbytes(self) -> int:
        return self.num_elements * self.itemsize

    def numpy(self) -> np.ndarray:
        """The constant's value as a numpy array of its shape (only for constants)."""
        if self.data is None:
            raise ValueError(f"tensor {self.index} ({self.name}) is not a constant")
        arr = np.frombuffer(self.data, dtype=NUMPY_DTYPES[self.dtype])
        return arr.reshape(self.shape) if self.shape else arr.reshape(())


@dataclass(frozen=True)
class Operator:
    """One op. ``inputs``/``outputs`` are tensor indices; -1 marks an omitted optional
    input (e.g. a FULLY_CONNECTED without bias). ``options`` holds the builtin options
    with enums as schema names (``{"padding": "SAME", "fused_activation_function":
    "RELU6", "stride_w": 2, ...}``); keys are snake_case."""

    index: int
    opcode: str  # e.g. "CONV_2D", or "CUSTOM"
    version: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    custom_code: str | None = None
    intermediates: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        """Schema name, or the custom op's name for CUSTOM ops."""
        return self.custom_code if self.opcode == "CUSTOM" and self.custom_code else self.opcode


@dataclass(frozen=True)
class Subgraph:
    name: str
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    def tensor(self, index: int) -> Tensor | None:
        """The tensor at ``index``, or None for -1 (an omitted optional input)."""
        return None if index < 0 else self.tensors[index]


@dataclass(frozen=True)
class Model:
    """A whole .tflite model. ``subgraphs[0]`` is the main graph."""

    version: int
    description: str
    subgraphs: tuple[Subgraph, ...]
    size_bytes: int  # size of the flatbuffer file
    source: str = ""  # path it was read from, or "" for bytes

    @property
    def main(self) -> Subgraph:
        return self.subgraphs[0]

    def op_names(self) -> list[str]:
        """Distinct op names over all subgraphs, in order of first use."""
        seen: dict[str, None] = {}
        for sg in self.subgraphs:
            for op in sg.operators:
                seen.setdefault(op.name, None)
        return list(seen)
