#!/usr/bin/env bash
# Fetches the pinned SQLCipher 4.x amalgamation and checks it before anything compiles it.
#
# Debian 12 ships only SQLCipher 3.4.1 (SQLite 3.15.2, 2016). The npm package
# @journeyapps/sqlcipher@6.0.0 carries the SQLCipher 4.14.0 / SQLite 3.51.3 amalgamation; we take
# only deps/sqlcipher-amalgamation/ from its tarball (`npm pack` downloads without installing or
# running any package script). Both the tarball and the extracted sources are pinned by SHA-256.
# The sources are never committed (third_party/ is ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=third_party/sqlcipher
tarball_sha=ad3ee0e551de315b230db78e2294d41868b5c166d44c0c87da35fb6b87bde54c
c_sha=2ba87bbc92caf02c0ac640198c537c24bdda899a18bbba289f3d3f44d56795e4
h_sha=c7253bc5d2ba0fad5236fc10ed959f99374bdbc224c200250c9c4a90edf56023

if [ -f "$dest/sqlite3.c" ] && echo "$c_sha  $dest/sqlite3.c" | sha256sum -c --status \
   && echo "$h_sha  $dest/sqlite3.h" | sha256sum -c --status; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @journeyapps/sqlcipher@6.0.0 >/dev/null)
echo "$tarball_sha  $tmp/journeyapps-sqlcipher-6.0.0.tgz" | sha256sum -c --status \
  || { echo "fetch-sqlcipher: tarball checksum mismatch, refusing to build" >&2; exit 1; }
tar -xzf "$tmp/journeyapps-sqlcipher-6.0.0.tgz" -C "$tmp" package/deps/sqlcipher-amalgamation
src="$tmp/package/deps/sqlcipher-amalgamation"
echo "$c_sha  $src/sqlite3.c" | sha256sum -c --status || { echo "fetch-sqlcipher: sqlite3.c checksum mismatch" >&2; exit 1; }
echo "$h_sha  $src/sqlite3.h" | sha256sum -c --status || { echo "fetch-sqlcipher: sqlite3.h checksum mismatch" >&2; exit 1; }
mkdir -p "$dest"
cp "$src/sqlite3.c" "$src/sqlite3.h" "$dest/"
echo "fetch-sqlcipher: SQLCipher 4.14.0 (SQLite 3.51.3) sources verified in $dest"
