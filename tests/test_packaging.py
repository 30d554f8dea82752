"""A plain (non-editable) install ships the firmware templates and the dataset loaders."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_templates_and_datasets(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(tmp_path.glob("edgeq-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "edgeq/cli.py" in names and "edgeq/model/reader.py" in names
    assert "edgeq/datasets/__init__.py" in names
    templates = [n for n in names if n.startswith("edgeq/firmware_templates/")]
    on_disk = [p for p in (ROOT / "firmware_templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(templates) >= len(on_disk) > 0, (len(templates), len(on_disk))
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert entry and "edgeq = edgeq.cli:main" in zipfile.ZipFile(wheel).read(entry[0]).decode()
