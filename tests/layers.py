#!/usr/bin/env python3
"""The code's layering, checked from the sources (run by `meson test` as "layers").

bomvault's modules depend one way: app -> http -> service -> {access, store, vault} -> codec ->
{bom, crypto} -> util. The rules below follow from it, each checked on every file under src/ (the
fourth on web/):

1. Includes: a directory includes only itself and the directories below it (ALLOWED).
2. libsodium is called only in src/crypto/: no <sodium.h>, no sodium_*, randombytes_* or
   crypto_*_* call anywhere else; the rest of the code uses crypto/crypto.h.
3. SQL text lives in src/store/ and JSON (nlohmann) in src/http/ and src/app/ (the API's bodies)
   and src/codec/ (every other JSON text: the documents bomvault stores, and the messages of the
   outside protocols it speaks, each decoded into and encoded from plain structs), with the BOM
   JSON body parser in src/bom/ aside. Services, stores, access, vault and crypto hold no JSON.
   Files that still hold either are listed in SQL_NOT_YET_MOVED and JSON_NOT_YET_MOVED (both
   empty now): the lists may only shrink. A file that gains SQL or JSON outside its layer
   fails, and so does a listed file that no longer needs its place (take it off the list).

4. The UI's ES modules (web/*.js) import each other without cycles: a cycle makes evaluation order
   depend on which module loads first, and a binding used before its module ran is undefined.

5. A route's function is asked in one place: the dispatcher, from RouteSpec::permission (and for
   a route on one BOM or on a user who may be oneself, RouteSpec::target). No route file
   (src/http/routes_*.cc) calls access::MayUse, access::MayOnBom or Boms::Check itself.

6. A handler answers with a value: every route handler returns util::Result<Reply> (http/reply.h),
   and the dispatcher writes it, or sends the refusal through SendError, the one place an error
   is written. So no route file (src/http/routes_*.cc) calls SendError or another Send* helper,
   or touches the response (`c.res`).

7. A request body is declared once: its BodySpec (http/body.h) gives the parser and the JSON Schema
   together, and Api::Route reads and parses it before the handler. So no route file reads a JSON
   body itself (JsonBody) or names a request schema by hand (`.request = "..."`), except the
   streamed BOM bodies in STREAMED_BODIES, which bom/json_body.cc parses as they arrive.

Usage: layers.py [SOURCE_ROOT]   (default: the repository this file is in)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[1])
SRC = ROOT / "src"

ALLOWED = {
    "util": {"util"},
    "crypto": {"crypto", "util"},
    "bom": {"bom", "util"},
    "access": {"access", "util"},
    "store": {"store", "crypto", "util"},
    "codec": {"codec", "bom", "crypto", "util"},
    "vault": {"vault", "codec", "crypto", "util"},
    "service": {"service", "access", "bom", "codec", "store", "vault", "crypto", "util"},
    "http": {"http", "service", "access", "bom", "codec", "crypto", "util"},
    "app": {"app", "http", "service", "access", "bom", "codec", "store", "vault", "crypto", "util"},
}

# Where JSON belongs for good: the API's edges (http, app), the codecs of stored documents and
# outside protocols (codec), and the BOM JSON body parser.
JSON_HOME = {"http", "app", "codec"}
JSON_ASIDE = {"src/bom/json_body.h", "src/bom/json_body.cc"}

# Empty: every SQL statement lives in src/store/. Both lists are kept so that a move elsewhere
# can be staged again, a file at a time.
SQL_NOT_YET_MOVED = set()

# Empty too: no JSON below http/ outside codec/ and the BOM body parser.
JSON_NOT_YET_MOVED = set()

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/', re.M)
SODIUM = re.compile(r"<sodium\.h>|\bsodium_[a-z0-9_]+\s*\(|\brandombytes_[a-z0-9_]+\s*\(|"
                    r"\bcrypto_[a-z0-9]+_[a-z0-9_]+\s*\(")
# An SQL statement starts a string literal in capitals (HTTP's "DELETE" is followed by a quote).
SQL = re.compile(r'"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|PRAGMA|REPLACE|ALTER|DROP)\s')
NLOHMANN = re.compile(r"\bnlohmann\b")
MAY_USE = re.compile(r"\b(MayUse|MayOnBom)\s*\(|\bboms->Check\s*\(")
WRITES_RESPONSE = re.compile(r"\bSend[A-Za-z]*\s*\(|\bc\.res\b")
READS_BODY = re.compile(r"\bJsonBody\s*\(")
REQUEST_SCHEMA = re.compile(r'\.request\s*=\s*"([A-Za-z]+)"')
# Too large to hold as a JSON document: bom/json_body.cc parses them as a stream (routes_boms.cc).
STREAMED_BODIES = {"BomCreate", "BomChange"}
LINE_COMMENT = re.compile(r"//[^\n]*")


def code_of(path):
    """The file's text without // comments (comments may name what the code must not do)."""
    return LINE_COMMENT.sub("", path.read_text(encoding="utf-8"))


JS_IMPORT = re.compile(r'^\s*import\b[^;]*?from\s+[\'"]\./([A-Za-z0-9_./-]+\.js)[\'"]', re.M)


def web_import_cycles():
    """Every import cycle among web/*.js, each as 'a.js -> b.js -> a.js'."""
    web = ROOT / "web"
    graph = {p.name: sorted(set(JS_IMPORT.findall(p.read_text(encoding="utf-8"))))
             for p in sorted(web.glob("*.js"))}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for dep in graph.get(node, []):
            if state.get(dep) == "open":
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [])
    return cycles


def main():
    problems = [f"web/ import cycle: {c}" for c in web_import_cycles()]
    sql_files, json_files = set(), set()
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in (".h", ".cc") or path.parent == SRC:
            continue
        rel = path.relative_to(ROOT).as_posix()
        layer = path.relative_to(SRC).parts[0]
        text = path.read_text(encoding="utf-8")
        code = code_of(path)
        if layer not in ALLOWED:
            problems.append(f"{rel}: directory src/{layer}/ has no place in the layering")
            continue
        for dep in sorted(set(INCLUDE.findall(text))):
            if dep not in ALLOWED[layer]:
                problems.append(f"{rel}: {layer}/ must not include {dep}/")
        if layer != "crypto" and SODIUM.search(code):
            problems.append(f"{rel}: libsodium outside src/crypto/ "
                            f"({SODIUM.search(code).group(0).strip()}); use crypto/crypto.h")
        if layer != "store" and SQL.search(code):
            sql_files.add(rel)
        if layer not in JSON_HOME and rel not in JSON_ASIDE and NLOHMANN.search(code):
            json_files.add(rel)
        if path.name.startswith("routes_") and MAY_USE.search(code):
            problems.append(f"{rel}: a handler asks {MAY_USE.search(code).group(0).rstrip('( ')}; "
                            "name the route's permission (and target) in its RouteSpec instead")
        if path.name.startswith("routes_") and WRITES_RESPONSE.search(code):
            problems.append(f"{rel}: a handler writes the response "
                            f"({WRITES_RESPONSE.search(code).group(0).strip()}); return a Reply or "
                            "a Status instead")
        if path.name.startswith("routes_"):
            if READS_BODY.search(code):
                problems.append(f"{rel}: a handler reads its JSON body; declare a BodySpec and "
                                "route with Api::Route(spec, body, handler)")
            for name in REQUEST_SCHEMA.findall(code):
                if name not in STREAMED_BODIES:
                    problems.append(f"{rel}: request schema {name} named by hand; declare its "
                                    "BodySpec instead")
    for rel in sorted(sql_files - SQL_NOT_YET_MOVED):
        problems.append(f"{rel}: SQL outside src/store/")
    for rel in sorted(SQL_NOT_YET_MOVED - sql_files):
        problems.append(f"{rel}: holds no SQL any more; take it off SQL_NOT_YET_MOVED")
    for rel in sorted(json_files - JSON_NOT_YET_MOVED):
        problems.append(f"{rel}: nlohmann JSON below src/http/")
    for rel in sorted(JSON_NOT_YET_MOVED - json_files):
        problems.append(f"{rel}: holds no JSON any more; take it off JSON_NOT_YET_MOVED")
    for p in problems:
        print("layers:", p)
    print(f"layers: {len(problems)} problem(s); SQL still outside store/ in {len(sql_files)} "
          f"file(s), JSON outside its homes in {len(json_files)} file(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
