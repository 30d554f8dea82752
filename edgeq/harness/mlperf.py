"""MLPerf Tiny benchmark ids and what the reference submissions do with each one's data.

The MLCommons runner (mlcommons/tiny ``benchmark/runner``) picks its test script by the
model id a device answers in ``m-model-[...]`` and sends each benchmark's data as the
reference firmware expects it; the reference ``th_load_tensor`` / ``th_results`` turn it
into the model's input and the printed result. edgeq's firmware does the same when built
with a model id (``edgeq serve --model-id``), and this module holds both sides of it:

* the template context for the firmware (:func:`dut_profile`);
* the same computations on the host (:func:`preprocess`, :func:`ad_score`,
  :func:`format_result`), so that what the runner reads can be checked against
  ``edgeq run --target host`` exactly.

Per benchmark (semantics read from the reference submissions; the code is edgeq's):

* ``kws01``: the bytes are the int8 input tensor, as sent.
* ``ic01``, ``vww01``: the bytes are uint8 pixels; the input is ``pixel - 128`` as int8.
* ``ad01``: the bytes are float32 feature values (a 640-value window); the device
  quantizes them with the input tensor's scale and zero point (float division, rounded
  half away from zero, clamped to int8) and prints one result: the mean of the squared
  differences between the dequantized output and the float input (the autoencoder's
  reconstruction error, the anomaly score).
* ``sww01``: refused: it streams audio over I2S from the runner's interface board and
  reports detections on a GPIO pin, neither of which an emulated MPS2 board has.

Every result prints as C's ``%0.3f`` does (correctly rounded, ties to even).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeq.errors import UsageError


@dataclass(frozen=True)
class Benchmark:
    model_id: str
    title: str
    input: str  # "int8" (as sent), "uint8" (pixel - 128), "float32" (quantized on the device)
    result: str  # "outputs" (dequantized) or "ad_score"


BENCHMARKS = {
    "kws01": Benchmark("kws01", "keyword spotting", "int8", "outputs"),
    "vww01": Benchmark("vww01", "visual wake words", "uint8", "outputs"),
    "ic01": Benchmark("ic01", "image classification", "uint8", "outputs"),
    "ad01": Benchmark("ad01", "anomaly detection", "float32", "ad_score"),
}
REFUSED = {
    "sww01": "sww01 (streaming wake word) streams audio over I2S from the runner's interface board and "
             "reports detections on a GPIO pin; an emulated MPS2 board has neither, so edgeq cannot serve it",
}
ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def benchmark(model_id: str | None) -> Benchmark | None:
    """The MLPerf Tiny benchmark ``model_id`` names (None: not one of them)."""
    if model_id in REFUSED:
        raise UsageError(REFUSED[model_id])
    return BENCHMARKS.get(model_id or "")


def check_model_id(model_id: str) -> None:
    if not model_id or len(model_id) > 40 or not set(model_id) <= ID_CHARS:
        raise UsageError(f"--model-id {model_id!r}: use 1 to 40 letters, digits, '.', '_' or '-' "
                         f"(MLPerf Tiny ids: {', '.join(BENCHMARKS)})")


def dut_profile(model_id: str, inputs, outputs) -> dict:
    """Template context for ``firmware_templates/app/main.c.j2``: the id ``m-model-[...]``
    answers and, for an MLPerf Tiny id, the reference's input and result handling. Models
    that do not fit the benchmark's handling are refused (UsageError naming why)."""
    from edgeq.ops._common import c_float

    check_model_id(model_id)
    bench = benchmark(model_id)
    ctx = {"model_id": model_id, "input": "raw", "result": "outputs"}
    if bench is None:
        return ctx
    if len(inputs) != 1 or len(outputs) != 1:
        raise UsageError(f"--model-id {model_id}: the model has {len(inputs)} inputs and {len(outputs)} outputs; "
                         f"MLPerf Tiny's {bench.title} model has one of each")
    spec_in, spec_out = inputs[0], outputs[0]
    if bench.input != "int8" or bench.result != "outputs":
        if spec_in.dtype != "INT8" or spec_in.scale is None:
            raise UsageError(f"--model-id {model_id}: the reference handling needs an int8 input, "
                             f"the model's is {spec_in.dtype.lower()}")
    if bench.input == "uint8":
        ctx["input"] = "uint8"
    elif bench.input == "float32":
        ctx.update(input="float32", in_scale=c_float(spec_in.scale), in_zero_point=int(spec_in.zero_point))
    if bench.result == "ad_score":
        n_in = int(np.prod(spec_in.shape))
        n_out = int(np.prod(spec_out.shape))
        if spec_out.dtype != "INT8" or spec_out.scale is None or n_out != n_in:
            raise UsageError(f"--model-id {model_id}: the anomaly score compares an int8 output with the input "
                             f"value by value; the model maps {n_in} values to {n_out} "
                             f"{spec_out.dtype.lower()} values")
        ctx.update(result="ad_score", out_scale=c_float(spec_out.scale), out_zero_point=int(spec_out.zero_point),
                   score_count=n_in)
    return ctx


def db_bytes(bench: Benchmark | None, spec_in) -> int:
    """How many bytes the runner sends for one input (``db load N``)."""
    n = int(np.prod(spec_in.shape))
    return 4 * n if bench is not None and bench.input == "float32" else n * spec_in.numpy_dtype.itemsize


def _round_half_away(x: np.ndarray) -> np.ndarray:
    t = np.trunc(x)
    d = x - t  # exact for float32
    return np.where(d >= 0.5, t + 1, np.where(d <= -0.5, t - 1, t))


def quantize_input(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """The reference ``QuantizeFloatToInt8``: float32 division by the scale, rounded half
    away from zero, plus the zero point, clamped to int8."""
    r = np.asarray(values, np.float32) / np.float32(scale)
    with np.errstate(invalid="ignore"):
        q = np.clip(_round_half_away(np.clip(r, -1e4, 1e4)), -1e4, 1e4).astype(np.int64) + int(zero_point)
    return np.clip(q, -128, 127).astype(np.int8)


def preprocess(bench: Benchmark | None, data: bytes, spec_in) -> np.ndarray:
    """The model input (one sample, the tensor's shape) the device makes of ``data``."""
    shape = tuple(spec_in.shape[1:]) if len(spec_in.shape) > 1 else tuple(spec_in.shape)
    if bench is None or bench.input == "int8":
        return np.frombuffer(data, dtype=spec_in.numpy_dtype).reshape(shape)
    if bench.input == "uint8":
        return (np.frombuffer(data, dtype=np.uint8).astype(np.int16) - 128).astype(np.int8).reshape(shape)
    values = np.frombuffer(data, dtype="<f4")
    return quantize_input(values, spec_in.scale, spec_in.zero_point).reshape(shape)


def ad_score(output: np.ndarray, data: bytes, spec_out) -> np.float32:
    """The reference anomaly score in float32 arithmetic, in the device's order: the mean of
    (dequantized output - float input)^2, summed one value after another."""
    x = np.frombuffer(data, dtype="<f4")
    deq = (output.reshape(-1).astype(np.int32) - int(spec_out.zero_point)).astype(np.float32) * np.float32(spec_out.scale)
    diff = (deq - x).astype(np.float32)
    sq = (diff * diff).astype(np.float32)
    total = np.float32(0.0)
    for v in sq:  # sequential float32 sum, as the firmware's loop
        total = np.float32(total + v)
    return np.float32(total / np.float32(len(x)))


def result_values(bench: Benchmark | None, outputs, data: bytes, specs_out) -> list[float]:
    """What ``m-results-[...]`` holds for these raw outputs (float32 values before printing)."""
    if bench is not None and bench.result == "ad_score":
        return [float(ad_score(outputs[0], data, specs_out[0]))]
    values = []
    for out, spec in zip(outputs, specs_out):
        flat = np.asarray(out).reshape(-1)
        if spec.scale is None:
            values += [float(np.float32(v)) for v in flat]
        else:
            deq = (flat.astype(np.int32) - int(spec.zero_point)).astype(np.float32) * np.float32(spec.scale)
            values += [float(v) for v in deq]
    return values


def format_result(values) -> str:
    """``m-results-[...]`` as the device prints it (each value as C's ``%0.3f``)."""
    return "m-results-[" + ",".join("%0.3f" % v for v in values) + "]"


def runner_inputs(records: list[dict], dataset_dir: str | Path) -> list[tuple[str, bytes]]:
    """The bytes the runner sent before each inference in its ``results.json`` records:
    the whole file, or for ad01 the window of each segment in turn (``bytes_to_send`` bytes
    every ``stride``), in the order the runner loaded them."""
    dataset_dir = Path(dataset_dir)
    seen: dict[str, int] = {}
    sent = []
    for rec in records:
        if "infer" not in rec or "file" not in rec:
            continue
        data = (dataset_dir / rec["file"]).read_bytes()
        if rec.get("bytes_to_send"):
            k = seen.get(rec["file"], 0)
            seen[rec["file"]] = k + 1
            size, stride = int(rec["bytes_to_send"]), int(rec["stride"])
            data = data[k * stride:k * stride + size]
        sent.append((rec["file"], data))
    return sent


def check_runner_results(results_json: str | Path, dataset_dir: str | Path, model_path: str | Path,
                         model_id: str) -> tuple[int, list[str]]:
    """Every result vector the runner read (its session's ``results.json``) against
    ``edgeq run --target host`` on the same data after the reference's preprocessing, as the
    device prints them (``%0.3f``). Returns the number compared and the mismatches."""
    import json

    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness import hostrun
    from edgeq.model.reader import read_model

    bench = benchmark(model_id)
    records = json.loads(Path(results_json).read_text())
    sent = runner_inputs(records, dataset_dir)
    specs_in, specs_out = io_specs(read_model(model_path))
    x = np.stack([preprocess(bench, data, specs_in[0]) for _, data in sent])
    _, outs = hostrun.run_native(model_path, [x])
    results = [rec["infer"]["results"] for rec in records if "infer" in rec and "file" in rec]
    bad = []
    for i, ((name, data), got) in enumerate(zip(sent, results)):
        want = result_values(bench, [o[i] for o in outs], data, specs_out)
        want = [float("%0.3f" % v) for v in want]
        if want != list(got):
            bad.append(f"{name} (record {i}): runner read {got}, host gives {want}")
    return len(sent), bad
