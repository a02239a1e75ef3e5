// The import pipeline: a BOM file as its tool exported it → validated Items, with a report of
// everything that was decided, skipped or refused. Stages, each its own pure module:
//   decode (decode.h) → find the table (table.h) → recognise the profile and map columns
//   (profile.h) → normalise values (values.h) → build the tree (here) → validate (tree.h).
// XLSX workbooks enter at "find the table": every sheet is read, the one named by `sheet` is
// used, else the first sheet that holds a table (the others are listed in the report), so no
// rows are dropped without a word.
//
// bomvault's own CSV (a header of recognised column names with a level column, or a parent and
// a ref column, as ExportCsv writes) is read by the strict ParseCsv (csv.h) first: that keeps
// exports lossless and 100k-line imports fast. Anything else, or a native-looking file ParseCsv
// refuses, goes through the generic stages; when both fail, the native errors are reported for
// native-looking files (they are the precise ones), the generic errors otherwise.
//
// Structure decisions (see docs/import.md): a flat list becomes one level under the BOM; a level
// column gives depth (integers, "1.0", outline "1.2.3", SAP dots), relative to the file's lowest
// level; a find-number column of outline numbers (SolidWorks) does the same when there is no level
// column; a parent column names the parent's ref, part number or name; a parent that has no row
// of its own (Odoo's product, InvenTree's assembly) becomes an item, so several BOMs in one file
// become sub-assemblies of one BOM; a component that is itself some parent gets that parent's
// rows as children (its sub-BOM), wherever it is used.
//
// Strict by default: any row error fails the import with every problem listed (line, column).
// With skip_bad_rows, rows with errors (and the rows below them) are left out and each is
// reported as a warning; the rest imports. Pure function: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bom/item.h"
#include "bom/mapping.h"
#include "bom/table.h"
#include "util/status.h"

namespace bomvault::bom {

struct ImportOptions {
  std::string charset;  // legacy text encoding (decode.h); "" = detect
  std::string sheet;    // XLSX sheet name; "" = the first sheet that holds a table
  std::string profile;  // a built-in profile name (profile.h); "" = recognise
  bool skip_bad_rows = false;
  // Column mappings given with this one import (the API's ?mappings=, the UI's mapping editor):
  // ImportBom and ImportTable put them ahead of `org_mappings`, so they win for the columns they
  // name and the caller's other mappings fill in the rest.
  ColumnMappings mappings;
};

inline constexpr size_t kMaxImportMessages = 200;

struct ImportReport {
  util::Status status;  // Ok, or the first error (its class decides 400 or 422)
  std::vector<Item> items;
  std::string format;               // "csv" or "xlsx"
  std::string encoding;             // text files; "" for XLSX
  std::string delimiter;            // "," ";" "\t" "|"; "" for XLSX
  std::string sheet;                // the XLSX sheet read
  std::vector<std::string> sheets;  // every sheet of an XLSX workbook
  std::string profile;
  size_t header_line = 0;
  std::vector<std::pair<std::string, std::string>> mapping;  // header cell → RoleName
  size_t rows_read = 0;     // data rows under the header (skipped rows excluded)
  size_t rows_skipped = 0;  // rows left out by skip_bad_rows
  std::vector<ImportMessage> warnings;
  std::vector<ImportMessage> errors;
  std::vector<size_t> item_lines;  // the line each item came from (0 = made for a parent)
};

ImportReport ImportBom(std::string_view bytes, const ImportOptions& options,
                       const ColumnMappings* org_mappings, const Limits& limits);

// The generic stages from a found table on (for tests and for tables that did not come from a
// file). `decimal_comma`: whether "1,5" is one and a half.
ImportReport ImportTable(FoundTable table, const ImportOptions& options,
                         const ColumnMappings* org_mappings, const Limits& limits,
                         bool decimal_comma);

}  // namespace bomvault::bom
