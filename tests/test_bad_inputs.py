"""Issue 17's table of mistakes and models edgeq cannot take, through the CLI: each ends with
exit 1 and one line on stderr that names what to fix, writes nothing, and leaves no temporary
folder or process behind. (Paths, NaN/Inf data, label ranges and the small items are in
test_cli_paths.py, test_cli_data.py and test_cli_small.py.) Also: a crash of TensorFlow's
converter is one line, and the caller lives on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import user_models
from conftest import EDGEQ, ROOT

sys.path.insert(0, str(ROOT / "tests" / "golden"))
from tflite_builder import OneOp, T, build  # noqa: E402


def _tile_model(path: Path) -> None:
    """RESHAPE + TILE is what Keras 3's UpSampling2D converts to unless rewritten: neither
    runtime runs TILE."""
    m = OneOp("TILE", [T((1, 2, 2, 3), "INT8", (0.1,), (3,)), T((4,), "INT32", data=np.array([1, 2, 2, 1], np.int32)),
                       T((1, 4, 4, 3), "INT8", (0.1,), (3,))], [0, 1], [2], [0], [2])
    path.write_bytes(build(m))


def _variable_length_lstm(folder: Path) -> None:
    import keras

    i = keras.Input((None, 4))
    keras.Model(i, keras.layers.Dense(2)(keras.layers.LSTM(4, name="my_lstm")(i))).save(folder / "varlen.keras")
    np.savez(folder / "varlen.npz", x=np.random.default_rng(0).normal(size=(8, 10, 4)).astype(np.float32))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_inputs")
    for name in ("two_outputs", "autoencoder", "lstm", "conv1d"):
        user_models.make(name, folder)
    with np.load(folder / "two_outputs.npz") as z:  # labels for two outputs under the single-output key
        np.savez(folder / "y_for_two.npz", x=z["x"], y=z["y0"])
        np.savez(folder / "wrong_y1.npz", x=z["x"], y0=z["y0"], y1=np.zeros((user_models.N, 3), np.float32))
    _tile_model(folder / "tile.tflite")
    np.savez(folder / "tile.npz", x=np.zeros((2, 1, 2, 2, 3), np.int8))
    _variable_length_lstm(folder)
    return folder


# name: (argv with {d} for the inputs folder, words the line must hold, whether it is an emulator run)
CASES = {
    "quantize: LSTM over sequences of unknown length": (
        ["quantize", "{d}/varlen.keras", "--calib", "{d}/varlen.npz", "-o", "o.tflite"],
        ["'my_lstm'", "LSTM", "fixed number of time steps"]),
    "quantize --eval: two outputs, labels under y": (
        ["quantize", "{d}/two_outputs.keras", "--calib", "{d}/two_outputs.npz", "--eval", "{d}/y_for_two.npz",
         "-o", "o.tflite"], ["2 outputs", "y0 (cls), y1 (reg)"]),
    "qat: Conv2DTranspose": (
        ["qat", "{d}/autoencoder.keras", "--train", "{d}/autoencoder.npz", "-o", "o.tflite"],
        ["conv2d_transpose", "edgeq quantize (PTQ)"]),
    "qat: LSTM": (["qat", "{d}/lstm.keras", "--train", "{d}/lstm.npz", "-o", "o.tflite"], ["lstm", "unrolls"]),
    "qat: --keep-float without --allow-float": (
        ["qat", "{d}/conv1d.keras", "--train", "{d}/conv1d.npz", "--keep-float", "conv1d", "-o", "o.tflite"],
        ["--keep-float conv1d", "--allow-float"]),
    "qat: two outputs, a float target of the wrong size": (
        ["qat", "{d}/two_outputs.keras", "--train", "{d}/wrong_y1.npz", "-o", "o.tflite"],
        ["'y1'", "3 value(s)", "has 1"]),
    "export: an op neither runtime runs": (["export", "{d}/tile.tflite", "-o", "out"], ["TILE", "either"]),
    "run --runtime tflm: an op TFLM has no kernel for": (
        ["run", "{d}/tile.tflite", "--target", "host", "--runtime", "tflm", "--input", "{d}/tile.npz", "-o", "o.npz"],
        ["cannot register", "TILE"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_refused_in_one_line_leaving_nothing(name, inputs, tmp_path):
    argv, words = CASES[name]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    proc = subprocess.run([EDGEQ, *(a.format(d=inputs) for a in argv)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = proc.stderr.rstrip("\n").splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert all(w in lines[0] for w in words), lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]  # nothing written
    assert not list(tmp.iterdir())  # no temporary folder left


def test_a_converter_crash_is_one_line_and_the_caller_lives(tmp_path):
    """Keras 3's LSTM, not unrolled, as a SavedModel: TF 2.21's calibrator dies with SIGSEGV on
    it (what `edgeq quantize` did before it unrolled RNNs). In the child it is one line."""
    import keras

    from edgeq import convert_worker, ptq
    from edgeq.errors import EdgeqError

    i = keras.Input((10, 4))
    model = keras.Model(i, keras.layers.Dense(3)(keras.layers.LSTM(8)(i)))
    x = np.random.default_rng(0).normal(size=(8, 10, 4)).astype(np.float32)
    saved = ptq._saved_model_dir(model, [(10, 4)], tmp_path)
    with pytest.raises(EdgeqError) as err:
        convert_worker.convert(saved, "int8", tmp_path, [x])
    assert "crashed (SIGSEGV)" in str(err.value) and "nothing written" in str(err.value)
    assert not (tmp_path / "out.tflite").exists()
