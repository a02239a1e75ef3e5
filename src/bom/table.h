// Split and find the table: the second import stage. From decoded UTF-8 text (bom/decode.h) or a
// spreadsheet's rows, finds where the BOM table is: its delimiter, its header row and the data
// rows under it, reporting everything it steps over.
//
// SniffDelimiter looks at up to the first 64 lines (outside quotes) and picks, among ',' ';' tab
// and '|', the one whose per-line count is the same non-zero number on the most lines (larger
// counts win ties): preamble lines and descriptions with stray commas do not decide. SplitRecords
// reads RFC 4180 records (quotes, "" escapes, line breaks inside quotes) ending in LF, CRLF or a
// lone CR (old Mac exports); unquoted cells are trimmed of spaces and tabs; blank lines yield
// records with no cells so their line numbers stay visible.
//
// FindTable scores each of the first kHeaderSearchRows non-empty rows by how many of its cells are
// known header words (IsHeaderWord, bom/profile.h) and takes the best (the earliest on a tie;
// at least two known words) as the header; rows before it are preamble (KiCad's "Source:"/"Date:"
// lines, Cadence report titles). Below it, these rows are skipped: blank rows, a repeat of the
// header or a second header row (most of its cells header words), rows starting with TOTAL /
// SUM / SUMME / GESAMT that fill at most half the columns, and summary rows (a first cell ending in
// ':' and at most three cells filled, as KiBoM's "Component Count:,12" block). Each skip is a
// warning with its line. Trailing empty header cells are dropped (a trailing delimiter on every
// line, as Eagle and pcbnew write).
//
// ReadTextTable is decode → sniff → split → find in one call, over bytes: the entry point for the
// fuzz target and the import pipeline. Pure functions: thread-safe; never throw except bad_alloc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bom/csv.h"
#include "util/status.h"

namespace bomvault::bom {

inline constexpr size_t kHeaderSearchRows = 40;

struct ImportMessage {
  size_t line = 0;    // 1-based line (CSV) or row (spreadsheet); 0 = the file as a whole
  size_t column = 0;  // 1-based; 0 = the whole line
  std::string code;
  std::string message;

  friend bool operator==(const ImportMessage&, const ImportMessage&) = default;
};

char SniffDelimiter(std::string_view text);

// Records of `text`; a quote never closed is Status::Invalid("csv_syntax") with its line.
// At most `max_records` records (0 = all) are read.
util::Result<std::vector<TableRow>> SplitRecords(std::string_view text, char delimiter,
                                                 size_t max_records = 0);

struct FoundTable {
  size_t header_index = 0;  // into the input rows
  size_t header_line = 0;   // the header row's own line
  std::vector<std::string> header;
  std::vector<TableRow> data;  // the data rows, header and skipped rows removed
  std::vector<ImportMessage> warnings;
};

// Takes the rows by value: data rows are moved, not copied. Status::Invalid("csv_header") when
// no row looks like a header.
util::Result<FoundTable> FindTable(std::vector<TableRow> rows);

// Hand-kept sheets sometimes hold two tables side by side. When the header row (as FindTable
// would choose it) has non-empty cells on both sides of a column that is empty in every row,
// returns the rows split at that column (left, right), each keeping its line numbers; otherwise
// an empty vector.
std::vector<std::vector<TableRow>> SplitSideBySide(const std::vector<TableRow>& rows);

struct TextTable {
  std::string encoding;
  char delimiter = ',';
  std::string text;  // the decoded text, for stages that want it whole
  FoundTable table;
};

util::Result<TextTable> ReadTextTable(std::string_view bytes, std::string_view charset = {});

}  // namespace bomvault::bom
