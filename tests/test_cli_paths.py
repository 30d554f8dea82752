"""Output paths that cannot be written (issue 17, point 6): export, build, run and bench
refuse them before any work, with one line on stderr and exit 1, and leave nothing behind.
An output folder that is an existing file or lies under a file, an output file that is a
folder or lies under a file."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from conftest import EDGEQ, ROOT

MODEL = str(ROOT / "tests" / "models" / "fc_autoencoder.tflite")

CASES = {
    "export -o FILE": ["export", MODEL, "-o", "afile"],
    "export -o FILE/sub": ["export", MODEL, "-o", "afile/sub"],
    "export tflm -o FILE": ["export", MODEL, "--runtime", "tflm", "-o", "afile"],
    "build -o FILE": ["build", MODEL, "-o", "afile", "--target", "mps2-an386"],
    "build -o FILE/sub": ["build", MODEL, "-o", "afile/sub", "--target", "mps2-an386"],
    "run -o DIR": ["run", MODEL, "--target", "host", "--input", "in.npz", "-o", "adir"],
    "run -o FILE/x.npz": ["run", MODEL, "--target", "host", "--input", "in.npz", "-o", "afile/x.npz"],
    "run board -o DIR": ["run", MODEL, "--target", "mps2-an386", "--input", "in.npz", "-o", "adir"],
    "bench --json DIR": ["bench", MODEL, "--target", "mps2-an386", "--json", "adir"],
    "bench --md FILE/x.md": ["bench", MODEL, "--target", "mps2-an386", "--json", "r.json", "--md", "afile/x.md"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unwritable_output_is_one_line_and_leaves_nothing(name, tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "adir").mkdir()
    np.savez(tmp_path / "in.npz", x=np.zeros((2, 640), np.int8))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    proc = subprocess.run([EDGEQ, *CASES[name]], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (name, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (name, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, name
    assert (tmp_path / "afile").read_text() == "not a folder"
