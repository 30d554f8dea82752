#!/usr/bin/env bash
# Install the Renode emulator (real STM32 and nRF52 parts) for edgeq's Renode boards.
#
# Renode 1.15.3 built for Mono comes as a tarball beside the checkout
# (../shared/renode/renode-*.tar.xz, or $EDGEQ_RENODE_TARBALL); it is unpacked into
# .cache/renode/ (gitignored), where edgeq finds it (or point EDGEQ_RENODE at any renode
# launcher). It needs Mono: `mono-complete` is installed with apt when root, otherwise the
# command is printed. Without a tarball, nothing is done (the Renode boards then say how to
# install Renode). Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.cache/renode"
say() { printf '[setup:renode] %s\n' "$*"; }

TARBALL="${EDGEQ_RENODE_TARBALL:-}"
if [ -z "$TARBALL" ]; then
  TARBALL="$(ls "$ROOT"/../shared/renode/renode-*-mono.tar.xz 2>/dev/null | head -n1 || true)"
fi
if [ -z "$TARBALL" ] || [ ! -f "$TARBALL" ]; then
  say "no Renode tarball (../shared/renode/ or EDGEQ_RENODE_TARBALL): skipped; see README (Renode)"
  exit 0
fi

if ! command -v mono >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing mono-complete (Renode runs on Mono; about 260 MB)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mono-complete >/dev/null
  else
    say "Renode needs Mono; install it with:"
    say "  sudo apt-get install -y --no-install-recommends mono-complete"
  fi
fi

WANT="$(sha256sum "$TARBALL" | cut -d' ' -f1)"
if [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$WANT" ] && ls "$OUT"/renode-*/renode >/dev/null 2>&1; then
  exit 0
fi
say "unpacking $(basename "$TARBALL") into .cache/renode/"
rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp"
tar -C "$OUT.tmp" -xJf "$TARBALL"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
echo "$WANT" > "$OUT/stamp"
say "Renode: $(ls "$OUT"/renode-*/renode)"
