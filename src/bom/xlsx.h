// XLSX reading: the worksheets of an Excel workbook as rows of cell text, so BOM import can
// take the .xlsx files engineers actually have alongside CSV.
//
// Debian 12 ships no maintained C/C++ XLSX reader (freexl 1.0.6 reads only legacy .xls and
// libxlsxwriter only writes), so this module composes two maintained Debian libraries: libzip
// opens the container (from memory, read-only) and expat parses the XML parts. Only what import
// needs is read: _rels/.rels (optional) → xl/workbook.xml → its first <sheet> → the worksheet the
// workbook's .rels names for it, plus the shared-string table. Styles, formulas (the cached value
// is used), hidden state and every other part are ignored. Element names are matched by local
// name, so the prefixes Excel, LibreOffice and openpyxl choose do not matter.
//
// Untrusted input, so every resource is bounded while reading, never after: XML parts are
// inflated in 64 KB pieces straight into the parser and the bytes actually produced (not the
// sizes the zip headers claim) are counted against XlsxLimits::max_xml_bytes; cell text is cut
// off at max_cell_bytes as it arrives; and since a shared string referenced a million times (or
// one far-right cell) makes a little XML stand for a lot of memory, the rows returned are held to
// the same byte budget. Any document type declaration is refused outright (an XLSX never has
// one, and refusing it removes entity expansion — billion laughs — and external entities in one
// stroke). Encrypted entries and OLE compound files (password-protected .xlsx, legacy .xls) are
// refused with advice to save as plain .xlsx.
//
// Output invariants: rows are in strictly increasing `number` order; no row is entirely empty;
// no row ends in an empty cell; every cell is valid UTF-8. Numbers keep the text the file stores
// (so dates stay serial numbers), except that exponent notation is rewritten to plain decimals
// where CanonicalQuantityFromNumber (decimal.h) can do so exactly and longer fractions are rounded
// to the 15 significant digits the spreadsheet displays (RoundSignificant, decimal.h), so a
// formula's 0.30000000000000004 reads 0.3; booleans read "TRUE"/"FALSE".
// Errors are Status::Invalid with machine code "xlsx_invalid" (not an XLSX, damaged or malformed
// parts), "xlsx_too_large" (a limit was hit) or "xlsx_value" (a cell holds a spreadsheet error
// such as #REF!); cell-level messages begin "row R, column C: " with the 1-based spreadsheet row
// and column number. Messages echo at most kMessageEchoChars characters of anything taken from
// the file. Never throws: a machine out of memory gets Status::Internal.
//
// Pure functions over their arguments, no shared state: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace bomvault::bom {

struct SheetRow {
  size_t number = 0;  // 1-based spreadsheet row number (from r="…", else sequential)
  // Index = column - 1 (A=0); gaps are ""; trailing empty cells trimmed.
  std::vector<std::string> cells;
};

struct XlsxLimits {
  size_t max_rows = 200001;  // non-empty rows returned: data rows + header
  // Columns that hold a value. Empty, formatting-only cells further right are skipped, since
  // they cost nothing and Excel writes them when a user formats a wide range.
  size_t max_columns = 256;
  size_t max_cell_bytes = 32767;  // Excel's own limit for one cell's text
  // Total bytes inflated across every part read, counted as actually produced. The rows returned
  // (cell text plus a std::string's footprint per cell, gaps included) have a budget this size too.
  size_t max_xml_bytes = 256u << 20;  // a 200,000-row sheet of 8 columns is ~80 MB
  size_t max_shared_strings = 2000000;
  size_t max_entries = 10000;  // entries in the zip's central directory
};

// True when the bytes start like a zip container ("PK\x03\x04"): how import tells XLSX from CSV.
bool LooksLikeXlsx(std::string_view bytes);

// Rows of the workbook's first worksheet (first in workbook.xml order, which is the tab order,
// not the part-file order), rows that are entirely empty omitted.
struct XlsxSheet {
  std::string name;
  std::vector<SheetRow> rows;
};

// Every worksheet in tab order (chart sheets left out), each with the rules above; cells of a
// merged range all read as the range's top-left cell. At most 64 sheets.
util::Result<std::vector<XlsxSheet>> ReadXlsxSheets(std::string_view bytes,
                                                    const XlsxLimits& limits = {});

util::Result<std::vector<SheetRow>> ReadXlsxFirstSheet(std::string_view bytes,
                                                       const XlsxLimits& limits = {});

}  // namespace bomvault::bom
