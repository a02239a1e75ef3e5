#!/usr/bin/env python3
"""Writes the generated seeds of the committed fuzz corpora (the hand-written ones sit beside them):

    python3 fuzz/seeds.py

share/: valid key shares for the fuzz target's fixed store id "bvfuzz01", in the canonical form
and in the spellings people produce (lower case, no dashes, line breaks, look-alike letters).
xlsx/: small workbooks written the way Excel lays them out (bench/gen_bom_xlsx.py), with shared
strings and with inline strings, plus one whose first tab is not the first part file.
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


if __name__ == "__main__":
    shares()
    workbooks()
    sys.exit(0)
