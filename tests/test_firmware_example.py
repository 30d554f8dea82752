"""The README's main story end to end: train on an offline dataset, quantize, bench on
mps2-an386 under QEMU (examples/fashion_mnist_cnn.py, shrunk to stay fast)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, need


@pytest.mark.slow
@pytest.mark.emulator
def test_example_ends_with_a_bench_report_from_qemu(tmp_path):
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    need("arm-gcc", arm.missing_reason() is None, arm.missing_reason() or "")
    need("qemu", qemu.available() is None, qemu.available() or "")
    need("qemu-plugin", qemu.plugin_missing_reason() is None, qemu.plugin_missing_reason() or "")

    r = subprocess.run([sys.executable, str(ROOT / "examples" / "fashion_mnist_cnn.py"), "--epochs", "1",
                        "--train-samples", "2000", "--test-samples", "300", "--bench-samples", "40",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "edgeq bench: fashion_cnn_int8.tflite on mps2-an386" in r.stdout
    rep = json.loads((tmp_path / "bench.json").read_text())
    assert rep["bit_exact_vs_tflm"] is True and rep["samples"] == 40
    assert rep["accuracy"] == rep["host_accuracy"] and rep["instructions_per_inference"] > 0
    assert (tmp_path / "bench.md").is_file()
