// CSV import and export of BOMs, the format engineers actually exchange with ERP/PLM tools and
// spreadsheets.
//
// Import (ParseCsv) accepts what Excel, LibreOffice and typical PLM exports produce: UTF-8 with
// or without a byte-order mark; ',' or ';' as delimiter (whichever occurs more often outside
// quotes in the header line; ',' on a tie); RFC 4180 quoting ("" inside quotes, line breaks
// inside quotes); CRLF or LF line ends. Leniencies, each because real files need it: lines that
// are empty or only blanks, and rows whose cells are all empty (spreadsheets append them), are
// skipped; unquoted cells are trimmed of spaces and tabs while quoted cells are kept verbatim;
// blanks around a quoted cell are ignored; a '"' in the middle of an unquoted cell is literal
// (12" pipe). One leading apostrophe is removed from every cell, and one apostrophe directly
// after each ',' ';' or tab inside a cell, undoing the formula neutralisation ExportCsv applies.
// Header names are normalised (NormalizeColumnName) and aliases resolved (RecognizedColumn, both in
// tree.h); unrecognised columns become properties. Structure comes from a parent column (refs
// required) or, without one, from a level column (refs optional, defaulting to the 1-based data row
// number). When both are present the parent column decides and every non-empty level must agree
// with it (the export writes both).
//
// Invariant: on success the items pass ValidateItems(items, limits); the tree checks are run
// here so their problems can be pinned to a line and column. Errors carry codes "csv_syntax",
// "csv_header", "csv_value" (all Status::Invalid) or the bom_* code and class from tree.h; the
// Status message begins "line L, column C: " (1-based physical line in the file, column = field
// number) or "line L: " when the problem concerns a whole line. Tree checks run only when the
// file had no CSV-level errors, since a half-read BOM would produce misleading follow-ups.
//
// Export (ExportCsv) is the inverse: ParseCsv(ExportCsv(items)) == items for every BOM that
// passes ValidateItems, provided each item lists its properties in the order the keys first
// appear across the BOM (a CSV row cannot carry its own column order; BOMs that came from CSV
// always satisfy this). Pure functions, no shared state: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bom/item.h"
#include "bom/mapping.h"
#include "util/status.h"

namespace bomvault::bom {

// One import problem, for showing errors next to the offending cells. `message` is the text
// without the "line L, column C: " prefix; column is 0 when the whole line is meant.
struct CsvError {
  size_t line = 0;
  size_t column = 0;
  std::string code;
  std::string message;
};

inline constexpr size_t kMaxCsvErrors = 100;

// Stops at the first problem.
util::Result<std::vector<Item>> ParseCsv(std::string_view body, const Limits& limits);

// Collects up to kMaxCsvErrors problems into *all_errors (cleared first; may be null) and returns
// the first as the Status. Problems that make the rest of the file unreadable (an unclosed
// quote, invalid UTF-8, a bad header, too many rows) end the collection.
// `mappings` (may be null) are the organisation's column mappings (bom/mapping.h), applied to
// the header before the built-in names.
util::Result<std::vector<Item>> ParseCsv(std::string_view body, const Limits& limits,
                                         std::vector<CsvError>* all_errors,
                                         const ColumnMappings* mappings = nullptr);

// One row of a table that is already split into cells (a spreadsheet's sheet, bom/xlsx.h).
struct TableRow {
  size_t line = 0;  // the row number the user sees, for messages
  std::vector<std::string> cells;
};

// The same rules as ParseCsv over rows: the first row is the header; messages say "row R,
// column C" with R the row's own number; short rows are padded with empty cells.
util::Result<std::vector<Item>> ParseTable(std::vector<TableRow> rows, const Limits& limits,
                                           std::vector<CsvError>* all_errors,
                                           const ColumnMappings* mappings = nullptr);

// Columns ref,parent,level,find_number,part_number,description,quantity,unit,refdes; then, only
// when some item has them, manufacturer,mpn (manufacturer_2,mpn_2… for further approved
// manufacturers) and dnp ("DNP" or empty); then every property key in first-seen order; ','
// delimiter, LF line ends, quotes only where needed. Text cells (all but level and quantity) that
// start with = + - @ tab CR or ' get a leading ' so spreadsheets do not execute them as formulas;
// inside such a cell, a ',' ';' or tab followed by one of those (or by ") gets a ' after it, so a
// spreadsheet splitting the line on another delimiter cannot find a formula there either
// (ParseCsv removes one ' after each of those three characters inside a cell, so the round trip
// holds). Levels come from the tree (empty for items that Levels() cannot place).
std::string ExportCsv(const std::vector<Item>& items);

}  // namespace bomvault::bom
