"""Quantization-aware training for Keras 3: fully int8 export, scales = trained ranges,
TFLM accuracy = Keras QAT accuracy, BN folding, unsupported layers, the `edgeq qat` CLI,
and the tf_keras route (in a subprocess, skipped without the edgeq[tfkeras] extra)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

keras = pytest.importorskip("keras")

from edgeq import qat  # noqa: E402
from edgeq.errors import NotFullyIntegerError  # noqa: E402
from edgeq.harness.oracle import TflmReference  # noqa: E402
from edgeq.model.reader import read_model  # noqa: E402
from test_ptq import _digits  # noqa: E402  (the same fixed split of scikit-learn's digits)

# Ops whose int8 output carries its own range (the others keep their input's scale).
_OWN_RANGE_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MEAN", "SOFTMAX"}


def _cnn() -> "keras.Model":
    """The issue's model: Conv2D→BN→ReLU, DepthwiseConv2D(→BN→ReLU6), Add(→ReLU), max and
    average pooling, Flatten, Dense+softmax."""
    L = keras.layers
    inp = keras.Input((8, 8, 1))
    x = L.Conv2D(16, 3, padding="same", use_bias=False)(inp)
    x = L.BatchNormalization(momentum=0.9)(x)
    x = L.ReLU()(x)
    y = L.DepthwiseConv2D(3, padding="same")(x)
    y = L.BatchNormalization(momentum=0.9)(y)
    y = L.ReLU(max_value=6.0)(y)
    x = L.ReLU()(L.Add()([x, y]))
    x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(24, 1, activation="relu")(x)
    x = L.AveragePooling2D(2)(x)
    x = L.Flatten()(x)
    out = L.Dense(10, activation="softmax")(x)
    return keras.Model(inp, out)


def _compile(model, lr):
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])


@pytest.fixture(scope="module")
def data():
    return _digits()


@pytest.fixture(scope="module")
def float_model(data):
    xtr, ytr, _, _ = data
    keras.utils.set_random_seed(0)
    model = _cnn()
    _compile(model, 0.01)
    model.fit(xtr, ytr, epochs=15, batch_size=64, verbose=0)
    return model


@pytest.fixture(scope="module")
def exported(float_model, data, tmp_path_factory):
    """The issue's snippet: quantize_aware → compile → fit → export, with plain `import keras`."""
    xtr, ytr, _, _ = data
    keras.utils.set_random_seed(0)
    q = qat.quantize_aware(float_model)
    _compile(q, 5e-4)
    q.fit(xtr, ytr, epochs=3, batch_size=32, verbose=0)
    path = tmp_path_factory.mktemp("qat") / "q.tflite"
    report = qat.export(q, path)
    return q, path, report


def test_export_is_all_int8(exported):
    _, path, report = exported
    ir = read_model(path)
    assert report.fully_integer and report.path == path
    assert {t.dtype for t in ir.main.tensors} <= {"INT8", "INT32"}
    assert ir.main.tensors[ir.main.inputs[0]].dtype == "INT8"
    assert ir.main.tensors[ir.main.outputs[0]].dtype == "INT8"
    ops = [op.opcode for op in ir.main.operators]
    # BN folded, ReLUs fused: no separate MUL/ADD-for-BN, RELU or QUANTIZE ops.
    assert sorted(ops) == sorted(
        ["CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MAX_POOL_2D", "CONV_2D", "AVERAGE_POOL_2D", "RESHAPE",
         "FULLY_CONNECTED", "SOFTMAX"]
    ), ops
    for op in ir.main.operators:
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            w = ir.main.tensors[op.inputs[1]]
            assert w.dtype == "INT8" and set(w.quant.zero_point) == {0}
            assert np.frombuffer(w.data, np.int8).min() >= -127  # narrow range: symmetric
            channels = w.shape[3] if op.opcode == "DEPTHWISE_CONV_2D" else w.shape[0]
            # Conv: per-channel; Dense: per-tensor (what TF 2.21 converts a fake-quant MatMul to).
            assert len(w.quant.scale) == (1 if op.opcode == "FULLY_CONNECTED" else channels)
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            assert op.options.get("fused_activation_function") in ("RELU", "RELU6", "NONE")
    never_keras3 = "tensorflow_model_optimization" not in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1"
    assert never_keras3, "the Keras 3 path must never import tfmot"


def test_tflm_accuracy_matches_keras_and_float(exported, float_model, data):
    q, path, _ = exported
    _, _, xte, yte = data
    f_acc = qat.keras_accuracy(float_model, xte, yte)
    q_acc = qat.keras_accuracy(q, xte, yte)
    i_acc = qat.tflm_accuracy(path.read_bytes(), xte, yte)
    assert abs(i_acc - q_acc) <= 0.005, (i_acc, q_acc)
    assert q_acc >= f_acc - 0.01, (q_acc, f_acc)
    # Beyond accuracy: the int8 outputs are the Keras QAT outputs to within one output step
    # on nearly every sample (the simulation is of the same arithmetic, not an approximation).
    ref = TflmReference(path.read_bytes())
    out = ref.run(xte)[0].astype(np.float32)
    oq = ref.outputs[0]["quantization_parameters"]
    deq = (out - oq["zero_points"][0]) * oq["scales"][0]
    diff = np.abs(deq - q.predict(xte, verbose=0))
    assert np.mean(diff <= oq["scales"][0] * 1.01) > 0.99, diff.max()


def _nudged(rmin: float, rmax: float) -> tuple[float, int]:
    """Scale and int8 zero point read off fake_quant_with_min_max_vars itself: the clamp
    limits it produces are the nudged range."""
    import tensorflow as tf

    big = tf.constant([-1e9, 1e9], tf.float32)
    lo, hi = tf.quantization.fake_quant_with_min_max_vars(big, rmin, rmax, num_bits=8).numpy()
    scale = np.float32((hi - lo) / np.float32(255))
    return float(scale), int(np.round(-128 - lo / scale))


def test_activation_scales_equal_trained_ranges(exported):
    q, path, _ = exported
    ir = read_model(path)
    ranges = qat.activation_ranges(q)
    layers = [layer for layer in q.layers if hasattr(layer, "output_range")]
    expected_in = _nudged(*ranges[layers[0].name])
    assert qat.expected_quant_params(*ranges[layers[0].name]) == pytest.approx(expected_in, rel=1e-6)
    got_in = ir.main.tensors[ir.main.inputs[0]].quant
    assert got_in.scale[0] == pytest.approx(expected_in[0], rel=1e-6) and got_in.zero_point[0] == expected_in[1]
    # Layers and ops are both in topological order; each ranged layer is one own-range op.
    expected = [_nudged(*ranges[layer.name]) for layer in layers[1:]]
    got = []
    for op in ir.main.operators:
        if op.opcode in _OWN_RANGE_OPS:
            t = ir.main.tensors[op.outputs[0]].quant
            got.append((t.scale[0], t.zero_point[0]))
    assert len(got) == len(expected), (got, expected)
    for (gs, gz), (es, ez), layer in zip(got, expected, layers[1:]):
        assert gs == pytest.approx(es, rel=1e-6) and gz == ez, layer.name
    # Softmax: TFLite's fixed int8 output (1/256, -128), which the QAT model simulates.
    assert got[-1] == (pytest.approx(1 / 256, rel=1e-7), -128)
    # Same-scale ops keep their producer's range (MaxPool/AvgPool/Reshape).
    for op in ir.main.operators:
        if op.opcode in ("MAX_POOL_2D", "AVERAGE_POOL_2D", "RESHAPE"):
            a, b = ir.main.tensors[op.inputs[0]].quant, ir.main.tensors[op.outputs[0]].quant
            assert (a.scale[0], a.zero_point[0]) == (b.scale[0], b.zero_point[0]), op.opcode


def test_bn_fold_reproduces_conv_bn(float_model, data):
    """The folded kernel/bias compute what Conv→BN computed (inference mode), so QAT starts
    from the float model."""
    import tensorflow as tf

    q = qat.quantize_aware(float_model)
    x = data[2][:16]
    conv = next(layer for layer in float_model.layers if isinstance(layer, keras.layers.Conv2D))
    bn = next(layer for layer in float_model.layers if isinstance(layer, keras.layers.BatchNormalization))
    want = bn(conv(x), training=False)
    qconv = next(layer for layer in q.layers if layer.name == f"quant_{conv.name}")
    k, b = qconv.folded()
    got = tf.nn.conv2d(x, k, 1, "SAME") + b
    np.testing.assert_allclose(got.numpy(), np.asarray(want), atol=1e-4)
    # The float model's variables are copied, not shared.
    assert not {id(v) for v in q.weights} & {id(v) for v in float_model.weights}


def test_sequential_model_and_fixed_ranges(tmp_path, data):
    xtr, ytr, _, _ = data
    keras.utils.set_random_seed(0)
    m = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, activation="relu6"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(16),
        keras.layers.Activation("relu"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])
    q = qat.quantize_aware(m)
    _compile(q, 1e-3)
    q.fit(xtr[:256], ytr[:256], epochs=1, batch_size=64, verbose=0)
    report = qat.export(q, tmp_path / "s.tflite")
    assert report.fully_integer
    assert report.output_quant == (pytest.approx(1 / 256), -128)
    ops = [op.opcode for op in read_model(tmp_path / "s.tflite").main.operators]
    assert ops == ["CONV_2D", "MEAN", "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"], ops


def test_concatenate_shares_one_scale_and_matches_tflm(tmp_path):
    """TFLite's CONCATENATION has one scale: inputs made only for the concat take its range
    (no requantize), an input behind a same-scale op is requantized, and the int8 outputs
    are the Keras QAT outputs to within one output step."""
    L = keras.layers
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 1))
    a = L.Conv2D(4, 3, padding="same", activation="relu")(inp)
    b = L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(inp))
    x = L.Flatten()(L.Concatenate()([a, b]))
    g = L.GlobalAveragePooling2D()(L.Conv2D(3, 1)(inp))
    out = L.Dense(10)(L.Concatenate()([x, g]))
    q = qat.quantize_aware(keras.Model(inp, out))
    q.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    xs = rng.random((128, 8, 8, 1), dtype=np.float32)
    q.fit(xs, rng.random((128, 10), dtype=np.float32), epochs=2, batch_size=32, verbose=0)
    flatbuffer, report = qat.convert(q)
    assert report.fully_integer
    g_ir = read_model(flatbuffer).main
    for op in (op for op in g_ir.operators if op.opcode == "CONCATENATION"):
        qs = {(g_ir.tensors[i].quant.scale[0], g_ir.tensors[i].quant.zero_point[0]) for i in (*op.inputs, *op.outputs)}
        assert len(qs) == 1, qs
    ref = TflmReference(flatbuffer)
    s, z = report.output_quant
    diff = np.abs((ref.run(xs)[0].astype(np.float32) - z) * s - q.predict(xs, verbose=0))
    assert diff.max() <= s * 1.01, diff.max() / s

    # A model input straight into a concat cannot share the concat's scale: refused, named.
    m2 = keras.Model(inp, L.Concatenate(name="cat_in")([inp, L.Conv2D(2, 1)(inp)]))
    with pytest.raises(qat.UnsupportedLayerError, match="cat_in"):
        qat.quantize_aware(m2)


def test_unsupported_layers_are_named_or_kept_float(tmp_path, data):
    L = keras.layers
    inp = keras.Input((8, 8, 1))
    x = L.Conv2D(4, 3)(inp)
    x = L.LayerNormalization(name="my_norm")(x)
    x = L.Flatten()(x)
    x = L.Dense(10, activation="elu", name="my_elu_dense")(x)
    m = keras.Model(inp, x)
    with pytest.raises(qat.UnsupportedLayerError) as err:
        qat.quantize_aware(m)
    assert "my_norm (LayerNormalization" in str(err.value) and "my_elu_dense (Dense" in str(err.value)
    assert "\n" not in str(err.value)

    q = qat.quantize_aware(m, keep_float=["my_norm", "my_elu_dense"])
    _compile(q, 1e-3)
    q.fit(data[0][:128], data[1][:128], epochs=1, batch_size=64, verbose=0)
    with pytest.raises(NotFullyIntegerError):
        qat.export(q, tmp_path / "f.tflite")
    assert not (tmp_path / "f.tflite").exists()
    report = qat.export(q, tmp_path / "f.tflite", allow_float=True)
    assert not report.fully_integer and (tmp_path / "f.tflite").exists()


def test_refuses_non_qat_model_and_bad_output(float_model, tmp_path):
    with pytest.raises(qat.EdgeqError, match="quantize_aware"):
        qat.export(float_model, tmp_path / "x.tflite")
    with pytest.raises(qat.InputFileError, match=r"\.tflite"):
        qat.export(float_model, tmp_path / "x.bin")


def test_cli_qat(float_model, data, tmp_path, edgeq_cmd):
    xtr, ytr, xte, yte = data
    model_path = tmp_path / "cnn.keras"
    float_model.save(model_path)
    np.savez(tmp_path / "train.npz", x=xtr[:512], y=ytr[:512])
    np.savez(tmp_path / "val.npz", x=xte[:100], y=yte[:100])
    out = tmp_path / "q.tflite"
    res = subprocess.run(
        [edgeq_cmd, "qat", str(model_path), "--train", str(tmp_path / "train.npz"), "--val", str(tmp_path / "val.npz"),
         "--epochs", "1", "--lr", "5e-4", "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "fully int8" in res.stdout and "int8 (TFLM)" in res.stdout, res.stdout
    assert {t.dtype for t in read_model(out).main.tensors} <= {"INT8", "INT32"}

    np.savez(tmp_path / "nolabels.npz", x=xtr[:10])
    res = subprocess.run(
        [edgeq_cmd, "qat", str(model_path), "--train", str(tmp_path / "nolabels.npz"), "-o", str(tmp_path / "n.tflite")],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "labels" in res.stderr, res.stderr
    assert not (tmp_path / "n.tflite").exists()


_TFKERAS_SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import numpy as np, tf_keras as K
    from edgeq import qat
    from edgeq.model.reader import read_model
    inp = K.Input((8, 8, 1))
    x = K.layers.Conv2D(4, 3, activation="relu")(inp)
    x = K.layers.Flatten()(x)
    m = K.Model(inp, K.layers.Dense(10, activation="softmax")(x))
    q = qat.quantize_aware(m)
    q.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    q.fit(rng.random((64, 8, 8, 1), dtype=np.float32), rng.integers(0, 10, 64), epochs=1, verbose=0)
    r = qat.export(q, sys.argv[1])
    assert r.fully_integer, r.float_ops
    print("ok", sorted({t.dtype for t in read_model(sys.argv[1]).main.tensors}))
    """
)


def test_tfkeras_routes_to_tfmot_in_subprocess(tmp_path):
    missing = [m for m in ("tf_keras", "tensorflow_model_optimization") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the edgeq[tfkeras] extra is not installed ({', '.join(missing)} missing)")
    res = subprocess.run(
        [sys.executable, "-c", _TFKERAS_SCRIPT, str(tmp_path / "t.tflite")], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr[-2000:]
