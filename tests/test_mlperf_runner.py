"""The official MLCommons MLPerf Tiny runner, unmodified, against `edgeq serve` (opt-in: a
checkout of mlcommons/tiny, EDGEQ_MLPERF_RUNNER=<checkout>/benchmark/runner, the runner's
packages: pip install pyyaml scikit-learn pyusb; select with -m mlperf_runner).

For kws01, vww01, ic01 and ad01, with the reference models from the same checkout
(benchmark/training/*/trained_models) and small synthetic datasets in the runner's layout
(scripts/mlperf_datasets.py): performance mode reports a median throughput with positive
elapsed times, accuracy mode reports Top-1 and AUC, and every result vector the runner read
(its session's results.json) equals the host's computation on the same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EDGEQ, ROOT
from test_firmware import _tools
from test_serve import Served

pytestmark = [pytest.mark.emulator, pytest.mark.mlperf_runner]

MODELS = {
    "kws01": "keyword_spotting/trained_models/kws_ref_model.tflite",
    "vww01": "visual_wake_words/trained_models/vww_96_int8.tflite",
    "ic01": "image_classification/trained_models/pretrainedResnet_quant.tflite",
    "ad01": "anomaly_detection/trained_models/ad01_int8.tflite",
}


@pytest.fixture(scope="module")
def runner_dir() -> Path:
    path = os.environ.get("EDGEQ_MLPERF_RUNNER")
    if not path:
        pytest.skip("EDGEQ_MLPERF_RUNNER is not set (a checkout's benchmark/runner)")
    path = Path(path)
    assert (path / "main.py").is_file(), f"{path}: no main.py"
    return path


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    import mlperf_datasets

    out = tmp_path_factory.mktemp("mlperf-data")
    mlperf_datasets.write(out)
    return out


def _runner(runner_dir: Path, link: Path, datasets: Path, model_id: str, mode: str) -> tuple[str, Path]:
    tests = {"p": "tests_performance.yaml", "a": "tests_accuracy.yaml"}[mode]
    devices = "devices_ad.yaml" if model_id == "ad01" else "devices_kws_ic_vww.yaml"
    before = set((runner_dir / "sessions").glob("*")) if (runner_dir / "sessions").is_dir() else set()
    r = subprocess.run([EDGEQ, "mlperf-runner", str(runner_dir), "--port", str(link), "--",
                        f"--dataset_path={datasets}", f"--test_script={tests}", f"--device_list={devices}",
                        f"--mode={mode}"], capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stderr[-2000:]
    new = sorted(set((runner_dir / "sessions").glob("*")) - before)
    assert new, "the runner wrote no session"
    return r.stdout + r.stderr, new[-1]


def _windows(folder: Path) -> int:
    """Inferences an accuracy run makes: one a file, or one a window (ad01)."""
    total = 0
    for row in (folder / "y_labels.csv").read_text().split():
        name, _classes, _label, *window = row.split(",")
        if window:
            size, stride = map(int, window)
            total += ((folder / name).stat().st_size - size) // stride + 1
        else:
            total += 1
    return total


@pytest.mark.parametrize("model_id", list(MODELS))
def test_official_runner(model_id, runner_dir, datasets, tmp_path):
    _tools()
    from edgeq.harness import mlperf

    model = runner_dir.parent / "training" / MODELS[model_id]
    served = Served(model, tmp_path, "--model-id", model_id)
    try:
        out, session = _runner(runner_dir, served.link, datasets, model_id, "p")
        runtimes = [float(ln.split(":")[1].split()[0]) for ln in out.splitlines() if ln.strip().startswith("Runtime:")]
        assert len(runtimes) == 5 and all(t > 10.0 for t in runtimes), runtimes
        assert "Median throughput is" in out and "ERROR" not in out
        n, bad = mlperf.check_runner_results(session / "results.json", datasets / model_id, model, model_id)
        assert n == 5 and not bad, bad[:3]
        out, session = _runner(runner_dir, served.link, datasets, model_id, "a")
        assert "ulp-mlperf: Top 1% =" in out and "ulp-mlperf: AUC =" in out
        n, bad = mlperf.check_runner_results(session / "results.json", datasets / model_id, model, model_id)
        assert n == _windows(datasets / model_id) and not bad, (n, bad[:3])
    finally:
        code, _, err = served.stop()
    assert code == 0, err
    served.assert_clean()
