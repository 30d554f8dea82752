"""Keras -> full-integer .tflite by post-training quantization.

Pipeline: load the model (a ``keras.Model``, ``.keras``/``.h5`` file or SavedModel directory)
-> export a SavedModel with a fixed batch of 1 (so Flatten stays a RESHAPE instead of
SHAPE/STRIDED_SLICE/PACK) -> TFLiteConverter with representative data -> verify with the
edgeq reader that every op is integer. The converter is allowed to fall back to float only
so that edgeq can *name* the float ops; such a model is refused unless ``allow_float``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from edgeq import convert_worker, rewrite
from edgeq.errors import DataError, EdgeqError, InputFileError, NotFullyIntegerError
from edgeq.model.ir import Model
from edgeq.fileio import write_atomic
from edgeq.harness.npzio import read_npz
from edgeq.model import signature
from edgeq.model.reader import read_model

log = logging.getLogger(__name__)

MODES = ("int8", "int16x8")
# Tensor types a fully integer model may hold, per mode (INT32/INT64: biases, shape operands).
_INTEGER_TYPES = {
    "int8": {"INT8", "INT32", "INT64", "BOOL"},
    "int16x8": {"INT8", "INT16", "INT32", "INT64", "BOOL"},
    "mixed": {"INT8", "INT16", "INT32", "INT64", "BOOL"},
}
_IO_TYPE = {"int8": "INT8", "int16x8": "INT16"}
_WEIGHTED = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "CONV_3D"}


@dataclass(frozen=True)
class FloatOp:
    """An op left in float by the converter, with the likely reason."""

    index: int
    name: str
    output: str
    cause: str

    def describe(self) -> str:
        return f"op {self.index} {self.name} ({self.output}): {self.cause}"


@dataclass(frozen=True)
class QuantizeReport:
    """What `quantize` did: the inputs it used and checks on what it produced."""

    mode: str
    samples: int  # calibration samples used
    int8_bytes: int  # size of the quantized flatbuffer
    seconds: float  # conversion wall time (export + calibration + conversion)
    float_ops: tuple[FloatOp, ...]
    op_counts: tuple[tuple[str, int], ...]  # (op name, count) in the quantized model
    input_quant: tuple[float, int]  # (scale, zero point) of input 0
    output_quant: tuple[float, int]
    notes: tuple[str, ...] = ()  # layers rewritten for conversion, runtime warnings
    float_bytes: int | None = None  # the float .tflite's size (``float_size=True``)
    mixed: Any = None  # mode "mixed": the edgeq.mixed.MixedReport

    @property
    def fully_integer(self) -> bool:
        return not self.float_ops


def _silence_tf() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def _head(path: Path, n: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def load_keras_model(path: str | Path) -> Any:
    """Load a ``.keras``/``.h5`` Keras model, or return the path of a SavedModel directory.

    Raises InputFileError naming the problem (missing file, wrong kind, unreadable)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file or directory")
    if path.is_dir():
        if not (path / "saved_model.pb").exists():
            raise InputFileError(f"{path}: a directory but not a SavedModel (no saved_model.pb)")
        return path
    if path.suffix.lower() == ".tflite":
        raise InputFileError(f"{path} is already a .tflite model; quantize takes the Keras model (.keras, .h5, SavedModel)")
    if path.suffix.lower() not in (".keras", ".h5", ".hdf5"):
        raise InputFileError(f"{path}: unknown model format {path.suffix!r}; give a .keras, .h5 or SavedModel directory")
    if path.suffix.lower() == ".keras" and not zipfile.is_zipfile(path):
        raise InputFileError(f"{path}: not a Keras .keras file (a zip archive); save the model with "
                             f"model.save('{path.name}')")
    if path.suffix.lower() in (".h5", ".hdf5") and _head(path, 8) != b"\x89HDF\r\n\x1a\n":
        raise InputFileError(f"{path}: not an HDF5 Keras file; save the model with model.save('{path.name}')")
    _silence_tf()
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(f"{path}: cannot load this Keras model ({first[:200]})") from None


def _input_shapes(model: Any) -> list[tuple[int, ...]]:
    """Per-input shapes without the batch dimension."""
    if isinstance(model, Path):  # SavedModel
        import tensorflow as tf

        sig = tf.saved_model.load(str(model)).signatures.get("serving_default")
        if sig is None:
            raise InputFileError(f"{model}: the SavedModel has no 'serving_default' signature")
        specs = sorted(sig.structured_input_signature[1].items())
        return [tuple(int(d) for d in spec.shape[1:]) for _, spec in specs]
    shapes = []
    for t in model.inputs:
        dims = tuple(t.shape[1:])
        if any(d is None for d in dims):
            raise InputFileError(f"model input {t.name!r} has an unknown dimension {tuple(t.shape)}; give it a fixed shape")
        shapes.append(tuple(int(d) for d in dims))
    return shapes


def _pick_samples(xs: Sequence[np.ndarray], samples: int) -> list[np.ndarray]:
    """A deterministic subset: a fixed-seed choice of ``samples`` rows kept in file order."""
    n = xs[0].shape[0]
    if n <= samples:
        idx = np.arange(n)
    else:
        idx = np.sort(np.random.default_rng(0).choice(n, size=samples, replace=False))
    return [np.asarray(x[idx], dtype=np.float32) for x in xs]


def _saved_model_dir(model: Any, shapes: list[tuple[int, ...]], workdir: Path) -> Path:
    """A SavedModel whose serving signature has a batch of exactly 1."""
    import tensorflow as tf

    out = workdir / "saved_model"
    if isinstance(model, Path):
        loaded = tf.saved_model.load(str(model))
        sig = loaded.signatures["serving_default"]
        names = sorted(sig.structured_input_signature[1])
        specs = [tf.TensorSpec([1, *s], tf.float32, name=n) for n, s in zip(names, shapes)]

        @tf.function(input_signature=specs)
        def serve(*args):
            return sig(**dict(zip(names, args)))

        tf.saved_model.save(loaded, str(out), signatures={"serving_default": serve})
        return out
    import keras

    in_names, out_names = keras_io_names(model)
    specs = [tf.TensorSpec([1, *s], tf.float32, name=n) for n, s in zip(in_names, shapes)]
    multi_in = len(specs) > 1

    def serve(*xs):
        out = model(list(xs) if multi_in else xs[0], training=False)
        outs = list(out.values()) if isinstance(out, dict) else list(out) if isinstance(out, (list, tuple)) else [out]
        return dict(zip(out_names, outs))

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serving_default", fn=serve, input_signature=specs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        archive.write_out(str(out), verbose=False)
    return out


def _identifier(name: str, used: set[str], fallback: str) -> str:
    ident = "".join(c if c.isalnum() or c == "_" else "_" for c in name.split(":")[0]).strip("_") or fallback
    if ident[0].isdigit():
        ident = f"{fallback}_{ident}"
    while ident in used:
        ident += "_"
    used.add(ident)
    return ident


def keras_io_names(model: Any) -> tuple[list[str], list[str]]:
    """The model's input and output names, in Keras' order, as signature keys: the Keras input
    names and output layer names, made identifiers and unique."""
    used: set[str] = set()
    ins = [_identifier(getattr(t, "name", "") or "", used, f"input_{i}") for i, t in enumerate(model.inputs)]
    used = set()
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(model.outputs):
        names = [getattr(t, "name", "") or "" for t in model.outputs]
    outs = [_identifier(n, used, f"output_{i}") for i, n in enumerate(names)]
    return ins, outs


def make_converter(
    model: Any, calib: Sequence[np.ndarray], mode: str, workdir: Path, *, integer_io: bool = True
) -> Any:
    """A TFLiteConverter set up for full-integer quantization (float fallback enabled so the
    result can be checked and the float ops named). ``integer_io=False`` keeps float model
    inputs/outputs (TF's QuantizationDebugger needs that for int16x8)."""
    import tensorflow as tf

    shapes = [tuple(x.shape[1:]) for x in calib]
    converter = tf.lite.TFLiteConverter.from_saved_model(str(_saved_model_dir(model, shapes, workdir)))
    return convert_worker.configure(converter, mode, calib, integer_io=integer_io)


def find_float_ops(model: Model, mode: str = "int8") -> list[FloatOp]:
    """Every op that reads or writes a non-integer tensor, with the likely cause.

    QUANTIZE/DEQUANTIZE pairs the converter inserts around a float island are reported only
    when nothing else explains them (e.g. float model inputs)."""
    allowed = _INTEGER_TYPES[mode]
    sg = model.main
    found: list[FloatOp] = []
    boundary: list[FloatOp] = []
    for op in sg.operators:
        tensors = [sg.tensors[i] for i in (*op.inputs, *op.outputs) if i >= 0]
        float_types = sorted({t.dtype for t in tensors if t.dtype not in allowed})
        if not float_types:
            continue
        out = sg.tensors[op.outputs[0]].name if op.outputs else ""
        if op.opcode in ("QUANTIZE", "DEQUANTIZE"):
            boundary.append(FloatOp(op.index, op.name, out, f"converts to/from {'/'.join(float_types)} around a float section"))
            continue
        if op.opcode in _WEIGHTED:
            cause = (
                "weights stayed float: usually a BatchNormalization that could not be folded into "
                "this layer (Conv→BN), or calibration data that never reached it"
            )
        elif op.opcode == "CUSTOM":
            cause = "a custom op has no integer kernel; remove it or run it outside the model"
        else:
            cause = f"TFLite has no {mode} kernel for {op.name}; replace the layer or pass --allow-float"
        found.append(FloatOp(op.index, op.name, out, cause))
    io_types = ("INT8", "INT16") if mode == "mixed" else (_IO_TYPE[mode],)  # mixed: int16 next to int16 ops
    for kind, idxs in (("INPUT", sg.inputs), ("OUTPUT", sg.outputs)):
        for i in idxs:
            if sg.tensors[i].dtype not in io_types:
                found.append(FloatOp(-1, kind, sg.tensors[i].name,
                                     f"model {kind.lower()} is {sg.tensors[i].dtype}, not {' or '.join(io_types)}"))
    return found or boundary


# TF 2.21's quantizer leaves, in about one conversion in three, a SPLIT one of whose outputs
# nothing reads in float (an unrolled GRU's first time step, where the zero initial state made
# a gate dead): which pass runs first differs from process to process. Each attempt is a fresh
# converter process; five leave it float with probability ~0.4 %.
_CONVERT_ATTEMPTS = 5


def _dead_split_left_float(model: Model, mode: str) -> bool:
    sg = model.main
    read = {i for op in sg.operators for i in op.inputs}
    return any(
        f.name in ("SPLIT", "SPLIT_V") and any(o not in read for o in sg.operators[f.index].outputs)
        for f in find_float_ops(model, mode) if f.index >= 0
    )


def runtime_warnings(model: Model) -> tuple[str, ...]:
    """Warnings for ops a microcontroller runtime will refuse: neither runtime (the model cannot
    run anywhere edgeq builds for), or only TFLM (use ``--runtime tflm``)."""
    from edgeq.model.support import unsupported_ops

    native = {(u.subgraph, u.index): u for u in unsupported_ops(model, "native")}
    tflm = {(u.subgraph, u.index): u for u in unsupported_ops(model, "tflm")}
    both = [native[k] for k in native if k in tflm]
    notes = []
    if both:
        listed = "; ".join(f"op {u.index} {u.name} ({tflm[(u.subgraph, u.index)].reason})" for u in both[:5])
        notes.append(f"warning: neither edgeq-micro nor TFLM runs {listed}: replace the layer that makes it "
                     f"(edgeq inspect lists the ops)")
    only_tflm = sorted({u.name for k, u in native.items() if k not in tflm})
    if only_tflm:
        notes.append(f"note: edgeq-micro does not run {', '.join(only_tflm)}; export, run and bench this model "
                     f"with --runtime tflm")
    return tuple(notes)


@dataclass(frozen=True)
class Conversion:
    """A converter's output and the checks made on it (shared by PTQ and QAT export)."""

    flatbuffer: bytes
    float_ops: tuple[FloatOp, ...]
    op_counts: tuple[tuple[str, int], ...]  # (op name, count)
    input_quant: tuple[float, int]  # (scale, zero point) of input 0
    output_quant: tuple[float, int]


def convert_checked(converter: Any, *, mode: str, allow_float: bool, label: str, advice: str) -> Conversion:
    """Run ``converter`` in this process (tf_keras QAT models) and check the result with
    :func:`check_conversion`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            flatbuffer = converter.convert()
        except Exception as exc:
            msg = " ".join(str(exc).split())[:300] or type(exc).__name__
            raise EdgeqError(f"the TFLite converter failed: {msg}") from None
    return check_conversion(flatbuffer, mode=mode, allow_float=allow_float, label=label, advice=advice)


def check_conversion(flatbuffer: bytes, *, mode: str, allow_float: bool, label: str, advice: str) -> Conversion:
    """Check a converted model is fully integer for ``mode``: unless ``allow_float``, a float op
    raises one line ``"{label} is not fully integer: <ops> ({advice})"``."""
    ir = read_model(flatbuffer)
    float_ops = find_float_ops(ir, mode)
    if float_ops and not allow_float:
        listed = "; ".join(f.describe() for f in float_ops)
        raise NotFullyIntegerError(f"{label} is not fully integer: {listed} ({advice})")
    counts: dict[str, int] = {}
    for op in ir.main.operators:
        counts[op.name] = counts.get(op.name, 0) + 1

    def qp(index: int) -> tuple[float, int]:
        q = ir.main.tensors[index].quant
        return (q.scale[0], q.zero_point[0]) if q else (0.0, 0)

    return Conversion(flatbuffer, tuple(float_ops), tuple(counts.items()),
                      qp(ir.main.inputs[0]), qp(ir.main.outputs[0]))


def quantize(
    model: Any,
    calib: np.ndarray | Sequence[np.ndarray] | str | Path,
    *,
    mode: str = "int8",
    samples: int = 200,
    allow_float: bool = False,
    float_size: bool = False,
    eval_data: str | Path | tuple | None = None,
    budget: float | None = None,
    layers: Sequence[str] | None = None,
    board: str | None = None,
    max_arena: float | None = 1.25,
) -> tuple[bytes, QuantizeReport]:
    """Full-integer post-training quantization.

    Args:
        model: a ``keras.Model``, or the path of a ``.keras``/``.h5`` file or SavedModel dir.
        calib: representative inputs (float, the model's input shape with a leading sample
            dimension; a list for several inputs), or the path of an ``.npz`` (``x``).
        mode: ``"int8"`` (int8 activations), ``"int16x8"`` (int16 activations, int8 weights)
            or ``"mixed"`` (int16x8 only for the ops that need it, see :mod:`edgeq.mixed`:
            chosen on ``eval_data`` to ``budget`` points of the float model's accuracy, or
            the ``layers`` named; ``report.mixed`` holds what it chose and measured;
            ``board``: also measure instructions on that board; ``max_arena``: the chosen set's
            edgeq-micro arena at most this many times the int8 model's, None for no cap).
        eval_data: mode "mixed": an ``.npz`` (``x``, labels ``y``) or a tuple ``(x, y)``.
        samples: how many calibration samples; a fixed-seed subset when more are given.
        allow_float: return a model even if some ops stayed float (they are listed in the
            report); otherwise such a model raises :class:`NotFullyIntegerError`.
        float_size: also convert without quantization, for ``report.float_bytes``.

    Returns:
        ``(tflite_bytes, report)``; input and output tensors are int8 (int16 for int16x8)
        and weights per-channel where TFLite supports it.
    """
    if mode == "mixed":
        return _quantize_mixed(model, calib, samples=samples, eval_data=eval_data, budget=budget, layers=layers,
                               board=board, max_arena=max_arena)
    if mode not in MODES:
        raise EdgeqError(f"mode must be one of {', '.join(MODES)} or mixed, not {mode!r}")
    if samples < 1:
        raise EdgeqError("samples must be at least 1")
    if isinstance(model, (str, Path)):
        model = load_keras_model(model)
    _silence_tf()
    model, notes = rewrite.for_conversion(model)
    xs = _calib_arrays(calib)
    _silence_tf()
    shapes = _input_shapes(model)
    if len(xs) != len(shapes):
        raise DataError(f"the model has {len(shapes)} inputs but the calibration data has {len(xs)} arrays")
    for i, (x, shape) in enumerate(zip(xs, shapes)):
        if tuple(x.shape[1:]) != shape:
            raise DataError(
                f"calibration input {i} has shape {tuple(x.shape)}; the model wants (N, {', '.join(map(str, shape))})"
            )
        if not np.issubdtype(np.asarray(x).dtype, np.floating):
            lo, hi = (int(np.min(x)), int(np.max(x))) if np.asarray(x).size else (0, 0)
            raise DataError(
                f"calibration input {i} is {np.asarray(x).dtype} ({lo}..{hi}): give the float values the Keras "
                f"model takes (e.g. x / 255.0 if it was trained on that), as float32 -- as qat requires too")
        if not np.all(np.isfinite(np.asarray(x, dtype=np.float32))):
            raise DataError(f"calibration input {i} holds NaN or infinite values")
    chosen = _pick_samples(xs, samples)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="edgeq-ptq-") as tmp:
        saved = _saved_model_dir(model, [tuple(x.shape[1:]) for x in chosen], Path(tmp))
        names = None if isinstance(model, Path) else keras_io_names(model)
        float_bytes = None
        for attempt in range(_CONVERT_ATTEMPTS):
            flatbuffer = convert_worker.convert(saved, mode, Path(tmp), chosen, input_names=names and names[0],
                                                also_float=float_size)
            if float_size:
                flatbuffer, float_fb = flatbuffer
                float_bytes = len(float_fb)
            if names:
                flatbuffer = signature.reorder_io(flatbuffer, *names)
            ir = read_model(flatbuffer)
            if not _dead_split_left_float(ir, mode):
                break
            log.info("attempt %d left a SPLIT with an unused output in float; converting again", attempt + 1)
        conv = check_conversion(
            flatbuffer, mode=mode, allow_float=allow_float, label="the converted model",
            advice="nothing written; pass --allow-float to keep it anyway",
        )
    seconds = time.perf_counter() - start
    flatbuffer = conv.flatbuffer
    notes += runtime_warnings(ir)
    report = QuantizeReport(
        mode=mode,
        samples=chosen[0].shape[0],
        int8_bytes=len(flatbuffer),
        seconds=seconds,
        float_ops=conv.float_ops,
        op_counts=conv.op_counts,
        input_quant=conv.input_quant,
        output_quant=conv.output_quant,
        notes=notes,
        float_bytes=float_bytes,
    )
    log.info("quantized (%s) in %.1f s: %d bytes", mode, seconds, len(flatbuffer))
    return flatbuffer, report


def _calib_arrays(calib) -> list[np.ndarray]:
    """Calibration inputs as a list of arrays: an ``.npz`` path (``x``), one array, or several."""
    if isinstance(calib, (str, Path)):
        return read_npz(calib)[0]
    if isinstance(calib, np.ndarray):
        return [calib]
    return [np.asarray(c) for c in calib]


def _quantize_mixed(model: Any, calib, *, samples: int, eval_data, budget, layers, board,
                    max_arena) -> tuple[bytes, QuantizeReport]:
    """Mode "mixed" (:func:`quantize`): two conversions spliced by :mod:`edgeq.mixed`."""
    from edgeq import mixed
    from edgeq.harness import metrics

    if isinstance(model, (str, Path)):
        model = load_keras_model(model)
    _silence_tf()
    model, notes = rewrite.for_conversion(model)
    xs = _calib_arrays(calib)
    ev_xs, target = None, None
    if eval_data is not None:
        if isinstance(eval_data, (str, Path)):
            ev_xs = read_npz(eval_data)[0]
            n_out = len(model.outputs) if hasattr(model, "outputs") else 1
            sizes = [int(np.prod(o.shape[1:])) for o in model.outputs] if hasattr(model, "outputs") else [0]
            target = metrics.load_targets(eval_data, int(ev_xs[0].shape[0]), sizes, [""] * n_out)[0]
        else:
            x, y = eval_data
            ev_xs = [np.asarray(x)] if isinstance(x, np.ndarray) else [np.asarray(a) for a in x]
            y = np.asarray(y)
            target = metrics.Target(classes=y.astype(np.int64)) if y.dtype.kind in "iu" else metrics.Target(values=y)
    start = time.perf_counter()
    flatbuffer, rep, (rep8, _rep16) = mixed.quantize_mixed(model, xs, ev_xs, target, budget=budget, layers=layers,
                                                           samples=samples, board=board, max_arena=max_arena)
    ir = read_model(flatbuffer)
    conv = check_conversion(flatbuffer, mode="mixed", allow_float=False, label="the mixed model",
                            advice="nothing written")
    report = replace(rep8, mode="mixed", int8_bytes=len(flatbuffer), seconds=time.perf_counter() - start,
                     op_counts=conv.op_counts, notes=tuple(dict.fromkeys(notes + rep8.notes + runtime_warnings(ir))),
                     mixed=rep)
    return flatbuffer, report


def float_tflite(model: Any, shapes: list[tuple[int, ...]]) -> bytes:
    """The same model converted without quantization (the float baseline for sizes)."""
    with tempfile.TemporaryDirectory(prefix="edgeq-float-") as tmp:
        return convert_worker.convert(_saved_model_dir(model, shapes, Path(tmp)), "float", Path(tmp))


def predict_float_all(model: Any, xs: Sequence[np.ndarray], batch_size: int = 256) -> list[np.ndarray]:
    """Every float model output for all samples, in Keras' order (a SavedModel: by key)."""
    xs = [np.asarray(x, dtype=np.float32) for x in xs]
    if isinstance(model, Path):
        import tensorflow as tf

        sig = tf.saved_model.load(str(model)).signatures["serving_default"]
        names = sorted(sig.structured_input_signature[1])
        outs: dict[str, list] = {}
        for s in range(0, xs[0].shape[0], batch_size):
            res = sig(**{n: tf.constant(x[s : s + batch_size]) for n, x in zip(names, xs)})
            for k in sorted(res):
                outs.setdefault(k, []).append(np.asarray(res[k]))
        return [np.concatenate(v) for v in outs.values()]
    out = model.predict(xs if len(xs) > 1 else xs[0], batch_size=batch_size, verbose=0)
    if isinstance(out, dict):
        return [np.asarray(v) for v in out.values()]
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


def predict_float(model: Any, xs: Sequence[np.ndarray], batch_size: int = 256) -> np.ndarray:
    """Float model outputs (output 0) for all samples."""
    return predict_float_all(model, xs, batch_size)[0]


@dataclass(frozen=True)
class QuantizeOutcome:
    """What `edgeq quantize` produced: the file, the report, optional evaluation/layers."""

    output: Path
    report: QuantizeReport
    evaluation: Any = None  # edgeq.quant_debug.Evaluation when --eval was given
    layers: tuple = ()  # edgeq.quant_debug.LayerError rows when --report was given
    layer_report: Path | None = None


def quantize_file(
    model_path: str | Path,
    output: str | Path,
    calib_path: str | Path,
    *,
    samples: int = 200,
    mode: str = "int8",
    allow_float: bool = False,
    eval_path: str | Path | None = None,
    report_path: str | Path | None = None,
    budget: float | None = None,
    layers: Sequence[str] | None = None,
    plot_path: str | Path | None = None,
    board: str | None = None,
    max_arena: float | None = 1.25,
) -> QuantizeOutcome:
    """`edgeq quantize`: files in, files out. Checks every input before converting and
    writes each output atomically (nothing is written when a check fails)."""
    from edgeq import quant_debug
    from edgeq.report import quant as quant_report

    output = Path(output)
    if output.suffix.lower() != ".tflite":
        raise InputFileError(f"output {output} should end in .tflite")
    if mode != "mixed" and (budget is not None or layers is not None or plot_path is not None or board is not None):
        raise EdgeqError("--budget, --layers, --max-arena, --plot and --target go with --mode mixed")
    if mode == "mixed":
        return _quantize_mixed_file(model_path, output, calib_path, samples=samples, eval_path=eval_path,
                                    report_path=report_path, budget=budget, layers=layers, plot_path=plot_path,
                                    board=board, max_arena=max_arena)
    if report_path is not None and mode != "int8":
        # TF's QuantizationDebugger quantizes its debug model as int8 only, and its int16
        # path builds asymmetric int16 activations its own kernels reject (TF 2.21).
        raise EdgeqError("--report (per-layer error) supports --mode int8 only; run it on the int8 model to find sensitive layers")
    if report_path is not None and Path(report_path).suffix.lower() not in (".md", ".json"):
        raise InputFileError(f"--report {report_path} should end in .md or .json")
    for p in (output, *( [Path(report_path)] if report_path else [])):
        if not p.parent.exists():
            raise InputFileError(f"{p.parent}: output directory does not exist")
    xs, _ = read_npz(calib_path)
    ev_xs = read_npz(eval_path)[0] if eval_path is not None else None
    model, notes = rewrite.for_conversion(load_keras_model(model_path))

    flatbuffer, report = quantize(model, xs, mode=mode, samples=samples, allow_float=allow_float,
                                  float_size=eval_path is not None)
    report = replace(report, notes=notes + report.notes)

    evaluation = None
    if ev_xs is not None:
        from edgeq.harness import metrics
        from edgeq.model.signature import io_names

        ir = read_model(flatbuffer)
        sizes = [metrics.sample_size(ir.main.tensors[i].shape) for i in ir.main.outputs]
        targets = metrics.load_targets(eval_path, int(ev_xs[0].shape[0]), sizes, io_names(flatbuffer)[1],
                                       [ir.main.tensors[i].dtype in ("INT32", "INT64") for i in ir.main.outputs])
        evaluation = quant_debug.evaluate(model, flatbuffer, ev_xs, targets, float_bytes=report.float_bytes)
    layers: list = []
    if report_path is not None:
        layers = quant_debug.layer_errors_for(model, _pick_samples(xs, samples), mode)
    # Outputs only after every step succeeded.
    write_atomic(output, flatbuffer)
    if report_path is not None:
        write_atomic(report_path, quant_report.layer_report(Path(report_path), layers, report).encode())
    return QuantizeOutcome(output, report, evaluation, tuple(layers), Path(report_path) if report_path else None)


def _quantize_mixed_file(model_path, output, calib_path, *, samples, eval_path, report_path, budget, layers,
                         plot_path, board, max_arena) -> QuantizeOutcome:
    """`edgeq quantize --mode mixed`: the mixed model, and its report (.json / .md) and plot."""
    from edgeq.report import quant as quant_report

    output = Path(output)
    for p, exts in ((report_path, (".md", ".json")), (plot_path, (".png",))):
        if p is not None and Path(p).suffix.lower() not in exts:
            raise InputFileError(f"{p} should end in {' or '.join(exts)}")
    for p in (output, report_path, plot_path):
        if p is not None and not Path(p).parent.exists():
            raise InputFileError(f"{Path(p).parent}: output directory does not exist")
    if eval_path is None and not layers:
        raise EdgeqError("--mode mixed needs --eval DATA.npz (labels or float targets for output 0) to choose the "
                         "int16 layers, or --layers naming them")
    flatbuffer, report = quantize(model_path, calib_path, mode="mixed", samples=samples, eval_data=eval_path,
                                  budget=budget, layers=layers, board=board, max_arena=max_arena)
    png = quant_report.mixed_plot(report.mixed) if plot_path is not None else None
    write_atomic(output, flatbuffer)
    if report_path is not None:
        text = (json.dumps(report.mixed.as_json(), indent=2) + "\n" if Path(report_path).suffix.lower() == ".json"
                else quant_report.mixed_markdown(report.mixed))
        write_atomic(report_path, text.encode())
    if png is not None:
        write_atomic(plot_path, png)
    return QuantizeOutcome(output, report, None, (), Path(report_path) if report_path else None)
