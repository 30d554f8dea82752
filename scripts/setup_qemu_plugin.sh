#!/usr/bin/env bash
# Build edgeq's QEMU TCG plugin (exact instruction counts between marker functions).
#
# Debian ships qemu-system-arm with -plugin support but without qemu-plugin.h. The header
# comes from the `qemu` source package of exactly the installed version (a deb-src entry in
# an apt sources file of our own), is GPL-2.0-or-later and is never committed: it and the
# built plugin live under .cache/qemu-plugin/ (gitignored). Idempotent: a second run with
# the same qemu version and plugin source does nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.cache/qemu-plugin"
SRC="$ROOT/scripts/qemu_plugin/edgeq_insn.c"
say() { printf '[setup:qemu-plugin] %s\n' "$*"; }

command -v qemu-system-arm >/dev/null 2>&1 || { say "qemu-system-arm not installed: skipped"; exit 0; }
QVER="$(dpkg-query -W -f='${Version}' qemu-system-arm 2>/dev/null || true)"
[ -n "$QVER" ] || { say "qemu-system-arm is not a Debian package here: set EDGEQ_QEMU_PLUGIN to a built plugin"; exit 0; }
SRCVER="$(dpkg-query -W -f='${source:Version}' qemu-system-arm)"
WANT="$QVER $(sha256sum "$SRC" | cut -d' ' -f1)"
if [ -f "$OUT/libedgeq_insn.so" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$WANT" ]; then
  exit 0
fi
mkdir -p "$OUT"

if [ ! -f "$OUT/include/qemu-plugin.h" ] || [ "$(cat "$OUT/include/version" 2>/dev/null)" != "$SRCVER" ]; then
  if [ "$(id -u)" != 0 ]; then
    say "fetching qemu-plugin.h needs root (apt deb-src entry); run: sudo bash scripts/setup_qemu_plugin.sh"
    exit 0
  fi
  LIST=/etc/apt/sources.list.d/edgeq-src.sources
  if [ ! -f "$LIST" ]; then
    # Mirror the system's deb entries as deb-src (deb822 or one-line format).
    : > "$LIST.tmp"
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && [ "$f" != "$LIST" ] || continue
      grep -q '^Types:.*deb' "$f" && grep -q 'debian' "$f" || continue
      sed -e 's/^Types:.*/Types: deb-src/' "$f" >> "$LIST.tmp"; echo >> "$LIST.tmp"
    done
    if [ -f /etc/apt/sources.list ]; then
      grep -E '^deb ' /etc/apt/sources.list | grep debian | sed -e 's/^deb /deb-src /' > /etc/apt/sources.list.d/edgeq-src.list || true
    fi
    mv "$LIST.tmp" "$LIST"
  fi
  say "fetching the qemu $SRCVER source package for qemu-plugin.h (~24 MB, once)"
  apt-get update -qq
  WORK="$(mktemp -d)"
  chmod 755 "$WORK"  # apt downloads as _apt
  trap 'rm -rf "$WORK"' EXIT
  (cd "$WORK" && apt-get source -qq --download-only "qemu=$SRCVER" >/dev/null)
  ORIG="$(ls "$WORK"/qemu_*.orig.tar.* | head -1)"
  member="$(tar -tf "$ORIG" | grep -E '^[^/]+/include/qemu/qemu-plugin.h$' | head -1)"
  tar -xf "$ORIG" -C "$WORK" "$member"
  hdr="$WORK/$member"
  # Debian's patches (stable updates) may touch the header: then unpack the whole patched
  # source instead (slower, rare).
  DEB="$(ls "$WORK"/qemu_*.debian.tar.* | head -1)"
  if tar -xOf "$DEB" --wildcards '*/patches/*' 2>/dev/null | grep -q 'include/qemu/qemu-plugin.h'; then
    say "Debian patches touch qemu-plugin.h: unpacking the patched source"
    command -v dpkg-source >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
    (cd "$WORK" && dpkg-source -x --no-check qemu_*.dsc patched >/dev/null)
    hdr="$WORK/patched/include/qemu/qemu-plugin.h"
  fi
  mkdir -p "$OUT/include"
  cp "$hdr" "$OUT/include/qemu-plugin.h"
  echo "$SRCVER" > "$OUT/include/version"
fi

CC="${CC:-cc}"

"$CC" -O2 -shared -fPIC -Wall -Werror -I"$OUT/include" -o "$OUT/libedgeq_insn.so.tmp" "$SRC"
mv "$OUT/libedgeq_insn.so.tmp" "$OUT/libedgeq_insn.so"
echo "$WANT" > "$OUT/stamp"
say "built $OUT/libedgeq_insn.so (qemu $QVER)"
