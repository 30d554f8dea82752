"""``edgeq doctor``: every tool and package edgeq uses, found or missing, with the fix."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    optional: bool = False


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return "?"
    return out.splitlines()[0].strip() if out else "?"


def _package(dist: str, module: str, optional: bool = False) -> Check:
    if importlib.util.find_spec(module) is None:
        return Check(dist, False, "not installed: run scripts/setup.sh (pip install -e .)", optional)
    try:
        return Check(dist, True, importlib.metadata.version(dist), optional)
    except importlib.metadata.PackageNotFoundError:
        return Check(dist, True, "installed", optional)


def checks() -> list[Check]:
    """All checks, cheapest first; none imports TensorFlow."""
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm, host

    out = []
    for dist, module, optional in (("tensorflow", "tensorflow", False), ("keras", "keras", False),
                                   ("tflite-micro", "tflite_micro", False), ("ai-edge-litert", "ai_edge_litert", False),
                                   ("numpy", "numpy", False), ("pyserial", "serial", False), ("jinja2", "jinja2", False),
                                   ("typer", "typer", False), ("rich", "rich", False),
                                   ("tensorflow-model-optimization (extra tfkeras)", "tensorflow_model_optimization", True)):
        out.append(_package(dist, module, optional))
    cc = host.find_cc()
    out.append(Check("host C compiler", cc is not None, cc or "not found: sudo apt-get install -y gcc"))
    reason = arm.missing_reason()
    out.append(Check("arm-none-eabi-gcc + newlib", reason is None,
                     _version([arm.find_tool("gcc"), "--version"]) if reason is None else reason))
    q = qemu.find_qemu()
    out.append(Check("qemu-system-arm", q is not None, _version([q, "--version"]) if q else f"not found: {qemu.APT_HINT}"))
    p = qemu.plugin_path()
    stale = None
    stamp = p.parent / "stamp" if p else None
    if stamp is not None and stamp.is_file() and shutil.which("dpkg-query"):
        built_for = stamp.read_text().split()[0] if stamp.read_text().split() else ""
        installed = _version(["dpkg-query", "-W", "-f=${Version}\n", "qemu-system-arm"])
        if installed not in ("?", built_for):
            stale = f"built for qemu {built_for}, installed {installed}: run scripts/setup.sh"
    out.append(Check("QEMU instruction plugin", p is not None and stale is None,
                     stale or (str(p) if p else "not built: run scripts/setup.sh (without it: icount timer, 40-instruction resolution)")))
    from edgeq.harness.runners import renode

    why = renode.available()
    out.append(Check("Renode (STM32/nRF52 boards)", why is None, renode.find_renode() if why is None else why, True))
    fm = Path("/usr/share/datasets/fashion-mnist")
    out.append(Check("dataset-fashion-mnist", fm.is_dir(), str(fm) if fm.is_dir() else "sudo apt-get install -y dataset-fashion-mnist", True))
    es = shutil.which("espeak-ng")
    out.append(Check("espeak-ng", es is not None, es or "sudo apt-get install -y espeak-ng", True))
    tflm = os.environ.get("EDGEQ_TFLM_DIR")
    out.append(Check("TFLM source tree (--runtime tflm firmware)", bool(tflm and Path(tflm).is_dir()),
                     tflm or "EDGEQ_TFLM_DIR not set", True))
    return out
