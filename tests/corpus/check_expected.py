#!/usr/bin/env python3
"""Validate tests/corpus/expected.json against the corpus folder and SOURCES.md.

Checks structure only (keys, types, allowed values), that every listed file exists and is
named in SOURCES.md, that every corpus data file is listed, and the corpus size budget.
It does not parse the BOM files: the expected values are read by hand.
Exit status 0 when everything holds; otherwise prints each problem and exits 1.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
META = {"expected.json", "SOURCES.md", "README.md", "check_expected.py",
        "make_synthetic.py", ".gitattributes"}
ENCODINGS = {"utf-8", "utf-8-bom", "utf-16le-bom", "windows-1252", "windows-1251",
             "macroman", "binary"}
DELIMITERS = {",", ";", "\t", "|", None}
FIELDS = {"part_number", "description", "quantity", "unit", "refdes", "manufacturer", "mpn",
          "value", "dnp", "level", "parent_part_number"}
MAX_TOTAL = 2 * 1024 * 1024
MAX_FILE = 400 * 1024


def main():
    problems = []
    with open(os.path.join(HERE, "expected.json"), encoding="utf-8") as f:
        data = json.load(f)
    with open(os.path.join(HERE, "SOURCES.md"), encoding="utf-8") as f:
        sources = f.read()
    entries = data.get("files")
    if not isinstance(entries, list) or not entries:
        print("expected.json: 'files' must be a non-empty list")
        return 1
    seen = set()
    for e in entries:
        name = e.get("file", "?")
        where = "expected.json[%s]" % name
        for key in ("file", "family", "encoding", "delimiter", "items", "depth", "notes", "spot"):
            if key not in e:
                problems.append("%s: missing key %r" % (where, key))
        unknown = set(e) - {"file", "family", "encoding", "delimiter", "items", "depth",
                            "notes", "spot", "options"}
        if unknown:
            problems.append("%s: unknown keys %s" % (where, sorted(unknown)))
        if name in seen:
            problems.append("%s: listed twice" % where)
        seen.add(name)
        path = os.path.join(HERE, name)
        if not os.path.isfile(path):
            problems.append("%s: file does not exist" % where)
        elif os.path.getsize(path) > MAX_FILE:
            problems.append("%s: file larger than %d bytes" % (where, MAX_FILE))
        if "`%s`" % name not in sources:
            problems.append("%s: not listed in SOURCES.md" % where)
        if e.get("encoding") not in ENCODINGS:
            problems.append("%s: bad encoding %r" % (where, e.get("encoding")))
        if e.get("delimiter") not in DELIMITERS:
            problems.append("%s: bad delimiter %r" % (where, e.get("delimiter")))
        if (e.get("encoding") == "binary") != (e.get("delimiter") is None):
            problems.append("%s: binary files (XLSX) and only they have delimiter null" % where)
        items, depth = e.get("items"), e.get("depth")
        if not isinstance(items, int) or isinstance(items, bool) or items < 0:
            problems.append("%s: items must be an integer >= 0" % where)
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
            problems.append("%s: depth must be an integer >= 0" % where)
        elif isinstance(items, int) and (items == 0) != (depth == 0):
            problems.append("%s: depth is 0 exactly when items is 0" % where)
        opts = e.get("options", {})
        if not isinstance(opts, dict) or set(opts) - {"sheet", "charset"}:
            problems.append("%s: options may hold only 'sheet' and 'charset'" % where)
        spots = e.get("spot")
        if not isinstance(spots, list) or len(spots) > 4:
            problems.append("%s: spot must be a list of at most 4 checks" % where)
            continue
        if isinstance(items, int) and items > 0 and len(spots) < 2:
            problems.append("%s: a non-empty BOM needs at least 2 spot checks" % where)
        for i, s in enumerate(spots):
            sw = "%s.spot[%d]" % (where, i)
            w, x = s.get("where"), s.get("expect")
            if not isinstance(w, dict) or not isinstance(x, dict) or set(s) != {"where", "expect"}:
                problems.append("%s: needs exactly 'where' and 'expect' objects" % sw)
                continue
            if "item" in w:
                n = w["item"]
                if set(w) != {"item"} or not isinstance(n, int) or n < 1 or \
                        (isinstance(items, int) and n > items):
                    problems.append("%s: 'item' must be 1..items" % sw)
            elif set(w) == {"any"}:
                if not isinstance(w["any"], str) or not w["any"]:
                    problems.append("%s: 'any' must be a non-empty string" % sw)
            elif set(w) in ({"field", "contains"}, {"field", "equals"}):
                if w["field"] not in FIELDS:
                    problems.append("%s: unknown where field %r" % (sw, w["field"]))
                value = w.get("contains", w.get("equals"))
                if not isinstance(value, str) or not value:
                    problems.append("%s: where value must be a non-empty string" % sw)
            else:
                problems.append("%s: where must be {field, contains|equals}, {any} or {item}" % sw)
            if not x:
                problems.append("%s: expect is empty" % sw)
            for k, v in x.items():
                if k not in FIELDS:
                    problems.append("%s: unknown field %r" % (sw, k))
                elif k == "dnp":
                    if not isinstance(v, bool):
                        problems.append("%s: dnp must be true/false" % sw)
                elif k == "level":
                    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                        problems.append("%s: level must be an integer >= 1" % sw)
                elif not isinstance(v, str):
                    problems.append("%s: %s must be a string" % (sw, k))
                elif k == "quantity":
                    try:
                        q = float(v)
                    except ValueError:
                        q = None
                    if q is None or v != v.strip() or "," in v or "e" in v.lower() or \
                            (("." in v) and v.endswith("0")):
                        problems.append("%s: quantity %r is not canonical decimal text" % (sw, v))
    total = 0
    for root, _dirs, files in os.walk(HERE):
        for fn in files:
            rel = os.path.relpath(os.path.join(root, fn), HERE).replace(os.sep, "/")
            if rel in META or "__pycache__" in rel:
                continue
            total += os.path.getsize(os.path.join(root, fn))
            if rel not in seen:
                problems.append("%s: corpus file without an expected.json entry" % rel)
    if total > MAX_TOTAL:
        problems.append("corpus is %d bytes, more than %d" % (total, MAX_TOTAL))
    for p in problems:
        print(p)
    if not problems:
        print("expected.json: %d files, %d bytes of corpus, all checks hold" % (len(entries), total))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
