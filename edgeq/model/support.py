"""Which runtime supports which op: "tflm" (TFLite Micro) and "native" (edgeq-micro).

- tflm: an op is supported when TFLM's ``MicroMutableOpResolver`` can register it. The
  tables below are the resolver's ``Add...()`` methods, read from
  ``tensorflow/lite/micro/micro_mutable_op_resolver.h`` of tflite-micro 90b983c (the TFLM
  revision DESIGN.md measures against), kept as data: op name -> the method that registers
  it, which the tflm code generator also needs. Custom ops are supported only when the
  resolver has a method for their custom name (e.g. ``TFLite_Detection_PostProcess``).
- native: whatever :func:`edgeq.ops.native_support` says (the registry the native code
  generator uses too, so the two cannot disagree).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from edgeq.model.ir import Model, Operator, Subgraph

RUNTIMES: tuple[str, ...] = ("tflm", "native")

# Builtin op (schema name) -> MicroMutableOpResolver method that registers it.
TFLM_BUILTIN_OPS: Mapping[str, str] = MappingProxyType({
    "ABS": "AddAbs", "ADD": "AddAdd", "ADD_N": "AddAddN", "ARG_MAX": "AddArgMax",
    "ARG_MIN": "AddArgMin", "ASSIGN_VARIABLE": "AddAssignVariable",
    "AVERAGE_POOL_2D": "AddAveragePool2D", "BATCH_MATMUL": "AddBatchMatMul",
    "BATCH_TO_SPACE_ND": "AddBatchToSpaceNd", "BROADCAST_ARGS": "AddBroadcastArgs",
    "BROADCAST_TO": "AddBroadcastTo", "CALL_ONCE": "AddCallOnce", "CAST": "AddCast",
    "CEIL": "AddCeil", "CONCATENATION": "AddConcatenation", "CONV_2D": "AddConv2D",
    "COS": "AddCos", "CUMSUM": "AddCumSum", "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D",
    "DEPTH_TO_SPACE": "AddDepthToSpace", "DEQUANTIZE": "AddDequantize", "DIV": "AddDiv",
    "DYNAMIC_UPDATE_SLICE": "AddDynamicUpdateSlice", "ELU": "AddElu",
    "EMBEDDING_LOOKUP": "AddEmbeddingLookup", "EQUAL": "AddEqual", "EXP": "AddExp",
    "EXPAND_DIMS": "AddExpandDims", "FILL": "AddFill", "FLOOR": "AddFloor",
    "FLOOR_DIV": "AddFloorDiv", "FLOOR_MOD": "AddFloorMod",
    "FULLY_CONNECTED": "AddFullyConnected", "GATHER": "AddGather",
    "GATHER_ND": "AddGatherNd", "GREATER": "AddGreater", "GREATER_EQUAL": "AddGreaterEqual",
    "HARD_SWISH": "AddHardSwish", "IF": "AddIf", "L2_NORMALIZATION": "AddL2Normalization",
    "L2_POOL_2D": "AddL2Pool2D", "LEAKY_RELU": "AddLeakyRelu", "LESS": "AddLess",
    "LESS_EQUAL": "AddLessEqual", "LOG": "AddLog", "LOGICAL_AND": "AddLogicalAnd",
    "LOGICAL_NOT": "AddLogicalNot", "LOGICAL_OR": "AddLogicalOr", "LOGISTIC": "AddLogistic",
    "LOG_SOFTMAX": "AddLogSoftmax", "MAXIMUM": "AddMaximum", "MAX_POOL_2D": "AddMaxPool2D",
    "MEAN": "AddMean", "MINIMUM": "AddMinimum", "MIRROR_PAD": "AddMirrorPad", "MUL": "AddMul",
    "NEG": "AddNeg", "NOT_EQUAL": "AddNotEqual", "PACK": "AddPack", "PAD": "AddPad",
    "PADV2": "AddPadV2", "PRELU": "AddPrelu", "QUANTIZE": "AddQuantize",
    "READ_VARIABLE": "AddReadVariable", "REDUCE_ALL": "AddReduceAll",
    "REDUCE_MAX": "AddReduceMax", "REDUCE_MIN": "AddReduceMin", "RELU": "AddRelu",
    "RELU6": "AddRelu6", "RESHAPE": "AddReshape", "RESIZE_BILINEAR": "AddResizeBilinear",
    "RESIZE_NEAREST_NEIGHBOR": "AddResizeNearestNeighbor", "REVERSE_V2": "AddReverseV2",
    "ROUND": "AddRound", "RSQRT": "AddRsqrt", "SELECT_V2": "AddSelectV2", "SHAPE": "AddShape",
    "SIN": "AddSin", "SLICE": "AddSlice", "SOFTMAX": "AddSoftmax",
    "SPACE_TO_BATCH_ND": "AddSpaceToBatchNd", "SPACE_TO_DEPTH": "AddSpaceToDepth",
    "SPLIT": "AddSplit", "SPLIT_V": "AddSplitV", "SQRT": "AddSqrt", "SQUARE": "AddSquare",
    "SQUARED_DIFFERENCE": "AddSquaredDifference", "SQUEEZE": "AddSqueeze",
    "STRIDED_SLICE": "AddStridedSlice", "SUB": "AddSub", "SUM": "AddSum", "SVDF": "AddSvdf",
    "TANH": "AddTanh", "TRANSPOSE": "AddTranspose", "TRANSPOSE_CONV": "AddTransposeConv",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "AddUnidirectionalSequenceLSTM", "UNPACK": "AddUnpack",
    "VAR_HANDLE": "AddVarHandle", "WHILE": "AddWhile", "ZEROS_LIKE": "AddZerosLike",
})

# Custom op name -> MicroMutableOpResolver method. The Ethos-U op ("ethos-u") is left out:
# it runs only in firmware built for an Ethos-U NPU.
TFLM_CUSTOM_OPS: Mapping[str, str] = MappingProxyType({
    "CIRCULAR_BUFFER": "AddCircularBuffer",
    "TFLite_Detection_PostProcess": "AddDetectionPostprocess",
    "TFLM_DECODE": "AddDecode",
    "SignalDelay": "AddDelay", "SignalEnergy": "AddEnergy",
    "SignalFftAutoScale": "AddFftAutoScale", "SignalFilterBank": "AddFilterBank",
    "SignalFilterBankLog": "AddFilterBankLog",
    "SignalFilterBankSpectralSubtraction": "AddFilterBankSpectralSubtraction",
    "SignalFilterBankSquareRoot": "AddFilterBankSquareRoot", "SignalFramer": "AddFramer",
    "SignalIrfft": "AddIrfft", "SignalOverlapAdd": "AddOverlapAdd", "SignalPCAN": "AddPCAN",
    "SignalRfft": "AddRfft", "SignalStacker": "AddStacker", "SignalWindow": "AddWindow",
})


def tflm_add_method(op: Operator) -> str | None:
    """The ``MicroMutableOpResolver`` method that registers ``op``, or None if there is none."""
    if op.opcode == "CUSTOM":
        return TFLM_CUSTOM_OPS.get(op.custom_code or "")
    return TFLM_BUILTIN_OPS.get(op.opcode)


def tflm_support(op: Operator, subgraph: Subgraph) -> str | None:
    """None when TFLM's op resolver can register ``op``, else the reason why not."""
    if tflm_add_method(op) is not None:
        return None
    if op.opcode == "CUSTOM":
        return f"custom op {op.custom_code or '(unnamed)'} is not registered by TFLM's MicroMutableOpResolver"
    return f"{op.opcode} has no kernel in TFLM's MicroMutableOpResolver"


def runtime_support(op: Operator, subgraph: Subgraph, runtime: str) -> str | None:
    """None when ``runtime`` ("tflm" or "native") runs ``op``, else the reason why not."""
    if runtime == "tflm":
        return tflm_support(op, subgraph)
    if runtime == "native":
        from edgeq.ops import native_support

        return native_support(op, subgraph)
    raise ValueError(f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}")


@dataclass(frozen=True)
class Unsupported:
    """One op a runtime cannot run, with the reason."""

    subgraph: int
    index: int
    name: str
    reason: str


def unsupported_ops(model: Model, runtime: str) -> list[Unsupported]:
    """Every op of every subgraph that ``runtime`` cannot run, in graph order."""
    found = []
    for s, sg in enumerate(model.subgraphs):
        for op in sg.operators:
            reason = runtime_support(op, sg, runtime)
            if reason is not None:
                found.append(Unsupported(s, op.index, op.name, reason))
    return found
