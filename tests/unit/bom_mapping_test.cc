#include <doctest/doctest.h>

#include <string>

#include "bom/csv.h"
#include "bom/mapping.h"
#include "codec/column_mappings.h"

using bomvault::bom::ColumnMapping;
using bomvault::bom::ColumnMappings;
using bomvault::bom::Limits;
using bomvault::bom::ParseCsv;
using bomvault::bom::ParseTable;
using bomvault::bom::TableRow;
using bomvault::codec::ParseColumnMappings;
using nlohmann::json;

namespace {

ColumnMappings Mappings(const json& list) {
  auto m = ParseColumnMappings(list, Limits{});
  REQUIRE(m.ok());
  return m.value();
}

std::string MappingError(const json& list) {
  auto m = ParseColumnMappings(list, Limits{});
  return m.ok() ? "ok" : m.status().message();
}

}  // namespace

TEST_CASE("mappings: parsing normalises and round-trips") {
  ColumnMappings m = Mappings(json::parse(R"([
    {"column": "Mfr. Part-No", "property": "Manufacturer Part Number"},
    {"column": "Pos", "field": "find_number"},
    {"column": "Internal Cost", "ignore": true}])"));
  REQUIRE(m.size() == 3);
  CHECK(m[0].column == "mfr._part_no");
  CHECK(m[0].target == ColumnMapping::Target::kProperty);
  CHECK(m[0].name == "manufacturer_part_number");
  CHECK(m[1].target == ColumnMapping::Target::kField);
  CHECK(m[1].name == "find_number");
  CHECK(m[2].target == ColumnMapping::Target::kIgnore);
  CHECK(Mappings(bomvault::codec::ColumnMappingsJson(m)) == m);
}

TEST_CASE("mappings: bad lists are refused with the entry named") {
  CHECK(MappingError(json::object()) == "\"mappings\" must be an array");
  CHECK(MappingError(json::parse(R"([{"column": "a"}])")) ==
        "mappings[0]: give exactly one of \"field\", \"property\" or \"ignore\": true");
  CHECK(MappingError(json::parse(R"([{"column": "a", "field": "x", "property": "y"}])")) != "ok");
  CHECK(MappingError(json::parse(R"([{"column": "a", "field": "qty"}])"))
            .rfind("mappings[0]: \"field\" must be one of", 0) == 0);
  CHECK(MappingError(json::parse(R"([{"column": "a", "property": "quantity"}])")) ==
        "mappings[0]: property name \"quantity\" is reserved for the quantity column");
  CHECK(MappingError(json::parse(R"([{"column": "A B", "ignore": true},
                                      {"column": "a-b", "ignore": true}])")) ==
        "mappings[1]: column \"a_b\" is mapped twice");
  CHECK(MappingError(json::parse(R"([{"column": " ", "ignore": true}])"))
            .rfind("mappings[0]: \"column\" needs", 0) == 0);
  CHECK(MappingError(json::parse(R"([{"column": 5, "ignore": true}])")) ==
        "mappings[0]: \"column\" must be a string");
  json many = json::array();
  for (int i = 0; i < 257; ++i)
    many.push_back({{"column", "c" + std::to_string(i)}, {"ignore", true}});
  CHECK(MappingError(many) != "ok");
}

TEST_CASE("mappings: wrong types are refused, never thrown") {
  CHECK(MappingError(json(nullptr)) == "\"mappings\" must be an array");
  CHECK(MappingError(json("x")) == "\"mappings\" must be an array");
  CHECK(MappingError(json::parse(R"([7])")) == "mappings[0]: each mapping must be an object");
  CHECK(MappingError(json::parse(R"([{"ignore": true}])")) ==
        "mappings[0]: \"column\" must be a string");
  CHECK(MappingError(json::parse(R"([{"column": "a", "field": 3}])"))
            .rfind("mappings[0]: \"field\" must be one of", 0) == 0);
  CHECK(MappingError(json::parse(R"([{"column": "a", "property": []}])")) ==
        "mappings[0]: \"property\" must be a string");
  CHECK(MappingError(json::parse(R"([{"column": "a", "ignore": "yes"}])")) ==
        "mappings[0]: give exactly one of \"field\", \"property\" or \"ignore\": true");
  CHECK(MappingError(json::parse(R"([{"column": "a", "ignore": false, "field": "unit"}])")) ==
        "ok");
}

TEST_CASE("mappings: the stored text decodes as it was written, and bad texts are errors") {
  using bomvault::codec::DecodeColumnMappings;
  using bomvault::codec::EncodeColumnMappings;
  // As today's main stores them (ColumnMappingsJson(...).dump()).
  const std::string stored =
      R"([{"column":"mfr._part_no","property":"manufacturer_part_number"},)"
      R"({"column":"pos","field":"find_number"},{"column":"internal_cost","ignore":true},)"
      R"({"column":"hersteller","property":"manufacturer"}])";
  auto m = DecodeColumnMappings(stored, Limits{});
  REQUIRE(m.ok());
  REQUIRE(m->size() == 4);
  CHECK(m->at(1).target == ColumnMapping::Target::kField);
  CHECK(m->at(2).target == ColumnMapping::Target::kIgnore);
  // A property saved before manufacturer became a field now means the field.
  CHECK(m->at(3).target == ColumnMapping::Target::kField);
  CHECK(m->at(3).name == "manufacturer");
  CHECK(EncodeColumnMappings(*m) ==
        R"([{"column":"mfr._part_no","property":"manufacturer_part_number"},)"
        R"({"column":"pos","field":"find_number"},{"column":"internal_cost","ignore":true},)"
        R"({"column":"hersteller","field":"manufacturer"}])");
  for (const char* bad : {"", "[", "{\"column\": 1}", "[{\"column\": \"a\"}]", "\xff", "null"}) {
    auto r = DecodeColumnMappings(bad, Limits{});
    CHECK(!r.ok());
    CHECK(r.status().machine_code() == "invalid_mapping");
  }
}

TEST_CASE("mappings: CheckColumnMappings normalises and checks given structs") {
  using bomvault::bom::CheckColumnMappings;
  auto ok = CheckColumnMappings({{"Mfr PN", ColumnMapping::Target::kProperty, "Mfr Part"},
                                 {"Pos", ColumnMapping::Target::kField, "find_number"}},
                                Limits{});
  REQUIRE(ok.ok());
  CHECK(ok->at(0).column == "mfr_pn");
  CHECK(ok->at(0).name == "mfr_part");
  CHECK(!CheckColumnMappings({{"a", ColumnMapping::Target::kField, "nope"}}, Limits{}).ok());
  CHECK(!CheckColumnMappings({{"", ColumnMapping::Target::kIgnore, ""}}, Limits{}).ok());
  CHECK(
      CheckColumnMappings(ColumnMappings(257, {"c", ColumnMapping::Target::kIgnore, ""}), Limits{})
          .status()
          .message()
          .rfind("an organisation may have at most 256", 0) == 0);
}

TEST_CASE("mappings: a CSV import applies them before the built-in names") {
  ColumnMappings m = Mappings(json::parse(R"([
    {"column": "Mfr PN", "property": "manufacturer_pn"},
    {"column": "Artikel", "field": "part_number"},
    {"column": "Menge", "field": "quantity"},
    {"column": "Cost", "ignore": true},
    {"column": "Description", "property": "long_text"}])"));
  auto items = ParseCsv("level;Artikel;Menge;Mfr PN;Cost;Description\n0;A-1;2;X9;12.50;Bolt\n",
                        Limits{}, nullptr, &m);
  REQUIRE(items.ok());
  REQUIRE(items->size() == 1);
  const auto& it = items->front();
  CHECK(it.part_number == "A-1");
  CHECK(it.quantity == "2");
  CHECK(it.description.empty());  // mapped away from the description field
  REQUIRE(it.properties.size() == 2);
  CHECK(it.properties[0] == std::pair<std::string, std::string>("manufacturer_pn", "X9"));
  CHECK(it.properties[1] == std::pair<std::string, std::string>("long_text", "Bolt"));
  // Without the mappings the same file is missing its part number and quantity columns.
  CHECK(!ParseCsv("level;Artikel;Menge\n0;A-1;2\n", Limits{}).ok());
  // Two columns mapped onto one target are reported like duplicate columns.
  std::vector<bomvault::bom::CsvError> errors;
  auto dup = ParseCsv("level,Artikel,part_number,qty\n0,A,B,1\n", Limits{}, &errors, &m);
  REQUIRE(!dup.ok());
  CHECK(errors[0].column == 3);
}

TEST_CASE("ParseTable: spreadsheet rows follow the CSV rules with row numbers") {
  std::vector<TableRow> rows = {{1, {"level", "part_number", "quantity", "note"}},
                                {2, {"0", " A ", "1"}},  // trailing cell dropped, blanks trimmed
                                {4, {"1", "B", "2.5", "x"}}};
  auto items = ParseTable(rows, Limits{}, nullptr);
  REQUIRE(items.ok());
  REQUIRE(items->size() == 2);
  CHECK((*items)[0].part_number == "A");
  CHECK((*items)[1].parent == (*items)[0].ref);
  CHECK((*items)[1].properties.size() == 1);

  std::vector<bomvault::bom::CsvError> errors;
  rows = {{1, {"level", "part_number", "quantity"}}, {7, {"0", "A", "-1"}}};
  auto bad = ParseTable(rows, Limits{}, &errors);
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().rfind("row 7, column 3: ", 0) == 0);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line == 7);
  CHECK(!ParseTable({}, Limits{}, nullptr).ok());
}
