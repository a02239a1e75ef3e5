#!/usr/bin/env python3
"""Writes the rows of a CSV file as an XLSX workbook (one sheet, shared strings, numbers as
numbers), the way Excel stores them, for the XLSX phase of bench/storage.sh.

    python3 bench/gen_bom_xlsx.py IN.csv OUT.xlsx
"""
import csv
import sys
import zipfile
from xml.sax.saxutils import escape

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def column(i):
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def is_number(text):
    try:
        float(text)
        return text.strip() == text and text != "" and text.lower() not in ("nan", "inf", "-inf", "infinity")
    except ValueError:
        return False


def main(src, dst):
    strings, index, rows = [], {}, []
    with open(src, newline="", encoding="utf-8") as f:
        for r, row in enumerate(csv.reader(f), start=1):
            cells = []
            for c, value in enumerate(row):
                if value == "":
                    continue
                ref = f"{column(c)}{r}"
                if is_number(value) and r > 1:
                    cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                else:
                    if value not in index:
                        index[value] = len(strings)
                        strings.append(value)
                    cells.append(f'<c r="{ref}" t="s"><v>{index[value]}</v></c>')
            rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {NS} xmlns:r="{REL}"><sheets>'
                   '<sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {NS}><sheetData>'
                   + "".join(rows) + "</sheetData></worksheet>")
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {NS} count="{len(strings)}">'
                   + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings) + "</sst>")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
