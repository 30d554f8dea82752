"""Bad data for run and bench (issue 17, point 7): NaN or Inf inputs, an object-dtype array,
labels that are not class indices of the model's output are refused before anything runs,
with one line on stderr naming the file, the array and the sample, and exit 1."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from conftest import EDGEQ, ROOT

AE = str(ROOT / "tests" / "models" / "fc_autoencoder.tflite")  # input [1, 640], output [1, 640]
KWS = str(ROOT / "tests" / "models" / "ds_cnn_kws.tflite")  # 12 classes


def _nan(path):
    x = np.random.default_rng(0).random((3, 640)).astype(np.float32)
    x[1, 7] = np.nan
    np.savez(path, x=x)


def _inf(path):
    x = np.random.default_rng(0).random((3, 640)).astype(np.float32)
    x[2, 0] = -np.inf
    np.savez(path, x=x)


def _object(path):
    np.savez(path, x=np.array([object(), 1], dtype=object), allow_pickle=True)


def _labels(values):
    def make(path):
        np.savez(path, x=np.zeros((len(values), 490), np.int8), y=np.array(values))
    return make


CASES = {  # name: (argv before --data/--input, data maker, words the one line must hold)
    "run nan": (["run", AE, "--target", "host", "-o", "o.npz", "--input"], _nan, ["NaN or Inf", "sample 1"]),
    "run inf": (["run", AE, "--target", "host", "-o", "o.npz", "--input"], _inf, ["NaN or Inf", "sample 2"]),
    "run object": (["run", AE, "--target", "host", "-o", "o.npz", "--input"], _object, ["'x'", "numeric"]),
    "bench nan": (["bench", AE, "--target", "mps2-an386", "--data"], _nan, ["NaN or Inf"]),
    "bench label too big": (["bench", KWS, "--target", "mps2-an386", "--data"], _labels([3, 40]),
                            ["label 40", "sample 1", "0..11"]),
    "bench negative label": (["bench", KWS, "--target", "mps2-an386", "--data"], _labels([-1, 2]),
                             ["label -1", "sample 0"]),
    "bench fractional label": (["bench", KWS, "--target", "mps2-an386", "--data"], _labels([1.5, 2.0]),
                               ["integer class indices"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_data_is_refused_in_one_line(name, tmp_path):
    argv, make, words = CASES[name]
    make(tmp_path / "d.npz")
    proc = subprocess.run([EDGEQ, *argv, "d.npz"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (name, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("error: d.npz: "), (name, proc.stderr)  # no blank line before it
    lines = proc.stderr.rstrip("\n").splitlines()
    assert len(lines) == 1, (name, proc.stderr)
    assert all(w in lines[0] for w in words), (name, lines[0])
    assert not (tmp_path / "o.npz").exists()


def test_valid_labels_and_float_integral_labels_are_accepted(tmp_path):
    """Class indices stored as floats (3.0) are taken as indices; an index at the top of the
    range is fine."""
    from edgeq.harness.metrics import load_targets

    path = tmp_path / "l.npz"
    np.savez(path, x=np.zeros((3, 490), np.int8), y=np.array([0.0, 3.0, 11.0]))
    assert load_targets(path, 3, [12])[0].classes.tolist() == [0, 3, 11]


def test_class_index_output_is_scored_by_accuracy(tmp_path):
    """An int32 output that is the class index itself (ARG_MAX) is compared with the labels
    (top-1 accuracy), not taken as a regression target; a score output still takes argmax."""
    from edgeq.harness.metrics import load_targets, score

    path = tmp_path / "l.npz"
    np.savez(path, x=np.zeros((4, 6), np.int8), y0=np.array([2, 0, 5, 5]), y1=np.array([1, 0, 1, 1]))
    direct, scores = load_targets(path, 4, [1, 2], index_outputs=[True, False])
    assert direct.direct and direct.classes.tolist() == [2, 0, 5, 5] and not scores.direct
    got = score(0, "argmax", np.array([[2], [0], [5], [1]], np.float64), direct)
    assert got.against == "labels" and got.accuracy == 0.75
    assert score(1, "probs", np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]), scores).accuracy == 0.75
    assert load_targets(path, 4, [1, 2])[0].values is not None  # without the hint: float targets, as before
