"""The reference: run a .tflite on the TFLM interpreter (the `tflite-micro` wheel) on the host.

Every int8 output edgeq produces is compared with what this returns, tolerance 0.
"""

from __future__ import annotations

import numpy as np

from edgeq.errors import DataError


def quantize_input(x: np.ndarray, dtype: type, scale: float, zero_point: int) -> np.ndarray:
    """Float -> the model's input type with its (scale, zero point), exactly as the CLI's npz
    inputs are quantized (:func:`edgeq.harness.npzio.quantize_array`); data already of the
    model's type is passed through unchanged (DESIGN.md npz convention)."""
    from edgeq.harness.npzio import quantize_array

    x = np.asarray(x)
    if x.dtype == dtype:
        return x
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(
            f"input data is {x.dtype}, but the model takes {np.dtype(dtype).name}: "
            f"give float data or data already in {np.dtype(dtype).name}"
        )
    if np.dtype(dtype).kind == "f":
        return x.astype(dtype)
    if scale == 0:
        raise DataError("the model's input has no quantization scale; give integer data")
    return quantize_array(x, scale, zero_point, dtype)


class TflmReference:
    """One TFLM interpreter instance for a model, reused across samples."""

    def __init__(self, model: bytes, arena_size: int | None = None):
        from tflite_micro.python.tflite_micro import runtime

        from edgeq.model.reader import read_model

        graph = read_model(bytes(model)).main  # validates first: TFLM does not verify models
        self._interp = runtime.Interpreter.from_bytes(bytes(model), arena_size=arena_size)
        self.inputs = [self._interp.get_input_details(i) for i in range(len(graph.inputs))]
        self.outputs = [self._interp.get_output_details(i) for i in range(len(graph.outputs))]

    def input_quant(self, i: int = 0) -> tuple[type, float, int]:
        d = self.inputs[i]
        qp = d["quantization_parameters"]
        scale = float(qp["scales"][0]) if len(qp["scales"]) else 0.0
        zp = int(qp["zero_points"][0]) if len(qp["zero_points"]) else 0
        return d["dtype"], scale, zp

    def output_quant(self, i: int = 0) -> tuple[float, int]:
        """(scale, zero point) of output ``i`` ((0.0, 0) for a float output)."""
        qp = self.outputs[i]["quantization_parameters"]
        scale = float(qp["scales"][0]) if len(qp["scales"]) else 0.0
        return scale, int(qp["zero_points"][0]) if len(qp["zero_points"]) else 0

    def run(self, *xs: np.ndarray, reset_state: bool = False) -> list[np.ndarray]:
        """Run N samples (each array has the batch dimension N); returns one array of N
        outputs per model output, in the model's output type. A stateful model's state
        (variable tensors) carries from sample to sample, as in one TFLM interpreter invoked
        N times, unless ``reset_state``: then ``reset()`` clears it before each sample."""
        if len(xs) != len(self.inputs):
            raise DataError(f"the model has {len(self.inputs)} inputs, got {len(xs)} arrays")
        prepared = []
        for i, x in enumerate(xs):
            dtype, scale, zp = self.input_quant(i)
            want = tuple(int(d) for d in self.inputs[i]["shape"][1:])
            x = np.asarray(x)
            if tuple(x.shape[1:]) != want:
                raise DataError(f"input {i} has shape {tuple(x.shape)}; the model wants (N, {', '.join(map(str, want))})")
            prepared.append(quantize_input(x, dtype, scale, zp))
        n = prepared[0].shape[0]
        outs: list[list[np.ndarray]] = [[] for _ in self.outputs]
        for s in range(n):
            if reset_state:
                self._interp.reset()
            for i, x in enumerate(prepared):
                self._interp.set_input(x[s : s + 1], i)
            self._interp.invoke()
            for o in range(len(self.outputs)):
                outs[o].append(np.array(self._interp.get_output(o)).reshape(self.outputs[o]["shape"][1:]))
        return [np.stack(o) if o else np.zeros((0,)) for o in outs]
