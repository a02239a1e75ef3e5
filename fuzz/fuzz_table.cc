// Fuzz target: the text-table reader (bom/table.h ReadTextTable: decode → sniff the delimiter →
// split records → find the header and the data rows), then the rest of the import pipeline over
// the same bytes (bom/import.h ImportBom), the path every uploaded CSV/TXT export takes.
// Invariants checked on every input, beyond "no crash, no sanitizer report, bounded memory":
//  * the decoded text is valid UTF-8 with no NUL, the encoding is named and the delimiter is one
//    of , ; tab |;
//  * the found table has a non-empty header, its data rows come after the header line in strictly
//    increasing line order, every cell is valid UTF-8, and every skip warning names a line;
//  * the same bytes read with an explicit legacy charset (Windows-1251) decode or are refused
//    with "invalid_encoding", never anything else;
//  * ImportBom: a success passes ValidateItems and lists no errors; a refusal lists at most
//    kMaxImportMessages errors, each with a code and a message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bom/import.h"
#include "bom/item.h"
#include "bom/table.h"
#include "bom/tree.h"
#include "fuzz/fuzz_check.h"

using namespace bomvault::bom;

namespace {

void CheckTable(const TextTable& t) {
  FUZZ_CHECK(!t.encoding.empty());
  FUZZ_CHECK(t.delimiter == ',' || t.delimiter == ';' || t.delimiter == '\t' || t.delimiter == '|');
  FUZZ_CHECK(Utf8ErrorOffset(t.text) == std::string_view::npos);
  FUZZ_CHECK(t.text.find('\0') == std::string::npos);
  const FoundTable& f = t.table;
  FUZZ_CHECK(!f.header.empty());
  size_t last = f.header_line;
  for (const TableRow& r : f.data) {
    FUZZ_CHECK(r.line > last);
    last = r.line;
    for (const std::string& cell : r.cells) {
      FUZZ_CHECK(Utf8ErrorOffset(cell) == std::string_view::npos);
    }
  }
  for (const std::string& cell : f.header) {
    FUZZ_CHECK(Utf8ErrorOffset(cell) == std::string_view::npos);
  }
  for (const ImportMessage& w : f.warnings) {
    FUZZ_CHECK(w.line != 0 && !w.code.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto table = ReadTextTable(bytes);
  if (table.ok()) CheckTable(table.value());

  auto legacy = ReadTextTable(bytes, "WINDOWS-1251");
  if (legacy.ok()) {
    CheckTable(legacy.value());
  } else {
    // Refusals are about the encoding, the quoting or the header, never an internal failure.
    FUZZ_CHECK(legacy.status().code() == bomvault::util::Code::kInvalid);
  }

  Limits limits;
  limits.max_items = 2000;  // small enough that the fuzzer reaches the limit paths
  limits.max_depth = 8;
  ImportOptions options;
  ImportReport report = ImportBom(bytes, options, nullptr, limits);
  if (report.status.ok()) {
    FUZZ_CHECK(report.errors.empty());
    FUZZ_CHECK(ValidateItems(report.items, limits).ok());
  } else {
    FUZZ_CHECK(report.errors.size() <= kMaxImportMessages);
    for (const ImportMessage& e : report.errors) {
      FUZZ_CHECK(!e.code.empty() && !e.message.empty());
    }
  }
  return 0;
}
