"""Post-training quantization: fully integer output, accuracy, refusal of float ops, CLI errors."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

keras = pytest.importorskip("keras")

from edgeq import ptq  # noqa: E402
from edgeq.errors import DataError, InputFileError, NotFullyIntegerError  # noqa: E402
from edgeq.harness.oracle import TflmReference  # noqa: E402
from edgeq.model.reader import read_model  # noqa: E402


def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(0).permutation(len(x))
    x, y = x[idx], y[idx]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def _cnn() -> "keras.Model":
    """Conv2D→BN→ReLU, DepthwiseConv2D, pooling, Flatten, Dense, Softmax: the issue's CNN."""
    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(16, 3, padding="same", use_bias=False)(inp)
    x = keras.layers.BatchNormalization(momentum=0.9)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.BatchNormalization(momentum=0.9)(x)
    x = keras.layers.ReLU(max_value=6.0)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(32, 1, activation="relu")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(10)(x)
    out = keras.layers.Softmax()(x)
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    keras.utils.set_random_seed(0)
    xtr, ytr, xte, yte = _digits()
    model = _cnn()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xtr, ytr, epochs=12, batch_size=64, verbose=0)
    d = tmp_path_factory.mktemp("ptq")
    path = d / "cnn.keras"
    model.save(path)
    np.savez(d / "calib.npz", x=xtr[:300])
    np.savez(d / "test.npz", x=xte, y=yte)
    return model, path, d, (xtr, ytr, xte, yte)


def test_quantize_is_fully_int8_and_accurate(trained):
    model, _, _, (xtr, _, xte, yte) = trained
    tfl, report = ptq.quantize(model, xtr, samples=200)
    ir = read_model(tfl)
    types = {t.dtype for t in ir.main.tensors}
    assert types <= {"INT8", "INT32"}, types
    assert ir.main.tensors[ir.main.inputs[0]].dtype == "INT8"
    assert ir.main.tensors[ir.main.outputs[0]].dtype == "INT8"
    assert report.fully_integer and report.samples == 200
    names = [op.opcode for op in ir.main.operators]
    # Batch 1 export: Flatten is a RESHAPE, no dynamic shape ops.
    assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(names), names
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"} <= set(names)
    # Per-channel conv weights by default.
    conv = next(op for op in ir.main.operators if op.opcode == "CONV_2D")
    assert ir.main.tensors[conv.inputs[1]].quant.per_channel

    float_acc = float(np.mean(model.predict(xte, verbose=0).argmax(1) == yte))
    int8_out = TflmReference(tfl).run(xte)[0]
    int8_acc = float(np.mean(int8_out.argmax(1) == yte))
    assert float_acc > 0.85, float_acc
    assert abs(float_acc - int8_acc) <= 0.015, (float_acc, int8_acc)


def test_quantize_is_deterministic(trained):
    model, _, _, (xtr, *_rest) = trained
    a, _ = ptq.quantize(model, xtr[:100], samples=50)
    b, _ = ptq.quantize(model, xtr[:100], samples=50)
    assert a == b


def test_int16x8_mode(trained):
    model, _, _, (xtr, _, xte, yte) = trained
    tfl, report = ptq.quantize(model, xtr, samples=100, mode="int16x8")
    ir = read_model(tfl)
    assert ir.main.tensors[ir.main.inputs[0]].dtype == "INT16"
    act_types = {ir.main.tensors[o].dtype for op in ir.main.operators for o in op.outputs}
    assert act_types == {"INT16"}, act_types
    assert {t.dtype for t in ir.main.tensors} <= {"INT8", "INT16", "INT32", "INT64"}
    out = TflmReference(tfl).run(xte[:100])[0]
    assert out.dtype == np.int16


def test_float_op_is_named_and_refused():
    keras.utils.set_random_seed(0)
    inp = keras.Input((16,))
    x = keras.layers.Dense(8)(inp)
    x = keras.layers.Lambda(lambda v: keras.ops.sin(v))(x)
    out = keras.layers.Dense(4)(x)
    model = keras.Model(inp, out)
    calib = np.random.default_rng(0).random((20, 16), dtype=np.float32)
    with pytest.raises(NotFullyIntegerError) as err:
        ptq.quantize(model, calib)
    msg = str(err.value)
    assert "SIN" in msg and "op 2" in msg and "--allow-float" in msg and "\n" not in msg
    tfl, report = ptq.quantize(model, calib, allow_float=True)
    assert [f.name for f in report.float_ops] == ["SIN"]
    assert read_model(tfl).main.operators


def test_bad_calibration_data(trained):
    model, *_ = trained
    with pytest.raises(DataError, match=r"shape \(5, 9, 9, 1\)"):
        ptq.quantize(model, np.zeros((5, 9, 9, 1), np.float32))
    with pytest.raises(DataError, match="NaN"):
        ptq.quantize(model, np.full((5, 8, 8, 1), np.nan, np.float32))
    with pytest.raises(InputFileError, match="no such file"):
        ptq.quantize("/nonexistent/m.keras", np.zeros((5, 8, 8, 1), np.float32))


def test_model_formats_h5_and_savedmodel(trained, tmp_path):
    model, _, d, (xtr, *_r) = trained
    h5 = tmp_path / "m.h5"
    model.save(h5)
    a, _ = ptq.quantize(h5, xtr[:50], samples=50)
    sm = tmp_path / "sm"
    model.export(str(sm), format="tf_saved_model", verbose=False)
    b, _ = ptq.quantize(sm, xtr[:50], samples=50)
    for tfl in (a, b):
        ir = read_model(tfl)
        assert {t.dtype for t in ir.main.tensors} <= {"INT8", "INT32"}
        assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & {op.opcode for op in ir.main.operators}


def test_cli_quantize_eval_and_report(trained, edgeq_cmd, tmp_path):
    _, path, d, _ = trained
    out = tmp_path / "q.tflite"
    rep = tmp_path / "layers.json"
    proc = subprocess.run(
        [edgeq_cmd, "quantize", str(path), "-o", str(out), "--calib", str(d / "calib.npz"),
         "--samples", "100", "--eval", str(d / "test.npz"), "--report", str(rep)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "accuracy" in proc.stdout and "TFLM" in proc.stdout and "top-1 agreement" in proc.stdout
    assert read_model(out).main.operators
    layers = json.loads(rep.read_text())["layers"]
    assert layers and all(a["rmse_over_scale"] >= b["rmse_over_scale"] for a, b in zip(layers, layers[1:]))
    assert {"CONV_2D", "FULLY_CONNECTED"} <= {layer["op"] for layer in layers}


@pytest.mark.parametrize(
    "case",
    ["missing_model", "tflite_as_model", "no_x", "bad_shape", "no_outdir", "eval_bad_labels", "bad_mode", "report16"],
)
def test_cli_errors_are_one_line_and_write_nothing(case, trained, edgeq_cmd, tmp_path):
    _, path, d, _ = trained
    out = tmp_path / "q.tflite"
    args = [str(path), "-o", str(out), "--calib", str(d / "calib.npz")]
    if case == "missing_model":
        args[0] = str(tmp_path / "nope.keras")
    elif case == "tflite_as_model":
        args[0] = str(tmp_path / "x.tflite")
        (tmp_path / "x.tflite").write_bytes(b"TFL3")
    elif case == "no_x":
        np.savez(tmp_path / "c.npz", data=np.zeros((3, 8, 8, 1)))
        args[4] = str(tmp_path / "c.npz")
    elif case == "bad_shape":
        np.savez(tmp_path / "c.npz", x=np.zeros((3, 28, 28, 1), np.float32))
        args[4] = str(tmp_path / "c.npz")
    elif case == "no_outdir":
        out = tmp_path / "missing_dir" / "q.tflite"
        args[2] = str(out)
    elif case == "eval_bad_labels":  # (an --eval file without labels is scored against the float model)
        with np.load(d / "calib.npz") as z:
            np.savez(tmp_path / "e.npz", x=z["x"], y=np.full(len(z["x"]), 99))
        args += ["--eval", str(tmp_path / "e.npz")]
    elif case == "bad_mode":
        args += ["--mode", "int4"]
    elif case == "report16":
        args += ["--mode", "int16x8", "--report", str(tmp_path / "r.md")]
    proc = subprocess.run([edgeq_cmd, "quantize", *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".q.tflite.*")), "temp file left behind"


def test_cli_samples_above_the_data_says_so(trained, edgeq_cmd, tmp_path):
    """--samples above what the calibration file holds: all of it is used, and a note says so
    (issue 17, point 9: it was capped silently)."""
    _, path, d, _ = trained
    out = tmp_path / "q.tflite"
    proc = subprocess.run([edgeq_cmd, "quantize", str(path), "-o", str(out), "--calib", str(d / "calib.npz"),
                           "--samples", "1000"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "note: --samples 1000, but" in proc.stderr and "calibrated on all 300" in proc.stderr, proc.stderr
    assert out.is_file()


def test_integer_calibration_data_is_refused(trained, edgeq_cmd, tmp_path):
    """uint8 images (0..255) for a model trained on floats were taken as floats 0..255 without
    a word (issue 17, point 8); now refused in one line, as qat refuses them."""
    _, path, d, (xtr, _, _, _) = trained
    np.savez(tmp_path / "u8.npz", x=np.clip(xtr[:50] * 255, 0, 255).astype(np.uint8))
    out = tmp_path / "q.tflite"
    proc = subprocess.run([edgeq_cmd, "quantize", str(path), "-o", str(out), "--calib", str(tmp_path / "u8.npz")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "uint8" in lines[0] and "float" in lines[0], proc.stderr
    assert not out.exists()
