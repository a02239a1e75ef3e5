"""Attachments, column mappings and XLSX import on the real binary over real HTTP."""
import hashlib
import io
import subprocess
import zipfile
from urllib.parse import quote

from harness import BIN, Org, Server, Store, attach, call, is_error, make_bom, pdf_bytes, png_bytes


def audit_actions(b, token, bom):
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=bom:{bom}", token=token)
    assert s == 200, r
    return [e["action"] for e in r["entries"]]


def listing(b, token, bom):
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/attachments", token=token)
    assert s == 200, r
    return r["attachments"]


def test_thumbnail_and_derivatives_round_trip_with_sniffed_types(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor)
    thumb = png_bytes(64, 48)
    # The client's Content-Type is ignored: the bytes decide.
    s, t, _ = attach(b, org.editor, bom, thumb, name="front view.png", kind="thumbnail", ctype="text/html")
    assert s == 201, t
    assert (t["kind"], t["media_type"], t["width"], t["height"], t["size"]) == \
        ("thumbnail", "image/png", 64, 48, len(thumb))
    assert t["sha256"] == hashlib.sha256(thumb).hexdigest()
    drawing = pdf_bytes("Zeichnung Größe") + b"x" * 3_000_000  # several sealed chunks
    s, d, _ = attach(b, org.editor, bom, drawing, name="Zeichnung Größe \"B\".pdf")
    assert s == 201, d
    assert d["media_type"] == "application/pdf" and "width" not in d

    s, summary, _ = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)
    assert summary["thumbnail_id"] == t["id"] and summary["attachments"] == 2
    s, boms, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    assert [x["thumbnail_id"] for x in boms["boms"] if x["id"] == bom] == [t["id"]]

    s, body, h = call(b, "GET", f"/api/v1/boms/{bom}/attachments/{t['id']}", token=org.editor, raw=True)
    assert s == 200 and body == thumb
    assert h["Content-Type"] == "image/png" and h["Content-Disposition"].startswith("inline;")
    assert h["X-Content-Type-Options"] == "nosniff"
    s, body, h = call(b, "GET", f"/api/v1/boms/{bom}/attachments/{d['id']}", token=org.editor, raw=True)
    assert s == 200 and body == drawing
    assert h["Content-Type"] == "application/pdf"
    disposition = h["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Zeichnung%20Gr%C3%B6%C3%9Fe%20%22B%22.pdf" in disposition
    assert '"B"' not in disposition  # the quotes are percent-encoded or replaced, never raw

    # A new thumbnail replaces the old one in the same transaction.
    s, t2, _ = attach(b, org.editor, bom, png_bytes(8, 8), name="t2.png", kind="thumbnail")
    assert s == 201
    assert sorted(a["id"] for a in listing(b, org.editor, bom)) == sorted([t2["id"], d["id"]])
    assert call(b, "GET", f"/api/v1/boms/{bom}/attachments/{t['id']}", token=org.editor)[0] == 404
    assert audit_actions(b, org.admin, bom)[:3] == ["bom.attachment.add"] * 3

    assert call(b, "DELETE", f"/api/v1/boms/{bom}/attachments/{d['id']}", token=org.editor)[0] == 204
    assert [a["id"] for a in listing(b, org.editor, bom)] == [t2["id"]]
    assert audit_actions(b, org.admin, bom)[0] == "bom.attachment.delete"


def test_bad_files_are_refused_and_change_nothing(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor)
    before = audit_actions(b, org.admin, bom)
    cases = [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg",
         "derivative", 400, "attachment_type"),
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "x.pdf", "derivative", 400, "attachment_type"),
        (b"MZ\x90\x00" + b"\x00" * 100, "setup.pdf", "derivative", 400, "attachment_type"),
        (b"", "empty.pdf", "derivative", 400, "attachment_empty"),
        (pdf_bytes(), "drawing.pdf", "thumbnail", 400, "attachment_type"),
        (png_bytes(5000, 1), "huge.png", "thumbnail", 400, "attachment_type"),
        (png_bytes() + b"\x00" * (2 * 1024 * 1024), "big.png", "thumbnail", 413, "attachment_too_large"),
        (pdf_bytes(), "../../etc/passwd", "derivative", 400, "invalid_name"),
        (pdf_bytes(), "", "derivative", 400, "invalid_name"),
        (pdf_bytes(), "drawing.exe", "derivative", 400, "invalid_name"),
        (pdf_bytes(), "invoice\u202egpj.pdf", "derivative", 400, "invalid_name"),
        (pdf_bytes(), "ok.pdf", "poster", 400, "invalid_kind"),
    ]
    for data, name, kind, status, code in cases:
        s, r, _ = attach(b, org.editor, bom, data, name=name, kind=kind)
        assert (s, is_error(r, code)) == (status, True), (name, kind, s, r)
    assert listing(b, org.editor, bom) == []
    assert audit_actions(b, org.admin, bom) == before

    # Per-BOM limit: 32 files, the 33rd is refused and nothing is stored for it.
    for i in range(32):
        assert attach(b, org.editor, bom, pdf_bytes(str(i)), name=f"d{i}.pdf")[0] == 201
    s, r, _ = attach(b, org.editor, bom, pdf_bytes(), name="one-too-many.pdf")
    assert s == 422 and is_error(r, "attachment_limit"), r
    assert len(listing(b, org.editor, bom)) == 32
    # Ids of another BOM's attachment do not work through this BOM.
    other = make_bom(b, org.editor, name="Other")
    att = listing(b, org.editor, bom)[0]["id"]
    assert call(b, "GET", f"/api/v1/boms/{other}/attachments/{att}", token=org.editor)[0] == 404
    assert call(b, "DELETE", f"/api/v1/boms/{other}/attachments/{att}", token=org.editor)[0] == 404


def test_attachments_follow_the_bom_rules_and_die_with_it():
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        other = Org(srv, "Other Co", "other.example")
        b = srv.base
        bom = make_bom(b, org.editor)
        s, d, _ = attach(b, org.editor, bom, pdf_bytes())
        assert s == 201
        path = f"/api/v1/boms/{bom}/attachments/{d['id']}"
        # Not shared yet: a colleague and another tenant see nothing.
        for token in (org.editor2, other.admin):
            assert call(b, "GET", path, token=token)[0] == 404
            assert call(b, "GET", f"/api/v1/boms/{bom}/attachments", token=token)[0] == 404
        assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.editor2_id, "access": "view"},
                    token=org.editor)[0] == 201
        assert call(b, "GET", path, token=org.editor2, raw=True)[0] == 200
        assert attach(b, org.editor2, bom, pdf_bytes())[0] == 403  # a view share cannot add
        assert call(b, "DELETE", path, token=org.editor2)[0] == 403
        assert call(b, "DELETE", f"/api/v1/boms/{bom}/shares/{org.editor2_id}", token=org.editor)[0] == 204
        assert call(b, "GET", path, token=org.editor2)[0] == 404  # revocation: the next request
        # Deleting the BOM deletes its files; the offline check agrees and finds no fault.
        assert call(b, "DELETE", f"/api/v1/boms/{bom}", token=org.editor)[0] == 204
        assert call(b, "GET", path, token=org.editor)[0] == 404
        bom2 = make_bom(b, org.editor, name="Kept")
        assert attach(b, org.editor, bom2, png_bytes(), name="t.png", kind="thumbnail")[0] == 201
    finally:
        srv.stop()
    try:
        r = subprocess.run([BIN, "check", "--data", st.data, "--unseal-file", st.share_file],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "attachments: 1" in r.stdout, r.stdout
    finally:
        st.cleanup()


class Num(str):
    """A numeric cell written exactly as given, e.g. Num("1.5E1") as Excel stores 15."""


def xlsx(rows, shared=True):
    """A minimal XLSX written by hand (what Excel writes, reduced to the parts a reader needs)."""
    strings, index = [], {}
    cells_xml = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            if value is None:
                continue
            ref = chr(ord("A") + c) + str(r)
            if isinstance(value, (int, float, Num)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif shared:
                if value not in index:
                    index[value] = len(strings)
                    strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{index[value]}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
        cells_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel_ns}"><sheets>'
                   '<sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel_ns}/worksheet" Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{rel_ns}/sharedStrings" Target="sharedStrings.xml"/>'
                   '</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {ns}><sheetData>'
                   + "".join(cells_xml) + "</sheetData></worksheet>")
        sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {ns} count="{len(strings)}">{sst}</sst>')
    return buf.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def import_file(b, token, name, data, ctype="text/csv"):
    return call(b, "POST", "/api/v1/boms/import?name=" + quote(name), data, token=token, ctype=ctype)


def test_xlsx_import_matches_csv_import(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    rows = [["Level", "Part Number", "Description", "Qty", "Unit", "Material"],
            [0, "GBX-100", "Gearbox", 1, "ea", None],
            [1, "SHF-7", "Shaft, ground", 2, "ea", "42CrMo4"],
            [2, "BRG-6204", "Bearing", Num("2.4999999999999996"), None, None],
            [1, "SCR-M6", "Screw M6x20", Num("1.5E1"), "pcs", "A2"]]
    csv = "\n".join(",".join('"' + str(c) + '"' if c is not None else "" for c in r) for r in rows)
    csv = csv.replace('"1.5E1"', "15").replace('"2.4999999999999996"', "2.5")
    for shared in (True, False):
        s, r, _ = import_file(b, org.editor, "From Excel", xlsx(rows, shared), XLSX_TYPE)
        assert s == 201, r
        s, from_xlsx, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/items", token=org.editor)
        s, r2, _ = import_file(b, org.editor, "From CSV", csv.encode())
        assert s == 201, r2
        s, from_csv, _ = call(b, "GET", f"/api/v1/boms/{r2['id']}/items", token=org.editor)
        assert from_xlsx == from_csv
        assert [i["quantity"] for i in from_xlsx["items"]] == [1, 2, 2.5, 15]
    # Errors name the spreadsheet row and column, and nothing is stored.
    s, before, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    bad = [rows[0], [0, "A", "x", 1], [1, "B", "y", "-2"]]
    s, r, _ = import_file(b, org.editor, "Bad", xlsx(bad), XLSX_TYPE)
    assert s == 400 and r["error"]["message"].startswith("row 3, column 4: "), r
    assert r["error"]["details"][0]["line"] == 3
    for junk in (b"PK\x03\x04 not really a zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600):
        s, r, _ = import_file(b, org.editor, "Junk", junk, XLSX_TYPE)
        assert s == 400 and r["error"]["code"] in ("xlsx_invalid", "csv_syntax", "csv_header"), r
    s, after, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    assert len(after["boms"]) == len(before["boms"])


def test_column_mappings_apply_to_every_import_in_the_org():
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        other = Org(srv, "Other Co", "other.example")
        b = srv.base
        mappings = [{"column": "Pos", "field": "find_number"},
                    {"column": "Artikel", "field": "part_number"},
                    {"column": "Menge", "field": "quantity"},
                    {"column": "Mfr. Part No", "property": "Manufacturer PN"},
                    {"column": "Internal Cost", "ignore": True}]
        s, r, _ = call(b, "PUT", "/api/v1/org/column-mappings", {"mappings": mappings}, token=org.admin)
        assert s == 200, r
        assert r["mappings"][3] == {"column": "mfr._part_no", "property": "manufacturer_pn"}
        # Every member reads them; only an Administrator changes them.
        s, seen, _ = call(b, "GET", "/api/v1/org/column-mappings", token=org.viewer)
        assert s == 200 and seen == r
        assert call(b, "PUT", "/api/v1/org/column-mappings", {"mappings": []}, token=org.editor)[0] == 403
        # Another tenant's mappings are its own.
        assert call(b, "GET", "/api/v1/org/column-mappings", token=other.admin)[1] == {"mappings": []}

        csv = "level;Pos;Artikel;Menge;Mfr. Part No;Internal Cost\n0;10;TOP-1;1;X-99;12.50\n1;20;SUB-2;4;;3\n"
        s, imp, _ = import_file(b, org.editor, "Mapped", csv.encode())
        assert s == 201, imp
        s, items, _ = call(b, "GET", f"/api/v1/boms/{imp['id']}/items", token=org.editor)
        first = items["items"][0]
        assert (first["find_number"], first["part_number"], first["quantity"]) == ("10", "TOP-1", 1), first
        assert first["properties"] == {"manufacturer_pn": "X-99"}
        assert "12.50" not in str(items)
        # XLSX goes through the same mappings.
        s, imp2, _ = import_file(b, org.editor, "Mapped XLSX", xlsx([["level", "Artikel", "Menge"], [0, "Q-1", 3]]),
                                 XLSX_TYPE)
        assert s == 201, imp2
        # The other org has no mappings: the importer's own German synonyms read the same file
        # (Artikel, Menge, Pos), "Mfr. Part No" is an MPN there, and nothing is dropped.
        s, r, _ = import_file(b, other.admin, "Unmapped", csv.encode())
        assert s == 201 and r["profile"] == "generic", r
        s, items, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/items", token=other.admin)
        first = items["items"][0]
        assert (first["find_number"], first["part_number"], first["quantity"]) == ("10", "TOP-1", 1), first
        assert first["manufacturers"] == [{"name": "", "mpn": "X-99"}]
        assert first["properties"] == {"internal_cost": "12.50"}

        # Bad lists are refused whole; the stored list is unchanged; changes are audited.
        for bad in ([{"column": "A"}], [{"column": "A", "field": "qty"}], [{"column": "A", "property": "quantity"}],
                    [{"column": "A", "ignore": True}, {"column": "a", "ignore": True}], "nope"):
            s, r, _ = call(b, "PUT", "/api/v1/org/column-mappings", {"mappings": bad}, token=org.admin)
            assert s == 400 and is_error(r, "invalid_mapping"), (bad, r)
        assert call(b, "GET", "/api/v1/org/column-mappings", token=org.admin)[1] == seen
        s, audit, _ = call(b, "GET", f"/api/v1/audit?object=org:{org.id}", token=org.admin)
        assert [e["action"] for e in audit["entries"]].count("org.column_mappings") == 1
    finally:
        srv.stop()
    try:
        # The sealed mappings open offline too.
        r = subprocess.run([BIN, "check", "--data", st.data, "--unseal-file", st.share_file],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "check: ok" in r.stdout, r.stdout + r.stderr
    finally:
        st.cleanup()
