// Unit tests for the import pipeline's stages (bom/decode, bom/table, bom/profile, bom/values,
// bom/import), each fed the byte-level shapes real tools write: KiCad's grouped scripts with
// their preamble, KiBoM with its summary block, Eagle's ';' rows with a trailing delimiter,
// EasyEDA's UTF-16LE tab files, JLCPCB's one row per designator, Altium, OrCAD reports,
// SolidWorks outline numbers, Odoo's parent-on-first-line, InvenTree's Assembly/Component,
// German headers with decimal commas and a total row, and legacy Windows-125x encodings.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bom/decode.h"
#include "bom/import.h"
#include "bom/profile.h"
#include "bom/table.h"
#include "bom/tree.h"
#include "bom/values.h"

namespace bomvault::bom {
namespace {

std::string Utf16Le(std::string_view ascii_or_latin1, bool mark = true) {
  std::string out = mark ? "\xFF\xFE" : "";
  for (char c : ascii_or_latin1) {
    out += c;
    out += '\0';
  }
  return out;
}

ImportReport Import(std::string_view bytes, ImportOptions options = {},
                    const ColumnMappings* org = nullptr) {
  return ImportBom(bytes, options, org, Limits{});
}

ImportReport ImportOk(std::string_view bytes, ImportOptions options = {}) {
  ImportReport r = Import(bytes, options);
  std::string errors;
  for (const ImportMessage& e : r.errors) {
    errors += std::to_string(e.line) + ":" + std::to_string(e.column) + " " + e.message + "\n";
  }
  const std::string why = r.status.message() + "\n" + errors;
  REQUIRE_MESSAGE(r.status.ok(), why);
  CHECK(ValidateItems(r.items, Limits{}).ok());
  return r;
}

std::string Property(const Item& item, std::string_view key) {
  for (const auto& [k, v] : item.properties) {
    if (k == key) return v;
  }
  return "";
}

bool HasWarning(const ImportReport& r, std::string_view code, size_t line = 0) {
  for (const ImportMessage& w : r.warnings) {
    if (w.code == code && (line == 0 || w.line == line)) return true;
  }
  return false;
}

int Depth(const std::vector<Item>& items) {
  int depth = 0;
  for (int level : Levels(items)) depth = std::max(depth, level + 1);
  return depth;
}

}  // namespace

// ---- decode -----------------------------------------------------------------------------------

TEST_CASE("decode: UTF-8 with and without a mark, UTF-16 LE and BE by their mark") {
  auto plain = DecodeText("Menge,Stückzahl");
  REQUIRE(plain.ok());
  CHECK(plain->encoding == "utf-8");
  CHECK(plain->text == "Menge,Stückzahl");

  auto marked = DecodeText("\xEF\xBB\xBFQty,Part");
  REQUIRE(marked.ok());
  CHECK(marked->encoding == "utf-8-bom");
  CHECK(marked->text == "Qty,Part");

  auto le = DecodeText(Utf16Le("ID\tName\r\n1\t100nF"));
  REQUIRE(le.ok());
  CHECK(le->encoding == "utf-16le-bom");
  CHECK(le->text == "ID\tName\r\n1\t100nF");

  const std::string be = std::string("\xFE\xFF\0Q\0t\0y", 8);
  auto big = DecodeText(be);
  REQUIRE(big.ok());
  CHECK(big->encoding == "utf-16be-bom");
  CHECK(big->text == "Qty");
}

TEST_CASE("decode: legacy single-byte files default to Windows-1252, or the charset given") {
  auto latin = DecodeText(
      "St\xFC"
      "ckzahl;Benennung\n1;Geh\xE4use");
  REQUIRE(latin.ok());
  CHECK(latin->encoding == "windows-1252");
  CHECK(latin->text == "Stückzahl;Benennung\n1;Gehäuse");

  // "Кол-во" (quantity) as Excel writes it in a Russian locale.
  auto cyrillic = DecodeText("\xCA\xEE\xEB-\xE2\xEE", "windows-1251");
  REQUIRE(cyrillic.ok());
  CHECK(cyrillic->text == "Кол-во");

  auto mac = DecodeText(
      "Gr\x9A\xA7"
      "e",
      "MACINTOSH");
  REQUIRE(mac.ok());
  CHECK(mac->text == "Größe");

  auto unknown = DecodeText("a", "NO-SUCH-CHARSET");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().machine_code() == "invalid_charset");
}

TEST_CASE("decode: a UTF-16 file without its mark is refused with advice, not misread") {
  auto r = DecodeText(Utf16Le("Qty,Part", false));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().machine_code() == "invalid_encoding");
  CHECK(r.status().message().find("UTF-16") != std::string::npos);
}

// ---- find the table ---------------------------------------------------------------------------

TEST_CASE("sniff: the delimiter with the steadiest count wins, preamble lines do not decide") {
  CHECK(SniffDelimiter("a,b,c\n1,2,3\n") == ',');
  CHECK(SniffDelimiter("a;b;c\n1;2,5;3\n") == ';');
  CHECK(SniffDelimiter("a\tb\tc\n1\t\"x, y\"\t3\n") == '\t');
  CHECK(SniffDelimiter("a|b|c\n1|2|3\n") == '|');
  CHECK(SniffDelimiter("Title, with comma\nRef;Qty;Value\nR1;1;10k\nR2;1;10k\n") == ';');
}

TEST_CASE("split: CR, LF and CRLF line ends, quotes with line breaks, blank lines kept") {
  auto rows = SplitRecords("a,b\r1,\"x\ny\"\r\n\n2,z", ',');
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 4);
  CHECK((*rows)[0].cells == std::vector<std::string>{"a", "b"});
  CHECK((*rows)[1].cells == std::vector<std::string>{"1", "x\ny"});
  CHECK((*rows)[1].line == 2);
  CHECK((*rows)[2].cells.empty());
  CHECK((*rows)[2].line == 4);
  CHECK((*rows)[3].line == 5);
  auto open = SplitRecords("a,\"b\n", ',');
  REQUIRE_FALSE(open.ok());
  CHECK(open.status().machine_code() == "csv_syntax");
}

TEST_CASE("find the table: preamble, blank rows, a second header, total and summary rows") {
  const std::string text =
      "\"Source:\",\"/home/ci/board.sch\"\n"
      "\"Date:\",\"Mon 03 Feb 2020\"\n"
      "\n"
      "\"Ref\",\"Qnty\",\"Value\",\"Cmp name\",\"Footprint\",\n"
      "\"Ref\",\"Qnty\",\"Value\",\"Cmp name\",\"Footprint\",\n"
      "\"C1 C2\",\"2\",\"100n\",\"C\",\"C_0603\",\n"
      "\n"
      "\"R1\",\"1\",\"10k\",\"R\",\"R_0603\",\n"
      "\"TOTAL\",\"3\",,,,\n"
      "\n"
      "\"Component Count:\",\"3\"\n";
  auto rows = SplitRecords(text, ',');
  REQUIRE(rows.ok());
  auto t = FindTable(std::move(rows.value()));
  REQUIRE(t.ok());
  CHECK(t->header == std::vector<std::string>{"Ref", "Qnty", "Value", "Cmp name", "Footprint"});
  CHECK(t->header_line == 4);
  REQUIRE(t->data.size() == 2);
  CHECK(t->data[0].line == 6);
  CHECK(t->data[1].line == 8);
  std::vector<std::pair<size_t, std::string>> skipped;
  for (const ImportMessage& w : t->warnings) skipped.emplace_back(w.line, w.code);
  CHECK(skipped == std::vector<std::pair<size_t, std::string>>{{1, "skipped_preamble"},
                                                               {2, "skipped_preamble"},
                                                               {5, "skipped_header"},
                                                               {7, "skipped_blank"},
                                                               {9, "skipped_total"},
                                                               {11, "skipped_summary"}});
}

TEST_CASE("find the table: no header anywhere is a clear error") {
  auto rows = SplitRecords("1,2,3\n4,5,6\n", ',');
  REQUIRE(rows.ok());
  auto t = FindTable(std::move(rows.value()));
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().machine_code() == "csv_header");
}

// ---- values -----------------------------------------------------------------------------------

TEST_CASE("values: exponents, decimal commas, thousands, units written onto the number") {
  auto q = [](std::string_view text, bool comma = false) {
    auto r = ParseQuantityCell(text, comma);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return r->quantity + "|" + r->unit;
  };
  CHECK(q("3") == "3|");
  CHECK(q("3.25e-05") == "0.0000325|");
  CHECK(q("2E+2") == "200|");
  CHECK(q("1,5", true) == "1.5|");
  CHECK(q("1,5") == "1.5|");
  CHECK(q("1,000") == "1000|");
  CHECK(q("1.234,5", true) == "1234.5|");
  CHECK(q("1,234.5") == "1234.5|");
  CHECK(q("10cm") == "10|cm");
  CHECK(q("0,5 m", true) == "0.5|m");
  CHECK(q("2 pcs") == "2|pcs");
  CHECK(q("1.0") == "1|");
  CHECK_FALSE(ParseQuantityCell("-1", false).ok());
  CHECK_FALSE(ParseQuantityCell("abc", false).ok());
  CHECK_FALSE(ParseQuantityCell("1,2,3", false).ok());
  CHECK_FALSE(ParseQuantityCell("", false).ok());
}

TEST_CASE("values: levels as integers, 1.0, outline numbers and SAP dots") {
  CHECK(ParseLevelCell("0") == 0);
  CHECK(ParseLevelCell("2") == 2);
  CHECK(ParseLevelCell("1.0") == 1);
  CHECK(ParseLevelCell("1.2.3") == 3);
  CHECK(ParseLevelCell("1.2") == 2);
  CHECK(ParseLevelCell("..2") == 2);
  CHECK(ParseLevelCell(".1") == 1);
  CHECK(ParseLevelCell("x") == -1);
  CHECK(ParseLevelCell("1..2") == -1);
  CHECK(ParseLevelCell("") == -1);
}

TEST_CASE("values: designators counted, ranges included; DNP markers") {
  CHECK(CountDesignators("") == 0);
  CHECK(CountDesignators("R1") == 1);
  CHECK(CountDesignators("R1, R2 R3") == 3);
  CHECK(CountDesignators("C1 C2 ") == 2);
  CHECK(CountDesignators("R1-R4") == 4);
  CHECK(CountDesignators("C1-3,C7") == 4);
  CHECK(CountDesignators("U1-U") == 1);
  CHECK(IsDnpMarker("DNP", false));
  CHECK(IsDnpMarker("dnf", false));
  CHECK(IsDnpMarker("Do not place", false));
  CHECK(IsDnpMarker("nicht bestückt", false));
  CHECK_FALSE(IsDnpMarker("Fitted", true));
  CHECK_FALSE(IsDnpMarker("yes", false));
  CHECK(IsDnpMarker("yes", true));
  CHECK_FALSE(IsDnpMarker("", true));
}

// ---- profiles ---------------------------------------------------------------------------------

TEST_CASE("profiles: the same word means what its tool means by it") {
  auto roles = [](std::vector<std::string> header) {
    auto p = RecognizeProfile(header, "", nullptr);
    REQUIRE(p.ok());
    std::string out = p->name + ":";
    for (const ColumnRole& r : p->columns) out += " " + RoleName(r);
    return out;
  };
  CHECK(roles({"Component", "Description", "Part", "References", "Value", "Quantity Per PCB"}) ==
        "kibom: find_number description property:symbol refdes property:value quantity");
  CHECK(roles({"Part", "Value", "Device", "Package", "Description", "MF", "MPN"}) ==
        "eagle: refdes property:value property:symbol property:footprint description "
        "manufacturer mpn");
  CHECK(roles({"Item", "Quantity", "Reference", "Part"}) ==
        "orcad: find_number quantity refdes property:value");
  CHECK(roles({"Ref", "Qnty", "Value", "Cmp name", "Footprint"}) ==
        "kicad-grouped: refdes quantity property:value property:symbol property:footprint");
  CHECK(roles({"Comment", "Designator", "Footprint", "LCSC Part #"}) ==
        "jlcpcb: property:value refdes property:footprint property:lcsc");
  CHECK(roles({"Qty", "MPN", "Manufacturer", "MPN", "Manufacturer"}) ==
        "generic: quantity mpn manufacturer mpn_2 manufacturer_2");
  CHECK(roles({"Manufacturer 1", "Manufacturer Part Number 1", "Manufacturer 2",
               "Manufacturer Part Number 2"}) == "generic: manufacturer mpn manufacturer_2 mpn_2");
  CHECK(roles({"Pos.", "Sachnummer", "Benennung", "Menge", "ME", "Hersteller"}) ==
        "generic: find_number part_number description quantity unit manufacturer");
  CHECK(roles({"Part Number", "Qty", "Qty", ""}) ==
        "generic: part_number quantity property:column_qty property:column_4");
  CHECK(roles({"Product", "Quantity", "BoM Lines/Component", "BoM Lines/Quantity"}) ==
        "odoo: parent parent_quantity part_number quantity");
}

TEST_CASE("profiles: header keys fold case in Latin-1 and Cyrillic; Russian headers are known") {
  CHECK(HeaderKey("STÜCKZAHL") == "stückzahl");
  CHECK(HeaderKey("  Mfg. Part #  ") == "mfg part");
  CHECK(HeaderKey("КОЛ-ВО") == "кол во");
  auto p = RecognizeProfile({"Поз.", "Обозначение", "Наименование", "Кол-во"}, "", nullptr);
  REQUIRE(p.ok());
  CHECK(RoleName(p->columns[0]) == "find_number");
  CHECK(RoleName(p->columns[1]) == "part_number");
  CHECK(RoleName(p->columns[2]) == "description");
  CHECK(RoleName(p->columns[3]) == "quantity");
}

TEST_CASE("profiles: a profile can be chosen by name; an unknown one is refused") {
  auto p = RecognizeProfile({"Part", "Qty"}, "eagle", nullptr);
  REQUIRE(p.ok());
  CHECK(RoleName(p->columns[0]) == "refdes");
  auto bad = RecognizeProfile({"Part"}, "nope", nullptr);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().machine_code() == "unknown_profile");
}

TEST_CASE("profiles: the organisation's column mappings win and name the profile") {
  ColumnMappings org = {{"pos_no", ColumnMapping::Target::kField, "find_number"},
                        {"sap_nr", ColumnMapping::Target::kField, "part_number"}};
  auto p = RecognizeProfile({"Pos No", "SAP-Nr", "Qty"}, "", &org);
  REQUIRE(p.ok());
  CHECK(p->name == "org-mappings");
  CHECK(RoleName(p->columns[0]) == "find_number");
  CHECK(RoleName(p->columns[1]) == "part_number");
  CHECK(RoleName(p->columns[2]) == "quantity");
}

TEST_CASE("profiles: mappings given with one import come before the organisation's") {
  const std::string file = "Pos No;SAP-Nr;Qty;Note\n1;A-1;2;x\n2;A-2;3;y\n";
  ColumnMappings org = {{"sap_nr", ColumnMapping::Target::kField, "part_number"},
                        {"note", ColumnMapping::Target::kIgnore, ""}};
  ImportOptions options;
  options.mappings = {{"note", ColumnMapping::Target::kField, "description"},
                      {"pos_no", ColumnMapping::Target::kProperty, "position"}};
  ImportReport r = Import(file, options, &org);
  REQUIRE(r.status.ok());
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].part_number == "A-1");  // the org's mapping fills in
  CHECK(r.items[0].description == "x");    // the import's mapping wins over "ignore"
  using Props = std::vector<std::pair<std::string, std::string>>;
  CHECK(r.items[1].properties == Props{{"position", "2"}});
  // Without an org, the import's mappings alone apply.
  ImportReport alone = Import(file, options, nullptr);
  REQUIRE(alone.status.ok());
  CHECK(alone.items[0].description == "x");
}

// ---- whole files ------------------------------------------------------------------------------

TEST_CASE("import: KiCad grouped script output with preamble and trailing delimiters") {
  const std::string file =
      "\"Source:\",\"/home/ci/power.sch\"\n"
      "\"Date:\",\"Tue 04 Feb 2020 10:00:00\"\n"
      "\"Tool:\",\"Eeschema 5.1.5\"\n"
      "\"Generator:\",\"/usr/share/kicad/plugins/bom_csv_grouped_by_value.py\"\n"
      "\"Component Count:\",\"6\"\n"
      "\"Ref\",\"Qnty\",\"Value\",\"Cmp name\",\"Footprint\",\"Description\",\"Vendor\",\n"
      "\"C1 C2 \",\"2\",\"100n\",\"C\",\"C_0603\",\"Unpolarized capacitor\",\"\",\n"
      "\"R1 R2 R3 \",\"3\",\"10k\",\"R\",\"R_0603\",\"Resistor\",\"\",\n"
      "\"U1 \",\"1\",\"LM358\",\"LM358\",\"SOIC-8\",\"Low-Power, Dual Op Amp\",\"TI\",\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "kicad-grouped");
  CHECK(r.encoding == "utf-8");
  CHECK(r.delimiter == ",");
  CHECK(r.header_line == 6);
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].refdes == "C1 C2");
  CHECK(r.items[0].quantity == "2");
  CHECK(r.items[0].part_number.empty());
  CHECK(Property(r.items[0], "value") == "100n");
  CHECK(Property(r.items[0], "symbol") == "C");
  CHECK(r.items[2].manufacturers == std::vector<Manufacturer>{{"TI", ""}});
  CHECK(r.items[2].description == "Low-Power, Dual Op Amp");
  CHECK(Depth(r.items) == 1);
  CHECK(HasWarning(r, "skipped_preamble", 1));
  CHECK(HasWarning(r, "no_part_number"));
}

TEST_CASE("import: KiBoM keeps five capacitor values apart and drops its summary block") {
  const std::string file =
      "Component,Description,Part,References,Value,Footprint,Quantity Per PCB,Status,Datasheet\n"
      "1,Unpolarized capacitor,C,C1 C2,100nF,C_0805,2,,~\n"
      "2,Unpolarized capacitor,C,C3,10uF,C_0805,1,,~\n"
      "3,Unpolarized capacitor,C,C4,1uF,C_0805,1,,~\n"
      "4,Unpolarized capacitor,C,C5,22pF,C_0805,1,,~\n"
      "5,Unpolarized capacitor,C,C6,4.7uF,C_0805,1,,~\n"
      "6,Resistor,R,R1,10k,R_0805,1,DNF,~\n"
      ",,,,,,,,\n"
      "Component Groups:,6\n"
      "Component Count:,7\n"
      "Fitted Components:,6\n"
      "Number of PCBs:,1\n"
      "Total components:,6\n"
      "Schematic Version:,1.0\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "kibom");
  REQUIRE(r.items.size() == 6);
  std::vector<std::string> values;
  for (const Item& it : r.items) values.push_back(Property(it, "value"));
  CHECK(values == std::vector<std::string>{"100nF", "10uF", "1uF", "22pF", "4.7uF", "10k"});
  CHECK(Property(r.items[0], "symbol") == "C");
  CHECK(r.items[0].part_number.empty());
  CHECK(r.items[5].dnp);
  CHECK_FALSE(r.items[0].dnp);
  CHECK(HasWarning(r, "skipped_summary", 9));
}

TEST_CASE("import: Eagle bom.ulp with ';' and a trailing delimiter on every row") {
  const std::string file =
      "\"Part\";\"Value\";\"Device\";\"Package\";\"Description\";\"MF\";\"MPN\";\n"
      "\"C1\";\"100n\";\"C-EUC0603\";\"C0603\";\"CAPACITOR\";\"\";\"\";\n"
      "\"R1\";\"10k\";\"R-EU_R0603\";\"R0603\";\"RESISTOR\";\"Yageo\";\"RC0603FR-0710KL\";\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "eagle");
  CHECK(r.delimiter == ";");
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].refdes == "C1");
  CHECK(r.items[0].quantity == "1");
  CHECK(r.items[1].manufacturers == std::vector<Manufacturer>{{"Yageo", "RC0603FR-0710KL"}});
  CHECK(HasWarning(r, "quantity_from_designators"));
}

TEST_CASE("import: EasyEDA's UTF-16LE tab-separated export") {
  const std::string file = Utf16Le(
      "ID\tName\tDesignator\tFootprint\tQuantity\tManufacturer Part\tManufacturer\tSupplier\t"
      "Supplier Part\r\n"
      "1\t100nF\tC1,C2\t0603\t2\tCC0603KRX7R9BB104\tYAGEO\tLCSC\tC14663\r\n"
      "2\t10k\tR1\t0603\t1\tRC0603FR-0710KL\tYAGEO\tLCSC\tC98220\r\n");
  ImportReport r = ImportOk(file);
  CHECK(r.encoding == "utf-16le-bom");
  CHECK(r.delimiter == "\t");
  CHECK(r.profile == "easyeda");
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].find_number == "1");
  CHECK(Property(r.items[0], "value") == "100nF");
  CHECK(r.items[0].refdes == "C1,C2");
  CHECK(r.items[0].manufacturers == std::vector<Manufacturer>{{"YAGEO", "CC0603KRX7R9BB104"}});
  CHECK(Property(r.items[0], "supplier_part") == "C14663");
}

TEST_CASE("import: JLCPCB assembly file, one row per designator, no quantity column") {
  const std::string file =
      "Comment,Designator,Footprint,LCSC\n"
      "100nF,C1,0603,C14663\n"
      "100nF,\"C2,C3\",0603,C14663\n"
      "10k,R1-R4,0603,C25804\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "jlcpcb");
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].quantity == "1");
  CHECK(r.items[1].quantity == "2");
  CHECK(r.items[2].quantity == "4");
  CHECK(Property(r.items[2], "lcsc") == "C25804");
}

TEST_CASE("import: Altium with numbered manufacturer columns") {
  const std::string file =
      "\"Comment\",\"Description\",\"Designator\",\"Footprint\",\"LibRef\",\"Quantity\","
      "\"Manufacturer 1\",\"Manufacturer Part Number 1\",\"Manufacturer 2\","
      "\"Manufacturer Part Number 2\"\r\n"
      "\"10k\",\"Resistor\",\"R1, R2\",\"0603\",\"RES\",\"2\",\"Yageo\",\"RC0603FR-0710KL\","
      "\"Panasonic\",\"ERJ-3EKF1002V\"\r\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "altium");
  REQUIRE(r.items.size() == 1);
  CHECK(r.items[0].manufacturers ==
        std::vector<Manufacturer>{{"Yageo", "RC0603FR-0710KL"}, {"Panasonic", "ERJ-3EKF1002V"}});
  CHECK(Property(r.items[0], "value") == "10k");
}

TEST_CASE("import: an OrCAD/Allegro report with a title line, tabs and a rule line") {
  const std::string file =
      "Bill Of Materials           December 1,2026      10:42:21\tPage1\r\n"
      "\r\n"
      "Item\tQuantity\tReference\tPart\r\n"
      "______________________________________________\r\n"
      "\r\n"
      "1\t2\tC1,C2\t100n\r\n"
      "2\t1\tR1\t10k\r\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "orcad");
  REQUIRE(r.items.size() == 2);
  CHECK(Property(r.items[0], "value") == "100n");
  CHECK(r.items[0].refdes == "C1,C2");
  CHECK(HasWarning(r, "skipped_preamble", 1));
}

TEST_CASE("import: SolidWorks item numbers 1, 1.1, 1.2.1 are the structure") {
  const std::string file =
      "ITEM NO.,PART NUMBER,DESCRIPTION,QTY.\n"
      "1,ASM-100,Top assembly,1\n"
      "1.1,PRT-101,Bracket,2\n"
      "1.2,ASM-110,Sub assembly,1\n"
      "1.2.1,PRT-111,Screw,4\n"
      "2,PRT-200,Cover,1\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "solidworks");
  REQUIRE(r.items.size() == 5);
  CHECK(Depth(r.items) == 3);
  CHECK(r.items[1].parent == r.items[0].ref);
  CHECK(r.items[3].parent == r.items[2].ref);
  CHECK(r.items[4].parent.empty());
}

TEST_CASE("import: levels written 1.0 and as outline numbers, relative to the lowest") {
  ImportReport a = ImportOk("Level,Part Number,Qty\n1.0,A,1\n2.0,B,2\n2.0,C,1\n1.0,D,1\n");
  REQUIRE(a.items.size() == 4);
  CHECK(Depth(a.items) == 2);
  CHECK(a.items[2].parent == a.items[0].ref);
  ImportReport b = ImportOk("BOM Level;Part Number;Menge\n.1;A;1\n..2;B;2\n...3;C;1\n");
  CHECK(Depth(b.items) == 3);
}

TEST_CASE("import: Odoo parent-on-first-line rebuilds the hierarchy of several BoMs") {
  const std::string file =
      "\"Product\",\"Quantity\",\"BoM Lines/Component\",\"BoM Lines/Quantity\","
      "\"BoM Lines/Product Unit of Measure\"\n"
      "\"[FURN_8522] Table Top\",\"1.0\",\"[FURN_0269] Wood Panel\",\"2.0\",\"Units\"\n"
      "\"\",\"\",\"[FURN_0096] Bolt\",\"4.0\",\"Units\"\n"
      "\"[FURN_9666] Table\",\"1.0\",\"[FURN_8522] Table Top\",\"1.0\",\"Units\"\n"
      "\"\",\"\",\"[FURN_7023] Leg\",\"4.0\",\"Units\"\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "odoo");
  REQUIRE(r.items.size() == 5);
  CHECK(r.items[0].part_number == "[FURN_9666] Table");
  CHECK(r.items[1].part_number == "[FURN_8522] Table Top");
  CHECK(r.items[2].part_number == "[FURN_0269] Wood Panel");
  CHECK(r.items[2].parent == r.items[1].ref);
  CHECK(r.items[2].quantity == "2");
  CHECK(r.items[2].unit == "Units");
  CHECK(r.items[4].part_number == "[FURN_7023] Leg");
  CHECK(r.items[4].parent == r.items[0].ref);
  CHECK(Depth(r.items) == 3);
  CHECK(HasWarning(r, "made_parent"));
}

TEST_CASE("import: InvenTree Assembly/Component rows nest sub-assemblies wherever used") {
  const std::string file =
      "Assembly,Component,Reference,Quantity\n"
      "Widget,PCB-001,,1\n"
      "Widget,Case,,1\n"
      "PCB-001,R-10k,R1 R2,2\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "inventree");
  REQUIRE(r.items.size() == 4);
  CHECK(r.items[0].part_number == "Widget");
  CHECK(r.items[1].part_number == "PCB-001");
  CHECK(r.items[2].part_number == "R-10k");
  CHECK(r.items[2].parent == r.items[1].ref);
  CHECK(r.items[3].part_number == "Case");
  CHECK(Depth(r.items) == 3);
}

TEST_CASE("import: a parent cycle is an error naming the row") {
  ImportReport r = Import("Parent,Part Number,Qty\nB,A,1\nA,B,1\n");
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.machine_code() == "bom_cycle");
  CHECK(r.errors.front().line >= 2);
}

TEST_CASE("import: German headers, Windows-1252, decimal commas, a total row") {
  const std::string file =
      "Pos.;Sachnummer;Benennung;Menge;ME\r\n"
      "1;4711-001;Geh\xE4use;1;Stk\r\n"
      "2;4711-002;Schraube M3x8;4,5;Stk\r\n"
      "3;4711-003;Kabel;10cm;\r\n"
      "Summe;;;15,5;\r\n";
  ImportReport r = ImportOk(file);
  CHECK(r.encoding == "windows-1252");
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].description == "Gehäuse");
  CHECK(r.items[1].quantity == "4.5");
  CHECK(r.items[1].unit == "Stk");
  CHECK(r.items[2].quantity == "10");
  CHECK(r.items[2].unit == "cm");
  CHECK(HasWarning(r, "skipped_total", 5));
}

TEST_CASE("import: CR-only line ends (old Mac Excel) and a '|' table") {
  ImportReport a = ImportOk("Part Number,Qty\rA,1\rB,2\r");
  CHECK(a.items.size() == 2);
  ImportReport b = ImportOk("Part Number|Description|Qty\nA|x|1\nB|y|2\n");
  CHECK(b.delimiter == "|");
  CHECK(b.items.size() == 2);
}

TEST_CASE("import: bomvault's own export goes through the strict reader unchanged") {
  const std::string file =
      "ref,parent,level,find_number,part_number,description,quantity,unit,refdes,manufacturer,"
      "mpn,dnp,finish\n"
      "1,,0,,ASM,Top,1,,,,,,\n"
      "2,1,1,10,R-1,Res,2,,R1 R2,Yageo,RC0603,DNP,matte\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "bomvault");
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[1].manufacturers == std::vector<Manufacturer>{{"Yageo", "RC0603"}});
  CHECK(r.items[1].dnp);
  CHECK(r.items[1].parent == "1");
}

TEST_CASE("import: a header-only file is a valid empty BOM") {
  ImportReport r = ImportOk("Part Number,Description,Qty\n");
  CHECK(r.items.empty());
  ImportReport native = ImportOk("level,part_number,quantity\n");
  CHECK(native.items.empty());
}

TEST_CASE("import: strict by default, on_error=skip keeps the good rows and says why") {
  const std::string file = "Part Number,Qty\nA,1\nB,lots\nC,-2\nD,4\n";
  ImportReport strict = Import(file);
  REQUIRE_FALSE(strict.status.ok());
  CHECK(strict.items.empty());
  REQUIRE(strict.errors.size() == 2);
  CHECK(strict.errors[0].line == 3);
  CHECK(strict.errors[0].column == 2);
  CHECK(strict.errors[1].line == 4);
  CHECK(strict.status.message().rfind("line 3, column 2: ", 0) == 0);

  ImportOptions skip;
  skip.skip_bad_rows = true;
  ImportReport lenient = ImportOk(file, skip);
  REQUIRE(lenient.items.size() == 2);
  CHECK(lenient.items[1].part_number == "D");
  CHECK(lenient.rows_skipped == 2);
  CHECK(HasWarning(lenient, "skipped_row", 3));
  CHECK(HasWarning(lenient, "skipped_row", 4));
}

TEST_CASE("import: skipping a row in an indented BOM leaves out its children too") {
  ImportOptions skip;
  skip.skip_bad_rows = true;
  ImportReport r = ImportOk("Level,Part Number,Qty\n1,A,1\n1,B,x\n2,B1,1\n1,C,1\n", skip);
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[1].part_number == "C");
  CHECK(r.items[1].parent.empty());
}

TEST_CASE("import: DNP rows are kept and flagged; empty part numbers need another identity") {
  ImportReport r = ImportOk(
      "Reference,Value,Footprint,Qty,DNP\n"
      "R1,10k,R_0603,1,\n"
      "R2,DNP,R_0603,1,\n"
      "R3,1k,R_0603,1,DNP\n");
  REQUIRE(r.items.size() == 3);
  CHECK_FALSE(r.items[0].dnp);
  CHECK(r.items[1].dnp);
  CHECK(r.items[2].dnp);
  ImportReport skipped = ImportOk("Part Number,Description,Qty\n,,3\nA,x,1\n");
  REQUIRE(skipped.items.size() == 1);
  CHECK(HasWarning(skipped, "skipped_row", 2));
}

TEST_CASE("import: an unknown profile or charset is a 400-class error with no items") {
  ImportOptions o;
  o.profile = "nope";
  ImportReport r = Import("Part Number,Qty\nA,1\n", o);
  CHECK(r.status.machine_code() == "unknown_profile");
  o = {};
  o.charset = "NO-SUCH";
  ImportReport c = Import("Part Number,Qty\nA,1\n", o);
  CHECK(c.status.machine_code() == "invalid_charset");
}

TEST_CASE("values: ranges written R1...R4 count; division is exact to 9 places") {
  CHECK(CountDesignators("R1...R4") == 4);
  CHECK(CountDesignators("C1\xE2\x80\xA6"
                         "C3, C9") == 4);
  CHECK(DivideQuantity("3.5", "10").value() == "0.35");
  CHECK(DivideQuantity("1.2", "4").value() == "0.3");
  CHECK(DivideQuantity("1", "3").value() == "0.333333333");
  CHECK(DivideQuantity("2", "3").value() == "0.666666667");
  CHECK_FALSE(DivideQuantity("1", "0").ok());
}

TEST_CASE("find the table: a data row saying DNP twice is not a second header") {
  ImportReport r = ImportOk("ref;value;Field1;Field2\nC1;33pF;Murata;GRM1555\nC155;DNP;DNP;\n");
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[1].refdes == "C155");
  CHECK(r.items[1].dnp);
}

TEST_CASE("import: drawn rules and section headings of hand-kept lists are not parts") {
  ImportReport r = ImportOk(
      "#,Description,Part Number,Reference,Quantity\n"
      "----,----------,----------,----------,--------\n"
      "A,Sockets,----------,----------,--------\n"
      "1,USB socket,USB-B-01,J1,1\n"
      "B,Passives,,,\n"
      "2,Resistor 10k,R-10K,R1 R2,2\n");
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].part_number == "USB-B-01");
  CHECK(HasWarning(r, "skipped_section", 3));
  CHECK(HasWarning(r, "skipped_section", 5));
}

TEST_CASE("import: Odoo lines stated for a batch of parents are divided by the batch") {
  const std::string file =
      "\"Product\",\"Quantity\",\"BoM Lines/Component\",\"BoM Lines/Quantity\"\n"
      "\"Lamp\",\"1.00\",\"Base\",\"1.00\"\n"
      "\"Base\",\"10.00\",\"Steel Tube\",\"3.50\"\n"
      "\"\",\"\",\"Plate\",\"10.00\"\n";
  ImportReport r = ImportOk(file);
  REQUIRE(r.items.size() == 4);
  CHECK(r.items[2].part_number == "Steel Tube");
  CHECK(r.items[2].quantity == "0.35");
  CHECK(r.items[3].quantity == "1");
  CHECK(HasWarning(r, "quantity_per_parent"));
}

TEST_CASE("import: InvenTree's export takes its structure from BOM Level, not Parent IPN") {
  const std::string file =
      "BOM Level,Parent IPN,Parent Name,Part IPN,Part Name,Description,Assembly,Quantity\n"
      "1,ASM-100,Station,ASM-110,Board,Sensor PCB assembly,True,1.0\n"
      "2,ASM-110,Board,CAP-100N,C 100nF,Capacitor,False,6.0\n"
      "1,ASM-100,Station,GLUE,Thread locker,Medium,False,0.25\n";
  ImportReport r = ImportOk(file);
  CHECK(r.profile == "inventree-export");
  REQUIRE(r.items.size() == 3);
  CHECK(Depth(r.items) == 2);
  CHECK(r.items[0].description == "Sensor PCB assembly");
  CHECK(r.items[1].parent == r.items[0].ref);
  CHECK(r.items[2].quantity == "0.25");
}

TEST_CASE("profiles: distributor carts (Mouser, Digi-Key, Seeed) as BOMs") {
  ImportReport mouser = ImportOk(
      "Customer Part #,Mouser #,Mfr. #,Manufacturer,Desc.,Order Qty.\n"
      "C29,581-06035C221K,06035C221KAT2A,AVX,MLCC 220pF,1\n");
  CHECK(mouser.profile == "mouser");
  REQUIRE(mouser.items.size() == 1);
  CHECK(mouser.items[0].refdes == "C29");
  CHECK(mouser.items[0].manufacturers == std::vector<Manufacturer>{{"AVX", "06035C221KAT2A"}});
  ImportReport digikey = ImportOk(
      "Digi-Key Part Number,Manufacturer,Manufacturer Part Number,Customer Reference,Quantity 1\n"
      "311-15LRCT-ND,YAGEO,RC0402FR-0715RL,\"R3 R4\",2\n");
  REQUIRE(digikey.items.size() == 1);
  CHECK(digikey.items[0].refdes == "R3 R4");
  CHECK(digikey.items[0].quantity == "2");
  ImportReport seeed = ImportOk("Designator,MPN/Seeed SKU,Qty\n\"C1,C2\",0603YC104JAT2A,2\n");
  CHECK(seeed.items[0].manufacturers == std::vector<Manufacturer>{{"", "0603YC104JAT2A"}});
}

TEST_CASE("import: two tables side by side are read one after the other") {
  ImportReport r = ImportOk(
      "BOM ID,BOM,QUANTITY,,ID,Name,Quantity\n"
      "1,Stepper NEMA 17,1,,201,Base,2\n"
      "2,Arduino Mega,1,,202,Arm,1\n"
      "3,Breco belt T5,\"1,8 m\",,,,\n");
  REQUIRE(r.items.size() == 5);
  CHECK(r.items[2].description == "Breco belt T5");
  CHECK(r.items[2].quantity == "1.8");
  CHECK(r.items[2].unit == "m");
  CHECK(r.items[3].description == "Base");
  CHECK(r.items[3].ref == "4");
  CHECK(HasWarning(r, "side_by_side"));
}

// Replays deterministic mutations of real-shaped inputs through decode + find-the-table and the
// whole pipeline: nothing may crash, hang or produce an invalid BOM; every failure has a code.
TEST_CASE("fuzz replay: mutated exports through decode, find the table and import") {
  const std::vector<std::string> seeds = {
      "\"Source:\",\"x.sch\"\n\"Ref\",\"Qnty\",\"Value\",\"Cmp name\"\n\"C1 "
      "C2\",\"2\",\"100n\",\"C\"\n",
      "\"Part\";\"Value\";\"Device\";\"Package\";\n\"R1\";\"10k\";\"R\";\"0603\";\n",
      Utf16Le("ID\tName\tDesignator\tQuantity\r\n1\t10k\tR1\t1\r\n"),
      "Product,Quantity,BoM Lines/Component,BoM Lines/Quantity\nA,1,B,2\n,,C,3\n",
      "Level,Part Number,Qty\n1,A,1\n2,B,2\n",
      "ref,parent,level,part_number,quantity\n1,,0,A,1\n2,1,1,B,2\n",
      "Pos.;Sachnummer;Menge\n1;4711;1,5\nSumme;;1,5\n",
  };
  const std::string inserts[] = {
      "\"",   ",",    ";",  "\t", "\r",    "\n",       std::string(1, '\0'),
      "\xFF", "\xC3", "..", "-",  "1e999", "R1-R99999"};
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  size_t ok = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string input = seeds[next() % seeds.size()];
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits && !input.empty(); ++e) {
      const size_t at = next() % input.size();
      switch (next() % 4) {
        case 0:
          input[at] = static_cast<char>(next() & 0xFF);
          break;
        case 1:
          input.erase(at, 1 + next() % 8);
          break;
        case 2:
          input.insert(at, inserts[next() % std::size(inserts)]);
          break;
        default:
          input.resize(at);
          break;
      }
    }
    auto table = ReadTextTable(input);
    if (!table.ok()) CHECK_FALSE(table.status().machine_code().empty());
    ImportOptions options;
    options.skip_bad_rows = (round % 2) == 1;
    ImportReport r = ImportBom(input, options, nullptr, Limits{});
    if (r.status.ok()) {
      ++ok;
      CHECK(ValidateItems(r.items, Limits{}).ok());
    } else {
      ++refused;
      CHECK_FALSE(r.errors.empty());
      CHECK(r.items.empty());
    }
  }
  CHECK(ok > 0);
  CHECK(refused > 0);
}

}  // namespace bomvault::bom
