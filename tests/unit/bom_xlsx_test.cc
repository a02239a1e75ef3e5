#include <doctest/doctest.h>
#include <zip.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bom/item.h"
#include "bom/xlsx.h"

namespace bomvault::bom {
namespace {

// Workbooks are built in memory with libzip's write API, so every case shows the exact XML it
// feeds the reader.

using Parts = std::vector<std::pair<std::string, std::string>>;  // part path → content, in order
using Grid = std::vector<std::vector<std::string>>;

constexpr char kMainNs[] = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr char kRelNs[] = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr char kPkgRelNs[] = "http://schemas.openxmlformats.org/package/2006/relationships";
constexpr char kTypeBase[] = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";

struct ZipOptions {
  bool store = false;        // no compression, so byte mutations reach the XML
  std::string encrypt_path;  // this entry gets WinZip AES-256 encryption
};

std::string Zip(const Parts& parts, const ZipOptions& options = {}) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  REQUIRE(out != nullptr);
  zip_source_keep(out);
  zip_t* za = zip_open_from_source(out, ZIP_TRUNCATE, &error);
  REQUIRE(za != nullptr);
  for (const auto& [path, content] : parts) {
    zip_source_t* s = zip_source_buffer_create(content.data(), content.size(), 0, &error);
    REQUIRE(s != nullptr);
    const zip_int64_t index = zip_file_add(za, path.c_str(), s, ZIP_FL_ENC_UTF_8);
    REQUIRE(index >= 0);
    const auto i = static_cast<zip_uint64_t>(index);
    if (options.store) REQUIRE(zip_set_file_compression(za, i, ZIP_CM_STORE, 0) == 0);
    if (path == options.encrypt_path) {
      REQUIRE(zip_file_set_encryption(za, i, ZIP_EM_AES_256, "secret") == 0);
    }
  }
  REQUIRE(zip_close(za) == 0);
  std::string bytes;
  REQUIRE(zip_source_open(out) == 0);
  char buffer[8192];
  for (zip_int64_t n; (n = zip_source_read(out, buffer, sizeof buffer)) > 0;) {
    bytes.append(buffer, static_cast<size_t>(n));
  }
  zip_source_close(out);
  zip_source_free(out);
  zip_error_fini(&error);
  return bytes;
}

std::string Xml(std::string_view body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" + std::string(body);
}

std::string Sheet(std::string_view sheet_data) {
  return Xml("<worksheet xmlns=\"" + std::string(kMainNs) + "\" xmlns:r=\"" + kRelNs +
             "\"><dimension ref=\"A1\"/><sheetData>" + std::string(sheet_data) +
             "</sheetData><pageMargins left=\"0.7\"/></worksheet>");
}

std::string SharedStrings(const std::vector<std::string>& items) {
  std::string xml =
      "<sst xmlns=\"" + std::string(kMainNs) + "\" count=\"" + std::to_string(items.size()) + "\">";
  for (const std::string& item : items) xml += "<si>" + item + "</si>";
  return Xml(xml + "</sst>");
}

struct SheetRef {
  std::string name;
  std::string id;
};
struct Rel {
  std::string id;
  std::string type;  // appended to kTypeBase
  std::string target;
};

std::string Workbook(const std::vector<SheetRef>& sheets) {
  std::string xml = "<workbook xmlns=\"" + std::string(kMainNs) + "\" xmlns:r=\"" + kRelNs +
                    "\"><bookViews><workbookView/></bookViews><sheets>";
  for (size_t i = 0; i < sheets.size(); ++i) {
    xml += "<sheet name=\"" + sheets[i].name + "\" sheetId=\"" + std::to_string(i + 1) +
           "\" r:id=\"" + sheets[i].id + "\"/>";
  }
  return Xml(xml + "</sheets></workbook>");
}

std::string Rels(const std::vector<Rel>& rels) {
  std::string xml = "<Relationships xmlns=\"" + std::string(kPkgRelNs) + "\">";
  for (const Rel& rel : rels) {
    xml += "<Relationship Id=\"" + rel.id + "\" Type=\"" + kTypeBase + rel.type + "\" Target=\"" +
           rel.target + "\"/>";
  }
  return Xml(xml + "</Relationships>");
}

// A complete package as Excel lays it out: one sheet, optionally a shared-string table.
Parts Package(std::string_view sheet_data, const std::vector<std::string>& shared = {}) {
  Parts parts = {
      {"[Content_Types].xml",
       Xml("<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>")},
      {"_rels/.rels", Rels({{"rId1", "officeDocument", "xl/workbook.xml"}})},
      {"xl/workbook.xml", Workbook({{"BOM", "rId1"}})},
      {"xl/_rels/workbook.xml.rels", Rels({{"rId1", "worksheet", "worksheets/sheet1.xml"},
                                           {"rId2", "styles", "styles.xml"},
                                           {"rId3", "sharedStrings", "sharedStrings.xml"}})},
      {"xl/worksheets/sheet1.xml", Sheet(sheet_data)},
  };
  if (!shared.empty()) parts.emplace_back("xl/sharedStrings.xml", SharedStrings(shared));
  return parts;
}

void Replace(Parts& parts, const std::string& path, std::string content) {
  for (auto& part : parts) {
    if (part.first == path) {
      part.second = std::move(content);
      return;
    }
  }
  parts.emplace_back(path, std::move(content));
}

void Remove(Parts& parts, const std::string& path) {
  std::erase_if(parts, [&](const auto& part) { return part.first == path; });
}

std::vector<SheetRow> Read(std::string_view bytes, const XlsxLimits& limits = {}) {
  util::Result<std::vector<SheetRow>> r = ReadXlsxFirstSheet(bytes, limits);
  REQUIRE_MESSAGE(r.ok(), r.status().machine_code() << ": " << r.status().message());
  return r.value();
}

Grid Cells(const std::vector<SheetRow>& rows) {
  Grid grid;
  for (const SheetRow& row : rows) grid.push_back(row.cells);
  return grid;
}

std::vector<size_t> Numbers(const std::vector<SheetRow>& rows) {
  std::vector<size_t> numbers;
  for (const SheetRow& row : rows) numbers.push_back(row.number);
  return numbers;
}

util::Status Error(std::string_view bytes, const XlsxLimits& limits = {}) {
  util::Result<std::vector<SheetRow>> r = ReadXlsxFirstSheet(bytes, limits);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == util::Code::kInvalid);
  return r.status();
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- cell values -----------------------------------------------------------------------------

TEST_CASE("xlsx: shared strings, rich text runs and phonetic guides") {
  const std::vector<std::string> shared = {
      "<t>Part Number</t>",
      "<t xml:space=\"preserve\">  padded  </t>",
      "<r><rPr><b/></rPr><t>Bold</t></r><r><t xml:space=\"preserve\"> and plain</t></r>",
      "<t>\xE6\x97\xA5\xE6\x9C\xAC</t><rPh sb=\"0\" eb=\"2\"><t>\xE3\x81\xAB\xE3\x81\xBB\xE3\x82"
      "\x93</t></rPh><phoneticPr fontId=\"1\"/>",
      "<t>a &amp; b &lt;c&gt;</t>",
      "<t/>",
  };
  const std::vector<SheetRow> rows = Read(Zip(
      Package("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>"
              "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c><c r=\"B2\" t=\"s\"><v>3</v></c>"
              "<c r=\"C2\" t=\"s\"><v>4</v></c><c r=\"D2\" t=\"s\"><v>5</v></c></row>",
              shared)));
  CHECK(Cells(rows) == Grid{{"Part Number", "  padded  "},
                            {"Bold and plain", "\xE6\x97\xA5\xE6\x9C\xAC", "a & b <c>"}});
  CHECK(Numbers(rows) == std::vector<size_t>{1, 2});
}

TEST_CASE("xlsx: inline strings, plain and rich") {
  const std::vector<SheetRow> rows = Read(Zip(Package(
      "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> lead</t></is></c>"
      "<c r=\"B1\" t=\"inlineStr\"><is><r><t>R</t></r><r><rPr/><t>un</t></r>"
      "<rPh><t>x</t></rPh></is></c></row>")));
  CHECK(Cells(rows) == Grid{{" lead", "Run"}});
}

TEST_CASE("xlsx: numbers keep their text; exponents become plain decimals when exact") {
  const std::vector<SheetRow> rows = Read(Zip(
      Package("<row r=\"1\"><c r=\"A1\"><v>8</v></c><c r=\"B1\" t=\"n\"><v>0.25</v></c>"
              "<c r=\"C1\" s=\"4\"><v>45123</v></c><c r=\"D1\"><v>1.5E-3</v></c>"
              "<c r=\"E1\"><v>2e+2</v></c><c r=\"F1\"><v>1E+30</v></c><c r=\"G1\"><v>-2E-3</v></c>"
              "<c r=\"H1\"><v>-4</v></c></row>")));
  CHECK(Cells(rows) == Grid{{"8", "0.25", "45123", "0.0015", "200", "1E+30", "-2E-3", "-4"}});
}

TEST_CASE("xlsx: fractions are read as the 15 digits shown; whole numbers stay exact") {
  const std::vector<SheetRow> rows = Read(Zip(
      Package("<row r=\"1\"><c r=\"A1\"><v>0.30000000000000004</v></c>"
              "<c r=\"B1\"><v>12345678901234567</v></c><c r=\"C1\"><v>2.4999999999999996</v></c>"
              "</row>")));
  CHECK(Cells(rows) == Grid{{"0.3", "12345678901234567", "2.5"}});
}

TEST_CASE("xlsx: formula results, booleans and ISO dates") {
  const std::vector<SheetRow> rows =
      Read(Zip(Package("<row r=\"1\"><c r=\"A1\" t=\"str\"><f>CONCAT(\"A\",\"B\")</f><v>AB</v></c>"
                       "<c r=\"B1\"><f>1+1</f><v>2</v></c><c r=\"C1\" t=\"b\"><v>1</v></c>"
                       "<c r=\"D1\" t=\"b\"><v>0</v></c><c r=\"E1\" t=\"d\"><v>2024-05-01</v></c>"
                       "<c r=\"F1\"><f>A1</f></c></row>")));
  CHECK(Cells(rows) == Grid{{"AB", "2", "TRUE", "FALSE", "2024-05-01"}});
}

TEST_CASE("xlsx: a cell holding a spreadsheet error is refused with its position") {
  util::Status s = Error(Zip(Package(
      "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>"
      "<row r=\"4\"><c r=\"A4\"><v>1</v></c><c r=\"C4\" t=\"e\"><f>#REF!+1</f><v>#REF!</v></c>"
      "</row>")));
  CHECK(s.machine_code() == "xlsx_value");
  CHECK(s.message() == "row 4, column 3: the cell holds the spreadsheet error #REF!");

  s = Error(Zip(
      Package("<row r=\"2\"><c r=\"B2\" t=\"e\"><v>" + std::string(100, '#') + "</v></c></row>")));
  CHECK(s.machine_code() == "xlsx_value");
  CHECK(s.message().size() < 120);
}

// ---- positions -------------------------------------------------------------------------------

TEST_CASE("xlsx: r attributes place cells and rows; empty rows and trailing empties vanish") {
  const std::vector<SheetRow> rows =
      Read(Zip(Package("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></c>"
                       "<c r=\"C1\" t=\"inlineStr\"><is><t>c</t></is></c><c r=\"E1\"><v>5</v></c>"
                       "<c r=\"F1\" s=\"3\"/><c r=\"G1\" t=\"inlineStr\"><is><t></t></is></c></row>"
                       "<row r=\"2\" spans=\"1:3\"><c r=\"A2\" s=\"1\"/><c r=\"B2\" s=\"1\"/></row>"
                       "<row r=\"3\" customHeight=\"1\"/>"
                       "<row r=\"7\"><c r=\"B7\"><v>9</v></c></row>")));
  CHECK(Cells(rows) == Grid{{"a", "", "c", "", "5"}, {"", "9"}});
  CHECK(Numbers(rows) == std::vector<size_t>{1, 7});
}

TEST_CASE("xlsx: rows and cells without r are sequential") {
  const std::vector<SheetRow> rows =
      Read(Zip(Package("<row><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>1</v></c></row>"
                       "<row r=\"4\"><c r=\"C4\"><v>3</v></c><c><v>4</v></c></row>"
                       "<row><c><v>x</v></c></row>")));
  CHECK(Cells(rows) == Grid{{"a", "1"}, {"", "", "3", "4"}, {"x"}});
  CHECK(Numbers(rows) == std::vector<size_t>{1, 4, 5});
}

TEST_CASE("xlsx: rows or cells out of order or repeated are refused") {
  util::Status s = Error(Zip(Package("<row r=\"2\"><c><v>1</v></c></row><row r=\"2\"/>")));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(s.message() == "row 2: rows are out of order or repeated (it follows row 2)");

  s = Error(Zip(Package("<row r=\"5\"/><row r=\"3\"/>")));
  CHECK(s.machine_code() == "xlsx_invalid");

  s = Error(Zip(Package("<row r=\"1\"><c r=\"C1\"><v>1</v></c><c r=\"B1\"><v>1</v></c></row>")));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(s.message() == "row 1, column 2: cells are out of order or repeated (it follows column 3)");

  for (const char* bad : {"0", "-1", "x", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK(Error(Zip(Package("<row r=\"" + std::string(bad) + "\"/>"))).machine_code() ==
          "xlsx_invalid");
  }
  for (const char* bad : {"1A", "ABCD1", "A1x", ""}) {
    CAPTURE(bad);
    CHECK(Error(Zip(Package("<row r=\"1\"><c r=\"" + std::string(bad) + "\"><v>1</v></c></row>")))
              .machine_code() == "xlsx_invalid");
  }
}

// ---- package structure -----------------------------------------------------------------------

TEST_CASE("xlsx: relationship targets, relative and absolute") {
  for (const char* target : {"worksheets/sheet1.xml", "/xl/worksheets/sheet1.xml",
                             "./worksheets/../worksheets/sheet1.xml"}) {
    CAPTURE(target);
    Parts parts = Package("<row r=\"1\"><c r=\"A1\"><v>7</v></c></row>");
    Replace(parts, "xl/_rels/workbook.xml.rels",
            Rels({{"rId1", "worksheet", target}, {"rId3", "sharedStrings", "/xl/strings.xml"}}));
    CHECK(Cells(Read(Zip(parts))) == Grid{{"7"}});
  }
  Parts parts = Package("<row r=\"1\"><c r=\"A1\"><v>7</v></c></row>");
  Replace(parts, "xl/_rels/workbook.xml.rels", Rels({{"rId1", "worksheet", "../../sheet1.xml"}}));
  CHECK(Error(Zip(parts)).machine_code() == "xlsx_invalid");
}

TEST_CASE("xlsx: the shared-string table is found through the rels, else by its usual name") {
  Parts parts = Package("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>");
  Replace(parts, "xl/_rels/workbook.xml.rels",
          Rels({{"rId1", "worksheet", "worksheets/sheet1.xml"},
                {"rId9", "sharedStrings", "/xl/text/strings.xml"}}));
  Replace(parts, "xl/text/strings.xml", SharedStrings({"<t>via rels</t>"}));
  CHECK(Cells(Read(Zip(parts))) == Grid{{"via rels"}});

  parts = Package("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>", {"<t>by name</t>"});
  Replace(parts, "xl/_rels/workbook.xml.rels",
          Rels({{"rId1", "worksheet", "worksheets/sheet1.xml"}}));
  CHECK(Cells(Read(Zip(parts))) == Grid{{"by name"}});
}

TEST_CASE("xlsx: namespace prefixes as other tools write them") {
  const std::string sheet =
      Xml("<x:worksheet xmlns:x=\"" + std::string(kMainNs) +
          "\"><x:sheetData><x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c>"
          "<x:c r=\"B1\" t=\"inlineStr\"><x:is><x:t>inline</x:t></x:is></x:c></x:row>"
          "</x:sheetData></x:worksheet>");
  const std::string workbook =
      Xml("<x:workbook xmlns:x=\"" + std::string(kMainNs) + "\" xmlns:rel=\"" + kRelNs +
          "\"><x:sheets><x:sheet name=\"S\" sheetId=\"1\" rel:id=\"R7\"/></x:sheets>"
          "</x:workbook>");
  const std::string rels = Xml("<p:Relationships xmlns:p=\"" + std::string(kPkgRelNs) +
                               "\"><p:Relationship Id=\"R7\" "
                               "Type=\"" +
                               kTypeBase +
                               "worksheet\" Target=\"worksheets/sheet1.xml\"/>"
                               "</p:Relationships>");
  const std::string sst =
      Xml("<s:sst xmlns:s=\"" + std::string(kMainNs) + "\"><s:si><s:t>shared</s:t></s:si></s:sst>");
  const Parts parts = {{"xl/workbook.xml", workbook},
                       {"xl/_rels/workbook.xml.rels", rels},
                       {"xl/worksheets/sheet1.xml", sheet},
                       {"xl/sharedStrings.xml", sst}};
  CHECK(Cells(Read(Zip(parts))) == Grid{{"shared", "inline"}});
}

TEST_CASE("xlsx: the first sheet is the workbook's first tab, not the first file") {
  Parts parts = Package("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>notes</t></is></c></row>");
  Replace(parts, "xl/workbook.xml", Workbook({{"Parts", "rId2"}, {"Notes", "rId1"}}));
  Replace(parts, "xl/_rels/workbook.xml.rels",
          Rels({{"rId1", "worksheet", "worksheets/sheet1.xml"},
                {"rId2", "worksheet", "worksheets/sheet2.xml"}}));
  Replace(parts, "xl/worksheets/sheet2.xml",
          Sheet("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>parts</t></is></c></row>"));
  CHECK(Cells(Read(Zip(parts))) == Grid{{"parts"}});
}

TEST_CASE("xlsx: the workbook is found through _rels/.rels, else at xl/workbook.xml") {
  Parts parts = Package("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>");
  Remove(parts, "_rels/.rels");
  CHECK(Cells(Read(Zip(parts))) == Grid{{"1"}});

  parts = {{"_rels/.rels", Rels({{"rId1", "officeDocument", "book/main.xml"}})},
           {"book/main.xml", Workbook({{"S", "rId1"}})},
           {"book/_rels/main.xml.rels", Rels({{"rId1", "worksheet", "s.xml"}})},
           {"book/s.xml", Sheet("<row r=\"1\"><c r=\"A1\"><v>2</v></c></row>")}};
  CHECK(Cells(Read(Zip(parts))) == Grid{{"2"}});
}

TEST_CASE("xlsx: an empty sheet gives no rows") {
  CHECK(Read(Zip(Package(""))).empty());
  CHECK(Read(Zip(Package("<row r=\"1\"/><row r=\"2\"><c r=\"A2\" s=\"1\"/></row>"))).empty());
}

TEST_CASE("xlsx: broken packages are refused with a clear message") {
  Parts parts = Package("");
  Remove(parts, "xl/workbook.xml");
  util::Status s = Error(Zip(parts));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(Contains(s.message(), "not an XLSX workbook"));

  s = Error(Zip({{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"},
                 {"content.xml", Xml("<x/>")}}));
  CHECK(Contains(s.message(), "OpenDocument"));

  parts = Package("");
  Remove(parts, "xl/worksheets/sheet1.xml");
  s = Error(Zip(parts));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(Contains(s.message(), "\"BOM\""));
  CHECK(Contains(s.message(), "is missing"));

  parts = Package("");
  Remove(parts, "xl/_rels/workbook.xml.rels");
  CHECK(Error(Zip(parts)).machine_code() == "xlsx_invalid");

  parts = Package("");
  Replace(parts, "xl/workbook.xml", Workbook({{"S", "rId42"}}));
  s = Error(Zip(parts));
  CHECK(s.message() ==
        "the workbook's first sheet \"S\" refers to relationship \"rId42\", which the workbook "
        "does not define");

  parts = Package("");
  Replace(parts, "xl/workbook.xml", Workbook({}));
  CHECK(Error(Zip(parts)).message() == "the workbook contains no sheets");

  parts = Package("");
  Replace(parts, "xl/_rels/workbook.xml.rels", Rels({{"rId1", "chartsheet", "charts/c1.xml"}}));
  CHECK(Contains(Error(Zip(parts)).message(), "is a chart"));

  parts = Package("<row r=\"1\"><c r=\"A1\"><v>1</v></row>");
  s = Error(Zip(parts));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(Contains(s.message(), "\"xl/worksheets/sheet1.xml\" is not well-formed XML (line 2: "));

  parts = Package("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c></row>");
  Replace(parts, "xl/worksheets/sheet1.xml", "");
  CHECK(Error(Zip(parts)).machine_code() == "xlsx_invalid");

  parts = Package("<row r=\"1\"><c r=\"A1\" t=\"z\"><v>1</v></c></row>");
  CHECK(Error(Zip(parts)).message() == "row 1, column 1: the cell has the unknown type \"z\"");

  parts = Package("<row r=\"1\"><c r=\"A1\" t=\"b\"><v>yes</v></c></row>");
  CHECK(Error(Zip(parts)).machine_code() == "xlsx_invalid");
}

TEST_CASE("xlsx: shared-string indexes out of range or not numbers are refused") {
  util::Status s = Error(Zip(
      Package("<row r=\"3\"><c r=\"B3\" t=\"s\"><v>2</v></c></row>", {"<t>a</t>", "<t>b</t>"})));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(s.message() ==
        "row 3, column 2: the cell refers to shared string 2, but the workbook has only 2");

  s = Error(Zip(Package("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>")));
  CHECK(s.message() ==
        "row 1, column 1: the cell refers to shared string 0, but the workbook has only 0");

  for (const char* bad : {"-1", "1.0", "x", " 1", "99999999999999999999999999"}) {
    CAPTURE(bad);
    CHECK(Error(Zip(Package(
                    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>" + std::string(bad) + "</v></c></row>",
                    {"<t>a</t>", "<t>b</t>"})))
              .machine_code() == "xlsx_invalid");
  }
}

// ---- what is not a workbook ------------------------------------------------------------------

TEST_CASE("xlsx: LooksLikeXlsx tells zip containers from text") {
  CHECK(LooksLikeXlsx(Zip(Package(""))));
  CHECK(LooksLikeXlsx(std::string_view("PK\x03\x04", 4)));
  CHECK_FALSE(LooksLikeXlsx("PK"));
  CHECK_FALSE(LooksLikeXlsx(""));
  CHECK_FALSE(LooksLikeXlsx("part,qty\nA,1\n"));
  CHECK_FALSE(LooksLikeXlsx(std::string_view("PK\x05\x06", 4)));
}

TEST_CASE("xlsx: empty input, text, damaged zips and OLE files are refused") {
  util::Status s = Error("");
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(s.message() == "the file is empty, not an XLSX workbook");

  s = Error("part,qty\nA,1\n");
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(s.message() == "the file is not an XLSX workbook (it is not a zip container)");

  const std::string zip = Zip(Package("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>"));
  s = Error(std::string_view(zip).substr(0, zip.size() / 2));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(Contains(s.message(), "not an XLSX workbook"));
  CHECK(Error(std::string_view("PK\x03\x04", 4)).machine_code() == "xlsx_invalid");

  // What Excel writes for a password-protected workbook, and what a legacy .xls is.
  const std::string ole =
      std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(504, '\0');
  s = Error(ole);
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(Contains(s.message(), "password-protected"));
  CHECK(Contains(s.message(), ".xlsx"));
  CHECK(Contains(s.message(), "without a password"));
}

TEST_CASE("xlsx: zip-encrypted entries are refused") {
  if (zip_encryption_method_supported(ZIP_EM_AES_256, 1) == 0) return;  // libzip without crypto
  const Parts parts = Package("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>");
  ZipOptions options;
  options.encrypt_path = "xl/worksheets/sheet1.xml";
  const util::Status s = Error(Zip(parts, options));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(Contains(s.message(), "is encrypted"));
  CHECK(Contains(s.message(), "without a password"));
}

// ---- hostile XML -----------------------------------------------------------------------------

TEST_CASE("xlsx: any DTD is refused, in any part") {
  const std::string doctype = "<!DOCTYPE worksheet [<!ENTITY x \"y\">]>";
  const std::string xxe = "<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>";
  for (const std::string& dtd : {doctype, xxe, std::string("<!DOCTYPE worksheet>")}) {
    Parts parts = Package("");
    Replace(parts, "xl/worksheets/sheet1.xml",
            Xml(dtd + "<worksheet xmlns=\"" + kMainNs +
                "\"><sheetData><row r=\"1\"><c r=\"A1\" "
                "t=\"inlineStr\"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"));
    const util::Status s = Error(Zip(parts));
    CHECK(s.machine_code() == "xlsx_invalid");
    CHECK(s.message() ==
          "the file's part \"xl/worksheets/sheet1.xml\" contains a document type declaration "
          "(DTD); spreadsheets never contain one, so the file is refused");
  }
  Parts parts = Package("");
  Replace(parts, "xl/_rels/workbook.xml.rels", Xml("<!DOCTYPE r><Relationships/>"));
  CHECK(Contains(Error(Zip(parts)).message(), "document type declaration"));
  parts = Package("");
  Replace(parts, "xl/workbook.xml", Xml("<!DOCTYPE w><workbook/>"));
  CHECK(Contains(Error(Zip(parts)).message(), "document type declaration"));
}

TEST_CASE("xlsx: billion laughs is refused before any expansion") {
  std::string dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  std::string previous = "lol";
  for (int i = 1; i <= 9; ++i) {
    const std::string name = "lol" + std::to_string(i);
    dtd += "<!ENTITY " + name + " \"";
    for (int k = 0; k < 10; ++k) dtd += "&" + previous + ";";
    dtd += "\">";
    previous = name;
  }
  dtd += "]>";
  Parts parts = Package("");
  Replace(parts, "xl/sharedStrings.xml",
          Xml(dtd + "<sst xmlns=\"" + kMainNs + "\"><si><t>&lol9;</t></si></sst>"));
  const util::Status s = Error(Zip(parts));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(Contains(s.message(), "document type declaration"));
}

// A sheet of `rows` rows × 8 inline-string cells; it compresses more than a hundredfold.
std::string BigSheetData(size_t rows) {
  std::string data;
  for (size_t r = 1; r <= rows; ++r) {
    data += "<row r=\"" + std::to_string(r) + "\">";
    for (int c = 0; c < 8; ++c) data += "<c t=\"inlineStr\"><is><t>padding text</t></is></c>";
    data += "</row>";
  }
  return data;
}

// Overwrites the uncompressed size recorded for `name` in its local header and the central
// directory, as a zip bomb would.
void ForgeUncompressedSize(std::string& zip, std::string_view name, uint32_t size) {
  const auto put32 = [&](size_t at) {
    for (int i = 0; i < 4; ++i) zip[at + i] = static_cast<char>((size >> (8 * i)) & 0xFF);
  };
  const auto get16 = [&](size_t at) {
    return static_cast<size_t>(static_cast<unsigned char>(zip[at])) |
           (static_cast<size_t>(static_cast<unsigned char>(zip[at + 1])) << 8);
  };
  int patched = 0;
  for (size_t at = 0; at + 46 < zip.size(); ++at) {
    if (zip.compare(at, 4, "PK\x03\x04") == 0 && zip.compare(at + 30, name.size(), name) == 0 &&
        get16(at + 26) == name.size()) {
      put32(at + 22);
      ++patched;
    } else if (zip.compare(at, 4, "PK\x01\x02") == 0 &&
               zip.compare(at + 46, name.size(), name) == 0 && get16(at + 28) == name.size()) {
      put32(at + 24);
      ++patched;
    }
  }
  REQUIRE(patched == 2);
}

TEST_CASE("xlsx: inflated bytes are counted as produced, whatever the headers claim") {
  const std::string data = BigSheetData(5000);  // about 2.3 MB of XML
  std::string zip = Zip(Package(data));
  REQUIRE(zip.size() < 100000);
  XlsxLimits limits;
  CHECK(Read(zip, limits).size() == 5000);

  limits.max_xml_bytes = 1 << 20;
  util::Status s = Error(zip, limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(s.message() == "the workbook's XML is larger than 1048576 bytes when decompressed");

  ForgeUncompressedSize(zip, "xl/worksheets/sheet1.xml", 100);
  s = Error(zip, limits);
  CHECK(s.machine_code() == "xlsx_too_large");
}

TEST_CASE("xlsx: the byte budget spans all parts") {
  const Parts parts = Package("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>",
                              {"<t>" + std::string(5000, 'x') + "</t>"});
  XlsxLimits limits;
  limits.max_xml_bytes = 5000;  // the shared strings alone exceed it
  CHECK(Error(Zip(parts), limits).machine_code() == "xlsx_too_large");
}

TEST_CASE("xlsx: rows returned are held to the byte budget, however much shared strings repeat") {
  std::string data;
  for (int r = 1; r <= 100; ++r) {
    data += "<row r=\"" + std::to_string(r) + "\"><c r=\"A" + std::to_string(r) +
            "\" t=\"s\"><v>0</v></c></row>";
  }
  const Parts parts = Package(data, {"<t>" + std::string(1000, 'x') + "</t>"});
  XlsxLimits limits;
  limits.max_xml_bytes = 50000;  // the XML is under 10 KB; the rows would be 100 KB
  util::Status s = Error(Zip(parts), limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(s.message() == "the sheet's cells hold more than 50000 bytes");

  // Gaps cost memory too: one value in the last column of many rows.
  data.clear();
  for (int r = 1; r <= 1000; ++r) data += "<row><c r=\"IV1\"><v>1</v></c></row>";
  REQUIRE(data.size() < 40000);
  CHECK(Error(Zip(Package(data)), limits).message() ==
        "the sheet's cells hold more than 50000 bytes");
  limits.max_xml_bytes = 512u << 20;
  CHECK(Read(Zip(Package(data)), limits).size() == 1000);
}

// ---- limits ----------------------------------------------------------------------------------

TEST_CASE("xlsx: too many rows") {
  XlsxLimits limits;
  limits.max_rows = 3;
  const std::string three =
      "<row><c><v>1</v></c></row><row/><row><c><v>2</v></c></row>"
      "<row><c><v>3</v></c></row>";
  CHECK(Read(Zip(Package(three)), limits).size() == 3);
  const util::Status s = Error(Zip(Package(three + "<row><c><v>4</v></c></row>")), limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(s.message() == "the sheet has more than 3 non-empty rows");
}

TEST_CASE("xlsx: too many columns; formatting-only cells further right are ignored") {
  XlsxLimits limits;
  limits.max_columns = 3;
  CHECK(Cells(Read(Zip(Package("<row r=\"1\"><c r=\"C1\"><v>1</v></c><c r=\"D1\" s=\"2\"/>"
                               "<c r=\"XFD1\" s=\"2\"/></row>")),
                   limits)) == Grid{{"", "", "1"}});
  util::Status s = Error(Zip(Package("<row r=\"2\"><c r=\"D2\"><v>1</v></c></row>")), limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(s.message() == "row 2, column 4: the sheet uses more than 3 columns");
  s = Error(Zip(Package("<row r=\"2\"><c><v>1</v></c><c/><c/><c><v>1</v></c></row>")), limits);
  CHECK(s.machine_code() == "xlsx_too_large");

  s = Error(Zip(Package("<row r=\"1\"><c r=\"IW1\"><v>1</v></c></row>")));  // column 257
  CHECK(s.message() == "row 1, column 257: the sheet uses more than 256 columns");
}

TEST_CASE("xlsx: cell text is bounded while it is read") {
  XlsxLimits limits;
  limits.max_cell_bytes = 10;
  CHECK(Cells(Read(Zip(Package("<row r=\"1\"><c t=\"inlineStr\"><is><r><t>12345</t></r><r><t>"
                               "67890</t></r></is></c></row>")),
                   limits)) == Grid{{"1234567890"}});
  util::Status s = Error(Zip(Package("<row r=\"1\"><c t=\"inlineStr\"><is><r><t>12345</t></r>"
                                     "<r><t>678901</t></r></is></c></row>")),
                         limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(s.message() == "row 1, column 1: the cell holds more than 10 bytes of text");
  s = Error(Zip(Package("<row r=\"1\"><c><v>12345678901</v></c></row>")), limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  s = Error(Zip(Package("", {"<t>12345678901</t>"})), limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(s.message() == "shared string 0 is longer than 10 bytes");
}

TEST_CASE("xlsx: too many shared strings or zip entries") {
  XlsxLimits limits;
  limits.max_shared_strings = 2;
  CHECK(Read(Zip(Package("", {"<t>a</t>", "<t>b</t>"})), limits).empty());
  util::Status s = Error(Zip(Package("", {"<t>a</t>", "<t>b</t>", "<t>c</t>"})), limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(s.message() == "the workbook has more than 2 shared strings");

  limits = XlsxLimits();
  limits.max_entries = 5;
  CHECK(Read(Zip(Package("")), limits).empty());  // exactly five entries
  Parts parts = Package("");
  parts.emplace_back("docProps/app.xml", Xml("<Properties/>"));
  s = Error(Zip(parts), limits);
  CHECK(s.machine_code() == "xlsx_too_large");
  CHECK(Contains(s.message(), "more than 5 zip entries"));

  // The count is taken from the end record before libzip reads the directory: a file that
  // declares 60,000 entries (or zip64's 0xFFFF) is refused at once.
  for (uint32_t declared : {60000u, 0xFFFFu}) {
    std::string eocd = std::string("PK\x05\x06", 4) + std::string(6, '\0');
    eocd += static_cast<char>(declared & 0xFF);
    eocd += static_cast<char>(declared >> 8);
    eocd += std::string(10, '\0');
    s = Error(std::string("PK\x03\x04", 4) + std::string(100, 'x') + eocd);
    CHECK(s.machine_code() == "xlsx_too_large");
  }
}

TEST_CASE("xlsx: messages echo at most 40 characters of the file's text") {
  const std::string long_ref(500, 'A');
  util::Status s =
      Error(Zip(Package("<row r=\"1\"><c r=\"" + long_ref + "1\"><v>1</v></c></row>")));
  CHECK(s.machine_code() == "xlsx_invalid");
  CHECK(s.message().size() < 120);

  Parts parts = Package("");
  const std::string long_id(1000, 'r');
  Replace(parts, "xl/workbook.xml", Workbook({{std::string(1000, 'n'), long_id}}));
  s = Error(Zip(parts));
  CHECK(s.message().size() < 200);
}

// ---- robustness ------------------------------------------------------------------------------

TEST_CASE("xlsx: mutated and truncated workbooks never crash the reader") {
  const Parts parts = Package(
      "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"inlineStr\"><is><r><t>x</t>"
      "</r></is></c><c r=\"C1\" t=\"b\"><v>1</v></c><c r=\"D1\"><v>1.5E-3</v></c></row>"
      "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c><c r=\"C2\" t=\"e\"><v>#N/A</v></c></row>",
      {"<t>Part</t>", "<r><t>Ri</t></r><r><t>ch</t></r><rPh><t>p</t></rPh>"});
  for (const bool store : {true, false}) {
    ZipOptions options;
    options.store = store;
    const std::string original = Zip(parts, options);
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    const auto next = [&state] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    for (int round = 0; round < 1500; ++round) {
      std::string bytes = original;
      const int edits = 1 + static_cast<int>(next() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = 4 + next() % (bytes.size() - 4);
        bytes[at] = static_cast<char>(next() & 0xFF);
      }
      if (next() % 8 == 0) bytes.resize(4 + next() % (bytes.size() - 4));
      util::Result<std::vector<SheetRow>> r = ReadXlsxFirstSheet(bytes);
      if (r.ok()) {
        for (const SheetRow& row : r.value()) {
          CHECK(!row.cells.empty());
          CHECK(!row.cells.back().empty());
          for (const std::string& cell : row.cells) {
            CHECK(Utf8ErrorOffset(cell) == std::string_view::npos);
          }
        }
      } else {
        const std::string& code = r.status().machine_code();
        CHECK((code == "xlsx_invalid" || code == "xlsx_too_large" || code == "xlsx_value"));
      }
    }
  }
}

}  // namespace
}  // namespace bomvault::bom
