#!/usr/bin/env bash
# Copies the UI's third-party browser scripts into web/vendor/ (gitignored) so meson can embed
# them. The versions are pinned by web/package-lock.json; `npm ci` checks their integrity and
# --ignore-scripts keeps package install scripts from running. Run before building (make does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
web="$root/web"
lock_stamp="$web/node_modules/.package-lock.json"
if [ ! -f "$lock_stamp" ] || [ "$web/package-lock.json" -nt "$lock_stamp" ]; then
  npm ci --prefix "$web" --ignore-scripts --no-audit --no-fund --loglevel=error
fi
mkdir -p "$web/vendor"
pkg="$web/node_modules/qrcode-generator"
# qrcode-generator 1.x ships qrcode.js at the package root, 2.x under dist/; both are the same
# classic script that defines the global `qrcode`.
src="$pkg/dist/qrcode.js"
[ -f "$src" ] || src="$pkg/qrcode.js"
if [ ! -f "$src" ]; then
  echo "vendor-web: qrcode-generator's qrcode.js is missing under $pkg" >&2
  exit 1
fi
# Copy only when the content differs, so ninja does not re-embed an unchanged file.
if ! cmp -s "$src" "$web/vendor/qrcode.js"; then
  cp "$src" "$web/vendor/qrcode.js"
fi
