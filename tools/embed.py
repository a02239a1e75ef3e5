#!/usr/bin/env python3
"""Turns files into a C++ source holding them as byte arrays, so the binary is self-contained.

    embed.py OUT.cc SYMBOL BASE_DIR FILE...

Each FILE is stored under its path relative to BASE_DIR, with a leading '/', and the content type
guessed from its extension. A FILE outside BASE_DIR (one the build generated) is stored under '/'
and its file name. The array is `const bomvault::util::EmbeddedFile SYMBOL[]`, ended by an
entry whose path is nullptr (see src/util/embedded.h).
"""
import os
import sys

TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
    ".json": "application/json", ".sql": "application/sql", ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}


def main():
    out, symbol, base, files = sys.argv[1], sys.argv[2], sys.argv[3], sorted(sys.argv[4:])
    lines = ['#include "util/embedded.h"', "", "namespace {"]
    entries = []
    for i, path in enumerate(files):
        rel = os.path.relpath(path, base).replace(os.sep, "/")
        rel = "/" + (os.path.basename(path) if rel.startswith("../") else rel)
        data = open(path, "rb").read()
        body = ",".join(str(b) for b in data)
        lines.append(f"const unsigned char kData{i}[] = {{{body}{',' if data else ''}0}};")
        ctype = TYPES.get(os.path.splitext(path)[1], "application/octet-stream")
        entries.append(f'    {{"{rel}", "{ctype}", kData{i}, {len(data)}}},')
    lines += ["}  // namespace", "", "namespace bomvault::util {", "",
              f"extern const EmbeddedFile {symbol}[];", f"const EmbeddedFile {symbol}[] = {{"]
    lines += entries + ["    {nullptr, nullptr, nullptr, 0},", "};", "", "}  // namespace bomvault::util", ""]
    with open(out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
