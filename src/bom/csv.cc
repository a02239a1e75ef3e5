#include "bom/csv.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bom/decimal.h"
#include "bom/tree.h"

namespace bomvault::bom {
namespace {

constexpr size_t kNoColumn = SIZE_MAX;
constexpr size_t kMaxLevelDigits = 6;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Undoes the guard ExportCsv puts after a separator inside a cell (see AppendCell): one '
// directly after ',' ';' or tab is removed.
void UnguardInnerStarts(std::string* field) {
  for (size_t i = 0; i + 1 < field->size(); ++i) {
    const char c = (*field)[i];
    if ((c == ',' || c == ';' || c == '\t') && (*field)[i + 1] == '\'') field->erase(i + 1, 1);
  }
}

// One record as read from the file. Buffers are reused between records so that steady-state
// reading allocates only when a cell outgrows every earlier cell in its column.
struct Record {
  std::vector<std::string> fields;
  std::vector<size_t> field_lines;  // physical line on which each field starts
  size_t count = 0;
  size_t line = 0;
};

struct Problem {
  size_t line;
  size_t column;
  util::Code kind;
  std::string code;
  std::string message;
};

// Splits the body into records in one forward pass. Quoted cells are found with memchr and
// appended in slices; unquoted cells are copied once from the body.
class Reader {
 public:
  enum class Step { kRecord, kEnd, kError };

  explicit Reader(std::string_view text) : text_(text) {}

  void SkipBlankLines() {
    const size_t n = text_.size();
    while (pos_ < n) {
      size_t q = pos_;
      while (q < n && IsBlank(text_[q])) ++q;
      if (q == n) {
        pos_ = n;
        return;
      }
      if (text_[q] == '\n') {
        pos_ = q + 1;
      } else if (text_[q] == '\r' && (q + 1 == n || text_[q + 1] == '\n')) {
        pos_ = std::min(q + 2, n);
      } else {
        return;
      }
      ++line_;
    }
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t line() const { return line_; }

  // Counts delimiters outside quotes on the (next) header line; ';' only wins outright because
  // ',' is both the RFC default and what we export.
  void DetectDelimiter() {
    size_t commas = 0;
    size_t semicolons = 0;
    bool quoted = false;
    for (size_t i = pos_; i < text_.size(); ++i) {
      const char c = text_[i];
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted) {
        if (c == '\n') break;
        if (c == ',') ++commas;
        if (c == ';') ++semicolons;
      }
    }
    delimiter_ = semicolons > commas ? ';' : ',';
  }

  char delimiter() const { return delimiter_; }

  // A CSV row must have every cell; a short one is an error, reported by the caller.
  void Pad(Record*, size_t) const {}
  std::string ExtraCellsHint(bool too_many) const {
    if (!too_many) return "";
    return std::string("; a value containing '") + delimiter_ + "' must be put in double quotes";
  }

  Step Next(Record* rec, Problem* problem) {
    SkipBlankLines();
    const char* s = text_.data();
    const size_t n = text_.size();
    if (pos_ >= n) return Step::kEnd;
    rec->count = 0;
    rec->line = line_;
    size_t p = pos_;
    while (true) {
      if (rec->count == rec->fields.size()) {
        rec->fields.emplace_back();
        rec->field_lines.push_back(0);
      }
      std::string& field = rec->fields[rec->count];
      rec->field_lines[rec->count] = line_;
      const size_t column = ++rec->count;
      size_t q = p;
      while (q < n && IsBlank(s[q])) ++q;
      if (q < n && s[q] == '"') {
        const size_t open_line = line_;
        field.clear();
        ++q;
        while (true) {
          const void* found = std::memchr(s + q, '"', n - q);
          if (found == nullptr) {
            *problem = {open_line, column, util::Code::kInvalid, "csv_syntax",
                        "a quoted cell is never closed: the closing \" is missing"};
            return Step::kError;
          }
          const size_t close = static_cast<size_t>(static_cast<const char*>(found) - s);
          line_ += static_cast<size_t>(std::count(s + q, s + close, '\n'));
          field.append(s + q, close - q);
          if (close + 1 < n && s[close + 1] == '"') {
            field.push_back('"');
            q = close + 2;
            continue;
          }
          q = close + 1;
          break;
        }
        while (q < n && IsBlank(s[q])) ++q;
        if (q < n && s[q] != delimiter_ && !IsLineEnd(q)) {
          *problem = {line_, column, util::Code::kInvalid, "csv_syntax",
                      "unexpected text after the closing quote of a quoted cell; a quote inside "
                      "a quoted cell must be doubled (\"\")"};
          return Step::kError;
        }
        if (!field.empty() && field.front() == '\'') field.erase(0, 1);
        UnguardInnerStarts(&field);
        p = q;
      } else {
        size_t end = q;
        while (end < n && s[end] != delimiter_ && s[end] != '\n') ++end;
        p = end;
        if (end > q && s[end - 1] == '\r' && (end == n || s[end] == '\n')) --end;
        while (end > q && IsBlank(s[end - 1])) --end;
        if (end > q && s[q] == '\'') ++q;
        field.assign(s + q, end - q);
        UnguardInnerStarts(&field);
      }
      if (p >= n) {
        pos_ = n;
        return Step::kRecord;
      }
      if (s[p] == delimiter_) {
        ++p;
        continue;
      }
      if (s[p] == '\r') ++p;
      if (p < n && s[p] == '\n') ++p;
      ++line_;
      pos_ = p;
      return Step::kRecord;
    }
  }

 private:
  bool IsLineEnd(size_t q) const {
    return text_[q] == '\n' ||
           (text_[q] == '\r' && (q + 1 == text_.size() || text_[q + 1] == '\n'));
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  char delimiter_ = ',';
};

// The same records from a spreadsheet's rows. Spreadsheets drop trailing empty cells, so short
// rows are padded; cells are trimmed of spaces and tabs like unquoted CSV cells.
class RowReader {
 public:
  explicit RowReader(std::vector<TableRow>& rows) : rows_(rows) {}

  Reader::Step Next(Record* rec, Problem*) {
    if (next_ == rows_.size()) return Reader::Step::kEnd;
    TableRow& row = rows_[next_++];
    rec->count = row.cells.size();
    rec->line = row.line;
    if (rec->fields.size() < rec->count) rec->fields.resize(rec->count);
    rec->field_lines.assign(std::max(rec->count, rec->fields.size()), row.line);
    for (size_t c = 0; c < rec->count; ++c) {
      std::string& cell = row.cells[c];
      size_t begin = 0, end = cell.size();
      while (begin < end && IsBlank(cell[begin])) ++begin;
      while (end > begin && IsBlank(cell[end - 1])) --end;
      rec->fields[c] = cell.substr(begin, end - begin);
    }
    return Reader::Step::kRecord;
  }

  void Pad(Record* rec, size_t count) const {
    if (rec->fields.size() < count) rec->fields.resize(count);
    if (rec->field_lines.size() < count) rec->field_lines.resize(count, rec->line);
    for (size_t c = rec->count; c < count; ++c) rec->fields[c].clear();
    rec->count = count;
  }
  std::string ExtraCellsHint(bool) const { return ""; }

 private:
  std::vector<TableRow>& rows_;
  size_t next_ = 0;
};

// Where each Item field lives in the file (0-based column indices, kNoColumn when absent).
struct Layout {
  size_t count = 0;
  size_t ref = kNoColumn;
  size_t parent = kNoColumn;
  size_t level = kNoColumn;
  size_t find_number = kNoColumn;
  size_t part_number = kNoColumn;
  size_t description = kNoColumn;
  size_t quantity = kNoColumn;
  size_t unit = kNoColumn;
  size_t refdes = kNoColumn;
  size_t dnp = kNoColumn;
  // (column, slot, is_mpn): manufacturer / mpn columns, slot 0 for "manufacturer", 1 for "_2"…
  struct Maker {
    size_t column;
    size_t slot;
    bool mpn;
  };
  std::vector<Maker> makers;
  size_t maker_slots = 0;
  std::vector<std::pair<size_t, std::string>> properties;  // (column, key) in column order
  std::vector<size_t> unnamed;

  size_t* Slot(std::string_view field) {
    if (field == "ref") return &ref;
    if (field == "parent") return &parent;
    if (field == "level") return &level;
    if (field == "find_number") return &find_number;
    if (field == "part_number") return &part_number;
    if (field == "description") return &description;
    if (field == "quantity") return &quantity;
    if (field == "unit") return &unit;
    if (field == "refdes") return &refdes;
    if (field == "dnp") return &dnp;
    return nullptr;
  }

  // The column an ItemError's field points at, for pinning tree problems to a cell.
  size_t ColumnOf(std::string_view field) {
    constexpr std::string_view kPropertyPrefix = "properties.";
    if (field.substr(0, kPropertyPrefix.size()) == kPropertyPrefix) {
      const std::string_view key = field.substr(kPropertyPrefix.size());
      for (const auto& [column, name] : properties) {
        if (name == key) return column;
      }
      return kNoColumn;
    }
    // Without a parent column the structure came from the level column.
    if (field == "parent" && parent == kNoColumn) return level;
    if (field == "manufacturers") return makers.empty() ? kNoColumn : makers.front().column;
    const size_t* slot = Slot(field);
    return slot == nullptr ? kNoColumn : *slot;
  }
};

class Parser {
 public:
  Parser(const Limits& limits, size_t max_errors, const ColumnMappings* mappings)
      : limits_(limits), max_errors_(max_errors), mappings_(mappings) {}

  util::Result<std::vector<Item>> Run(std::string_view text, std::vector<CsvError>* all_errors) {
    ParseText(text);
    return Result(all_errors);
  }

  util::Result<std::vector<Item>> Run(std::vector<TableRow>& rows,
                                      std::vector<CsvError>* all_errors) {
    ParseRows(rows);
    return Result(all_errors);
  }

 private:
  util::Result<std::vector<Item>> Result(std::vector<CsvError>* all_errors) {
    if (problems_.empty()) return std::move(items_);
    if (all_errors != nullptr) {
      all_errors->reserve(problems_.size());
      for (Problem& p : problems_) {
        all_errors->push_back(CsvError{p.line, p.column, p.code, p.message});
      }
    }
    const Problem& first = problems_.front();
    return util::Status(first.kind, first.code, Prefix(first.line, first.column) + first.message);
  }

  std::string Prefix(size_t line, size_t column) const {
    std::string out = line_word_ + " " + std::to_string(line);
    if (column != 0) out += ", column " + std::to_string(column);
    return out + ": ";
  }

  // Records a problem; returns whether the caller may keep looking for more.
  bool Report(size_t line, size_t column, util::Code kind, std::string code, std::string message) {
    problems_.push_back(Problem{line, column, kind, std::move(code), std::move(message)});
    return problems_.size() < max_errors_;
  }
  bool Value(size_t line, size_t column, std::string message) {
    return Report(line, column, util::Code::kInvalid, "csv_value", std::move(message));
  }

  // CSV: the text-level checks, then the records.
  void ParseText(std::string_view text) {
    if (text.size() >= 2 && ((static_cast<unsigned char>(text[0]) == 0xFF &&
                              static_cast<unsigned char>(text[1]) == 0xFE) ||
                             (static_cast<unsigned char>(text[0]) == 0xFE &&
                              static_cast<unsigned char>(text[1]) == 0xFF))) {
      Report(1, 0, util::Code::kInvalid, "csv_syntax",
             "the file is UTF-16 encoded; save it as \"CSV UTF-8\" instead");
      return;
    }
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

    Reader reader(text);
    reader.SkipBlankLines();
    if (reader.AtEnd()) {
      ReportEmpty();
      return;
    }
    reader.DetectDelimiter();
    // One item per line is the common case; reserving avoids regrowth of a 100k-item vector.
    ParseRecords(reader, static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  }

  // A spreadsheet's rows (bom/xlsx.h): same rules, with "row" instead of "line" in messages.
  void ParseRows(std::vector<TableRow>& rows) {
    line_word_ = "row";
    if (rows.empty()) {
      ReportEmpty();
      return;
    }
    RowReader reader(rows);
    ParseRecords(reader, rows.size());
  }

  void ReportEmpty() {
    Report(1, 0, util::Code::kInvalid, "csv_header",
           "the file is empty; its first " + line_word_ +
               " must name the columns, for example \"level,part_number,quantity\"");
  }

  template <class Source>
  void ParseRecords(Source& reader, size_t rows_estimate) {
    Record rec;
    Problem problem;
    if (reader.Next(&rec, &problem) == Reader::Step::kError) {
      problems_.push_back(std::move(problem));
      return;
    }
    if (!CheckEncoding(rec) || !ReadHeader(rec)) return;

    items_.reserve(std::min(rows_estimate, limits_.max_items));
    row_lines_.reserve(items_.capacity());

    size_t data_row = 0;
    while (true) {
      const Reader::Step step = reader.Next(&rec, &problem);
      if (step == Reader::Step::kEnd) break;
      if (step == Reader::Step::kError) {
        problems_.push_back(std::move(problem));
        return;
      }
      if (!CheckEncoding(rec)) return;
      bool all_empty = true;
      for (size_t c = 0; c < rec.count && all_empty; ++c) all_empty = rec.fields[c].empty();
      if (all_empty) continue;
      if (++data_row > limits_.max_items) {
        Report(rec.line, 0, util::Code::kInvalid, "bom_too_many_items",
               "the file has more than " + std::to_string(limits_.max_items) +
                   " data rows; the limit is " + std::to_string(limits_.max_items));
        return;
      }
      if (rec.count < layout_.count) reader.Pad(&rec, layout_.count);
      if (rec.count != layout_.count) {
        std::string message = "this row has " + std::to_string(rec.count) +
                              " cells but the header has " + std::to_string(layout_.count) +
                              reader.ExtraCellsHint(rec.count > layout_.count);
        if (!Report(rec.line, 0, util::Code::kInvalid, "csv_syntax", std::move(message))) return;
        continue;
      }
      if (!ReadRow(&rec, data_row)) return;
    }
    if (!problems_.empty()) return;
    CheckTree();
  }

  // Invalid UTF-8 usually means a whole file in a legacy encoding; one precise message beats a
  // hundred, so this ends the parse.
  bool CheckEncoding(const Record& rec) {
    for (size_t c = 0; c < rec.count; ++c) {
      const std::string& field = rec.fields[c];
      const size_t bad = Utf8ErrorOffset(field);
      if (bad == std::string_view::npos) continue;
      const size_t line = rec.field_lines[c] +
                          static_cast<size_t>(std::count(field.begin(), field.begin() + bad, '\n'));
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(field[bad]);
      Report(line, c + 1, util::Code::kInvalid, "csv_syntax",
             std::string("the file is not valid UTF-8 (byte 0x") + kHex[byte >> 4] +
                 kHex[byte & 0xF] + "); save it as \"CSV UTF-8\"");
      return false;
    }
    return true;
  }

  bool ReadHeader(const Record& rec) {
    layout_.count = rec.count;
    std::unordered_map<std::string, size_t> seen;  // field or property key -> column
    const size_t line = rec.line;
    bool ok = true;
    for (size_t c = 0; c < rec.count; ++c) {
      const std::string name = NormalizeColumnName(rec.fields[c]);
      if (name.empty()) {
        layout_.unnamed.push_back(c);
        continue;
      }
      // The org's mapping first, then the built-in names; anything else is a property.
      std::string_view field;
      std::string id;
      if (const ColumnMapping* m =
              mappings_ == nullptr ? nullptr : FindColumnMapping(*mappings_, name)) {
        if (m->target == ColumnMapping::Target::kIgnore) continue;
        if (m->target == ColumnMapping::Target::kField) field = m->name;
        id = m->name;
      } else {
        field = RecognizedColumn(name);
        id = field.empty() ? name : std::string(field);
      }
      size_t maker_slot = 0;
      if (field == "manufacturer" || field == "mpn") {
        // "mpn" is slot 0, "mpn_2" slot 1; a mapping onto the field means slot 0.
        const size_t underscore = name.rfind('_');
        if (underscore != std::string::npos && name.substr(0, underscore) == field) {
          maker_slot = std::stoul(name.substr(underscore + 1));
          maker_slot = maker_slot == 0 ? 0 : maker_slot - 1;
        }
        id = std::string(field) + "#" + std::to_string(maker_slot);
      }
      const auto [it, inserted] = seen.emplace(id, c);
      if (!inserted) {
        ok = false;
        const std::string& earlier = rec.fields[it->second];
        const std::string message =
            NormalizeColumnName(earlier) == name
                ? "column " + QuoteForMessage(rec.fields[c]) + " appears twice (also column " +
                      std::to_string(it->second + 1) + ")"
                : "column " + QuoteForMessage(rec.fields[c]) + " means the same as column " +
                      std::to_string(it->second + 1) + " (" + QuoteForMessage(earlier) + ")";
        if (!Report(line, c + 1, util::Code::kInvalid, "csv_header", message)) {
          return false;
        }
        continue;
      }
      if (field == "manufacturer" || field == "mpn") {
        if (maker_slot >= limits_.max_manufacturers) {
          ok = false;
          if (!Report(line, c + 1, util::Code::kInvalid, "csv_header",
                      "at most " + std::to_string(limits_.max_manufacturers) +
                          " manufacturer columns are read")) {
            return false;
          }
          continue;
        }
        layout_.makers.push_back({c, maker_slot, field == "mpn"});
        layout_.maker_slots = std::max(layout_.maker_slots, maker_slot + 1);
        continue;
      }
      if (!field.empty()) {
        *layout_.Slot(field) = c;
        continue;
      }
      if (util::Status s = ValidatePropertyKey(id, limits_); !s.ok()) {
        ok = false;
        if (!Report(line, c + 1, util::Code::kInvalid, "csv_header", s.message())) return false;
        continue;
      }
      layout_.properties.emplace_back(c, id);
    }
    auto missing = [&](std::string message) {
      ok = false;
      return Report(line, 0, util::Code::kInvalid, "csv_header", std::move(message));
    };
    if (layout_.part_number == kNoColumn &&
        !missing("the header has no part_number column (also accepted: part, part_no, pn, "
                 "number)")) {
      return false;
    }
    if (layout_.quantity == kNoColumn &&
        !missing("the header has no quantity column (also accepted: qty)")) {
      return false;
    }
    if (layout_.level == kNoColumn && layout_.parent == kNoColumn &&
        !missing("the header needs a level column or a parent column to describe the structure")) {
      return false;
    }
    if (layout_.parent != kNoColumn && layout_.ref == kNoColumn &&
        !missing("the header has a parent column but no ref column for it to refer to")) {
      return false;
    }
    return ok;
  }

  // Parses a level cell; on failure reports it and returns false.
  bool ParseLevel(const std::string& cell, size_t line, size_t column, int64_t* level) {
    if (cell.empty()) {
      Value(line, column, "level is empty");
      return false;
    }
    if (cell.size() > kMaxLevelDigits ||
        !std::all_of(cell.begin(), cell.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      Value(line, column,
            "level " + QuoteForMessage(cell) + " is not a whole number from 0 to 999999");
      return false;
    }
    *level = std::stoll(cell);
    return true;
  }

  // Turns one well-shaped record into an Item; returns whether parsing may continue.
  bool ReadRow(Record* rec, size_t data_row) {
    auto line_of = [&](size_t c) { return rec->field_lines[c]; };
    auto cell = [&](size_t c) -> std::string& { return rec->fields[c]; };
    auto take = [&](size_t c) { return c == kNoColumn ? std::string() : std::move(cell(c)); };
    const size_t errors_before = problems_.size();

    for (size_t c : layout_.unnamed) {
      if (cell(c).empty()) continue;
      if (!Value(line_of(c), c + 1,
                 "this cell has a value but its column has no name in the header line")) {
        return false;
      }
    }

    Item item;
    util::Result<std::string> quantity = CanonicalQuantity(cell(layout_.quantity));
    if (quantity.ok()) {
      item.quantity = std::move(*quantity);
    } else if (!Value(line_of(layout_.quantity), layout_.quantity + 1,
                      quantity.status().message())) {
      return false;
    }

    item.ref = take(layout_.ref);
    const bool level_mode = layout_.parent == kNoColumn;
    if (level_mode && item.ref.empty()) item.ref = std::to_string(data_row);

    int64_t declared_level = -1;
    if (layout_.level != kNoColumn && (level_mode || !cell(layout_.level).empty())) {
      const size_t c = layout_.level;
      int64_t level = 0;
      if (!ParseLevel(cell(c), line_of(c), c + 1, &level)) {
        if (problems_.size() >= max_errors_) return false;
      } else if (!level_mode) {
        declared_level = level;
      } else {
        if (base_level_ < 0) base_level_ = level;
        if (level < base_level_) {
          if (!Value(line_of(c), c + 1,
                     "level " + std::to_string(level) + " is lower than the first row's level " +
                         std::to_string(base_level_) +
                         "; the first row must have the lowest level")) {
            return false;
          }
        } else if (static_cast<size_t>(level - base_level_) > level_stack_.size()) {
          const int64_t above = base_level_ + static_cast<int64_t>(level_stack_.size()) - 1;
          if (!Value(line_of(c), c + 1,
                     "level " + std::to_string(level) + " skips a level: the row above is at " +
                         "level " + std::to_string(above) + ", so this row can be at most level " +
                         std::to_string(above + 1))) {
            return false;
          }
        } else {
          const auto depth = static_cast<size_t>(level - base_level_);
          level_stack_.resize(depth);
          if (depth > 0) item.parent = level_stack_.back();
          // Kept even if this row has other errors, so its children do not report spurious
          // level jumps.
          level_stack_.push_back(item.ref);
        }
      }
    }
    if (!level_mode) item.parent = take(layout_.parent);

    item.find_number = take(layout_.find_number);
    item.part_number = take(layout_.part_number);
    item.description = take(layout_.description);
    item.unit = take(layout_.unit);
    item.refdes = take(layout_.refdes);
    if (layout_.dnp != kNoColumn) {
      const std::string& v = cell(layout_.dnp);
      if (v == "DNP" || v == "dnp" || v == "true" || v == "TRUE" || v == "yes" || v == "1" ||
          v == "x" || v == "X") {
        item.dnp = true;
      } else if (!v.empty() && v != "false" && v != "FALSE" && v != "no" && v != "0") {
        if (!Value(line_of(layout_.dnp), layout_.dnp + 1,
                   "dnp " + QuoteForMessage(v) + " is neither DNP (or true) nor empty")) {
          return false;
        }
      }
    }
    if (!layout_.makers.empty()) {
      item.manufacturers.resize(layout_.maker_slots);
      for (const Layout::Maker& m : layout_.makers) {
        Manufacturer& slot = item.manufacturers[m.slot];
        (m.mpn ? slot.mpn : slot.name) = std::move(cell(m.column));
      }
      std::erase_if(item.manufacturers,
                    [](const Manufacturer& m) { return m.name.empty() && m.mpn.empty(); });
    }
    for (const auto& [c, key] : layout_.properties) {
      if (!cell(c).empty()) item.properties.emplace_back(key, std::move(cell(c)));
    }

    if (problems_.size() != errors_before) return true;
    if (rec->field_lines[rec->count - 1] != rec->line) {
      multiline_rows_.emplace(items_.size(), rec->field_lines);
    }
    items_.push_back(std::move(item));
    row_lines_.push_back(rec->line);
    declared_levels_.push_back(declared_level);
    return true;
  }

  size_t LineOf(size_t index, size_t column) const {
    if (column == kNoColumn) return row_lines_[index];
    const auto it = multiline_rows_.find(index);
    return it == multiline_rows_.end() ? row_lines_[index] : it->second[column];
  }

  void CheckTree() {
    std::vector<ItemError> errors = FindItemErrors(items_, limits_, max_errors_ - problems_.size());
    for (ItemError& e : errors) {
      const size_t column = layout_.ColumnOf(e.field);
      const size_t index = std::min(e.index, items_.size() - 1);
      Report(LineOf(index, column), column == kNoColumn ? 0 : column + 1, e.status.code(),
             e.status.machine_code(), e.status.message());
    }
    if (!problems_.empty() || layout_.parent == kNoColumn || layout_.level == kNoColumn) return;

    // Both structure columns given: parent decides, but a level that disagrees means someone
    // edited one column expecting it to matter, so say so instead of silently ignoring it.
    const std::vector<int> levels = Levels(items_);
    int64_t offset = -1;
    for (size_t i = 0; i < items_.size(); ++i) {
      if (declared_levels_[i] < 0) continue;
      if (offset < 0) offset = std::max<int64_t>(0, declared_levels_[i] - levels[i]);
      const int64_t expected = levels[i] + offset;
      if (declared_levels_[i] == expected) continue;
      if (!Value(LineOf(i, layout_.level), layout_.level + 1,
                 "level " + std::to_string(declared_levels_[i]) +
                     " does not match the parent column, which puts this row at level " +
                     std::to_string(expected) +
                     "; when both are given the parent decides, so correct or clear the level")) {
        return;
      }
    }
  }

  const Limits& limits_;
  size_t max_errors_;
  const ColumnMappings* mappings_;  // may be null
  std::string line_word_ = "line";
  Layout layout_;
  std::vector<Item> items_;
  std::vector<size_t> row_lines_;         // line of each item's record
  std::vector<int64_t> declared_levels_;  // parent mode: the level cell, -1 when empty
  std::unordered_map<size_t, std::vector<size_t>> multiline_rows_;  // item -> field lines
  std::vector<std::string> level_stack_;  // level mode: ref of the latest item per depth
  int64_t base_level_ = -1;
  std::vector<Problem> problems_;
};

// A spreadsheet may split a line on another delimiter than the one the file uses (';' is the
// default in much of Europe, tab for pasted text), so every text after ',' ';' or tab inside a
// cell may become a cell of its own. Such an inner start that a spreadsheet would run as a
// formula (= + - @ tab CR), or that begins with ' or " (which could hide one), gets a '
// inserted after the separator; ParseCsv removes one ' after each separator, so the round trip
// holds. This follows OWASP's CSV injection advice (prefix with ', quote) for any delimiter.
bool IsSplitChar(char c) { return c == ',' || c == ';' || c == '\t'; }
bool NeedsInnerGuard(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' || c == '\'' ||
         c == '"';
}

void AppendCell(std::string* out, std::string_view raw, bool neutralise) {
  if (raw.empty()) return;
  std::string guarded;
  if (neutralise) {
    for (size_t i = 0; i + 1 < raw.size(); ++i) {
      if (IsSplitChar(raw[i]) && NeedsInnerGuard(raw[i + 1])) {
        guarded.reserve(raw.size() + 8);
        for (size_t j = 0; j < raw.size(); ++j) {
          guarded.push_back(raw[j]);
          if (j + 1 < raw.size() && IsSplitChar(raw[j]) && NeedsInnerGuard(raw[j + 1])) {
            guarded.push_back('\'');
          }
        }
        break;
      }
    }
  }
  const std::string_view value = guarded.empty() ? raw : std::string_view(guarded);
  const char first = value.front();
  const bool prefix = neutralise && (first == '=' || first == '+' || first == '-' || first == '@' ||
                                     first == '\t' || first == '\r' || first == '\'');
  // Blanks at either end would be trimmed on import unless quoted.
  const bool quote = value.find_first_of(",;\"\r\n") != std::string_view::npos ||
                     (!prefix && IsBlank(first)) || IsBlank(value.back());
  if (quote) out->push_back('"');
  if (prefix) out->push_back('\'');
  if (!quote) {
    out->append(value);
    return;
  }
  size_t start = 0;
  while (true) {
    const size_t q = value.find('"', start);
    if (q == std::string_view::npos) break;
    out->append(value.substr(start, q + 1 - start));
    out->push_back('"');
    start = q + 1;
  }
  out->append(value.substr(start));
  out->push_back('"');
}

}  // namespace

util::Result<std::vector<Item>> ParseCsv(std::string_view body, const Limits& limits) {
  return ParseCsv(body, limits, nullptr);
}

util::Result<std::vector<Item>> ParseCsv(std::string_view body, const Limits& limits,
                                         std::vector<CsvError>* all_errors,
                                         const ColumnMappings* mappings) {
  if (all_errors != nullptr) all_errors->clear();
  Parser parser(limits, all_errors == nullptr ? 1 : kMaxCsvErrors, mappings);
  return parser.Run(body, all_errors);
}

util::Result<std::vector<Item>> ParseTable(std::vector<TableRow> rows, const Limits& limits,
                                           std::vector<CsvError>* all_errors,
                                           const ColumnMappings* mappings) {
  if (all_errors != nullptr) all_errors->clear();
  Parser parser(limits, all_errors == nullptr ? 1 : kMaxCsvErrors, mappings);
  return parser.Run(rows, all_errors);
}

std::string ExportCsv(const std::vector<Item>& items) {
  std::vector<std::string_view> keys;
  std::unordered_map<std::string_view, size_t> key_column;
  size_t bytes = 0;
  for (const Item& item : items) {
    bytes += item.ref.size() + item.parent.size() + item.find_number.size() +
             item.part_number.size() + item.description.size() + item.quantity.size() +
             item.unit.size() + item.refdes.size() + 16;
    for (const auto& [key, value] : item.properties) {
      bytes += value.size() + 1;
      if (key_column.emplace(key, keys.size()).second) keys.push_back(key);
    }
  }
  const std::vector<int> levels = Levels(items);
  size_t maker_slots = 0;
  bool any_dnp = false;
  for (const Item& item : items) {
    maker_slots = std::max(maker_slots, item.manufacturers.size());
    any_dnp = any_dnp || item.dnp;
    for (const Manufacturer& m : item.manufacturers) bytes += m.name.size() + m.mpn.size() + 2;
  }

  std::string out;
  out.reserve(bytes + keys.size() * (items.size() + 16) + 128);
  out += "ref,parent,level,find_number,part_number,description,quantity,unit,refdes";
  // Only BOMs that have them get these columns, so older exports stay byte for byte the same.
  for (size_t s = 0; s < maker_slots; ++s) {
    out += s == 0 ? ",manufacturer,mpn"
                  : ",manufacturer_" + std::to_string(s + 1) + ",mpn_" + std::to_string(s + 1);
  }
  if (any_dnp) out += ",dnp";
  for (std::string_view key : keys) {
    out += ',';
    AppendCell(&out, key, true);
  }
  out += '\n';

  std::vector<const std::string*> row(keys.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    AppendCell(&out, item.ref, true);
    out += ',';
    AppendCell(&out, item.parent, true);
    out += ',';
    if (levels[i] >= 0) out += std::to_string(levels[i]);
    out += ',';
    AppendCell(&out, item.find_number, true);
    out += ',';
    AppendCell(&out, item.part_number, true);
    out += ',';
    AppendCell(&out, item.description, true);
    out += ',';
    AppendCell(&out, item.quantity, false);
    out += ',';
    AppendCell(&out, item.unit, true);
    out += ',';
    AppendCell(&out, item.refdes, true);
    for (size_t s = 0; s < maker_slots; ++s) {
      out += ',';
      if (s < item.manufacturers.size()) AppendCell(&out, item.manufacturers[s].name, true);
      out += ',';
      if (s < item.manufacturers.size()) AppendCell(&out, item.manufacturers[s].mpn, true);
    }
    if (any_dnp) out += item.dnp ? ",DNP" : ",";
    std::fill(row.begin(), row.end(), nullptr);
    for (const auto& [key, value] : item.properties) row[key_column[key]] = &value;
    for (const std::string* value : row) {
      out += ',';
      if (value != nullptr) AppendCell(&out, *value, true);
    }
    out += '\n';
  }
  return out;
}

}  // namespace bomvault::bom
