#!/usr/bin/env python3
"""Writes the generated seeds of the committed fuzz corpora (the hand-written ones sit beside them):

    python3 fuzz/seeds.py

share/: valid key shares for the fuzz target's fixed store id "bvfuzz01", in the canonical form
and in the spellings people produce (lower case, no dashes, line breaks, look-alike letters).
xlsx/: small workbooks written the way Excel lays them out (bench/gen_bom_xlsx.py), with shared
strings and with inline strings, plus one whose first tab is not the first part file.
http/auth-*: signed-in requests for fuzz_http, one per kind of operation, naming the harness's
seeded people and BOM by placeholder (@A@ Administrator, @E@ Editor and owner, @V@ Viewer, @B@ the
BOM, @U@ the Viewer's id); Content-Length counts the id a placeholder becomes (28 characters).
"""
import hashlib
import io
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def share(store_id, threshold, index, y):
    body = store_id + bytes([threshold, index]) + y
    check = hashlib.blake2b(b"bomvault-share-v1" + body, digest_size=32).digest()[:4]
    payload = body + check
    bits = "".join(f"{b:08b}" for b in payload) + "00"
    chars = "".join(ALPHABET[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))
    return "bvs1-" + "-".join(chars[i:i + 5] for i in range(0, len(chars), 5))


def write(folder, name, data):
    path = os.path.join(HERE, "corpus", folder)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def shares():
    store = b"bvfuzz01"
    a = share(store, 3, 1, bytes(range(32)))
    write("share", "canonical", a)
    write("share", "lower-no-dashes", a.lower().replace("-", "").replace("bvs1", "bvs1-", 1))
    write("share", "wrapped", a[:30] + "\n  " + a[30:60] + "\r\n\t" + a[60:] + "\n")
    write("share", "lookalikes", a.replace("1", "l").replace("0", "O").replace("bvs", "bvs", 1)
          .replace("bvsl-", "bvs1-", 1))
    write("share", "max-fields", share(store, 10, 10, b"\xff" * 32))
    write("share", "other-store", share(b"otherst1", 2, 2, bytes(32)))
    write("share", "typo", a[:-3] + ("A" if a[-3] != "A" else "B") + a[-2:])
    write("share", "short", a[:40])


def xlsx(rows, shared=True, sheets=1):
    def col(i):
        name = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(65 + r) + name
        return name
    strings, index = [], {}
    sheet_rows = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{col(c)}{r}"
            if isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif shared:
                if v not in index:
                    index[v] = len(strings)
                    strings.append(v)
                cells.append(f'<c r="{ref}" t="s"><v>{index[v]}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                   f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        tabs = "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>'
                       for i in range(sheets, 0, -1))
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}">'
                   f'<sheets>{tabs}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" '
                       f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, sheets + 1))
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns='
                   f'"http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                   '</Relationships>')
        for i in range(1, sheets + 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<?xml version="1.0"?><worksheet {ns}>'
                       f'<sheetData>{"".join(sheet_rows)}</sheetData></worksheet>')
        if shared:
            sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
            z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {ns} '
                       f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>')
    return out.getvalue()


def workbooks():
    rows = [["level", "part_number", "description", "quantity", "unit", "supplier"],
            [1, "GBX-100", "Gearbox", 1, "ea", ""],
            [2, "SHF-7", "Shaft &amp; key", 2, "ea", "Acme"],
            [3, "BRG-6204", "Bearing", 0.25, "kg", "SKF"],
            [2, "HSG-1", "Housing", 1e-3, "", "Ünïcødé"]]
    write("xlsx", "shared-strings.xlsx", xlsx(rows))
    write("xlsx", "inline-strings.xlsx", xlsx(rows, shared=False))
    write("xlsx", "two-tabs.xlsx", xlsx(rows, sheets=2))
    parent = [["ref", "parent", "part_number", "quantity"], ["A", "", "TOP", 1],
              ["B", "A", "SUB", 3], ["C", "B", "SCREW", 12]]
    write("xlsx", "parent-column.xlsx", xlsx(parent))


ID_LENGTH = 28  # "usr_" and 24 characters, like every id


def request(method, path, who, body=b"", ctype="application/json", extra=""):
    length = len(body) + body.count(b"@U@") * (ID_LENGTH - 3)
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer @{who}@\r\n{extra}"
    if body or method in ("POST", "PUT", "PATCH"):
        head += f"Content-Type: {ctype}\r\nContent-Length: {length}\r\n"
    return head.encode() + b"\r\n" + body


def signed_in_requests():
    seeds = {
        "get-bom": request("GET", "/api/v1/boms/@B@", "V", extra="If-None-Match: \"3\"\r\n"),
        "items": request("GET", "/api/v1/boms/@B@/items", "V", extra="Accept-Encoding: gzip\r\n"),
        "flat-export": request("GET", "/api/v1/boms/@B@/export?format=csv", "E"),
        "compare": request("GET", "/api/v1/boms/@B@/compare/@B@", "E"),
        "list-cursor": request("GET", "/api/v1/boms?limit=1&cursor=MDAwMDAwMDAwMDAwMDAwMDAwMDAv&q=ge", "V"),
        "where-used": request("GET", "/api/v1/where-used?part_number=SHF-7&limit=5", "V"),
        "patch-if-match": request("PATCH", "/api/v1/boms/@B@", "E", b'{"name":"Renamed","metadata":{"rev":"B"}}',
                                  extra="If-Match: \"1\"\r\n"),
        "share": request("POST", "/api/v1/boms/@B@/shares", "E", b'{"user_id":"@U@","access":"edit"}'),
        "create-idempotent": request("POST", "/api/v1/boms", "E",
                                     b'{"name":"N","items":[{"ref":"1","part_number":"P","quantity":2.5}]}',
                                     extra="Idempotency-Key: k-1\r\n"),
        "import-csv": request("POST", "/api/v1/boms/import?name=Imp", "E",
                              b"level,part_number,description,quantity\n0,TOP,Top,1\n1,SUB,\"Sub, x\",2\n",
                              ctype="text/csv"),
        "revision": request("POST", "/api/v1/boms/@B@/revisions?source=r.csv", "E",
                            b"Part Number,Qty\nSHF-7,3\n", ctype="text/csv"),
        "audit": request("GET", "/api/v1/audit?object=bom:@B@&limit=3", "A"),
        "user-role": request("PATCH", "/api/v1/users/@U@", "A", b'{"role":"editor"}'),
        "settings": request("PATCH", "/api/v1/org/settings", "A", b'{"audit_depth":12}'),
        "mappings": request("PUT", "/api/v1/org/column-mappings", "A",
                            b'{"mappings":[{"column":"Mfr PN","property":"mfr_pn"}]}'),
        "token": request("POST", "/api/v1/me/tokens", "V", b'{"name":"ci","scope":"read","days":7}'),
        "me": request("PATCH", "/api/v1/me", "V", b'{"display_name":"V\u00e9ra"}'),
        "reauth": request("POST", "/api/v1/sessions/current/reauth", "E",
                          b'{"password":"Quiet-Lantern-Orbit-73"}'),
        "profile": request("POST", "/api/v1/org/import-profiles", "A",
                           b'{"name":"P","base":"kicad-grouped","options":{"on_error":"skip"}}'),
        "preview": request("POST", "/api/v1/boms/import/preview", "E", b"Designator,Value,Qty\nR1,10k,1\n",
                           ctype="text/csv"),
    }
    for name, data in seeds.items():
        write("http", "auth-" + name, data)


if __name__ == "__main__":
    shares()
    workbooks()
    signed_in_requests()
    sys.exit(0)
