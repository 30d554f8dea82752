"""Build single-op int8 .tflite models directly with the schema module (no TensorFlow).

Used by the in-process fuzz test: random op parameters (shapes, strides, paddings,
dilations, activations, scales, zero points) that the Keras converter would rarely emit,
e.g. requantization multipliers above 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_TYPES = {"INT8": schema.TensorType.INT8, "INT32": schema.TensorType.INT32,
          "FLOAT32": schema.TensorType.FLOAT32}
_ACT = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
_PAD = {"SAME": schema.Padding.SAME, "VALID": schema.Padding.VALID}


@dataclass
class T:
    """A tensor: shape, type, quantization, optional constant data."""

    shape: tuple[int, ...]
    dtype: str = "INT8"
    scale: tuple[float, ...] | None = None
    zero_point: tuple[int, ...] | None = None
    qdim: int = 0
    data: np.ndarray | None = None


@dataclass
class OneOp:
    """A model with one operator: tensors, which are the graph I/O, op name and options."""

    op: str
    tensors: list[T]
    inputs: list[int]  # op inputs (-1 for omitted)
    outputs: list[int]
    graph_inputs: list[int]
    graph_outputs: list[int]
    options: dict = field(default_factory=dict)


def _options(op: str, o: dict):
    s = schema
    if op == "CONV_2D":
        x = s.Conv2DOptionsT()
        x.padding, x.strideW, x.strideH = _PAD[o["padding"]], o["stride_w"], o["stride_h"]
        x.dilationWFactor, x.dilationHFactor = o["dilation_w"], o["dilation_h"]
        x.fusedActivationFunction = _ACT[o["act"]]
        return s.BuiltinOptions.Conv2DOptions, x
    if op == "DEPTHWISE_CONV_2D":
        x = s.DepthwiseConv2DOptionsT()
        x.padding, x.strideW, x.strideH = _PAD[o["padding"]], o["stride_w"], o["stride_h"]
        x.dilationWFactor, x.dilationHFactor = o["dilation_w"], o["dilation_h"]
        x.depthMultiplier = o["depth_multiplier"]
        x.fusedActivationFunction = _ACT[o["act"]]
        return s.BuiltinOptions.DepthwiseConv2DOptions, x
    if op == "FULLY_CONNECTED":
        x = s.FullyConnectedOptionsT()
        x.fusedActivationFunction = _ACT[o["act"]]
        return s.BuiltinOptions.FullyConnectedOptions, x
    if op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        x = s.Pool2DOptionsT()
        x.padding, x.strideW, x.strideH = _PAD[o["padding"]], o["stride_w"], o["stride_h"]
        x.filterWidth, x.filterHeight = o["filter_w"], o["filter_h"]
        x.fusedActivationFunction = _ACT[o["act"]]
        return s.BuiltinOptions.Pool2DOptions, x
    if op == "ADD":
        x = s.AddOptionsT()
        x.fusedActivationFunction = _ACT[o["act"]]
        return s.BuiltinOptions.AddOptions, x
    if op == "SOFTMAX":
        x = s.SoftmaxOptionsT()
        x.beta = o["beta"]
        return s.BuiltinOptions.SoftmaxOptions, x
    if op == "CONCATENATION":
        x = s.ConcatenationOptionsT()
        x.axis = o["axis"]
        return s.BuiltinOptions.ConcatenationOptions, x
    return s.BuiltinOptions.NONE, None


def build(m: OneOp) -> bytes:
    """Serialize ``m`` as a TFLite flatbuffer."""
    s = schema
    model = s.ModelT()
    model.version = 3
    model.description = b"edgeq fuzz"
    empty = s.BufferT()
    model.buffers = [empty]
    sg = s.SubGraphT()
    sg.tensors = []
    for i, t in enumerate(m.tensors):
        tt = s.TensorT()
        tt.shape = list(t.shape)
        tt.type = _TYPES[t.dtype]
        tt.name = f"t{i}".encode()
        tt.buffer = 0
        if t.data is not None:
            b = s.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(t.data).tobytes(), dtype=np.uint8).tolist()
            model.buffers.append(b)
            tt.buffer = len(model.buffers) - 1
        if t.scale is not None:
            q = s.QuantizationParametersT()
            q.scale = [float(v) for v in t.scale]
            q.zeroPoint = [int(v) for v in t.zero_point]
            q.quantizedDimension = t.qdim
            tt.quantization = q
        sg.tensors.append(tt)
    code = s.OperatorCodeT()
    code.builtinCode = getattr(s.BuiltinOperator, m.op)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    code.version = 1
    model.operatorCodes = [code]
    op = s.OperatorT()
    op.opcodeIndex = 0
    op.inputs, op.outputs = list(m.inputs), list(m.outputs)
    op.builtinOptionsType, op.builtinOptions = _options(m.op, m.options)
    sg.operators = [op]
    sg.inputs, sg.outputs = list(m.graph_inputs), list(m.graph_outputs)
    sg.name = b"main"
    model.subgraphs = [sg]
    b = flatbuffers.Builder(4096)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
