"""Where an int8 model loses precision, and what it costs end to end.

* :func:`layer_errors` — for every quantized op output, the error of the int8 computation
  against the float computation of the same op on the same (dequantized) inputs, from TF's
  ``QuantizationDebugger``; expressed in units of the output's quantization step
  (RMSE / scale: ~0.29 is the floor of pure rounding noise), sorted worst first.
* :func:`evaluate` — float vs int8 accuracy (int8 on the TFLM interpreter) and top-1
  agreement on labelled data.
"""

from __future__ import annotations

import io
import logging
import math
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from edgeq.errors import DataError, EdgeqError

log = logging.getLogger(__name__)

# RMSE of uniform rounding noise, in quantization steps: 1/sqrt(12).
ROUNDING_FLOOR = 1 / math.sqrt(12)


@dataclass(frozen=True)
class LayerError:
    """Error of one op's quantized output, in units of its quantization scale."""

    op: str
    tensor: str
    elements: int
    scale: float
    zero_point: int
    rmse_over_scale: float
    max_abs_over_scale: float
    mean_error_over_scale: float


@dataclass(frozen=True)
class Evaluation:
    """Float vs int8 on evaluation data. The accuracy fields are those of the first
    classification output (None when the model has none); ``outputs``: one
    ``(float Score, int8 Score)`` pair an output, in Keras' order (``edgeq.harness.metrics``)."""

    samples: int
    float_accuracy: float | None
    int8_accuracy: float | None
    top1_agreement: float | None
    float_bytes: int
    int8_bytes: int
    outputs: tuple = ()


def layer_errors(converter: Any, calib: Sequence[np.ndarray]) -> list[LayerError]:
    """Per-op quantization error from ``tf.lite.experimental.QuantizationDebugger``.

    ``converter`` is set up as for the real conversion (see ``edgeq.ptq.make_converter``);
    ``calib`` supplies the debug samples. Sorted worst (largest RMSE/scale) first."""
    import tensorflow as tf

    n = calib[0].shape[0]

    def dataset():
        for i in range(n):
            yield [np.asarray(x[i : i + 1], dtype=np.float32) for x in calib]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            debugger = tf.lite.experimental.QuantizationDebugger(converter=converter, debug_dataset=dataset)
            debugger.run()
        except Exception as exc:
            msg = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise EdgeqError(f"per-layer error report failed in TF's QuantizationDebugger: {msg}") from None
    buf = io.StringIO()
    debugger.layer_statistics_dump(buf)
    import csv

    rows = []
    for r in csv.DictReader(io.StringIO(buf.getvalue())):
        scale = float(r["scale"])
        if not scale:
            continue

        def steps(v: str) -> float:
            return float(v) / scale

        rows.append(
            LayerError(
                op=r["op_name"],
                tensor=r["tensor_name"],
                elements=int(float(r["num_elements"])),
                scale=scale,
                zero_point=int(float(r["zero_point"])),
                rmse_over_scale=math.sqrt(max(float(r["mean_squared_error"]), 0.0)) / scale,
                max_abs_over_scale=steps(r["max_abs_error"]),
                mean_error_over_scale=steps(r["mean_error"]),
            )
        )
    rows.sort(key=lambda e: e.rmse_over_scale, reverse=True)
    return rows


def evaluate(
    model: Any,
    tflite: bytes,
    xs: Sequence[np.ndarray],
    y: np.ndarray | Sequence[Any] | None,
    *,
    float_bytes: int,
) -> Evaluation:
    """Float (Keras / SavedModel) vs int8 (the TFLM interpreter) on evaluation data.

    ``y``: class indices for a single output, or one :class:`edgeq.harness.metrics.Target` an
    output (``metrics.load_targets``); outputs without labels are scored against the float
    model's outputs."""
    from edgeq.harness import metrics
    from edgeq.harness.oracle import TflmReference
    from edgeq.model.signature import io_names
    from edgeq.ptq import predict_float_all

    n = xs[0].shape[0]
    floats = [np.asarray(o, np.float64).reshape(n, -1) for o in predict_float_all(model, xs)]
    ref = TflmReference(tflite)
    raw = ref.run(*[np.asarray(x, dtype=np.float32) for x in xs])
    if len(raw) != len(floats):
        raise DataError(f"the float model has {len(floats)} outputs, the int8 model {len(raw)}")
    if y is None:
        targets = [metrics.Target() for _ in floats]
    elif isinstance(y, np.ndarray):
        if y.shape[0] != n:
            raise DataError(f"evaluation data has {n} inputs but {y.shape[0]} labels")
        if floats[0].shape[1] < 2:
            raise DataError(f"accuracy needs a classifier output of shape (N, classes); the model gives "
                            f"{floats[0].shape}: give float targets, or no labels to compare with the float model")
        if int(y.max()) >= floats[0].shape[1] or int(y.min()) < 0:
            raise DataError(f"labels must be class indices in 0..{floats[0].shape[1] - 1}")
        targets = [metrics.Target(classes=y)] + [metrics.Target() for _ in floats[1:]]
    else:
        targets = list(y)
    names = [nm or f"output {i}" for i, nm in enumerate(io_names(tflite)[1])]
    pairs = []
    agreement = None
    for i, (f, t) in enumerate(zip(floats, targets)):
        q = metrics.dequantize(raw[i], *ref.output_quant(i)).reshape(n, -1)
        fs = metrics.score(i, names[i], f, t)
        qs = metrics.score(i, names[i], q, t, reference=f)
        pairs.append((fs, qs))
        if agreement is None and t.classes is not None:
            agreement = float(np.mean(f.argmax(axis=1) == q.argmax(axis=1)))
    first = next((p for p in pairs if p[0].accuracy is not None), None)
    return Evaluation(
        samples=int(n),
        float_accuracy=first[0].accuracy if first else None,
        int8_accuracy=first[1].accuracy if first else None,
        top1_agreement=agreement,
        float_bytes=float_bytes,
        int8_bytes=len(tflite),
        outputs=tuple(pairs),
    )


def layer_errors_for(model: Any, calib: Sequence[np.ndarray], mode: str) -> list[LayerError]:
    """Convenience: build the converter as `edgeq.ptq` does and run :func:`layer_errors`."""
    from edgeq.ptq import make_converter

    with tempfile.TemporaryDirectory(prefix="edgeq-debug-") as tmp:
        converter = make_converter(model, list(calib), mode, Path(tmp), integer_io=False)
        return layer_errors(converter, calib)
