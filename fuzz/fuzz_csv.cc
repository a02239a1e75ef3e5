// Fuzz target: CSV import (bom/csv.h), the text users upload most.
// Invariants checked on every input, beyond "no crash, no sanitizer report":
//  * the stop-at-first and the collecting parser agree on success, and a failure is reported with
//    at least one and at most kMaxCsvErrors problems and a "line L" message;
//  * a parsed BOM passes ValidateItems (csv.h's promise);
//  * the export round trip holds: ParseCsv(ExportCsv(items)) == items;
//  * an organisation's column mappings never turn a file the built-in names refuse into a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bom/csv.h"
#include "bom/mapping.h"
#include "bom/tree.h"
#include "fuzz/fuzz_check.h"

using namespace bomvault::bom;

namespace {

const ColumnMappings& Mappings() {
  static const ColumnMappings m = [] {
    auto parsed = CheckColumnMappings(
        {{"Pos", ColumnMapping::Target::kField, "find_number"},
         {"Menge", ColumnMapping::Target::kField, "quantity"},
         {"Mfr. Part No.", ColumnMapping::Target::kProperty, "manufacturer_part_number"},
         {"Internal cost", ColumnMapping::Target::kIgnore, ""}},
        Limits{});
    FUZZ_CHECK(parsed.ok());
    return parsed.value();
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_items = 2000;  // small enough that the fuzzer reaches the limit paths
  limits.max_depth = 8;

  auto first = ParseCsv(body, limits);
  std::vector<CsvError> errors;
  auto all = ParseCsv(body, limits, &errors);
  FUZZ_CHECK(first.ok() == all.ok());
  if (!all.ok()) {
    FUZZ_CHECK(!errors.empty() && errors.size() <= kMaxCsvErrors);
    FUZZ_CHECK(all.status().message().rfind("line ", 0) == 0);
  } else {
    FUZZ_CHECK(errors.empty());
    FUZZ_CHECK(first.value() == all.value());
    FUZZ_CHECK(ValidateItems(all.value(), limits).ok());
    std::string exported = ExportCsv(all.value());
    auto again = ParseCsv(exported, limits);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again.value() == all.value());
  }

  std::vector<CsvError> mapped_errors;
  auto mapped = ParseCsv(body, limits, &mapped_errors, &Mappings());
  if (mapped.ok()) FUZZ_CHECK(ValidateItems(mapped.value(), limits).ok());
  return 0;
}
