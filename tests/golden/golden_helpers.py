"""Helpers for the bit-exact golden tests of the native runtime (edgeq-micro)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("EDGEQ_FIXTURES", ROOT.parent / "shared" / "fixtures"))
GOLDEN_MODELS = ROOT / "tests" / "golden" / "models"
THIRD_PARTY_MODELS = ROOT / "tests" / "models"
FIXTURE_MODELS = (
    "hello_world/models/hello_world_int8.tflite",
    "micro_speech/micro_speech_quantized.tflite",
    "person_detection/person_detect.tflite",
    "mnist_lstm/trained_lstm_int8.tflite",
)
LSTM_FIXTURE = "mnist_lstm/trained_lstm_int8.tflite"


def tflm_only_model(path: Path) -> Path:
    """A model with an op TFLM runs and edgeq-micro does not (int8 LOG_SOFTMAX), written to
    ``path``: the example of a model that needs --runtime tflm."""
    from tflite_builder import OneOp, T, build

    path.write_bytes(build(OneOp("LOG_SOFTMAX", [T((1, 8), "INT8", (0.05,), (3,)), T((1, 8), "INT8", (16 / 256,), (127,))],
                                 [0], [1], [0], [1])))
    return path
SAMPLES = 100


def random_inputs(specs, n: int, seed: int) -> list[np.ndarray]:
    """n seeded samples per input: the full int8 (int16) range, or floats in [-2, 2)."""
    rng = np.random.default_rng(seed)
    out = []
    for spec in specs:
        shape = tuple(spec.shape[1:]) if spec.shape and spec.shape[0] == 1 else tuple(spec.shape)
        if spec.dtype == "INT8":
            out.append(rng.integers(-128, 128, size=(n, *shape), dtype=np.int8))
        elif spec.dtype == "INT16":
            out.append(rng.integers(-32768, 32768, size=(n, *shape), dtype=np.int16))
        else:
            out.append(rng.uniform(-2.0, 2.0, size=(n, *shape)).astype(np.float32))
    return out


def tflm_outputs(path: Path, specs_in, specs_out, inputs) -> list[np.ndarray]:
    """The oracle: tflite_micro.runtime.Interpreter, one invoke per sample."""
    from edgeq.harness.hostrun import run_tflm

    return run_tflm(path, specs_in, specs_out, inputs)


def assert_bit_exact(path: Path, sources, seed: int, *, samples: int = SAMPLES, varied: bool = False,
                     context: str = "") -> list[np.ndarray]:
    """Run ``sources`` (the generated C of the model at ``path``) with host gcc and TFLM on
    ``samples`` seeded random inputs and assert every output byte-identical; ``varied``:
    also that each output takes more than one value (a constant output proves nothing).
    Returns TFLM's outputs."""
    from edgeq.harness.runners import host

    inputs = random_inputs(sources.inputs, samples, seed=seed)
    got = host.run(sources, inputs)
    want = tflm_outputs(path, sources.inputs, sources.outputs, inputs)
    assert len(got) == len(want)
    where = f" ({context})" if context else ""
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, (k, g.shape, w.shape)
        bad = np.any(g.reshape(samples, -1).view(np.uint8) != w.reshape(samples, -1).view(np.uint8), axis=1)
        assert not bad.any(), f"output {k}: {int(bad.sum())}/{samples} samples differ from TFLM{where}"
        if varied:
            assert len(np.unique(w.reshape(samples, -1), axis=0)) > 1, f"output {k} never varies{where}"
    return want


def bmp_pixels(path: Path) -> np.ndarray:
    """The fixtures' 96x96 8-bit BMPs as the int8 input person_detect expects (batch of 1)."""
    from edgeq.datasets.images import read_bmp_gray

    return read_bmp_gray(path).view(np.int8).reshape(1, 96, 96, 1)


@pytest.fixture(scope="module", autouse=True)
def private_build_cache(tmp_path_factory):
    """Compile into a fresh cache so the tests really build every model (imported by the
    test modules; no conftest.py here, so `conftest` stays the tests/ one)."""
    old = os.environ.get("EDGEQ_CACHE")
    os.environ["EDGEQ_CACHE"] = str(tmp_path_factory.mktemp("edgeq-cache"))
    yield
    if old is None:
        os.environ.pop("EDGEQ_CACHE", None)
    else:
        os.environ["EDGEQ_CACHE"] = old
