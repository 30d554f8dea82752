"""TensorFlow Lite Micro as a library for a board: found in, and built by, the user's tree.

The TFLM source tree cannot be installed from package registries; the user points
``EDGEQ_TFLM_DIR`` at a checkout whose third-party downloads (flatbuffers, gemmlowp, ruy,
kissfft, CMSIS, CMSIS-NN, an empty ``pigweed``) are in ``tensorflow/lite/micro/tools/make/
downloads/``. edgeq builds ``libtensorflow-microlite.a`` there with TFLM's own Makefile
(``TARGET=cortex_m_generic``, the board's core, the system ``arm-none-eabi-gcc``, -O2), once
per core and kernel set, and links the application against it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from edgeq.errors import MissingToolError, TargetError

log = logging.getLogger(__name__)

KERNELS = ("reference", "cmsis_nn")
DOWNLOADS = Path("tensorflow/lite/micro/tools/make/downloads")
BUILD_TIMEOUT_S = 3600


@dataclass(frozen=True)
class TflmLibrary:
    library: Path
    include_dirs: tuple[str, ...]
    defines: tuple[str, ...]
    kernels: str


def tree() -> Path:
    """The TFLM source tree named by EDGEQ_TFLM_DIR (MissingToolError when absent)."""
    value = os.environ.get("EDGEQ_TFLM_DIR")
    if not value:
        raise MissingToolError(
            "the TFLM runtime needs a TensorFlow Lite Micro source tree: set EDGEQ_TFLM_DIR "
            "to a tflite-micro checkout with its third-party downloads (see README)"
        )
    root = Path(value)
    if not (root / "tensorflow/lite/micro/micro_interpreter.h").is_file():
        raise MissingToolError(f"EDGEQ_TFLM_DIR={root} is not a tflite-micro source tree (no tensorflow/lite/micro/micro_interpreter.h)")
    missing = [d for d in ("flatbuffers", "gemmlowp") if not (root / DOWNLOADS / d).is_dir()]
    if missing:
        raise MissingToolError(f"EDGEQ_TFLM_DIR={root} lacks its third-party downloads ({', '.join(missing)} in {DOWNLOADS})")
    return root


# TFLM's TARGET_ARCH names for a core with a hard-float ABI (cortex_m_generic_makefile.inc):
# "+fp" where TFLM separates the two (M4, M7); M33 and M55 are hard-float under their plain
# names ("cortex-m33+fp" and "cortex-m55+fp" are not TFLM targets).
_HARD_FP_ARCH = {"cortex-m4": "cortex-m4+fp", "cortex-m7": "cortex-m7+fp", "cortex-m33": "cortex-m33",
                 "cortex-m55": "cortex-m55", "cortex-m85": "cortex-m85"}


def target_arch(target) -> str:
    """TFLM's TARGET_ARCH for a board's core and float ABI."""
    hard = any(f == "-mfloat-abi=hard" for f in target.cpu_flags)
    if not hard:
        return target.core
    if target.core not in _HARD_FP_ARCH:
        raise TargetError(f"{target.name}: no TFLM TARGET_ARCH known for {target.core} with a hard-float ABI")
    return _HARD_FP_ARCH[target.core]


# The FPU TFLM's Makefile gives a hard-float core on its own (-mfpu=auto for the M7: FPv5 with
# double precision). A board whose FPU is smaller (the STM32F7's single-precision FPv5-SP)
# gets a library of its own, built with FPU=..., in gen/<fpu>/: the default one executes
# double-precision instructions (vcvt.f64 in its quantization set-up), which fault there.
_ARCH_FPU = {"cortex-m4+fp": "fpv4-sp-d16", "cortex-m7+fp": "fpv5-d16"}


def fpu_variant(target) -> str | None:
    """The board's -mfpu where it differs from what TFLM builds its TARGET_ARCH with, else None."""
    fpu = next((f.split("=", 1)[1] for f in target.cpu_flags if f.startswith("-mfpu=")), None)
    default = _ARCH_FPU.get(target_arch(target))
    return fpu if fpu is not None and default is not None and fpu != default else None


def library(target, kernels: str = "reference") -> TflmLibrary:
    """The microlite library for ``target`` (built on first use) and how to compile against it."""
    if kernels not in KERNELS:
        raise TargetError(f"TFLM kernels must be one of {', '.join(KERNELS)}, not {kernels!r}")
    root = tree()
    arch = target_arch(target)
    suffix = "_cmsis_nn" if kernels == "cmsis_nn" else ""
    fpu = fpu_variant(target)
    gen = Path("gen") / fpu if fpu else Path("gen")
    lib = root / gen / f"cortex_m_generic_{arch}_release{suffix}_gcc" / "lib" / "libtensorflow-microlite.a"
    if not lib.is_file():
        _build(root, arch, kernels, fpu)
        if not lib.is_file():
            raise TargetError(f"TFLM's build finished but {lib} is missing")
    dl = root / DOWNLOADS
    return TflmLibrary(
        library=lib,
        include_dirs=(str(root), str(dl / "flatbuffers" / "include"), str(dl / "gemmlowp"), str(dl / "ruy")),
        # Must match the library's release build: TF_LITE_STATIC_MEMORY changes TfLiteTensor's
        # layout; TF_LITE_STRIP_ERROR_STRINGS turns MicroPrintf calls into nothing.
        defines=("TF_LITE_STATIC_MEMORY", "TF_LITE_STRIP_ERROR_STRINGS", "NDEBUG"),
        kernels=kernels,
    )


def _build(root: Path, arch: str, kernels: str, fpu: str | None = None) -> None:
    cmd = [
        "make", "-f", "tensorflow/lite/micro/tools/make/Makefile", "TARGET=cortex_m_generic",
        f"TARGET_ARCH={arch}", "TARGET_TOOLCHAIN_ROOT=/usr/bin/", "BUILD_TYPE=release",
        "CORE_OPTIMIZATION_LEVEL=-O2", "KERNEL_OPTIMIZATION_LEVEL=-O2",
        "THIRD_PARTY_KERNEL_OPTIMIZATION_LEVEL=-O2", f"-j{os.cpu_count() or 1}", "microlite",
    ]
    if fpu:
        cmd[-1:-1] = [f"FPU={fpu}", f"BASE_GENDIR=gen/{fpu}"]
    if kernels == "cmsis_nn":
        cmd.insert(-1, "OPTIMIZED_KERNEL_DIR=cmsis_nn")
    # TFLM's Makefile runs Python helpers that need numpy and Pillow: use this interpreter.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    log.info("building TFLM (%s kernels, %s%s) in %s: several minutes, once", kernels, arch,
             f", {fpu}" if fpu else "", root)
    try:
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise TargetError(f"building TFLM in {root} took over {BUILD_TIMEOUT_S} s") from None
    except FileNotFoundError:
        raise MissingToolError("building TFLM needs make: sudo apt-get install -y make") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        first = next((ln for ln in lines if "error" in ln.lower()), lines[-1] if lines else "unknown error")
        raise TargetError(f"building TFLM in {root} failed: {first[:300]}")
