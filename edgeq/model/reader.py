""".tflite flatbuffer -> graph IR (:mod:`edgeq.model.ir`).

Parsing uses the schema module shipped in the tflite-micro wheel, so reading a model never
imports TensorFlow. Every structural fact later stages rely on (indices in range, constant
sizes matching shapes, quantization arrays consistent) is checked here, so a malformed or
truncated file becomes one :class:`~edgeq.errors.MalformedModelError` line instead of a crash
deep inside a code generator or the TFLM interpreter.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from edgeq.errors import InputFileError, MalformedModelError
from edgeq.model.ir import Model, Operator, QuantParams, Subgraph, Tensor

FILE_IDENTIFIER = b"TFL3"


def _enum_names(enum_cls: type) -> dict[int, str]:
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}


OP_NAMES = _enum_names(schema.BuiltinOperator)
TYPE_NAMES = _enum_names(schema.TensorType)
_PADDING = _enum_names(schema.Padding)
_ACTIVATION = _enum_names(schema.ActivationFunctionType)
# Option fields whose ints are enums, rendered as schema names.
_ENUM_FIELDS = {
    "padding": _PADDING,
    "fused_activation_function": _ACTIVATION,
    "weights_format": _enum_names(schema.FullyConnectedOptionsWeightsFormat),
    "mode": _enum_names(schema.MirrorPadMode),
    "kernel_type": _enum_names(schema.LSTMKernelType),
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_MAX_OPTION_VALUES = 1024
_MAX_RANK = 8


def read_model(source: str | Path | bytes) -> Model:
    """Read and validate a .tflite model from a path or from its bytes.

    Raises :class:`InputFileError` for a missing/unreadable path and
    :class:`MalformedModelError` (one line naming what is wrong) for anything that is not a
    well-formed TFLite flatbuffer.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf, label = bytes(source), "<bytes>"
    else:
        path = Path(source)
        label = str(path)
        if path.is_dir():
            raise InputFileError(f"{path} is a directory; give a .tflite file")
        try:
            buf = path.read_bytes()
        except FileNotFoundError:
            raise InputFileError(f"{path}: no such file") from None
        except OSError as exc:
            raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None
    _check_container(buf, label)
    try:
        _check_references(buf, label)
        raw = schema.ModelT.InitFromPackedBuf(buf, 0)
    except MalformedModelError:
        raise
    except Exception as exc:  # the generated parser raises anything on garbage
        raise MalformedModelError(
            f"{label}: not a valid TFLite flatbuffer (parse failed: {type(exc).__name__})"
        ) from None
    try:
        return _build(raw, buf, label)
    except MalformedModelError:
        raise
    except Exception as exc:  # inconsistent tables the checks below did not anticipate
        raise MalformedModelError(
            f"{label}: inconsistent TFLite model ({type(exc).__name__}: {exc})"
        ) from None


def _check_container(buf: bytes, label: str) -> None:
    """Cheap checks that give a precise message for the common wrong-file cases."""
    if len(buf) == 0:
        raise MalformedModelError(f"{label}: file is empty; expected a .tflite model")
    if buf[:4] == b"PK\x03\x04":
        raise MalformedModelError(
            f"{label}: this is a zip archive (a .keras model?), not a .tflite; "
            "convert it first with `edgeq quantize`"
        )
    if buf[:4] == b"\x89HDF":
        raise MalformedModelError(
            f"{label}: this is an HDF5 file (a .h5 Keras model?), not a .tflite; "
            "convert it first with `edgeq quantize`"
        )
    if len(buf) < 16:
        raise MalformedModelError(f"{label}: file is truncated ({len(buf)} bytes)")
    if buf[4:8] != FILE_IDENTIFIER:
        raise MalformedModelError(
            f"{label}: not a TFLite flatbuffer (missing the 'TFL3' identifier at byte 4)"
        )
    root = int.from_bytes(buf[0:4], "little")
    if root < 8 or root + 4 > len(buf):
        raise MalformedModelError(f"{label}: file is truncated or corrupt (root offset {root})")


def _check_references(buf: bytes, label: str) -> None:
    """Reject files that reference more than they can hold, before the object API parses.

    A flatbuffer may point many vector entries at one table or vector. The generated object
    API (and this reader) then builds one copy per reference, so a few hundred kilobytes
    that point every subgraph entry at the same subgraph unpack into gigabytes (a "DAG
    bomb"). Every table reference and every 32-bit element occupies at least 4 bytes of
    its own in a file without sharing (which converters never share), so the references
    walked here, the ones the object API and the reader copy, can number at most
    ``len(buf) // 4``. Counting uses the lazy accessors only: nothing is copied.
    """
    limit = len(buf) // 4
    count = 0

    def add(n: int, what: str) -> None:
        nonlocal count
        count += int(n)
        if count > limit:
            raise _bad(label, f"its references (counted up to {what}) exceed what its {len(buf)} bytes "
                              "can hold: shared or looping offsets")

    model = schema.Model.GetRootAs(buf, 0)
    add(model.SubgraphsLength() + model.BuffersLength() + model.OperatorCodesLength()
        + model.MetadataLength() + model.SignatureDefsLength()
        + model.ExternalBuffersLength() + model.ExternalBufferGroupsLength(), "the top-level tables")
    for i in range(model.SignatureDefsLength()):
        sig = model.SignatureDefs(i)
        if sig is not None:
            add(sig.InputsLength() + sig.OutputsLength(), f"signature {i}")
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        if sg is None:
            continue
        add(sg.TensorsLength() + sg.OperatorsLength() + sg.InputsLength() + sg.OutputsLength(),
            f"subgraph {s}")
        for t in range(sg.TensorsLength()):
            tensor = sg.Tensors(t)
            if tensor is None:
                continue
            n = tensor.ShapeLength() + tensor.ShapeSignatureLength() + tensor.VariantTensorsLength()
            q = tensor.Quantization()
            if q is not None:
                n += q.ScaleLength() + q.ZeroPointLength() + q.MinLength() + q.MaxLength()
            sp = tensor.Sparsity()
            if sp is not None:
                n += sp.TraversalOrderLength() + sp.BlockMapLength() + sp.DimMetadataLength()
            add(n, f"subgraph {s} tensor {t}")
        for o in range(sg.OperatorsLength()):
            op = sg.Operators(o)
            if op is not None:
                add(op.InputsLength() + op.OutputsLength() + op.IntermediatesLength()
                    + op.MutatingVariableInputsLength(), f"subgraph {s} op {o}")


def _bad(label: str, what: str) -> MalformedModelError:
    return MalformedModelError(f"{label}: malformed model: {what}")


def _as_tuple(values: Any) -> tuple:
    if values is None:
        return ()
    return tuple(int(v) for v in np.asarray(values).reshape(-1))


def _options(obj: Any) -> MappingProxyType:
    """Builtin options object -> {snake_case: value}, enums as names, arrays as tuples."""
    if obj is None:
        return MappingProxyType({})
    out: dict[str, Any] = {}
    for key, value in vars(obj).items():
        name = _CAMEL.sub("_", key).lower()
        if name in _ENUM_FIELDS and isinstance(value, int):
            value = _ENUM_FIELDS[name].get(value, value)
        elif isinstance(value, np.ndarray) or isinstance(value, list):
            if len(value) > _MAX_OPTION_VALUES:  # options vectors hold dims/axes: a handful
                raise ValueError(f"builtin option {name} has {len(value)} values")
            value = tuple(np.asarray(value).reshape(-1).tolist())
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, (np.integer, np.floating, np.bool_)):
            value = value.item()
        elif value is not None and not isinstance(value, (int, float, bool, str)):
            continue  # nested tables (e.g. StableHLO) are not used by edgeq
        out[name] = value
    return MappingProxyType(out)


# Window options every kernel (TFLM's, edgeq-micro's, the MAC and shape arithmetic) divides
# by or multiplies with; the schema's default is 0 for strides and filter sizes, which no
# converter writes and no kernel survives.
_POSITIVE_OPTIONS = (
    "stride_w", "stride_h", "stride_d", "dilation_w_factor", "dilation_h_factor",
    "dilation_d_factor", "filter_width", "filter_height",
)


def _checked_options(options: MappingProxyType, label: str, where: str) -> MappingProxyType:
    for key in _POSITIVE_OPTIONS:
        value = options.get(key)
        if isinstance(value, int) and value < 1:
            raise _bad(label, f"{where} has {key} = {value}; it must be at least 1")
    return options


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _buffer_bytes(raw_buf: Any, whole: bytes, label: str, index: int) -> bytes | None:
    if raw_buf is None:
        return None
    offset = int(getattr(raw_buf, "offset", 0) or 0)
    size = int(getattr(raw_buf, "size", 0) or 0)
    if offset > 1:  # data stored after the flatbuffer (models over 2 GB, or TFLM's offset mode)
        if offset + size > len(whole):
            raise _bad(label, f"buffer {index} points past the end of the file")
        return whole[offset : offset + size] if size else None
    data = raw_buf.data
    if data is None:
        return None
    data = np.asarray(data, dtype=np.uint8).tobytes()
    return data or None


def _build(raw: Any, whole: bytes, label: str) -> Model:
    if not raw.subgraphs:
        raise _bad(label, "no subgraphs")
    buffers = raw.buffers or []
    codes = raw.operatorCodes or []
    opcodes: list[tuple[str, int, str | None]] = []
    for i, code in enumerate(codes):
        builtin = max(int(code.builtinCode or 0), int(code.deprecatedBuiltinCode or 0))
        if builtin not in OP_NAMES or OP_NAMES[builtin] == "PLACEHOLDER_FOR_GREATER_OP_CODES":
            raise _bad(label, f"operator code {i} has unknown builtin op {builtin}")
        custom = _text(code.customCode) or None
        opcodes.append((OP_NAMES[builtin], int(code.version or 1), custom))

    subgraphs = []
    data_cache: dict[int, bytes | None] = {}
    for s, sg in enumerate(raw.subgraphs):
        tensors = []
        raw_tensors = sg.tensors or []
        for t, rt in enumerate(raw_tensors):
            tensors.append(_tensor(rt, t, s, buffers, whole, label, data_cache))
        n = len(tensors)

        def check_index(i: int, where: str, optional: bool = False) -> int:
            i = int(i)
            if (optional and i == -1) or 0 <= i < n:
                return i
            raise _bad(label, f"subgraph {s} {where} refers to tensor {i} (it has {n})")

        operators = []
        for o, rop in enumerate(sg.operators or []):
            idx = int(rop.opcodeIndex or 0)
            if not 0 <= idx < len(opcodes):
                raise _bad(label, f"subgraph {s} op {o} uses operator code {idx} (there are {len(opcodes)})")
            name, version, custom = opcodes[idx]
            operators.append(
                Operator(
                    index=o,
                    opcode=name,
                    version=version,
                    inputs=tuple(check_index(i, f"op {o} input", True) for i in _as_tuple(rop.inputs)),
                    outputs=tuple(check_index(i, f"op {o} output", True) for i in _as_tuple(rop.outputs)),
                    options=_checked_options(_options(rop.builtinOptions), label, f"subgraph {s} op {o} ({name})"),
                    custom_code=custom,
                    intermediates=tuple(
                        check_index(i, f"op {o} intermediate") for i in _as_tuple(rop.intermediates)
                    ),
                )
            )
        subgraphs.append(
            Subgraph(
                name=_text(sg.name),
                tensors=tuple(tensors),
                operators=tuple(operators),
                inputs=tuple(check_index(i, "input") for i in _as_tuple(sg.inputs)),
                outputs=tuple(check_index(i, "output") for i in _as_tuple(sg.outputs)),
            )
        )
    return Model(
        version=int(raw.version or 0),
        description=_text(raw.description),
        subgraphs=tuple(subgraphs),
        size_bytes=len(whole),
        source="" if label == "<bytes>" else label,
    )


def _tensor(
    rt: Any, t: int, s: int, buffers: list, whole: bytes, label: str, data_cache: dict[int, bytes | None]
) -> Tensor:
    where = f"subgraph {s} tensor {t}"
    type_code = int(rt.type or 0)
    if type_code not in TYPE_NAMES:
        raise _bad(label, f"{where} has unknown type {type_code}")
    dtype = TYPE_NAMES[type_code]
    rank = 0 if rt.shape is None else len(rt.shape)
    if rank > _MAX_RANK:  # checked before converting: a hostile shape can be long
        raise _bad(label, f"{where} has rank {rank} (at most {_MAX_RANK})")
    shape = _as_tuple(rt.shape)
    if any(d < 0 for d in shape):
        raise _bad(label, f"{where} has a negative dimension {shape}")
    b = int(rt.buffer or 0)
    if not 0 <= b < max(len(buffers), 1):
        raise _bad(label, f"{where} refers to buffer {b} (there are {len(buffers)})")
    # One bytes object per buffer: tensors sharing a buffer share its data (no copy per
    # tensor, and edgeq.model.macs.param_bytes counts each buffer once by identity).
    if b not in data_cache:
        data_cache[b] = _buffer_bytes(buffers[b], whole, label, b) if buffers else None
    data = data_cache[b]

    quant = None
    q = rt.quantization
    if q is not None and q.scale is not None and len(q.scale) > 0:
        scale = tuple(float(x) for x in np.asarray(q.scale, dtype=np.float32).reshape(-1))
        # real = scale * (q - zero_point) needs a finite scale, positive for activations;
        # constant per-channel weights may carry 0 for an all-zero channel.
        if not all(math.isfinite(x) and x >= 0 for x in scale):
            raise _bad(label, f"{where} has a negative or non-finite quantization scale")
        if data is None and not all(x > 0 for x in scale):
            raise _bad(label, f"{where} has a zero quantization scale")
        zps = _as_tuple(q.zeroPoint) or (0,) * len(scale)
        if len(zps) != len(scale):
            raise _bad(label, f"{where} has {len(scale)} scales but {len(zps)} zero points")
        axis = int(q.quantizedDimension or 0)
        if len(scale) > 1:
            # Converters put the filter's axis (e.g. 3) on 1-D per-channel biases; TFLM accepts it.
            fits_axis = 0 <= axis < len(shape) and shape[axis] == len(scale)
            fits_vector = len(shape) == 1 and shape[0] == len(scale)
            if not (fits_axis or fits_vector):
                raise _bad(label, f"{where}: {len(scale)} per-channel scales do not match axis {axis} of shape {shape}")
        quant = QuantParams(scale=scale, zero_point=zps, quantized_dimension=axis)

    tensor = Tensor(
        index=t,
        name=_text(rt.name),
        shape=shape,
        dtype=dtype,
        quant=quant,
        data=data,
        buffer=b,
        shape_signature=_as_tuple(rt.shapeSignature) or None,
        is_variable=bool(rt.isVariable),
    )
    if data is not None and dtype not in ("STRING", "INT4", "UINT4", "INT2", "RESOURCE", "VARIANT"):
        if tensor.itemsize and len(data) != tensor.nbytes:
            raise _bad(label, f"{where} ({tensor.name}) holds {len(data)} bytes but shape {shape} of {dtype} needs {tensor.nbytes}")
    return tensor
