#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bom/csv.h"
#include "bom/tree.h"

namespace bomvault::bom {
namespace {

using Properties = std::vector<std::pair<std::string, std::string>>;

std::vector<Item> Parse(std::string_view body, const Limits& limits = Limits()) {
  util::Result<std::vector<Item>> r = ParseCsv(body, limits);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r.value();
}

util::Status ParseError(std::string_view body, const Limits& limits = Limits()) {
  util::Result<std::vector<Item>> r = ParseCsv(body, limits);
  REQUIRE_FALSE(r.ok());
  return r.status();
}

std::vector<CsvError> AllErrors(std::string_view body, const Limits& limits = Limits()) {
  std::vector<CsvError> errors;
  util::Result<std::vector<Item>> r = ParseCsv(body, limits, &errors);
  CHECK_FALSE(r.ok());
  CHECK(!errors.empty());
  return errors;
}

Item MakeItem(std::string ref, std::string parent, std::string part, std::string qty = "1") {
  Item item;
  item.ref = std::move(ref);
  item.parent = std::move(parent);
  item.part_number = std::move(part);
  item.quantity = std::move(qty);
  return item;
}

void CheckRoundTrip(const std::vector<Item>& items) {
  REQUIRE_MESSAGE(ValidateItems(items, Limits()).ok(), ValidateItems(items, Limits()).message());
  const std::string csv = ExportCsv(items);
  util::Result<std::vector<Item>> back = ParseCsv(csv, Limits());
  REQUIRE_MESSAGE(back.ok(), back.status().message());
  REQUIRE(back->size() == items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!(back.value()[i] == items[i])) FAIL("item " << i << " differs after the round trip");
  }
}

// ---- structure -------------------------------------------------------------------------------

TEST_CASE("level mode: parents from levels, refs from data row numbers") {
  const std::vector<Item> items = Parse(
      "level,part_number,description,qty\n"
      "0,TOP,Top assembly,1\n"
      "1,SUB,Sub,2\n"
      "2,SCR,Screw,4\n"
      "1,NUT,Nut,3\n"
      "0,TOP2,,1\n");
  REQUIRE(items.size() == 5);
  const std::vector<std::string> refs = {"1", "2", "3", "4", "5"};
  const std::vector<std::string> parents = {"", "1", "2", "1", ""};
  for (size_t i = 0; i < items.size(); ++i) {
    CHECK(items[i].ref == refs[i]);
    CHECK(items[i].parent == parents[i]);
    CHECK(items[i].properties.empty());
  }
  CHECK(items[2].part_number == "SCR");
  CHECK(items[2].description == "Screw");
  CHECK(items[2].quantity == "4");
  CHECK(items[4].description.empty());
}

TEST_CASE("level mode: the first row may start at level 1") {
  const std::vector<Item> items = Parse("Level,Part Number,Qty\n1,A,1\n2,B,2\n3,C,1\n1,D,1\n");
  REQUIRE(items.size() == 4);
  CHECK(items[0].parent.empty());
  CHECK(items[1].parent == "1");
  CHECK(items[2].parent == "2");
  CHECK(items[3].parent.empty());
}

TEST_CASE("level mode: going back up closes subtrees") {
  const std::vector<Item> items =
      Parse("level,pn,qty\n0,A,1\n1,B,1\n2,C,1\n1,D,1\n2,E,1\n0,F,1\n1,G,1\n");
  const std::vector<std::string> parents = {"", "1", "2", "1", "4", "", "6"};
  REQUIRE(items.size() == parents.size());
  for (size_t i = 0; i < items.size(); ++i) CHECK(items[i].parent == parents[i]);
}

TEST_CASE("level mode: explicit refs are used, empty ref cells default to the row number") {
  const std::vector<Item> items = Parse("ref,level,pn,qty\nTOP,0,A,1\n,1,B,1\nX,1,C,1\n,2,D,1\n");
  REQUIRE(items.size() == 4);
  CHECK(items[0].ref == "TOP");
  CHECK(items[1].ref == "2");
  CHECK(items[1].parent == "TOP");
  CHECK(items[2].ref == "X");
  CHECK(items[3].ref == "4");
  CHECK(items[3].parent == "X");
}

TEST_CASE("level mode errors carry line and column") {
  util::Status s = ParseError("level,pn,qty\n1,A,1\n0,B,1\n");
  CHECK(s.code() == util::Code::kInvalid);
  CHECK(s.machine_code() == "csv_value");
  CHECK(s.message() ==
        "line 3, column 1: level 0 is lower than the first row's level 1; the first row must have "
        "the lowest level");

  s = ParseError("level,pn,qty\n0,A,1\n2,B,1\n");
  CHECK(s.machine_code() == "csv_value");
  CHECK(s.message() ==
        "line 3, column 1: level 2 skips a level: the row above is at level 0, so this row can be "
        "at most level 1");

  s = ParseError("pn,qty,level\n0,1,0\nA,1,1\nB,1,2\nC,1,1\nD,1,3\n");
  CHECK(s.message() ==
        "line 6, column 3: level 3 skips a level: the row above is at level 1, so this row can be "
        "at most level 2");

  CHECK(ParseError("level,pn,qty\n0,A,1\n,B,1\n").message() == "line 3, column 1: level is empty");
  for (std::string bad : {"x", "-1", "1.0", "+1", "1e2", "9999999"}) {
    CAPTURE(bad);
    s = ParseError("level,pn,qty\n0,A,1\n" + bad + ",B,1\n");
    CHECK(s.machine_code() == "csv_value");
    CHECK(s.message().rfind("line 3, column 1: level \"", 0) == 0);
    CHECK(s.message().find("is not a whole number") != std::string::npos);
  }
}

TEST_CASE("parent mode: refs required, parents may be forward references") {
  const std::vector<Item> items = Parse("ref,parent,pn,qty\nS1,T,SCR,4\nT,,TOP,1\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].ref == "S1");
  CHECK(items[0].parent == "T");
  CHECK(items[1].ref == "T");
  CHECK(items[1].parent.empty());
}

TEST_CASE("parent mode: level cells must agree with the parent column") {
  CHECK(Parse("ref,parent,level,pn,qty\nA,,0,T,1\nB,A,1,X,1\nC,B,2,Y,1\nD,A,,Z,1\n").size() == 4);
  CHECK(Parse("ref,parent,level,pn,qty\nA,,1,T,1\nB,A,2,X,1\nC,B,3,Y,1\n").size() == 3);

  const util::Status s = ParseError("ref,parent,level,pn,qty\nA,,0,T,1\nB,A,1,X,1\nC,B,1,Y,1\n");
  CHECK(s.machine_code() == "csv_value");
  CHECK(s.message() ==
        "line 4, column 3: level 1 does not match the parent column, which puts this row at "
        "level 2; when both are given the parent decides, so correct or clear the level");
  CHECK(ParseError("ref,parent,level,pn,qty\nA,,0,T,1\nB,A,x,X,1\n").message() ==
        "line 3, column 3: level \"x\" is not a whole number from 0 to 999999");
}

// ---- header ----------------------------------------------------------------------------------

TEST_CASE("header names are normalised and aliases recognised") {
  const std::vector<Item> items = Parse(
      "Find-No,Part Number, QTY ,UoM,Ref Des,Desc,Level,Manufacturer Name,Ref\n"
      "10,R-100,2,pcs,\"R1,R2\",Resistor,0,Yageo,r1\n");
  REQUIRE(items.size() == 1);
  const Item& item = items[0];
  CHECK(item.find_number == "10");
  CHECK(item.part_number == "R-100");
  CHECK(item.quantity == "2");
  CHECK(item.unit == "pcs");
  CHECK(item.refdes == "R1,R2");
  CHECK(item.description == "Resistor");
  CHECK(item.ref == "r1");
  CHECK(item.properties == Properties{{"manufacturer_name", "Yageo"}});
}

TEST_CASE("every documented alias maps to its field") {
  struct Alias {
    const char* header;
    std::string Item::*member;
  };
  const Alias aliases[] = {
      {"find", &Item::find_number},
      {"find_no", &Item::find_number},
      {"item_no", &Item::find_number},
      {"pos", &Item::find_number},
      {"find_number", &Item::find_number},
      {"description", &Item::description},
      {"desc", &Item::description},
      {"unit", &Item::unit},
      {"uom", &Item::unit},
      {"refdes", &Item::refdes},
      {"reference_designators", &Item::refdes},
      {"ref_des", &Item::refdes},
  };
  for (const Alias& a : aliases) {
    CAPTURE(a.header);
    const std::vector<Item> items = Parse(std::string("level,pn,qty,") + a.header + "\n0,A,1,v\n");
    REQUIRE(items.size() == 1);
    CHECK(items[0].*a.member == "v");
    CHECK(items[0].properties.empty());
  }
  for (std::string part : {"part_number", "part", "part_no", "pn", "number", "Part-No"}) {
    CAPTURE(part);
    CHECK(Parse("level," + part + ",quantity\n0,A,1\n")[0].part_number == "A");
  }
}

TEST_CASE("other columns become properties; empty cells are omitted") {
  const std::vector<Item> items =
      Parse("level,pn,qty,Color,Supplier Code,weight-kg\n0,A,1,red,,0.5\n1,B,1,,S-1,\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].properties == Properties{{"color", "red"}, {"weight_kg", "0.5"}});
  CHECK(items[1].properties == Properties{{"supplier_code", "S-1"}});
}

TEST_CASE("header errors") {
  util::Status s = ParseError("level,qty\n0,1\n");
  CHECK(s.code() == util::Code::kInvalid);
  CHECK(s.machine_code() == "csv_header");
  CHECK(s.message() ==
        "line 1: the header has no part_number column (also accepted: part, part_no, pn, "
        "number)");
  CHECK(ParseError("level,pn\n0,A\n").message() ==
        "line 1: the header has no quantity column (also accepted: qty)");
  CHECK(ParseError("pn,qty\nA,1\n").message() ==
        "line 1: the header needs a level column or a parent column to describe the structure");
  CHECK(ParseError("parent,pn,qty\n,A,1\n").message() ==
        "line 1: the header has a parent column but no ref column for it to refer to");

  s = ParseError("level,qty,pn,Quantity\n0,1,A,1\n");
  CHECK(s.machine_code() == "csv_header");
  CHECK(s.message() ==
        "line 1, column 4: column \"Quantity\" means the same as column 2 (\"qty\")");
  CHECK(ParseError("level,pn,qty,Color,color\n").message() ==
        "line 1, column 5: column \"color\" appears twice (also column 4)");

  s = ParseError("level,pn,qty," + std::string(65, 'k') + "\n0,A,1,x\n");
  CHECK(s.machine_code() == "csv_header");
  CHECK(s.message().rfind("line 1, column 4: property name \"kkk", 0) == 0);

  // Header found after blank lines: physical line numbers.
  CHECK(ParseError("\n\n  \nlevel,pn\n").message().rfind("line 4: ", 0) == 0);

  const std::vector<CsvError> errors = AllErrors("level,pn,pn,x\n");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].line == 1);
  CHECK(errors[0].column == 3);
  CHECK(errors[0].code == "csv_header");
  CHECK(errors[1].line == 1);
  CHECK(errors[1].column == 0);
  CHECK(errors[1].message == "the header has no quantity column (also accepted: qty)");
}

TEST_CASE("empty files and header-only files") {
  for (std::string_view body : {"", "\n\n", "  \r\n", "\xEF\xBB\xBF"}) {
    const util::Status s = ParseError(body);
    CHECK(s.machine_code() == "csv_header");
    CHECK(s.message().rfind("line 1: the file is empty", 0) == 0);
  }
  CHECK(Parse("level,pn,qty\n").empty());
  CHECK(Parse("level,pn,qty").empty());
}

TEST_CASE("unnamed columns are ignored unless they hold values") {
  CHECK(Parse("level,pn,qty,\n0,A,1,\n").size() == 1);
  const util::Status s = ParseError("level,pn,qty,\n0,A,1,\n1,B,1,x\n");
  CHECK(s.machine_code() == "csv_value");
  CHECK(s.message() ==
        "line 3, column 4: this cell has a value but its column has no name in the header line");
}

// ---- syntax ----------------------------------------------------------------------------------

TEST_CASE("semicolon files") {
  const std::vector<Item> items = Parse(
      "Level;Part Number;Description;Qty\n"
      "0;TOP;\"Gehäuse; groß\";1\n"
      "1;SCR;Schraube, M4;2.50\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].description == "Gehäuse; groß");
  CHECK(items[1].description == "Schraube, M4");
  CHECK(items[1].quantity == "2.5");

  const util::Status s = ParseError("Level;Part Number;Qty\n0;TOP;2,5\n");
  CHECK(s.machine_code() == "csv_value");
  CHECK(s.message() ==
        "line 2, column 3: quantity \"2,5\" contains ','; use '.' as the decimal point and no "
        "thousands separators");
}

TEST_CASE("delimiter detection counts only outside quotes; ties go to ','") {
  std::vector<Item> items = Parse("\"a;b;c\",level,pn,qty\nx,0,A,1\n");
  CHECK(items[0].properties == Properties{{"a;b;c", "x"}});
  items = Parse("\"x,y,z\";level;pn;qty\nv;0;A;1\n");
  CHECK(items[0].properties == Properties{{"x,y,z", "v"}});
  // One of each: ',' wins, so "level;pn" is one (unrecognised) column.
  CHECK(ParseError("level;pn,qty\n0;A,1\n").machine_code() == "csv_header");
}

TEST_CASE("UTF-8 byte order mark is stripped; UTF-16 is refused") {
  const std::vector<Item> items = Parse("\xEF\xBB\xBFlevel,pn,qty\n0,Ä,1\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].part_number == "Ä");

  const util::Status s = ParseError("\xFF\xFEl\0e\0v\0");
  CHECK(s.machine_code() == "csv_syntax");
  CHECK(s.message() == "line 1: the file is UTF-16 encoded; save it as \"CSV UTF-8\" instead");
}

TEST_CASE("CRLF, LF, mixed line ends and a missing final newline") {
  std::vector<Item> items = Parse("level,pn,qty\r\n0,A,1\r\n1,B,2\r\n");
  REQUIRE(items.size() == 2);
  CHECK(items[1].quantity == "2");
  CHECK(items[1].part_number == "B");
  items = Parse("level,pn,qty\n0,A,1\r\n1,B,2");
  REQUIRE(items.size() == 2);
  CHECK(items[1].quantity == "2");
  CHECK(ParseError("level,pn,qty\r\n0,A,1\r\n1,B,x\r\n").message().rfind("line 3, column 3", 0) ==
        0);
}

TEST_CASE("quoted cells: escapes, delimiters, line breaks, verbatim content") {
  const std::vector<Item> items = Parse(
      "level,pn,description,qty,note\n"
      "0,\"A,1\",\"say \"\"hi\"\"\",1,\"  padded  \"\n"
      "1,  \"B\"  , 12\" pipe ,  2  ,\"x\r\ny\"\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].part_number == "A,1");
  CHECK(items[0].description == "say \"hi\"");
  CHECK(items[0].properties == Properties{{"note", "  padded  "}});
  CHECK(items[1].part_number == "B");          // blanks around quotes ignored
  CHECK(items[1].description == "12\" pipe");  // bare quote is literal, cell trimmed
  CHECK(items[1].quantity == "2");
  CHECK(items[1].properties == Properties{{"note", "x\r\ny"}});  // kept verbatim
}

TEST_CASE("quoted line breaks keep physical line numbers") {
  const std::string body =
      "level,pn,description,qty\n"  // line 1
      "0,TOP,\"multi\n"             // line 2
      "line\n"                      // line 3
      "description\",1\n"           // line 4
      "1,SCR,ok,abc\n";             // line 5
  std::vector<CsvError> errors = AllErrors(body);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line == 5);
  CHECK(errors[0].column == 4);
  CHECK(errors[0].message == "quantity \"abc\" is not a number");
  CHECK(ParseError(body).message() == "line 5, column 4: quantity \"abc\" is not a number");

  const std::vector<Item> items =
      Parse("level,pn,description,qty\n0,TOP,\"multi\nline\ndescription\",1\n1,SCR,ok,2\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].description == "multi\nline\ndescription");
  CHECK(items[1].parent == "1");

  // A cell that starts on the second physical line of its record.
  CHECK(ParseError("level,pn,description,qty\n0,TOP,\"two\nlines\",x\n").message() ==
        "line 3, column 4: quantity \"x\" is not a number");
  // Tree problems are pinned the same way.
  const util::Status s = ParseError("ref,parent,note,pn,qty\nA,,\"x\ny\",,1\n");
  CHECK(s.machine_code() == "bom_empty_field");
  CHECK(s.message() ==
        "line 3, column 4: item \"A\": part_number is empty and nothing else (description, value, "
        "MPN or designators) identifies the item");
}

TEST_CASE("invalid UTF-8 is refused with line and column, once") {
  util::Status s = ParseError("level,pn,qty\n0,A,1\n1,B\xFF,2\n");
  CHECK(s.code() == util::Code::kInvalid);
  CHECK(s.machine_code() == "csv_syntax");
  CHECK(s.message() ==
        "line 3, column 2: the file is not valid UTF-8 (byte 0xFF); save it as \"CSV UTF-8\"");
  s = ParseError("level,pn,qty\n0,\"ok\nbad \xC3\",1\n");
  CHECK(s.message().rfind("line 3, column 2: the file is not valid UTF-8 (byte 0xC3)", 0) == 0);
  CHECK(ParseError("level,p\xE9,qty\n").message().rfind("line 1, column 2: ", 0) == 0);
  // A Latin-1 file has many bad bytes; one message says it all.
  CHECK(AllErrors("level,pn,qty\n0,Gr\xF6\xDF"
                  "e,1\n1,M\xFC"
                  "de,1\n")
            .size() == 1);
}

TEST_CASE("quote syntax errors") {
  util::Status s = ParseError("level,pn,qty\n0,\"A,1\n1,B,2\n");
  CHECK(s.machine_code() == "csv_syntax");
  CHECK(s.message() ==
        "line 2, column 2: a quoted cell is never closed: the closing \" is missing");
  s = ParseError("level,pn,qty\n0,\"A\"x,1\n");
  CHECK(s.machine_code() == "csv_syntax");
  CHECK(s.message().rfind("line 2, column 2: unexpected text after the closing quote", 0) == 0);
}

TEST_CASE("rows with the wrong number of cells") {
  const std::vector<CsvError> errors = AllErrors("level,pn,qty\n0,A,1,extra\n1,B\n0,C,1\n");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].line == 2);
  CHECK(errors[0].column == 0);
  CHECK(errors[0].code == "csv_syntax");
  CHECK(errors[0].message ==
        "this row has 4 cells but the header has 3; a value containing ',' must be put in double "
        "quotes");
  CHECK(errors[1].line == 3);
  CHECK(errors[1].message == "this row has 2 cells but the header has 3");
  CHECK(ParseError("level,pn,qty\n0,A,1,extra\n")
            .message()
            .rfind("line 2: this row has 4 cells", 0) == 0);
}

TEST_CASE("blank lines, whitespace-only lines and all-empty rows are skipped") {
  const std::string body = "\nlevel,pn,qty\n\n0,A,1\n   \n,,\n\"\",,\n1,B,2\n\n";
  const std::vector<Item> items = Parse(body);
  REQUIRE(items.size() == 2);
  CHECK(items[1].ref == "2");  // data row numbers skip them too
  CHECK(items[1].parent == "1");
  CHECK(ParseError("\nlevel,pn,qty\n\n0,A,1\n   \n,,\n1,B,x\n")
            .message()
            .rfind("line 7, column 3", 0) == 0);
}

TEST_CASE("one leading apostrophe is removed from every cell") {
  const std::vector<Item> items = Parse(
      "level,pn,description,qty,note,'=key\n"
      "0,'=SUM(A1),'+cmd,'1,''quoted,\"'-x\"\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].part_number == "=SUM(A1)");
  CHECK(items[0].description == "+cmd");
  CHECK(items[0].quantity == "1");
  CHECK(items[0].properties == Properties{{"note", "'quoted"}, {"=key", "-x"}});
}

TEST_CASE("quantities are canonicalised and checked") {
  const std::vector<Item> items = Parse("level,pn,qty\n0,A, 2.50 \n1,B,8.0\n1,C,007\n1,D,0\n");
  CHECK(items[0].quantity == "2.5");
  CHECK(items[1].quantity == "8");
  CHECK(items[2].quantity == "7");
  CHECK(items[3].quantity == "0");
  for (std::string bad : {"1e3", "-1", "", "NaN"}) {
    CAPTURE(bad);
    const util::Status s = ParseError("level,pn,qty\n0,A," + bad + "\n");
    CHECK(s.machine_code() == "csv_value");
    CHECK(s.message().rfind("line 2, column 3: quantity", 0) == 0);
  }
  const util::Status s = ParseError("level,pn,qty\n0,A," + std::string(100000, '9') + "\n");
  CHECK(s.message().size() < 200);  // the cell is not echoed in full
}

// ---- tree rules, pinned to cells ---------------------------------------------------------------

TEST_CASE("tree problems are reported at the offending cell") {
  util::Status s = ParseError("ref,parent,pn,qty\nA,,TOP,1\nB,A,X,1\nA,A,Y,1\n");
  CHECK(s.code() == util::Code::kUnprocessable);
  CHECK(s.machine_code() == "bom_duplicate_ref");
  CHECK(s.message() ==
        "line 4, column 1: item 3: ref \"A\" is already used by item 1; refs must be unique");

  s = ParseError("ref,parent,pn,qty\nA,,TOP,1\nB,Z,X,1\n");
  CHECK(s.machine_code() == "bom_dangling_parent");
  CHECK(s.message() == "line 3, column 2: item \"B\": parent \"Z\" does not exist");

  s = ParseError("ref,parent,pn,qty\nA,B,TOP,1\nB,A,X,1\n");
  CHECK(s.machine_code() == "bom_cycle");
  CHECK(s.message().rfind("line 2, column 2: item \"A\" is in a parent cycle", 0) == 0);

  s = ParseError("ref,parent,pn,desc,qty\nA,,TOP," + std::string(2000, 'd') + ",1\n");
  CHECK(s.code() == util::Code::kInvalid);
  CHECK(s.machine_code() == "bom_field_too_long");
  CHECK(s.message() ==
        "line 2, column 4: item \"A\": description is 2000 bytes long; the limit is 1024");

  s = ParseError("level,pn,qty\n0,A\x01,1\n");
  CHECK(s.machine_code() == "bom_invalid");
  CHECK(s.message().rfind("line 2, column 2: item \"1\": part_number contains", 0) == 0);

  Limits limits;
  limits.max_properties = 1;
  s = ParseError("level,pn,qty,a,b\n0,A,1,x,y\n", limits);
  CHECK(s.machine_code() == "bom_bad_property");
  CHECK(s.message() == "line 2: item \"1\": has 2 properties; the limit is 1");

  limits = Limits();
  limits.max_depth = 2;
  s = ParseError("level,pn,qty\n0,A,1\n1,B,1\n2,C,1\n3,D,1\n", limits);
  CHECK(s.machine_code() == "bom_too_deep");
  CHECK(s.message() ==
        "line 5, column 1: item \"4\" is at level 3; the deepest allowed level is 2");
}

TEST_CASE("max_items stops reading early") {
  Limits limits;
  limits.max_items = 2;
  CHECK(Parse("level,pn,qty\n0,A,1\n0,B,1\n", limits).size() == 2);
  const util::Status s = ParseError("level,pn,qty\n0,A,1\n0,B,1\n0,C,1\n0,D,1\n", limits);
  CHECK(s.machine_code() == "bom_too_many_items");
  CHECK(s.message() == "line 4: the file has more than 2 data rows; the limit is 2");
}

TEST_CASE("all_errors collects up to 100 problems with structured positions") {
  std::string body = "level,pn,qty\n0,TOP,1\n";
  for (int i = 0; i < 150; ++i) body += "1,P" + std::to_string(i) + ",bad\n";
  std::vector<CsvError> errors = {CsvError{9, 9, "stale", "stale"}};
  const util::Result<std::vector<Item>> r = ParseCsv(body, Limits(), &errors);
  REQUIRE_FALSE(r.ok());
  REQUIRE(errors.size() == kMaxCsvErrors);
  for (size_t k = 0; k < errors.size(); ++k) {
    CHECK(errors[k].line == k + 3);
    CHECK(errors[k].column == 3);
    CHECK(errors[k].code == "csv_value");
    CHECK(errors[k].message == "quantity \"bad\" is not a number");
  }
  CHECK(r.status().message() == "line 3, column 3: quantity \"bad\" is not a number");

  // Different kinds in one file, in file order.
  errors = AllErrors("level,pn,qty\n0,A,x\n1,B\n5,C,1\n1,D,-2\n");
  REQUIRE(errors.size() == 4);
  CHECK(errors[0].line == 2);
  CHECK(errors[1].line == 3);
  CHECK(errors[1].code == "csv_syntax");
  CHECK(errors[2].line == 4);
  CHECK(errors[2].column == 1);
  CHECK(errors[3].line == 5);
  CHECK(errors[3].column == 3);

  // Success clears the vector.
  errors = {CsvError{}};
  CHECK(ParseCsv("level,pn,qty\n0,A,1\n", Limits(), &errors).ok());
  CHECK(errors.empty());
  CHECK(ParseCsv("level,pn,qty\n0,A,1\n", Limits(), nullptr).ok());
}

TEST_CASE("a 100,000-row file parses completely") {
  std::string body = "level,part_number,description,quantity,unit,manufacturer\n";
  body.reserve(11000000);
  for (int i = 0; i < 100000; ++i) {
    body += i == 0 ? "0" : (i % 10 == 1 ? "1" : "2");
    body += ",PN-" + std::to_string(i) + ",\"Description number " + std::to_string(i) +
            ", with a comma and some padding to reach roughly one hundred bytes\",2.5,pcs,ACME\n";
  }
  const std::vector<Item> items = Parse(body);
  REQUIRE(items.size() == 100000);
  CHECK(items[99999].part_number == "PN-99999");
  CHECK(items[99999].parent == "99992");  // refs are 1-based row numbers
  CHECK(items[99999].properties.empty());
  CHECK(items[99999].manufacturers == std::vector<Manufacturer>{{"ACME", ""}});
}

// ---- export ----------------------------------------------------------------------------------

TEST_CASE("ExportCsv writes the documented layout") {
  std::vector<Item> items = {MakeItem("A", "", "TOP"), MakeItem("B", "A", "-5V", "0.25"),
                             MakeItem("C", "A", "=cmd", "3")};
  items[0].description = "Top, main";
  items[1].find_number = "10";
  items[1].description = "say \"hi\"";
  items[1].unit = "m";
  items[1].refdes = "R1,R2";
  items[1].properties = {{"color", "red"}};
  items[2].description = " padded ";
  items[2].properties = {{"color", "blue"}, {"note", "x;y"}};
  CHECK(ExportCsv(items) ==
        "ref,parent,level,find_number,part_number,description,quantity,unit,refdes,color,note\n"
        "A,,0,,TOP,\"Top, main\",1,,,,\n"
        "B,A,1,10,'-5V,\"say \"\"hi\"\"\",0.25,m,\"R1,R2\",red,\n"
        "C,A,1,,'=cmd,\" padded \",3,,,blue,\"x;y\"\n");
  CHECK(ExportCsv({}) ==
        "ref,parent,level,find_number,part_number,description,quantity,unit,refdes\n");
}

TEST_CASE("ExportCsv neutralises formula starters in every text cell") {
  for (std::string lead : {"=", "+", "-", "@", "\t", "\r", "'"}) {
    CAPTURE(lead);
    std::vector<Item> items = {MakeItem(lead + "r", "", lead + "pn")};
    items[0].description = lead + "1+1";
    // A property key must be a normalised name, which rules out a leading '-', tab or CR.
    const bool key_ok = lead == "=" || lead == "+" || lead == "@" || lead == "'";
    items[0].properties = {{key_ok ? lead + "k" : "k", lead + "v"}};
    if (lead == "\t" || lead == "\r") {  // identifiers may not hold CR; keep it in free text
      items[0].ref = "r";
      items[0].part_number = "pn";
    }
    const std::string csv = ExportCsv(items);
    const std::string row = csv.substr(csv.find('\n') + 1);
    // No cell of the data row starts with a formula character.
    size_t start = 0;
    bool in_quotes = false;
    for (size_t i = 0; i <= row.size(); ++i) {
      if (i < row.size() && row[i] == '"') in_quotes = !in_quotes;
      if (i == row.size() || (!in_quotes && (row[i] == ',' || row[i] == '\n'))) {
        std::string_view cell = std::string_view(row).substr(start, i - start);
        if (!cell.empty() && cell.front() == '"') cell.remove_prefix(1);
        CHECK((cell.empty() ||
               std::string_view("=+-@\t\r").find(cell.front()) == std::string_view::npos));
        start = i + 1;
      }
    }
    CheckRoundTrip(items);
  }
}

TEST_CASE("ExportCsv is formula-safe for a reader splitting on ; or tab") {
  // Issue 10, finding 11: "x;=1+1;y" became a live formula in a ';'-splitting spreadsheet.
  std::vector<Item> items = {MakeItem("r", "", "pn")};
  items[0].description = "x;=1+1;y";
  items[0].properties = {{"note", "a,@cmd\t+2;'q;\"z"}};
  const std::string csv = ExportCsv(items);
  const std::string row = csv.substr(csv.find('\n') + 1);
  for (char delimiter : {',', ';', '\t'}) {
    CAPTURE(delimiter);
    // Split naively, as a reader set to another delimiter would: no piece may start a formula.
    size_t start = 0;
    for (size_t i = 0; i <= row.size(); ++i) {
      if (i == row.size() || row[i] == delimiter || row[i] == '\n') {
        std::string_view cell = std::string_view(row).substr(start, i - start);
        CHECK((cell.empty() ||
               std::string_view("=+-@\t\r").find(cell.front()) == std::string_view::npos));
        start = i + 1;
      }
    }
  }
  CHECK(row.find("x;'=1+1;y") != std::string::npos);
  CheckRoundTrip(items);
}

TEST_CASE("round trip with hostile values") {
  std::vector<Item> items = {
      MakeItem("child-first", "root,\"1\";", "SCR \"M4\"", "0.000000001"),
      MakeItem("root,\"1\";", "", "=HYPERLINK(\"http://x\")", "1"),
      MakeItem("ünï ✓", "root,\"1\";", "@SUM(1)", "999999999999999.999999999"),
      MakeItem("'quoted", "ünï ✓", "'apostrophe", "0"),
      MakeItem(" spaced ", "", " lead and trail ", "12"),
      MakeItem("x", "'quoted", "+plus", "3"),
  };
  items[0].description = "line1\nline2\r\nline3, \"quoted\"; semi";
  items[0].refdes = "R1,R2;R3\nR4";
  items[0].find_number = "-1";
  items[0].unit = "@u";
  items[0].properties = {{"=key", "=1+2"}, {"'k", "'v"},      {"k;1", "a;b"},
                         {"k,2", "a,b"},   {"k\"3", "\"q\""}, {"ключ", "значение 🙂"}};
  items[1].description = "\ttab first";
  items[1].properties = {{"=key", "\r\nstarts with CRLF"}, {"k,2", " padded "}};
  items[2].description = "-negative looking";
  items[2].unit = "mm²";
  items[3].description = "'";
  items[3].properties = {{"ключ", "'"}};
  items[4].description = "   ";
  items[4].refdes = "\t";
  items[5].description = "trailing tab\t";
  items[5].properties = {{"=key", "\n"}, {"'k", "-"}, {"k;1", "\"\""}};
  CheckRoundTrip(items);
}

TEST_CASE("round trip of 10,000 items") {
  std::vector<Item> items;
  items.reserve(10000);
  for (size_t i = 0; i < 10000; ++i) {
    Item item = MakeItem("R" + std::to_string(i), i == 0 ? "" : "R" + std::to_string((i - 1) / 3),
                         "PN-" + std::to_string(i % 997), std::to_string(i % 7) + ".5");
    item.description = i % 5 == 0 ? "Desc, \"" + std::to_string(i) + "\"\nsecond line" : "";
    item.find_number = std::to_string(i % 100);
    item.unit = i % 2 == 0 ? "pcs" : "mm";
    if (i % 3 == 0) item.properties.emplace_back("color", i % 2 == 0 ? "red" : "=blue");
    if (i % 4 == 0) item.properties.emplace_back("supplier", "S;" + std::to_string(i));
    items.push_back(std::move(item));
  }
  // Children before parents, so the import must resolve forward references.
  std::reverse(items.begin(), items.end());
  CheckRoundTrip(items);
}

TEST_CASE("ExportCsv is safe on invalid input") {
  const std::vector<Item> items = {MakeItem("A", "B", "X"), MakeItem("B", "A", "Y"),
                                   MakeItem("C", "missing", "Z")};
  CHECK(ExportCsv(items) ==
        "ref,parent,level,find_number,part_number,description,quantity,unit,refdes\n"
        "A,B,,,X,,1,,\n"
        "B,A,,,Y,,1,,\n"
        "C,missing,,,Z,,1,,\n");
}

}  // namespace
}  // namespace bomvault::bom

namespace bomvault::bom {

TEST_CASE("export and re-import keep manufacturers, MPNs and DNP; older exports are unchanged") {
  std::vector<Item> items(2);
  items[0].ref = "1";
  items[0].part_number = "ASM";
  items[0].quantity = "1";
  items[1].ref = "2";
  items[1].parent = "1";
  items[1].quantity = "2";
  items[1].refdes = "R1 R2";
  items[1].properties = {{"value", "10k"}};
  items[1].manufacturers = {{"Yageo", "RC0603FR-0710KL"}, {"", "=ERJ-3EKF1002V"}};
  items[1].dnp = true;
  const std::string csv = ExportCsv(items);
  CHECK(csv.substr(0, csv.find('\n')) ==
        "ref,parent,level,find_number,part_number,description,quantity,unit,refdes,manufacturer,"
        "mpn,manufacturer_2,mpn_2,dnp,value");
  util::Result<std::vector<Item>> back = ParseCsv(csv, Limits{});
  REQUIRE_MESSAGE(back.ok(), back.status().message());
  CHECK(back.value() == items);
  items[1].manufacturers.clear();
  items[1].dnp = false;
  const std::string plain = ExportCsv(items);
  CHECK(plain.substr(0, plain.find('\n')) ==
        "ref,parent,level,find_number,part_number,description,quantity,unit,refdes,value");
}

}  // namespace bomvault::bom
