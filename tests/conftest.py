"""Shared test fixtures: paths, the TFLite Micro fixture models, tool requirements."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# shared/ sits beside the repository (in CI too); EDGEQ_FIXTURES overrides.
FIXTURES = Path(os.environ.get("EDGEQ_FIXTURES", ROOT.parent / "shared" / "fixtures"))
EDGEQ = str(ROOT / ".venv" / "bin" / "edgeq") if (ROOT / ".venv" / "bin" / "edgeq").exists() else shutil.which("edgeq") or "edgeq"


def required_tools() -> set[str]:
    """Tokens in EDGEQ_REQUIRE (arm-gcc, qemu, qemu-plugin, renode, tflm): a missing one fails instead of skipping."""
    return {t.strip() for t in os.environ.get("EDGEQ_REQUIRE", "").split(",") if t.strip()}


def need(token: str, available: bool, reason: str) -> None:
    """Skip with the reason when a tool is missing, unless EDGEQ_REQUIRE names it (then fail)."""
    if available:
        return
    if token in required_tools():
        pytest.fail(f"{reason} (required by EDGEQ_REQUIRE={os.environ.get('EDGEQ_REQUIRE')})")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"fixture models not found at {FIXTURES} (set EDGEQ_FIXTURES)")
    return FIXTURES


@pytest.fixture(scope="session")
def edgeq_cmd() -> str:
    return EDGEQ
