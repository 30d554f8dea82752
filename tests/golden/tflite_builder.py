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
          "FLOAT32": schema.TensorType.FLOAT32, "INT16": schema.TensorType.INT16,
          "INT64": schema.TensorType.INT64}
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
    variable: bool = False  # a variable tensor: state kept between invocations (LSTM, SVDF)


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
        x.quantizedBiasType = _TYPES[o["bias_type"]] if "bias_type" in o else 0
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
        x.quantizedBiasType = _TYPES[o["bias_type"]] if "bias_type" in o else 0
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
    if op in ("MUL", "SUB"):
        x = s.MulOptionsT() if op == "MUL" else s.SubOptionsT()
        x.fusedActivationFunction = _ACT[o.get("act", "NONE")]
        return (s.BuiltinOptions.MulOptions if op == "MUL" else s.BuiltinOptions.SubOptions), x
    if op in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"):
        x = s.ReducerOptionsT()
        x.keepDims = bool(o["keep_dims"])
        return s.BuiltinOptions.ReducerOptions, x
    if op == "LEAKY_RELU":
        x = s.LeakyReluOptionsT()
        x.alpha = o["alpha"]
        return s.BuiltinOptions.LeakyReluOptions, x
    if op == "STRIDED_SLICE":
        x = s.StridedSliceOptionsT()
        x.beginMask, x.endMask, x.shrinkAxisMask = o["begin_mask"], o["end_mask"], o["shrink_axis_mask"]
        return s.BuiltinOptions.StridedSliceOptions, x
    if op in ("SPLIT", "SPLIT_V"):
        x = s.SplitOptionsT() if op == "SPLIT" else s.SplitVOptionsT()
        x.numSplits = o["num_splits"]
        return (s.BuiltinOptions.SplitOptions if op == "SPLIT" else s.BuiltinOptions.SplitVOptions), x
    if op == "TRANSPOSE_CONV":
        x = s.TransposeConvOptionsT()
        x.padding, x.strideW, x.strideH = _PAD[o["padding"]], o["stride_w"], o["stride_h"]
        x.fusedActivationFunction = _ACT[o["act"]]
        return s.BuiltinOptions.TransposeConvOptions, x
    if op == "PACK":
        x = s.PackOptionsT()
        x.valuesCount, x.axis = o["values_count"], o["axis"]
        return s.BuiltinOptions.PackOptions, x
    if op == "UNPACK":
        x = s.UnpackOptionsT()
        x.num, x.axis = o["num"], o["axis"]
        return s.BuiltinOptions.UnpackOptions, x
    if op == "RESIZE_BILINEAR":
        x = s.ResizeBilinearOptionsT()
        x.alignCorners, x.halfPixelCenters = bool(o["align_corners"]), bool(o["half_pixel_centers"])
        return s.BuiltinOptions.ResizeBilinearOptions, x
    if op == "RESIZE_NEAREST_NEIGHBOR":
        x = s.ResizeNearestNeighborOptionsT()
        x.alignCorners, x.halfPixelCenters = bool(o["align_corners"]), bool(o["half_pixel_centers"])
        return s.BuiltinOptions.ResizeNearestNeighborOptions, x
    if op in ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
        name = "DepthToSpaceOptions" if op == "DEPTH_TO_SPACE" else "SpaceToDepthOptions"
        x = getattr(s, name + "T")()
        x.blockSize = o["block_size"]
        return getattr(s.BuiltinOptions, name), x
    if op == "BATCH_MATMUL":
        x = s.BatchMatMulOptionsT()
        x.adjX, x.adjY = bool(o.get("adj_x", False)), bool(o.get("adj_y", False))
        return s.BuiltinOptions.BatchMatMulOptions, x
    if op == "GATHER":
        x = s.GatherOptionsT()
        x.axis, x.batchDims = o["axis"], o.get("batch_dims", 0)
        return s.BuiltinOptions.GatherOptions, x
    if op in ("ARG_MAX", "ARG_MIN"):
        name = "ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions"
        x = getattr(s, name + "T")()
        x.outputType = _TYPES[o.get("output_type", "INT32")]
        return getattr(s.BuiltinOptions, name), x
    if op == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        x = s.UnidirectionalSequenceLSTMOptionsT()
        x.fusedActivationFunction = schema.ActivationFunctionType.TANH  # the cell gate (TFLM: tanh only)
        x.cellClip, x.projClip = float(o.get("cell_clip", 0.0)), 0.0
        x.timeMajor = bool(o.get("time_major", False))
        return s.BuiltinOptions.UnidirectionalSequenceLSTMOptions, x
    if op == "SVDF":
        x = s.SVDFOptionsT()
        x.rank = o["rank"]
        x.fusedActivationFunction = _ACT[o.get("act", "NONE")]
        return s.BuiltinOptions.SVDFOptions, x
    simple = {"PAD": "PadOptions", "PADV2": "PadV2Options", "TRANSPOSE": "TransposeOptions",
              "MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions",
              "SQUARED_DIFFERENCE": "SquaredDifferenceOptions"}
    if op in simple:
        return getattr(s.BuiltinOptions, simple[op]), getattr(s, simple[op] + "T")()
    return s.BuiltinOptions.NONE, None


@dataclass
class Op:
    """One operator of a multi-op graph (see :func:`build_graph`)."""

    op: str
    inputs: list[int]
    outputs: list[int]
    options: dict = field(default_factory=dict)


def build(m: OneOp) -> bytes:
    """Serialize ``m`` as a TFLite flatbuffer."""
    return build_graph(m.tensors, [Op(m.op, m.inputs, m.outputs, m.options)], m.graph_inputs, m.graph_outputs)


def build_graph(tensors: list[T], ops: list[Op], graph_inputs: list[int], graph_outputs: list[int]) -> bytes:
    """Serialize a graph of several ops (e.g. a mixed int8 / int16x8 model)."""
    m = OneOp("", tensors, [], [], graph_inputs, graph_outputs)
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
        tt.isVariable = bool(t.variable)
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
    model.operatorCodes, codes, sg.operators = [], {}, []
    for o in ops:
        if o.op not in codes:
            code = s.OperatorCodeT()
            code.builtinCode = getattr(s.BuiltinOperator, o.op)
            code.deprecatedBuiltinCode = min(code.builtinCode, 127)
            code.version = 1
            codes[o.op] = len(model.operatorCodes)
            model.operatorCodes.append(code)
        op = s.OperatorT()
        op.opcodeIndex = codes[o.op]
        op.inputs, op.outputs = list(o.inputs), list(o.outputs)
        op.builtinOptionsType, op.builtinOptions = _options(o.op, o.options)
        sg.operators.append(op)
    sg.inputs, sg.outputs = list(m.graph_inputs), list(m.graph_outputs)
    sg.name = b"main"
    model.subgraphs = [sg]
    b = flatbuffers.Builder(4096)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
