"""Issue 17's table: the models users bring (LSTM, GRU, SimpleRNN, Conv1D, SeparableConv2D +
GlobalMaxPooling, Dense + Dropout, BN after Dense, Rescaling/Normalization inside, an
autoencoder with Conv2DTranspose and UpSampling2D, UpSampling2D alone, two inputs, two outputs)
each go quantize -> inspect -> export -> run --target host -> bench on mps2-an386 through the
CLI, bit-exact with TFLM (a model with an op no runtime runs stops at export with one line:
test_bad_inputs.py). No temporary folder and no emulator process is left behind. QAT takes
the layers it simulates and names the others."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import user_models
from conftest import EDGEQ

QAT_OK = ("conv1d", "sepconv_gmp", "rescale_norm", "upsampling", "two_outputs")
# --eval (a second conversion) where the figures are the point: error figures, not accuracy
EVAL = ("autoencoder", "upsampling", "two_outputs")
QAT_NAMED = {"autoencoder": ["conv2d_transpose", "Conv2DTranspose", "edgeq quantize (PTQ)"],
             "lstm": ["(LSTM", "recurrent", "edgeq quantize (PTQ)"]}  # layer names vary with build order


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_models")
    return {name: user_models.make(name, folder) for name in user_models.NAMES}


def _cli(*args, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """The CLI with a private TMPDIR (cwd/tmp) so that leftovers can be seen."""
    tmp = cwd / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.run([EDGEQ, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _processes_under(path: Path) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(path) in cmd:
                found.append(cmd)
    return found


def _no_leftovers(cwd: Path) -> None:
    assert not list((cwd / "tmp").iterdir()), list((cwd / "tmp").iterdir())
    assert not _processes_under(cwd)


def _one_line(proc) -> str:
    lines = proc.stderr.rstrip("\n").splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.mark.emulator
@pytest.mark.parametrize("name", user_models.NAMES)
def test_user_model_through_the_pipeline(name, models, tmp_path):
    keras_path, data = models[name]
    evaluate = ["--eval", data] if name in EVAL else []
    q = _cli("quantize", keras_path, "--calib", data, *evaluate, "-o", "m.tflite", cwd=tmp_path)
    assert q.returncode == 0, q.stderr
    _no_leftovers(tmp_path)
    if name in ("lstm", "gru", "simple_rnn"):
        assert "unrolled over its 10 time steps" in q.stderr
    if name in ("autoencoder", "upsampling"):
        assert "RESIZE_NEAREST_NEIGHBOR" in q.stdout and "TILE" not in q.stdout
    if name == "transformer":  # attention as BATCH_MATMUL, softmax, LayerNorm ops: all run natively
        assert "BATCH_MATMUL" in q.stdout and "RSQRT" in q.stdout and "edgeq-micro does not run" not in q.stderr
    if name == "layer_norm":  # no float NEG left: MEAN, SUB, MUL, ADD, RSQRT
        assert "RSQRT" in q.stdout and "NEG" not in q.stdout and "written as MEAN" in q.stderr, q.stdout
    if name == "autoencoder":
        assert "TRANSPOSE_CONV" in q.stdout and "edgeq-micro does not run" not in q.stderr
    if name in EVAL:  # MSE / SNR / cosine rows: against the targets (y, y1) or the float model
        assert "SNR" in q.stdout and "cosine" in q.stdout, q.stdout

    assert _cli("inspect", "m.tflite", cwd=tmp_path).returncode == 0
    exp = _cli("export", "m.tflite", "-o", "exp", cwd=tmp_path)
    assert exp.returncode == 0, exp.stderr

    runs = {}
    for runtime in ("native", "tflm"):
        r = _cli("run", "m.tflite", "--target", "host", "--runtime", runtime, "--input", data, "-o", f"{runtime}.npz",
                 cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        runs[runtime] = dict(np.load(tmp_path / f"{runtime}.npz"))
    assert runs["native"].keys() == runs["tflm"].keys()
    for key, value in runs["tflm"].items():
        assert np.array_equal(runs["native"][key], value), key
    if name == "two_outputs":  # Keras' order, with the output layers' names
        assert list(runs["native"]["output_names"]) == ["cls", "reg"]
        assert runs["native"]["out0"].shape == (user_models.N, 3) and runs["native"]["out1"].shape == (user_models.N, 1)

    b = _cli("bench", "m.tflite", "--target", "mps2-an386", "--data", data, "--json", "r.json", cwd=tmp_path)
    assert b.returncode == 0, b.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["bit_exact_vs_tflm"] and rep["samples"] == user_models.N
    for out in rep["outputs"]:
        assert out["accuracy"] is not None or (out["mse"] is not None and out["against"] == "targets"), out
    _no_leftovers(tmp_path)
    if name == "upsampling":  # no labels: scored against the float Keras model (--float-model)
        with np.load(data) as z:
            np.savez(tmp_path / "x_only.npz", x=z["x"])
        b = _cli("bench", "m.tflite", "--target", "mps2-an386", "--data", "x_only.npz", "--float-model", keras_path,
                 "--json", "f.json", cwd=tmp_path)
        assert b.returncode == 0, b.stderr
        out = json.loads((tmp_path / "f.json").read_text())["outputs"][0]
        assert out["against"] == "float model" and out["snr_db"] > 10 and out["cosine"] > 0.9, out
        assert "vs float model" in b.stdout


@pytest.mark.parametrize("name", QAT_OK)
def test_qat_takes_these_layers(name, models, tmp_path):
    keras_path, data = models[name]
    q = _cli("qat", keras_path, "--train", data, "--val", data, "--epochs", "1", "-o", "q.tflite", cwd=tmp_path)
    assert q.returncode == 0, q.stderr
    assert "fully int8" in q.stdout
    _no_leftovers(tmp_path)
    if name == "two_outputs":
        assert "output 0 (cls) accuracy" in q.stdout and "output 1 (reg) error" in q.stdout
    runs = []
    for runtime in ("native", "tflm"):
        r = _cli("run", "q.tflite", "--target", "host", "--runtime", runtime, "--input", data, "-o", f"{runtime}.npz",
                 cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        runs.append(dict(np.load(tmp_path / f"{runtime}.npz")))
    assert all(np.array_equal(runs[0][k], runs[1][k]) for k in runs[1])


@pytest.mark.parametrize("name", sorted(QAT_NAMED))
def test_qat_names_what_it_cannot_simulate(name, models, tmp_path):
    keras_path, data = models[name]
    q = _cli("qat", keras_path, "--train", data, "--epochs", "1", "-o", "q.tflite", cwd=tmp_path)
    line = _one_line(q)
    assert all(w in line for w in QAT_NAMED[name]), line
    assert not (tmp_path / "q.tflite").exists()
    _no_leftovers(tmp_path)
