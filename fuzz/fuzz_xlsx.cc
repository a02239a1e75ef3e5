// Fuzz target: the XLSX reader (bom/xlsx.h): a zip container (libzip) of XML parts (expat), then
// the rows through the same table import as CSV (ParseTable).
// Invariants checked on every input, beyond "no crash, no sanitizer report, bounded memory":
//  * the returned rows obey xlsx.h: strictly increasing row numbers, no empty row, no trailing
//    empty cell, every cell valid UTF-8 and within max_cell_bytes, at most max_rows rows and
//    max_columns cells that hold a value;
//  * an error carries one of the three documented machine codes;
//  * rows that ParseTable accepts pass ValidateItems.
// Limits are small so that the fuzzer reaches every "too large" path in a few bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bom/csv.h"
#include "bom/item.h"
#include "bom/tree.h"
#include "bom/xlsx.h"
#include "fuzz/fuzz_check.h"

using namespace bomvault::bom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)LooksLikeXlsx(bytes);
  XlsxLimits xl;
  xl.max_rows = 500;
  xl.max_columns = 32;
  xl.max_cell_bytes = 256;
  xl.max_xml_bytes = 4u << 20;
  xl.max_shared_strings = 5000;
  xl.max_entries = 64;
  auto rows = ReadXlsxFirstSheet(bytes, xl);
  if (!rows.ok()) {
    const std::string& code = rows.status().machine_code();
    FUZZ_CHECK(code == "xlsx_invalid" || code == "xlsx_too_large" || code == "xlsx_value" ||
               code == "internal");
    return 0;
  }
  FUZZ_CHECK(rows->size() <= xl.max_rows);
  size_t previous = 0;
  std::vector<TableRow> table;
  for (const SheetRow& row : rows.value()) {
    FUZZ_CHECK(row.number > previous);
    previous = row.number;
    FUZZ_CHECK(!row.cells.empty());
    FUZZ_CHECK(!row.cells.back().empty());
    size_t filled = 0;
    for (const std::string& cell : row.cells) {
      FUZZ_CHECK(Utf8ErrorOffset(cell) == std::string_view::npos);
      FUZZ_CHECK(cell.size() <= xl.max_cell_bytes);
      if (!cell.empty()) ++filled;
    }
    FUZZ_CHECK(filled <= xl.max_columns);
    table.push_back({row.number, row.cells});
  }
  Limits limits;
  limits.max_items = 500;
  std::vector<CsvError> errors;
  auto items = ParseTable(std::move(table), limits, &errors);
  if (items.ok()) FUZZ_CHECK(ValidateItems(items.value(), limits).ok());
  return 0;
}
