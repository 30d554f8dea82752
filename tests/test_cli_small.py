"""The smaller CLI items of issue 17, point 9: ``--version``; a float .tflite given to export,
build or bench says to run ``edgeq quantize`` (in one line); bench says where it wrote its
reports, written with the usual file mode; a junk .keras/.h5 is named as such, not "File not
found"."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import EDGEQ, ROOT

sys.path.insert(0, str(ROOT / "tests" / "golden"))
from tflite_builder import OneOp, T, build  # noqa: E402


def _cli(*args, cwd):
    return subprocess.run([EDGEQ, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_version():
    from edgeq import __version__

    proc = subprocess.run([EDGEQ, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"edgeq {__version__}"


@pytest.mark.parametrize("argv", [["export", "-o", "out"], ["build", "-o", "out", "--target", "mps2-an386"],
                                  ["bench", "--target", "mps2-an386"]], ids=["export", "build", "bench"])
def test_float_model_says_quantize_first(argv, tmp_path):
    w = np.ones((4, 8), np.float32)
    m = OneOp("FULLY_CONNECTED", [T((1, 8), "FLOAT32"), T((4, 8), "FLOAT32", data=w), T((1, 4), "FLOAT32")],
              [0, 1, -1], [2], [0], [2], {"act": "NONE"})
    (tmp_path / "float.tflite").write_bytes(build(m))
    proc = _cli(argv[0], "float.tflite", *argv[1:], cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: float.tflite is a float model") and "edgeq quantize" in proc.stderr
    assert len(proc.stderr.rstrip("\n").splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.emulator
def test_bench_says_where_it_wrote_its_reports(tmp_path):
    proc = _cli("bench", str(ROOT / "tests" / "models" / "fc_autoencoder.tflite"), "--target", "mps2-an386",
                "--json", "r.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote r.json, r.md" in proc.stdout
    assert (tmp_path / "r.json").is_file() and (tmp_path / "r.md").is_file()


@pytest.mark.parametrize("name, words", [("junk.keras", "not a Keras .keras file"), ("junk.h5", "not an HDF5 Keras file")])
def test_junk_keras_file_is_named_as_such(name, words, tmp_path):
    """Not "File not found" (Keras' own message for a file that is there but no archive)."""
    (tmp_path / name).write_text("junk")
    np.savez(tmp_path / "cal.npz", x=np.zeros((4, 8), np.float32))
    proc = _cli("quantize", name, "--calib", "cal.npz", "-o", "q.tflite", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr.startswith(f"error: {name}: {words}"), proc.stderr
    assert "not found" not in proc.stderr.lower()
    assert not (tmp_path / "q.tflite").exists()


@pytest.mark.emulator
def test_bench_reports_get_the_usual_file_mode(tmp_path):
    """Not 0600 (a temp file's mode): what the umask gives any new file."""
    import os

    proc = _cli("bench", str(ROOT / "tests" / "models" / "fc_autoencoder.tflite"), "--target", "mps2-an386",
                "--json", "r.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    mask = os.umask(0)
    os.umask(mask)
    for name in ("r.json", "r.md"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~mask, name


def test_native_export_has_a_readme_and_an_example_that_builds_and_runs(tmp_path):
    """The native export says what its files are and how to build them, and its example main.c
    compiles with the sources on the host and runs one inference."""
    import shutil

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no host C compiler (cc/gcc): install build-essential")
    proc = _cli("export", str(ROOT / "tests" / "models" / "ds_cnn_kws.tflite"), "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    readme = (out / "README.md").read_text()
    assert "edgeq_invoke_n" in readme and "int8_t [1, 49, 10, 1]" in readme and "example_main.c" in readme
    sources = sorted(str(p) for p in out.glob("*.c"))
    subprocess.run([cc, "-O2", "-I", str(out), *sources, "-o", str(tmp_path / "example")], check=True, timeout=300)
    run = subprocess.run([str(tmp_path / "example")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("output 0:") and len(run.stdout.split()) == 2 + 12
