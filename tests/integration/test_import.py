"""The importer over real HTTP: files exactly as CAD, EDA, PLM and ERP tools write them go in with
no mappings and no edits; the preview stores nothing; an empty BOM is a BOM; on_error=skip; MPNs
are searchable; designators, manufacturers and DNP come back in the items answer and survive a CSV
export and re-import."""
import io
import zipfile
from urllib.parse import quote

from harness import Org, Server, Store, call, is_error

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KICAD_GROUPED = (
    '"Source:","/home/ci/power.sch"\n'
    '"Date:","Tue 04 Feb 2020 10:00:00"\n'
    '"Tool:","Eeschema 5.1.5"\n'
    '"Generator:","/usr/share/kicad/plugins/bom_csv_grouped_by_value.py"\n'
    '"Component Count:","6"\n'
    '"Ref","Qnty","Value","Cmp name","Footprint","Description","Vendor",\n'
    '"C1 C2 ","2","100n","C","C_0603","Unpolarized capacitor","",\n'
    '"R1 R2 R3 ","3","10k","R","R_0603","Resistor","",\n'
    '"U1 ","1","LM358","LM358","SOIC-8","Low-Power, Dual Op Amp","TI",\n').encode()

EASYEDA = ("ID\tName\tDesignator\tFootprint\tQuantity\tManufacturer Part\tManufacturer\tSupplier\tSupplier Part\r\n"
           "1\t100nF\tC1,C2\t0603\t2\tCC0603KRX7R9BB104\tYAGEO\tLCSC\tC14663\r\n"
           "2\t10k\tR1\t0603\t1\tRC0603FR-0710KL\tYAGEO\tLCSC\tC98220\r\n").encode("utf-16")  # LE with mark

ODOO = ('"Product","Quantity","BoM Lines/Component","BoM Lines/Quantity","BoM Lines/Product Unit of Measure"\n'
        '"[FURN_8522] Table Top","1.0","[FURN_0269] Wood Panel","2.0","Units"\n'
        '"","","[FURN_0096] Bolt","4.0","Units"\n'
        '"[FURN_9666] Table","1.0","[FURN_8522] Table Top","1.0","Units"\n'
        '"","","[FURN_7023] Leg","4.0","Units"\n').encode()

GERMAN_1252 = ("Pos.;Sachnummer;Benennung;Menge;ME\r\n"
               "1;4711-001;Gehäuse;1;Stk\r\n"
               "2;4711-002;Schraube M3x8;4,5;Stk\r\n"
               "Summe;;;5,5;\r\n").encode("cp1252")


def imp(b, token, data, name="Imported", ctype="text/csv", query=""):
    return call(b, "POST", "/api/v1/boms/import?name=" + quote(name) + query, data, token=token, ctype=ctype)


def items_of(b, token, bom_id):
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom_id}/items", token=token)
    assert s == 200, r
    return r["items"]


def depth(items):
    by_ref = {i["ref"]: i for i in items}
    best = 0
    for i in items:
        d, p = 1, i["parent"]
        while p:
            d, p = d + 1, by_ref[p]["parent"]
        best = max(best, d)
    return best


def xlsx_sheets(sheets, merges=None):
    """A workbook with several sheets (name → rows of str/int) written as Excel lays them out,
    merged ranges given per sheet as "A2:A4"."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        entries = "".join(f'<sheet name="{n}" sheetId="{k + 1}" r:id="rId{k + 1}"/>' for k, n in enumerate(sheets))
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel_ns}"><sheets>{entries}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{k + 1}" Type="{rel_ns}/worksheet" Target="worksheets/sheet{k + 1}.xml"/>'
                       for k in range(len(sheets)))
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + rels + '</Relationships>')
        for k, (name, rows) in enumerate(sheets.items()):
            xml_rows = []
            for r, row in enumerate(rows, start=1):
                cells = []
                for c, v in enumerate(row):
                    if v is None:
                        continue
                    ref = chr(ord("A") + c) + str(r)
                    if isinstance(v, int):
                        cells.append(f'<c r="{ref}"><v>{v}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
                xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
            merge_xml = ""
            if merges and name in merges:
                merge_xml = "<mergeCells>" + "".join(f'<mergeCell ref="{m}"/>' for m in merges[name]) + "</mergeCells>"
            z.writestr(f"xl/worksheets/sheet{k + 1}.xml",
                       f'<?xml version="1.0"?><worksheet {ns}><sheetData>{"".join(xml_rows)}</sheetData>{merge_xml}</worksheet>')
    return buf.getvalue()


def test_real_exports_import_with_no_mappings_and_no_edits(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    s, r, _ = imp(b, org.editor, KICAD_GROUPED)
    assert s == 201, r
    assert r["items"] == 3 and r["profile"] == "kicad-grouped"
    assert any(w.get("line") == 1 and w["code"] == "skipped_preamble" for w in r["warnings"]), r
    items = items_of(b, org.editor, r["id"])
    assert [i["refdes"] for i in items] == ["C1 C2", "R1 R2 R3", "U1"]
    assert [i["properties"]["value"] for i in items] == ["100n", "10k", "LM358"]
    assert items[2]["manufacturers"] == [{"name": "TI", "mpn": ""}]
    assert [i["quantity"] for i in items] == [2, 3, 1]

    s, r, _ = imp(b, org.editor, EASYEDA)
    assert s == 201 and r["encoding"] == "utf-16le-bom" and r["profile"] == "easyeda", r
    items = items_of(b, org.editor, r["id"])
    assert items[0]["manufacturers"] == [{"name": "YAGEO", "mpn": "CC0603KRX7R9BB104"}]
    assert items[0]["refdes"] == "C1,C2"

    s, r, _ = imp(b, org.editor, ODOO)
    assert s == 201 and r["profile"] == "odoo" and r["items"] == 5, r
    items = items_of(b, org.editor, r["id"])
    assert depth(items) == 3
    assert items[0]["part_number"] == "[FURN_9666] Table"

    s, r, _ = imp(b, org.editor, GERMAN_1252)
    assert s == 201 and r["encoding"] == "windows-1252", r
    items = items_of(b, org.editor, r["id"])
    assert [(i["description"], i["quantity"], i["unit"]) for i in items] == \
        [("Gehäuse", 1, "Stk"), ("Schraube M3x8", 4.5, "Stk")]
    assert any(w["code"] == "skipped_total" and w["line"] == 4 for w in r["warnings"])

    # Russian Excel: Windows-1251 named with ?charset=.
    body = "Наименование;Кол-во;Part Number\r\nРезистор;2;R-1\r\n".encode("cp1251")
    s, r, _ = imp(b, org.editor, body, query="&charset=windows-1251")
    assert s == 201, r
    got = items_of(b, org.editor, r["id"])[0]
    assert (got["description"], got["quantity"], got["part_number"]) == ("Резистор", 2, "R-1")


def test_preview_answers_what_import_would_do_and_stores_nothing(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    s, r, _ = call(b, "POST", "/api/v1/boms/import/preview", KICAD_GROUPED, token=org.editor, ctype="text/csv")
    assert s == 200, r
    assert r["profile"] == "kicad-grouped" and r["encoding"] == "utf-8" and r["delimiter"] == ","
    assert r["header_line"] == 6 and r["items"] == 3 and r["errors"] == []
    assert {"column": "Ref", "field": "refdes"} in r["mapping"]
    assert {"column": "Value", "field": "property:value"} in r["mapping"]
    assert r["rows"][0]["refdes"] == "C1 C2" and r["rows"][0]["quantity"] == 2
    assert r["counts"]["rows"] == 3 and r["counts"]["items"] == 3
    # The same file imported reads back exactly as previewed.
    s, imported, _ = imp(b, org.editor, KICAD_GROUPED)
    assert items_of(b, org.editor, imported["id"]) == r["rows"]
    s, listing, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    assert len(listing["boms"]) == 1
    # A refused file previews with its errors, still 200, still nothing stored.
    s, r, _ = call(b, "POST", "/api/v1/boms/import/preview", b"Part Number,Qty\nA,lots\n",
                   token=org.editor, ctype="text/csv")
    assert s == 200 and r["items"] == 0 and r["errors"][0]["line"] == 2 and r["errors"][0]["column"] == 2, r
    s, r, _ = call(b, "POST", "/api/v1/boms/import/preview?profile=nope", b"Part Number,Qty\nA,1\n",
                   token=org.editor, ctype="text/csv")
    assert s == 200 and r["errors"][0]["code"] == "unknown_profile", r
    s, r, _ = call(b, "POST", "/api/v1/boms/import/preview?on_error=maybe", b"x", token=org.editor, ctype="text/csv")
    assert s == 400 and is_error(r, "invalid_parameter")
    s, listing, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    assert len(listing["boms"]) == 1


def test_an_empty_bom_is_a_bom(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    for body in (b"Part Number,Description,Qty\n", b"level,part_number,quantity\n"):
        s, r, _ = imp(b, org.editor, body, name="Empty")
        assert s == 201 and r["items"] == 0, r
        assert items_of(b, org.editor, r["id"]) == []
    s, r, _ = call(b, "POST", "/api/v1/boms", {"name": "Empty JSON", "items": []}, token=org.editor)
    assert s == 201 and r["items"] == 0, r


def test_strict_by_default_skip_on_request(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    body = b"Part Number,Qty\nA,1\nB,lots\nC,-2\nD,4\n"
    s, r, _ = imp(b, org.editor, body)
    assert s == 400 and is_error(r), r
    assert [(d["line"], d["column"]) for d in r["error"]["details"]] == [(3, 2), (4, 2)]
    s, listing, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    assert listing["boms"] == []
    s, r, _ = imp(b, org.editor, body, query="&on_error=skip")
    assert s == 201 and r["items"] == 2 and r["skipped"] == 2, r
    skipped = [w for w in r["warnings"] if w["code"] == "skipped_row"]
    assert [w["line"] for w in skipped] == [3, 4] and "not a number" in skipped[0]["message"]


def test_every_xlsx_sheet_is_considered_and_merged_cells_are_filled(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    book = xlsx_sheets({
        "Cover": [["Project Falcon"], ["Revision C"]],
        "BOM": [["Assembly", "Component", "Qty"],
                ["Frame", "Bolt M6", 4],
                [None, "Nut M6", 4],
                [None, "Washer", 8],
                ["Motor", "Stator", 1]],
        "Spares": [["Part Number", "Qty"], ["SP-1", 2], ["SP-2", 3]],
    }, merges={"BOM": ["A2:A4"]})
    s, r, _ = imp(b, org.editor, book, ctype=XLSX_TYPE)
    assert s == 201 and r["sheet"] == "BOM", r
    assert any(w["code"] == "other_sheets" and "Spares" in w["message"] for w in r["warnings"]), r
    items = items_of(b, org.editor, r["id"])
    frame = [i for i in items if i["part_number"] == "Frame"][0]
    assert sorted(i["part_number"] for i in items if i["parent"] == frame["ref"]) == ["Bolt M6", "Nut M6", "Washer"]
    s, r, _ = imp(b, org.editor, book, ctype=XLSX_TYPE, query="&sheet=Spares")
    assert s == 201 and r["items"] == 2 and r["sheet"] == "Spares", r
    s, r, _ = imp(b, org.editor, book, ctype=XLSX_TYPE, query="&sheet=Nope")
    assert s == 400 and is_error(r, "unknown_sheet") and "Spares" in r["error"]["message"], r


def test_designators_manufacturers_dnp_round_trip_and_mpns_are_searchable(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    altium = ('"Comment","Description","Designator","Footprint","LibRef","Quantity",'
              '"Manufacturer 1","Manufacturer Part Number 1","Manufacturer 2","Manufacturer Part Number 2","DNP"\r\n'
              '"10k","Resistor","R1, R2","0603","RES","2","Yageo","RC0603FR-0710KL","Panasonic","ERJ-3EKF1002V",""\r\n'
              '"100n","Capacitor","C1","0603","CAP","1","Murata","GRM188R71H104KA93D","","","DNP"\r\n').encode()
    s, r, _ = imp(b, org.editor, altium, name="Altium board")
    assert s == 201 and r["profile"] == "altium", r
    first = items_of(b, org.editor, r["id"])
    assert first[0]["manufacturers"] == [{"name": "Yageo", "mpn": "RC0603FR-0710KL"},
                                         {"name": "Panasonic", "mpn": "ERJ-3EKF1002V"}]
    assert [i["dnp"] for i in first] == [False, True]
    s, exported, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/export?format=csv", token=org.editor, raw=True)
    assert s == 200 and b"manufacturer_2,mpn_2,dnp" in exported.split(b"\n")[0]
    s, again, _ = imp(b, org.editor, exported, name="Round trip")
    assert s == 201 and again["profile"] == "bomvault", again
    assert items_of(b, org.editor, again["id"]) == first
    # JSON create takes the same fields.
    s, j, _ = call(b, "POST", "/api/v1/boms", {"name": "JSON", "items": [
        {"ref": "1", "part_number": "", "description": "Cap", "quantity": 1, "refdes": "C9",
         "manufacturers": [{"name": "TDK", "mpn": "C1608X7R1H104K080AA"}], "dnp": True}]}, token=org.editor)
    assert s == 201, j
    got = items_of(b, org.editor, j["id"])[0]
    assert got["manufacturers"] == [{"name": "TDK", "mpn": "C1608X7R1H104K080AA"}] and got["dnp"] is True
    # MPNs are found by the same blind-indexed search as part numbers; the text is not stored
    # anywhere in the clear (test_foundation checks the file).
    s, found, _ = call(b, "GET", "/api/v1/boms?part_number=ERJ-3EKF1002V", token=org.editor)
    assert sorted(x["name"] for x in found["boms"]) == ["Altium board", "Round trip"]
    s, found, _ = call(b, "GET", "/api/v1/where-used?part_number=C1608X7R1H104K080AA", token=org.editor)
    assert [x["name"] for x in found["boms"]] == ["JSON"]


def test_revisions_keep_earlier_imports_read_only_and_compare(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    rev1 = b"Designator,Value,Footprint,Qty\nR1,10k,0603,1\nC1,100n,0603,1\n"
    rev2 = b"Designator,Value,Footprint,Qty,MPN\nR1,10k,0603,1,RC0603FR-0710KL\nC1,100n,0603,2,\nU1,LM358,SOIC-8,1,\n"
    s, r, _ = imp(b, org.editor, rev1, name="Board", query="&source=board-v1.csv")
    assert s == 201, r
    bom = r["id"]
    first = items_of(b, org.editor, bom)
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/revisions?source=board-v2.csv", rev2,
                   token=org.editor, ctype="text/csv")
    assert s == 201 and r["revision"] == 2 and r["items"] == 3, r
    # The BOM now reads as revision 2; revision 1 is still there, unchanged.
    assert len(items_of(b, org.editor, bom)) == 3
    s, old, _ = call(b, "GET", f"/api/v1/boms/{bom}/items?revision=1", token=org.editor)
    assert s == 200 and old["items"] == first
    s, cur, _ = call(b, "GET", f"/api/v1/boms/{bom}/items?revision=2", token=org.editor)
    assert cur["items"] == items_of(b, org.editor, bom)
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/items?revision=3", token=org.editor)
    assert s == 404 and is_error(r), r
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/items?revision=x", token=org.editor)
    assert s == 400 and is_error(r, "invalid_parameter"), r
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/revisions", token=org.editor)
    assert s == 200, r
    revs = r["revisions"]
    assert [x["revision"] for x in revs] == [2, 1]
    assert [x["items"] for x in revs] == [3, 2]
    assert [x["source"] for x in revs] == ["board-v2.csv", "board-v1.csv"]
    assert revs[0]["current"] and not revs[1]["current"]
    assert all(x["actor_id"] and x["at"].endswith("Z") for x in revs)
    # Compare between revisions of one BOM.
    s, cmp, _ = call(b, "GET", f"/api/v1/boms/{bom}/compare/{bom}?revision=1&other_revision=2", token=org.editor)
    assert s == 200, cmp
    assert [i["refdes"] for i in cmp["added"]] == ["U1"]
    assert sorted(ch["field"] for ch in cmp["changed"]) == ["manufacturers", "quantity"]
    # A refused revision changes nothing.
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/revisions", b"Designator,Qty\nR1,lots\n",
                   token=org.editor, ctype="text/csv")
    assert s == 400, r
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/revisions", token=org.editor)
    assert len(r["revisions"]) == 2
    # Deleting the BOM takes its revisions along.
    s, _, _ = call(b, "DELETE", f"/api/v1/boms/{bom}", token=org.editor)
    assert s == 204
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/items?revision=1", token=org.editor)
    assert s == 404


def test_named_import_profiles_pick_the_meaning_per_import(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    # In this ERP's export "Quantity" is the parent's and "Menge" the component's.
    body = b"Artikel;Menge;Quantity;Kostenstelle\nA-1;2;1;4711\nA-2;3;1;4711\n"
    profile = {"name": "ERP lines", "mappings": [
        {"column": "Artikel", "field": "part_number"},
        {"column": "Menge", "field": "quantity"},
        {"column": "Quantity", "ignore": True},
        {"column": "Kostenstelle", "ignore": True}], "options": {"on_error": "skip"}}
    s, r, _ = call(b, "POST", "/api/v1/org/import-profiles", profile, token=org.editor)
    assert s == 403, r
    s, r, _ = call(b, "POST", "/api/v1/org/import-profiles", profile, token=org.admin)
    assert s == 201 and r["name"] == "ERP lines" and r["options"]["on_error"] == "skip", r
    pid = r["id"]
    s, r, _ = call(b, "POST", "/api/v1/org/import-profiles", profile, token=org.admin)
    assert s == 409 and is_error(r, "profile_exists"), r
    s, r, _ = call(b, "POST", "/api/v1/org/import-profiles", {"name": "x", "base": "nope"}, token=org.admin)
    assert s == 400 and is_error(r, "invalid_profile"), r
    s, listed, _ = call(b, "GET", "/api/v1/org/import-profiles", token=org.viewer)
    assert s == 200 and [p["id"] for p in listed["profiles"]] == [pid]
    s, r, _ = imp(b, org.editor, body, query="&profile=" + pid)
    assert s == 201 and r["profile"] == "ERP lines", r
    items = items_of(b, org.editor, r["id"])
    assert [(i["part_number"], i["quantity"], i["properties"]) for i in items] == \
        [("A-1", 2, {}), ("A-2", 3, {})]
    # Without the profile the generic reading applies ("Menge" is a quantity too, so the
    # duplicate becomes a property), and the org-wide mappings are untouched.
    s, r, _ = imp(b, org.editor, body)
    assert s == 201 and r["profile"] == "generic", r
    s, m, _ = call(b, "GET", "/api/v1/org/column-mappings", token=org.editor)
    assert m["mappings"] == []
    s, r, _ = call(b, "PUT", f"/api/v1/org/import-profiles/{pid}", {"name": "ERP v2"}, token=org.admin)
    assert s == 200 and r["name"] == "ERP v2" and r["mappings"] == [], r
    s, r, _ = call(b, "DELETE", f"/api/v1/org/import-profiles/{pid}", token=org.admin)
    assert s == 204
    s, r, _ = imp(b, org.editor, body, query="&profile=" + pid)
    assert s == 404 and is_error(r, "profile_not_found"), r
    s, audit, _ = call(b, "GET", f"/api/v1/audit?object=org:{org.id}", token=org.admin)
    assert s == 200, audit
    actions = [e["action"] for e in audit["entries"]]
    assert {"org.import_profile_create", "org.import_profile_update",
            "org.import_profile_delete"} <= set(actions), actions


def test_mappings_given_with_one_import_win_and_are_not_kept():
    """The import page's column editor: ?mappings= (the column-mappings JSON form) changes how this
    one preview or import reads a column, ahead of a saved profile's and the org's mappings, and
    changes no saved setting. The profile list names the built-in profiles the page offers."""
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        b = srv.base
        s, listed, _ = call(b, "GET", "/api/v1/org/import-profiles", token=org.editor)
        assert s == 200 and "kicad-grouped" in listed["builtin"] and "generic" in listed["builtin"], listed
        # The org maps "Vendor" to a property; the import says it is the manufacturer.
        s, r, _ = call(b, "PUT", "/api/v1/org/column-mappings",
                       {"mappings": [{"column": "Vendor", "property": "vendor_name"}]}, token=org.admin)
        assert s == 200, r
        s, r, _ = call(b, "POST", "/api/v1/boms/import/preview?profile=kicad-grouped", KICAD_GROUPED,
                       token=org.editor, ctype="text/csv")
        assert s == 200 and {"column": "Vendor", "field": "property:vendor_name"} in r["mapping"], r
        mappings = quote('[{"column":"Vendor","field":"manufacturer"},{"column":"Cmp name","ignore":true}]')
        q = "?profile=kicad-grouped&mappings=" + mappings
        s, r, _ = call(b, "POST", "/api/v1/boms/import/preview" + q, KICAD_GROUPED, token=org.editor, ctype="text/csv")
        assert s == 200 and r["profile"] == "kicad-grouped", r
        assert {"column": "Vendor", "field": "manufacturer"} in r["mapping"], r["mapping"]
        assert {"column": "Cmp name", "field": "ignore"} in r["mapping"], r["mapping"]
        lm358 = r["rows"][2]
        assert lm358["manufacturers"] == [{"name": "TI", "mpn": ""}] and "symbol" not in lm358["properties"], lm358
        s, imported, _ = imp(b, org.editor, KICAD_GROUPED, query="&profile=kicad-grouped&mappings=" + mappings)
        assert s == 201, imported
        assert items_of(b, org.editor, imported["id"]) == r["rows"]
        # Nothing was saved: the org's mapping is unchanged and a plain preview reads as before.
        s, m, _ = call(b, "GET", "/api/v1/org/column-mappings", token=org.editor)
        assert m["mappings"] == [{"column": "vendor", "property": "vendor_name"}], m
        # Bad mappings are a 400 that names the problem, and store nothing.
        for bad, code in (("[{", "invalid_mapping"), ('{"column":"x"}', "invalid_mapping"),
                          ('[{"column":"Vendor","field":"colour"}]', "invalid_mapping")):
            s, r, _ = call(b, "POST", "/api/v1/boms/import?name=x&mappings=" + quote(bad), KICAD_GROUPED,
                           token=org.editor, ctype="text/csv")
            assert s == 400 and is_error(r, code), (bad, r)
        s, listing, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
        assert len(listing["boms"]) == 1
    finally:
        srv.stop()
        st.cleanup()
