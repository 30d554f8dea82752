"""The TFLM application on mps2-an386 (needs a TFLM tree in EDGEQ_TFLM_DIR): the same
protocol app and board support as edgeq-micro, with a MicroInterpreter behind edgeq_invoke_n."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, ROOT, need
from test_firmware import _bmp, _tools

pytestmark = [pytest.mark.tflm, pytest.mark.emulator]
PERSON = FIXTURES / "person_detection"


def _tflm_tree() -> None:
    tree = os.environ.get("EDGEQ_TFLM_DIR", "")
    need("tflm", bool(tree) and (Path(tree) / "tensorflow/lite/micro/micro_interpreter.h").is_file(),
         "EDGEQ_TFLM_DIR is not set to a TFLM source tree")


@pytest.mark.parametrize("kernels", ["reference", "cmsis_nn"])
def test_tflm_bench_person_detect_bit_exact(kernels, edgeq_cmd, tmp_path):
    _tflm_tree()
    _tools(plugin=True)
    x = np.stack([_bmp(PERSON / "testdata" / "person.bmp"), _bmp(PERSON / "testdata" / "no_person.bmp")])
    np.savez(tmp_path / "pd.npz", x=x, y=np.array([1, 0]))
    env = {**os.environ, "EDGEQ_TFLM_KERNELS": kernels}
    r = subprocess.run([edgeq_cmd, "bench", str(PERSON / "person_detect.tflite"), "--target", "mps2-an386",
                        "--runtime", "tflm", "--data", str(tmp_path / "pd.npz"), "--json", str(tmp_path / "r.json")],
                       capture_output=True, text=True, timeout=1800, env=env)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["runtime"] == "tflm" and rep["bit_exact_vs_tflm"] and rep["mismatched_outputs"] == 0
    assert rep["accuracy"] == 1.0 and rep["instructions_per_inference"] > 0


@pytest.mark.parametrize("model", sorted((ROOT / "tests" / "models").glob("*.tflite")), ids=lambda p: p.stem)
def test_tflm_runs_third_party_models_with_exported_arena(model, tmp_path):
    """The firmware uses the exported NAME_arena.h size: AllocateTensors must succeed on
    the 32-bit target with it, and outputs equal TFLM-Python's."""
    _tflm_tree()
    _tools(plugin=False)
    from edgeq.harness import measure

    r = measure.bench(model, "mps2-an386", runtime="tflm")
    assert r.bit_exact_vs_tflm, r.first_mismatch


@pytest.mark.parametrize("board", ["mps2-an505", "mps3-an547"])
@pytest.mark.parametrize("model", sorted((ROOT / "tests" / "models").glob("*.tflite")), ids=lambda p: p.stem)
def test_tflm_app_on_armv8m_boards(board, model):
    """TFLM builds for the Cortex-M33 and M55 under the names its Makefile knows (cortex-m33,
    cortex-m55: hard float, no "+fp"), and the app runs every MLPerf-style model there,
    outputs equal to TFLM-Python's (CMSIS-NN kernels when EDGEQ_TFLM_KERNELS=cmsis_nn)."""
    _tflm_tree()
    _tools(plugin=False)
    from edgeq.harness import measure

    r = measure.bench(model, board, runtime="tflm")
    assert r.bit_exact_vs_tflm, r.first_mismatch
