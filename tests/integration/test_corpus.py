"""Every real export in tests/corpus/ (listed with its expectations in tests/corpus/expected.json,
its origin in tests/corpus/SOURCES.md) goes through the real binary exactly as downloaded: no
column mappings, no edits. Each must import with its expected item count, depth and spot values,
preview with the expected encoding and delimiter, and survive a CSV export and re-import with
identical items."""
import json
import os
from decimal import Decimal
from urllib.parse import quote, urlencode

from harness import Org, Server, Store, call

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def load_expected():
    with open(os.path.join(CORPUS, "expected.json"), encoding="utf-8") as f:
        return json.load(f)["files"]


def flat_fields(item, by_ref):
    """The fields expected.json speaks of, read from one item of the items answer."""
    makers = item.get("manufacturers") or []
    level, parent = 1, item["parent"]
    while parent:
        level, parent = level + 1, by_ref[parent]["parent"]
    return {
        "part_number": item["part_number"],
        "description": item["description"],
        "quantity": item["quantity"],
        "unit": item["unit"],
        "refdes": item["refdes"],
        "value": item["properties"].get("value", ""),
        "manufacturer": makers[0]["name"] if makers else "",
        "mpn": makers[0]["mpn"] if makers else "",
        "mpns": [m["mpn"] for m in makers],
        "dnp": item.get("dnp", False),
        "level": level,
        "parent_part_number": by_ref[item["parent"]]["part_number"] if item["parent"] else "",
    }


def depth(items):
    by_ref = {i["ref"]: i for i in items}
    return max((flat_fields(i, by_ref)["level"] for i in items), default=0)


def same(expected, actual, field):
    if field == "quantity":
        return Decimal(str(expected)) == Decimal(str(actual))
    if field == "dnp":
        return bool(expected) == bool(actual)
    return str(expected) == str(actual)


def selects(where, f):
    if "equals" in where:
        return str(f.get(where["field"], "")) == where["equals"]
    if "contains" in where:
        return where["contains"] in str(f.get(where["field"], ""))
    if "any" in where:
        return any(where["any"] in str(f[k]) for k in ("part_number", "description", "refdes", "value")) or \
            any(where["any"] in m for m in f["mpns"])
    raise AssertionError(f"unknown selector {where}")


def check_spots(entry, items):
    problems = []
    by_ref = {i["ref"]: i for i in items}
    flats = [flat_fields(i, by_ref) for i in items]
    for spot in entry.get("spot", []):
        where = spot["where"]
        if "item" in where:  # the item's 1-based position in file (tree) order
            hits = flats[where["item"] - 1:where["item"]]
        else:
            hits = [f for f in flats if selects(where, f)]
        if not hits:
            problems.append(f"no item matches {where}")
            continue
        hit = hits[0]
        for field, want in spot["expect"].items():
            got = hit.get(field)
            if field == "mpn" and want in hit["mpns"]:
                continue
            if not same(want, got, field):
                problems.append(f"{where}: {field} is {got!r}, expected {want!r}")
    return problems


def test_every_corpus_file_imports_as_expected_and_round_trips(serve):
    files = load_expected()
    assert len(files) >= 30, len(files)
    srv = serve(extra=["--rate-limit", "0"])
    org = Org(srv)
    b = srv.base
    failures = []
    for entry in files:
        name = entry["file"]
        with open(os.path.join(CORPUS, name), "rb") as f:
            data = f.read()
        query = urlencode(entry.get("options") or {})
        ctype = "application/octet-stream"
        s, preview, _ = call(b, "POST", "/api/v1/boms/import/preview" + ("?" + query if query else ""),
                             data, token=org.editor, ctype=ctype)
        if s != 200 or preview["errors"]:
            failures.append(f"{name}: preview {s} {preview}")
            continue
        aliases = {"macroman": "macintosh", "cp1252": "windows-1252", "cp1251": "windows-1251"}
        want_encoding = aliases.get(entry.get("encoding", "").lower(), entry.get("encoding", "").lower())
        if want_encoding and preview["format"] == "csv" and \
                aliases.get(preview["encoding"], preview["encoding"]) != want_encoding:
            failures.append(f"{name}: encoding {preview['encoding']}, expected {entry['encoding']}")
        if entry.get("delimiter") and preview["format"] == "csv" and preview["delimiter"] != entry["delimiter"]:
            failures.append(f"{name}: delimiter {preview['delimiter']!r}, expected {entry['delimiter']!r}")
        path = "/api/v1/boms/import?name=" + quote(name) + ("&" + query if query else "")
        s, r, _ = call(b, "POST", path, data, token=org.editor, ctype=ctype)
        if s != 201:
            failures.append(f"{name}: import {s} {r}")
            continue
        s, got, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/items", token=org.editor)
        items = got["items"]
        if len(items) != entry["items"]:
            failures.append(f"{name}: {len(items)} items, expected {entry['items']}")
        if depth(items) != entry["depth"]:
            failures.append(f"{name}: depth {depth(items)}, expected {entry['depth']}")
        if preview["rows"] != items[:len(preview["rows"])]:
            failures.append(f"{name}: the preview's rows differ from what was stored")
        failures += [f"{name}: {p}" for p in check_spots(entry, items)]
        # Exported as CSV and imported again: identical items.
        s, exported, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/export?format=csv", token=org.editor, raw=True)
        s, again, _ = call(b, "POST", "/api/v1/boms/import?name=" + quote(name + " again"), exported,
                           token=org.editor, ctype="text/csv")
        if s != 201:
            failures.append(f"{name}: re-import of the export {s} {again}")
            continue
        s, back, _ = call(b, "GET", f"/api/v1/boms/{again['id']}/items", token=org.editor)
        if back["items"] != items:
            failures.append(f"{name}: the CSV export did not re-import to identical items")
    assert not failures, "\n".join(failures)
