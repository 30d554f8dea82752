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
    samples: int
    float_accuracy: float
    int8_accuracy: float
    top1_agreement: float
    float_bytes: int
    int8_bytes: int


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
    y: np.ndarray,
    *,
    float_bytes: int,
) -> Evaluation:
    """Float accuracy (Keras / SavedModel) vs int8 accuracy on the TFLM interpreter."""
    from edgeq.harness.oracle import TflmReference
    from edgeq.ptq import predict_float

    if xs[0].shape[0] != y.shape[0]:
        raise DataError(f"evaluation data has {xs[0].shape[0]} inputs but {y.shape[0]} labels")
    float_out = predict_float(model, xs)
    if float_out.ndim != 2:
        raise DataError(f"accuracy needs a classifier output of shape (N, classes); the model gives {float_out.shape}")
    int8_out = TflmReference(tflite).run(*[np.asarray(x, dtype=np.float32) for x in xs])[0]
    int8_out = int8_out.reshape(int8_out.shape[0], -1)
    if int(y.max()) >= float_out.shape[1] or int(y.min()) < 0:
        raise DataError(f"labels must be class indices in 0..{float_out.shape[1] - 1}")
    f_pred = float_out.argmax(axis=1)
    q_pred = int8_out.argmax(axis=1)  # scale > 0: argmax of raw int8 = argmax of real values
    return Evaluation(
        samples=int(y.shape[0]),
        float_accuracy=float(np.mean(f_pred == y)),
        int8_accuracy=float(np.mean(q_pred == y)),
        top1_agreement=float(np.mean(f_pred == q_pred)),
        float_bytes=float_bytes,
        int8_bytes=len(tflite),
    )


def layer_errors_for(model: Any, calib: Sequence[np.ndarray], mode: str) -> list[LayerError]:
    """Convenience: build the converter as `edgeq.ptq` does and run :func:`layer_errors`."""
    from edgeq.ptq import make_converter

    with tempfile.TemporaryDirectory(prefix="edgeq-debug-") as tmp:
        converter = make_converter(model, list(calib), mode, Path(tmp), integer_io=False)
        return layer_errors(converter, calib)
