#include "bom/xlsx.h"

#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bom/decimal.h"
#include "bom/item.h"

namespace bomvault::bom {
namespace {

using util::Result;
using util::Status;

constexpr size_t kChunkBytes = 64 * 1024;
// Spreadsheet row numbers are at most 1,048,576 (Excel) or 16,777,216 (LibreOffice); anything
// far beyond is corruption, and the bound keeps the arithmetic clear of overflow.
constexpr size_t kMaxRowNumber = 1'000'000'000;
constexpr size_t kMaxSheets = 64;
constexpr size_t kMaxMerges = 100000;
constexpr size_t kMaxColumnLetters = 3;  // "XFD" is Excel's last column

constexpr std::string_view kZipMagic = "PK\x03\x04";
constexpr std::string_view kOleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
constexpr char kSaveAsAdvice[] =
    "save it in Excel or LibreOffice as an .xlsx workbook (\"Excel Workbook\") without a "
    "password and upload that";

Status Invalid(std::string message) { return Status::Invalid("xlsx_invalid", std::move(message)); }
Status TooLarge(std::string message) {
  return Status::Invalid("xlsx_too_large", std::move(message));
}

std::string At(size_t row, size_t column) {
  return "row " + std::to_string(row) + ", column " + std::to_string(column) + ": ";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Names are matched without their prefix ("x:c" is "c"). Writers differ in the prefixes they
// bind, and a parser that resolves namespaces costs about a tenth more on big sheets while no
// SpreadsheetML part mixes two vocabularies that share a local name.
std::string_view LocalName(const XML_Char* name) {
  const char* colon = std::strrchr(name, ':');
  return colon != nullptr ? std::string_view(colon + 1) : std::string_view(name);
}

// The value of the un-namespaced attribute `name`, or null.
const XML_Char* Attribute(const XML_Char** attrs, const char* name) {
  for (; attrs[0] != nullptr; attrs += 2) {
    if (std::strcmp(attrs[0], name) == 0) return attrs[1];
  }
  return nullptr;
}

// A decimal integer of at most `max`, nothing else (no sign, no blanks).
std::optional<size_t> ParseUnsigned(std::string_view text, size_t max) {
  if (text.empty()) return std::nullopt;
  size_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<size_t>(c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

// The 1-based column of a cell reference such as "B7" (row digits are checked, then ignored: the
// enclosing <row> decides the row).
std::optional<size_t> ParseColumn(std::string_view ref) {
  size_t column = 0;
  size_t i = 0;
  for (; i < ref.size(); ++i) {
    char c = ref[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') break;
    if (i == kMaxColumnLetters) return std::nullopt;
    column = column * 26 + static_cast<size_t>(c - 'A' + 1);
  }
  if (i == 0) return std::nullopt;
  for (size_t k = i; k < ref.size(); ++k) {
    if (ref[k] < '0' || ref[k] > '9') return std::nullopt;
  }
  return column;
}

// Resolves a relationship target against the folder of the part that owns the .rels file (""
// for the package root). A leading "/" makes it absolute. Returns nullopt for targets that are
// empty or climb above the package root.
std::optional<std::string> ResolveTarget(std::string_view base_folder, std::string_view target) {
  if (target.empty()) return std::nullopt;
  std::string joined;
  if (target.front() == '/') {
    joined = target.substr(1);
  } else {
    joined = std::string(base_folder) + std::string(target);
  }
  std::vector<std::string_view> segments;
  std::string_view rest = joined;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (segments.empty()) return std::nullopt;
      segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  if (segments.empty()) return std::nullopt;
  std::string path;
  for (const std::string_view segment : segments) {
    if (!path.empty()) path += '/';
    path += segment;
  }
  return path;
}

std::string FolderOf(std::string_view part) {
  const size_t slash = part.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(part.substr(0, slash + 1));
}

// "xl/workbook.xml" → "xl/_rels/workbook.xml.rels" (OPC's naming rule for a part's relationships).
std::string RelsPathOf(std::string_view part) {
  const std::string folder = FolderOf(part);
  return folder + "_rels/" + std::string(part.substr(folder.size())) + ".rels";
}

// ---- XML parts -------------------------------------------------------------------------------

// Receives one part's SAX events. Fail() records the first problem and stops expat; after that
// no further events are delivered to the subclass. An exception (std::bad_alloc) must not unwind
// through expat's C frames, so the callbacks catch it, stop expat, and Package::Parse rethrows it.
class PartHandler {
 public:
  virtual ~PartHandler() = default;
  virtual void Start(std::string_view local, const XML_Char** attrs) = 0;
  virtual void End(std::string_view local) = 0;
  virtual void Text(std::string_view /*text*/) {}

  void Fail(Status status) {
    if (status_.ok()) status_ = std::move(status);
    XML_StopParser(parser_, XML_FALSE);
  }
  bool failed() const { return !status_.ok() || exception_ != nullptr; }
  const Status& status() const { return status_; }

  template <class F>
  void Guarded(F&& f) {
    if (failed()) return;
    try {
      f();
    } catch (...) {
      exception_ = std::current_exception();
      XML_StopParser(parser_, XML_FALSE);
    }
  }
  void RethrowIfThrown() const {
    if (exception_ != nullptr) std::rethrow_exception(exception_);
  }
  void Attach(XML_Parser parser, std::string part) {
    parser_ = parser;
    part_ = std::move(part);
  }
  const std::string& part() const { return part_; }

 private:
  XML_Parser parser_ = nullptr;
  std::string part_;
  Status status_;
  std::exception_ptr exception_;
};

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attrs) {
  auto* handler = static_cast<PartHandler*>(data);
  handler->Guarded([&] { handler->Start(LocalName(name), attrs); });
}

void XMLCALL OnEnd(void* data, const XML_Char* name) {
  auto* handler = static_cast<PartHandler*>(data);
  handler->Guarded([&] { handler->End(LocalName(name)); });
}

void XMLCALL OnText(void* data, const XML_Char* text, int length) {
  auto* handler = static_cast<PartHandler*>(data);
  handler->Guarded([&] { handler->Text(std::string_view(text, static_cast<size_t>(length))); });
}

// A DTD is the only way to declare entities (billion laughs) or reach external resources (XXE),
// and no spreadsheet writer emits one, so its mere presence ends parsing.
void XMLCALL OnDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  auto* handler = static_cast<PartHandler*>(data);
  handler->Guarded([&] {
    handler->Fail(Invalid("the file's part " + QuoteForMessage(handler->part()) +
                          " contains a document type declaration (DTD); spreadsheets never "
                          "contain one, so the file is refused"));
  });
}

void XMLCALL OnEntityDecl(void* data, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                          const XML_Char*, const XML_Char*, const XML_Char*) {
  OnDoctype(data, nullptr, nullptr, nullptr, 0);
}

struct Relationship {
  bool found = false;
  bool external = false;
  std::string type;
  std::string target;
};

// A .rels part: remembers the relationship with a wanted Id and the first of two wanted types.
class RelsHandler : public PartHandler {
 public:
  explicit RelsHandler(std::string wanted_id) : wanted_id_(std::move(wanted_id)) {}

  void Start(std::string_view local, const XML_Char** attrs) override {
    if (local != "Relationship") return;
    const XML_Char* id = Attribute(attrs, "Id");
    const XML_Char* type = Attribute(attrs, "Type");
    const XML_Char* target = Attribute(attrs, "Target");
    const XML_Char* mode = Attribute(attrs, "TargetMode");
    if (type == nullptr || target == nullptr) return;
    Relationship rel{true, mode != nullptr && std::strcmp(mode, "External") == 0, type, target};
    if (!by_id.found && id != nullptr && !wanted_id_.empty() && wanted_id_ == id) by_id = rel;
    if (id != nullptr && all.size() < kMaxSheets * 4) all.emplace(id, rel);
    if (!shared_strings.found && EndsWith(type, "/sharedStrings")) shared_strings = rel;
    if (!office_document.found && EndsWith(type, "/officeDocument")) office_document = rel;
  }
  void End(std::string_view) override {}

  Relationship by_id;
  std::map<std::string, Relationship> all;
  Relationship shared_strings;
  Relationship office_document;

 private:
  std::string wanted_id_;
};

// xl/workbook.xml: <sheet> elements in document order are the tabs in order.
class WorkbookHandler : public PartHandler {
 public:
  void Start(std::string_view local, const XML_Char** attrs) override {
    if (local != "sheet") return;
    if (sheets.size() >= kMaxSheets) {
      Fail(TooLarge("the workbook has more than " + std::to_string(kMaxSheets) + " sheets"));
      return;
    }
    std::pair<std::string, std::string> sheet;  // (name, r:id)
    for (; attrs[0] != nullptr; attrs += 2) {
      const bool prefixed = std::strchr(attrs[0], ':') != nullptr;
      if (prefixed && LocalName(attrs[0]) == "id") {  // r:id, whatever the prefix
        sheet.second = attrs[1];
      } else if (!prefixed && std::strcmp(attrs[0], "name") == 0) {
        sheet.first = attrs[1];
      }
    }
    if (sheets.empty()) {
      found_sheet = true;
      name = sheet.first;
      rel_id = sheet.second;
    }
    sheets.push_back(std::move(sheet));
  }
  void End(std::string_view) override {}

  bool found_sheet = false;
  std::string rel_id;
  std::string name;
  std::vector<std::pair<std::string, std::string>> sheets;
};

// The shared-string table. Each <si> is plain (<si><t>…</t></si>) or rich text (<si><r><t>…</t>
// </r>…</si>); phonetic guides (<rPh>) are annotations, not text, and are skipped.
class SharedStringsHandler : public PartHandler {
 public:
  SharedStringsHandler(const XlsxLimits& limits, std::vector<std::string>* out)
      : limits_(limits), out_(out) {}

  void Start(std::string_view local, const XML_Char**) override {
    if (!in_si_) {
      if (local != "si") return;
      if (out_->size() >= limits_.max_shared_strings) {
        Fail(TooLarge("the workbook has more than " + std::to_string(limits_.max_shared_strings) +
                      " shared strings"));
        return;
      }
      in_si_ = true;
      current_.clear();
    } else if (local == "rPh") {
      ++phonetic_depth_;
    } else if (local == "t" && phonetic_depth_ == 0) {
      capture_ = true;
    }
  }

  void End(std::string_view local) override {
    if (!in_si_) return;
    capture_ = false;
    if (local == "rPh") {
      if (phonetic_depth_ > 0) --phonetic_depth_;
    } else if (local == "si") {
      in_si_ = false;
      phonetic_depth_ = 0;
      if (Utf8ErrorOffset(current_) != std::string_view::npos) {
        Fail(Invalid("shared string " + std::to_string(out_->size()) + " is not valid UTF-8"));
        return;
      }
      out_->push_back(current_);
    }
  }

  void Text(std::string_view text) override {
    if (!capture_) return;
    if (text.size() > limits_.max_cell_bytes - current_.size()) {
      Fail(TooLarge("shared string " + std::to_string(out_->size()) + " is longer than " +
                    std::to_string(limits_.max_cell_bytes) + " bytes"));
      return;
    }
    current_.append(text);
  }

 private:
  const XlsxLimits& limits_;
  std::vector<std::string>* out_;
  std::string current_;
  bool in_si_ = false;
  bool capture_ = false;
  int phonetic_depth_ = 0;
};

// A worksheet: <sheetData><row r><c r t><v/>|<is>…</is></c>…</row>…</sheetData>.
class SheetHandler : public PartHandler {
 public:
  SheetHandler(const XlsxLimits& limits, const std::vector<std::string>& shared_strings)
      : limits_(limits), shared_strings_(shared_strings) {}

  std::vector<SheetRow> TakeRows() {
    FillMerged();
    return std::move(rows_);
  }

  void Start(std::string_view local, const XML_Char** attrs) override {
    ++depth_;
    if (sheet_data_depth_ == 0) {
      if (local == "sheetData") sheet_data_depth_ = depth_;
      if (local == "mergeCell") BeginMerge(attrs);
    } else if (row_depth_ == 0) {
      if (local == "row" && depth_ == sheet_data_depth_ + 1) BeginRow(attrs);
    } else if (cell_depth_ == 0) {
      if (local == "c" && depth_ == row_depth_ + 1) BeginCell(attrs);
    } else if (depth_ == cell_depth_ + 1) {
      if (local == "v") {
        capture_ = Capture::kValue;
      } else if (local == "is") {
        is_depth_ = depth_;
      }
    } else if (is_depth_ != 0) {
      if (local == "rPh") {
        ++phonetic_depth_;
      } else if (local == "t" && phonetic_depth_ == 0) {
        capture_ = Capture::kInline;
      }
    }
  }

  void End(std::string_view local) override {
    if (cell_depth_ != 0) {
      capture_ = Capture::kNone;
      if (depth_ == cell_depth_) {
        EndCell();
      } else if (depth_ == is_depth_) {
        is_depth_ = 0;
        phonetic_depth_ = 0;
      } else if (local == "rPh" && phonetic_depth_ > 0) {
        --phonetic_depth_;
      }
    } else if (row_depth_ != 0 && depth_ == row_depth_) {
      EndRow();
    } else if (sheet_data_depth_ != 0 && depth_ == sheet_data_depth_) {
      sheet_data_depth_ = 0;
    }
    --depth_;
  }

  void Text(std::string_view text) override {
    std::string* into = capture_ == Capture::kValue    ? &value_
                        : capture_ == Capture::kInline ? &inline_text_
                                                       : nullptr;
    if (into == nullptr) return;
    if (text.size() > limits_.max_cell_bytes - into->size()) {
      Fail(TooLarge(At(row_number_, column_) + "the cell holds more than " +
                    std::to_string(limits_.max_cell_bytes) + " bytes of text"));
      return;
    }
    into->append(text);
  }

 private:
  struct Merge {
    size_t row1, col1, row2, col2;  // 1-based, inclusive
  };

  // "A1:C3" → a range; anything else is ignored (a merge is presentation, not data).
  void BeginMerge(const XML_Char** attrs) {
    const XML_Char* ref = Attribute(attrs, "ref");
    if (ref == nullptr || merges_.size() >= kMaxMerges) return;
    const std::string_view r = ref;
    const size_t colon = r.find(':');
    if (colon == std::string_view::npos) return;
    auto corner = [](std::string_view a, size_t* row, size_t* col) {
      const std::string text(a);
      const std::optional<size_t> c = ParseColumn(text.c_str());
      size_t digits = 0;
      while (digits < a.size() && (a[digits] < '0' || a[digits] > '9')) ++digits;
      const std::optional<size_t> n = ParseUnsigned(text.c_str() + digits, kMaxRowNumber);
      if (!c || !n || *n == 0) return false;
      *row = *n;
      *col = *c;
      return true;
    };
    Merge m{};
    if (!corner(r.substr(0, colon), &m.row1, &m.col1) ||
        !corner(r.substr(colon + 1), &m.row2, &m.col2) || m.row2 < m.row1 || m.col2 < m.col1 ||
        m.col2 > limits_.max_columns) {
      return;
    }
    merges_.push_back(m);
  }

  // Every cell of a merged range reads as its top-left cell: spreadsheets show it that way, and
  // a BOM whose "Assembly" cell spans five rows means all five.
  void FillMerged() {
    for (const Merge& m : merges_) {
      const auto top =
          std::lower_bound(rows_.begin(), rows_.end(), m.row1,
                           [](const SheetRow& row, size_t n) { return row.number < n; });
      if (top == rows_.end() || top->number != m.row1 || top->cells.size() < m.col1) continue;
      const std::string value = top->cells[m.col1 - 1];
      if (value.empty()) continue;
      for (auto it = top; it != rows_.end() && it->number <= m.row2; ++it) {
        if (output_bytes_ > limits_.max_xml_bytes) return;
        if (it->cells.size() < m.col2) it->cells.resize(m.col2);
        for (size_t c = m.col1; c <= m.col2; ++c) {
          if (it->cells[c - 1].empty()) {
            it->cells[c - 1] = value;
            output_bytes_ += value.size() + sizeof(std::string);
          }
        }
      }
    }
  }

  enum class Capture { kNone, kValue, kInline };
  enum class CellType {
    kNumber,
    kSharedString,
    kInlineString,
    kFormulaString,
    kBoolean,
    kError,
    kDate
  };

  void BeginRow(const XML_Char** attrs) {
    size_t number = last_row_number_ + 1;
    if (const XML_Char* r = Attribute(attrs, "r"); r != nullptr) {
      const std::optional<size_t> parsed = ParseUnsigned(r, kMaxRowNumber);
      if (!parsed || *parsed == 0) {
        Fail(Invalid("after row " + std::to_string(last_row_number_) +
                     ": a row has the invalid row number " + QuoteForMessage(r)));
        return;
      }
      number = *parsed;
    }
    if (number <= last_row_number_ || number > kMaxRowNumber) {
      Fail(Invalid("row " + std::to_string(number) + ": rows are out of order or repeated (it " +
                   "follows row " + std::to_string(last_row_number_) + ")"));
      return;
    }
    last_row_number_ = number;
    row_number_ = number;
    row_depth_ = depth_;
    column_ = 0;
    cells_.clear();
    cells_.reserve(last_width_);
  }

  void EndRow() {
    row_depth_ = 0;
    if (cells_.empty()) return;  // every cell was empty (or only formatted)
    if (rows_.size() >= limits_.max_rows) {
      Fail(TooLarge("the sheet has more than " + std::to_string(limits_.max_rows) +
                    " non-empty rows"));
      return;
    }
    last_width_ = cells_.size();
    output_bytes_ += sizeof(SheetRow);
    rows_.push_back(SheetRow{row_number_, std::move(cells_)});
    cells_ = {};
  }

  void BeginCell(const XML_Char** attrs) {
    size_t column = column_ + 1;
    if (const XML_Char* r = Attribute(attrs, "r"); r != nullptr) {
      const std::optional<size_t> parsed = ParseColumn(r);
      if (!parsed) {
        Fail(Invalid("row " + std::to_string(row_number_) + ": the cell reference " +
                     QuoteForMessage(r) + " is not valid"));
        return;
      }
      column = *parsed;
    }
    if (column <= column_) {
      Fail(Invalid(At(row_number_, column) + "cells are out of order or repeated (it follows " +
                   "column " + std::to_string(column_) + ")"));
      return;
    }
    column_ = column;
    const XML_Char* t = Attribute(attrs, "t");
    const std::string_view type = t != nullptr ? t : "n";
    if (type == "n") {
      type_ = CellType::kNumber;
    } else if (type == "s") {
      type_ = CellType::kSharedString;
    } else if (type == "inlineStr") {
      type_ = CellType::kInlineString;
    } else if (type == "str") {
      type_ = CellType::kFormulaString;
    } else if (type == "b") {
      type_ = CellType::kBoolean;
    } else if (type == "e") {
      type_ = CellType::kError;
    } else if (type == "d") {
      type_ = CellType::kDate;
    } else {
      Fail(Invalid(At(row_number_, column_) + "the cell has the unknown type " +
                   QuoteForMessage(type)));
      return;
    }
    cell_depth_ = depth_;
    is_depth_ = 0;
    phonetic_depth_ = 0;
    value_.clear();
    inline_text_.clear();
  }

  void EndCell() {
    cell_depth_ = 0;
    is_depth_ = 0;
    std::string text;
    switch (type_) {
      case CellType::kSharedString: {
        if (value_.empty()) break;
        const std::optional<size_t> index = ParseUnsigned(value_, SIZE_MAX / 10 - 10);
        if (!index) {
          Fail(Invalid(At(row_number_, column_) + "the shared-string index " +
                       QuoteForMessage(value_) + " is not valid"));
          return;
        }
        const size_t i = *index;
        if (i >= shared_strings_.size()) {
          Fail(Invalid(At(row_number_, column_) + "the cell refers to shared string " +
                       std::to_string(i) + ", but the workbook has only " +
                       std::to_string(shared_strings_.size())));
          return;
        }
        text = shared_strings_[i];
        break;
      }
      case CellType::kInlineString:
        text = std::move(inline_text_);
        break;
      case CellType::kFormulaString:
      case CellType::kDate:
        text = std::move(value_);
        break;
      case CellType::kBoolean:
        if (value_ == "1") {
          text = "TRUE";
        } else if (value_ == "0") {
          text = "FALSE";
        } else if (!value_.empty()) {
          Fail(Invalid(At(row_number_, column_) + "the boolean cell holds " +
                       QuoteForMessage(value_) + " instead of 0 or 1"));
          return;
        }
        break;
      case CellType::kError:
        Fail(Status::Invalid("xlsx_value", At(row_number_, column_) + ErrorDescription()));
        return;
      case CellType::kNumber:
        if (value_.find_first_of("Ee") != std::string::npos) {
          Result<std::string> plain = CanonicalQuantityFromNumber(value_);
          if (plain.ok()) {
            text = std::move(plain).value();
            break;
          }
        }
        // A fraction is a double: keep the 15 significant digits the spreadsheet showed, not
        // the 17 it stored. Whole numbers (part numbers, refs) stay exactly as written.
        text = value_.find('.') == std::string::npos ? std::move(value_)
                                                     : RoundSignificant(value_, 15);
        break;
    }
    if (text.empty()) return;
    if (column_ > limits_.max_columns) {
      Fail(TooLarge(At(row_number_, column_) + "the sheet uses more than " +
                    std::to_string(limits_.max_columns) + " columns"));
      return;
    }
    // Shared strings and column gaps let a few bytes of XML stand for many bytes of output, so
    // what is returned (text plus each cell's footprint, gaps included) has a budget of its own.
    output_bytes_ += text.size() + (column_ - std::min(column_, cells_.size())) * sizeof(text);
    if (output_bytes_ > limits_.max_xml_bytes) {
      Fail(TooLarge("the sheet's cells hold more than " + std::to_string(limits_.max_xml_bytes) +
                    " bytes"));
      return;
    }
    if (Utf8ErrorOffset(text) != std::string_view::npos) {
      Fail(Invalid(At(row_number_, column_) + "the cell is not valid UTF-8"));
      return;
    }
    if (cells_.size() < column_) cells_.resize(column_);
    cells_[column_ - 1] = std::move(text);
  }

  // "the cell holds the spreadsheet error #REF!". The code is echoed bare when it looks like
  // one (short, printable ASCII), quoted otherwise.
  std::string ErrorDescription() const {
    if (value_.empty()) return "the cell holds a spreadsheet error";
    bool plain = value_.size() <= kMessageEchoChars;
    for (const char c : value_) plain = plain && c > ' ' && c < 0x7F;
    return "the cell holds the spreadsheet error " + (plain ? value_ : QuoteForMessage(value_));
  }

  const XlsxLimits& limits_;
  const std::vector<std::string>& shared_strings_;
  std::vector<SheetRow> rows_;
  std::vector<std::string> cells_;
  std::string value_;        // text of <v>
  std::string inline_text_;  // text of <is>'s <t> elements
  CellType type_ = CellType::kNumber;
  Capture capture_ = Capture::kNone;
  // Element depths (root = 1) of the open sheetData, row, cell and <is>; 0 when not inside one.
  int depth_ = 0;
  int sheet_data_depth_ = 0;
  int row_depth_ = 0;
  int cell_depth_ = 0;
  int is_depth_ = 0;
  int phonetic_depth_ = 0;
  size_t last_row_number_ = 0;
  size_t row_number_ = 0;
  size_t column_ = 0;      // of the current (or, between cells, the last) cell
  size_t last_width_ = 0;  // cells in the last row kept, to size the next one
  size_t output_bytes_ = 0;
  std::vector<Merge> merges_;
};

// ---- the container ---------------------------------------------------------------------------

// The total entry count of the last end-of-central-directory record (PK\5\6) in the final
// 64 KiB + 22 bytes, where the format puts it; nullopt when there is none (libzip then says the
// container is damaged).
std::optional<uint32_t> DeclaredEntries(std::string_view b) {
  constexpr size_t kRecord = 22;
  if (b.size() < kRecord) return std::nullopt;
  const size_t lowest = b.size() > kRecord + 65535 ? b.size() - kRecord - 65535 : 0;
  for (size_t at = b.size() - kRecord + 1; at-- > lowest;) {
    if (b.compare(at, 4, "PK\x05\x06") != 0) continue;
    const auto byte = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(b[at + i]));
    };
    const uint32_t entries = byte(10) | (byte(11) << 8);
    return entries == 0xFFFF ? UINT32_MAX : entries;
  }
  return std::nullopt;
}

// The zip archive over the caller's bytes (not copied; they must outlive the Package) and the
// running count of inflated bytes shared by every part read from it.
class Package {
 public:
  explicit Package(const XlsxLimits& limits) : limits_(limits) {}
  Package(const Package&) = delete;
  Package& operator=(const Package&) = delete;
  ~Package() {
    if (zip_ != nullptr) zip_discard(zip_);
  }

  Status Open(std::string_view bytes) {
    // libzip reads the whole central directory before we could count it (1.3M entries: 500 MB,
    // 5 s), so the count is taken from the end-of-central-directory record first. Zip64 (0xFFFF
    // there) is never needed by a spreadsheet and is refused with the same message.
    if (std::optional<uint32_t> declared = DeclaredEntries(bytes);
        declared && *declared > limits_.max_entries) {
      return TooLarge("the file holds more than " + std::to_string(limits_.max_entries) +
                      " zip entries; a spreadsheet has far fewer");
    }
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
      zip_error_fini(&error);
      return Status::Internal("could not open the XLSX container");
    }
    zip_ = zip_open_from_source(source, ZIP_RDONLY, &error);
    zip_error_fini(&error);
    if (zip_ == nullptr) {
      zip_source_free(source);
      return Invalid(
          "the file is not an XLSX workbook: its zip container is damaged or incomplete");
    }
    const zip_int64_t entries = zip_get_num_entries(zip_, 0);
    if (entries < 0 || static_cast<uint64_t>(entries) > limits_.max_entries) {
      return TooLarge("the file holds more than " + std::to_string(limits_.max_entries) +
                      " zip entries; a spreadsheet has far fewer");
    }
    return Status::Ok();
  }

  // OPC part names compare case-insensitively; the exact lookup is the fast common case.
  std::optional<zip_uint64_t> Locate(const std::string& path) const {
    zip_int64_t index = zip_name_locate(zip_, path.c_str(), 0);
    if (index < 0) index = zip_name_locate(zip_, path.c_str(), ZIP_FL_NOCASE);
    if (index < 0) return std::nullopt;
    return static_cast<zip_uint64_t>(index);
  }

  Status Parse(const std::string& path, zip_uint64_t index, PartHandler& handler) {
    const std::string quoted = QuoteForMessage(path);
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(zip_, index, 0, &stat) != 0) {
      return Invalid("the file's part " + quoted + " is damaged");
    }
    if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && stat.encryption_method != ZIP_EM_NONE) {
      return Invalid("the file's part " + quoted + " is encrypted; " + kSaveAsAdvice);
    }
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen_index(zip_, index, 0),
                                                           zip_fclose);
    if (file == nullptr) {
      const int code = zip_error_code_zip(zip_get_error(zip_));
      if (code == ZIP_ER_NOPASSWD || code == ZIP_ER_ENCRNOTSUPP || code == ZIP_ER_WRONGPASSWD) {
        return Invalid("the file's part " + quoted + " is encrypted; " + kSaveAsAdvice);
      }
      if (code == ZIP_ER_COMPNOTSUPP) {
        return Invalid("the file's part " + quoted + " uses an unusual zip compression method; " +
                       kSaveAsAdvice);
      }
      return Invalid("the file's part " + quoted + " is damaged");
    }
    std::unique_ptr<std::remove_pointer_t<XML_Parser>, void (*)(XML_Parser)> parser(
        XML_ParserCreate(nullptr), XML_ParserFree);
    if (parser == nullptr) return Status::Internal("could not create an XML parser");
    XML_Parser p = parser.get();
    handler.Attach(p, path);
    XML_SetUserData(p, &handler);
    XML_SetElementHandler(p, OnStart, OnEnd);
    XML_SetCharacterDataHandler(p, OnText);
    XML_SetStartDoctypeDeclHandler(p, OnDoctype);
    XML_SetEntityDeclHandler(p, OnEntityDecl);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    for (;;) {
      void* buffer = XML_GetBuffer(p, static_cast<int>(kChunkBytes));
      if (buffer == nullptr) return Status::Internal("out of memory while reading an XLSX part");
      const zip_int64_t n = zip_fread(file.get(), buffer, kChunkBytes);
      if (n < 0) return Invalid("the file's part " + quoted + " is damaged (it does not inflate)");
      // Counted as produced, whatever the zip headers claim: this is the zip-bomb defence.
      inflated_ += static_cast<uint64_t>(n);
      if (inflated_ > limits_.max_xml_bytes) {
        return TooLarge("the workbook's XML is larger than " +
                        std::to_string(limits_.max_xml_bytes) + " bytes when decompressed");
      }
      const XML_Status status = XML_ParseBuffer(p, static_cast<int>(n), n == 0);
      handler.RethrowIfThrown();
      if (handler.failed()) return handler.status();
      if (status != XML_STATUS_OK) {
        return Invalid("the file's part " + quoted + " is not well-formed XML (line " +
                       std::to_string(XML_GetCurrentLineNumber(p)) + ": " +
                       XML_ErrorString(XML_GetErrorCode(p)) + ")");
      }
      if (n == 0) return Status::Ok();
    }
  }

  // Parses the part if it exists; `*present` says whether it did.
  Status ParseIfPresent(const std::string& path, PartHandler& handler, bool* present) {
    const std::optional<zip_uint64_t> index = Locate(path);
    *present = index.has_value();
    return index ? Parse(path, *index, handler) : Status::Ok();
  }

 private:
  const XlsxLimits& limits_;
  zip_t* zip_ = nullptr;
  uint64_t inflated_ = 0;
};

Status MissingWorkbook(Package& package) {
  if (package.Locate("content.xml") && package.Locate("mimetype")) {
    return Invalid("the file is an OpenDocument file (such as .ods), not an XLSX workbook; " +
                   std::string(kSaveAsAdvice));
  }
  return Invalid("the file is not an XLSX workbook: it is a zip archive without a workbook part");
}

Result<std::vector<SheetRow>> ReadFirstSheet(std::string_view bytes, const XlsxLimits& limits) {
  if (bytes.empty()) return Invalid("the file is empty, not an XLSX workbook");
  if (bytes.substr(0, kOleMagic.size()) == kOleMagic) {
    return Invalid(
        "the file is a password-protected workbook or a legacy .xls file, which cannot be "
        "read; " +
        std::string(kSaveAsAdvice));
  }
  if (!LooksLikeXlsx(bytes)) {
    return Invalid("the file is not an XLSX workbook (it is not a zip container)");
  }
  Package package(limits);
  if (Status s = package.Open(bytes); !s.ok()) return s;

  // The package's root relationships name the workbook; every known writer puts it at
  // xl/workbook.xml, which is also the fallback when _rels/.rels is absent.
  std::string workbook_path = "xl/workbook.xml";
  {
    RelsHandler root("");
    bool present = false;
    if (Status s = package.ParseIfPresent("_rels/.rels", root, &present); !s.ok()) return s;
    if (root.office_document.found && !root.office_document.external) {
      std::optional<std::string> path = ResolveTarget("", root.office_document.target);
      if (path) workbook_path = std::move(*path);
    }
  }
  WorkbookHandler workbook;
  bool present = false;
  if (Status s = package.ParseIfPresent(workbook_path, workbook, &present); !s.ok()) return s;
  if (!present) return MissingWorkbook(package);
  if (!workbook.found_sheet) return Invalid("the workbook contains no sheets");
  const std::string sheet_name = QuoteForMessage(workbook.name);
  if (workbook.rel_id.empty()) {
    return Invalid("the workbook's first sheet " + sheet_name + " has no relationship id (r:id)");
  }

  RelsHandler rels(workbook.rel_id);
  const std::string rels_path = RelsPathOf(workbook_path);
  if (Status s = package.ParseIfPresent(rels_path, rels, &present); !s.ok()) return s;
  if (!present) {
    return Invalid("the XLSX workbook is incomplete: its part " + QuoteForMessage(rels_path) +
                   " is missing");
  }
  if (!rels.by_id.found || rels.by_id.external) {
    return Invalid("the workbook's first sheet " + sheet_name + " refers to relationship " +
                   QuoteForMessage(workbook.rel_id) + ", which the workbook does not define");
  }
  if (EndsWith(rels.by_id.type, "/chartsheet")) {
    return Invalid("the workbook's first sheet " + sheet_name +
                   " is a chart, not a worksheet; move the sheet holding the BOM to the first "
                   "tab");
  }
  const std::string folder = FolderOf(workbook_path);
  const std::optional<std::string> sheet_path = ResolveTarget(folder, rels.by_id.target);
  if (!sheet_path) {
    return Invalid("the workbook's first sheet " + sheet_name + " has the invalid location " +
                   QuoteForMessage(rels.by_id.target));
  }

  // A missing table is not an error by itself: only a cell that refers to it is.
  std::vector<std::string> shared_strings;
  {
    std::optional<std::string> path = folder + "sharedStrings.xml";
    if (rels.shared_strings.found && !rels.shared_strings.external) {
      path = ResolveTarget(folder, rels.shared_strings.target);
    }
    if (path) {
      SharedStringsHandler handler(limits, &shared_strings);
      if (Status s = package.ParseIfPresent(*path, handler, &present); !s.ok()) return s;
    }
  }

  SheetHandler sheet(limits, shared_strings);
  if (Status s = package.ParseIfPresent(*sheet_path, sheet, &present); !s.ok()) return s;
  if (!present) {
    return Invalid("the XLSX workbook is incomplete: its first sheet " + sheet_name + " (part " +
                   QuoteForMessage(*sheet_path) + ") is missing");
  }
  return sheet.TakeRows();
}

// Every worksheet in tab order (chart sheets left out), sharing one package, one shared-string
// table and the package's inflation budget.
Result<std::vector<XlsxSheet>> ReadAllSheets(std::string_view bytes, const XlsxLimits& limits) {
  if (bytes.empty()) return Invalid("the file is empty, not an XLSX workbook");
  if (bytes.substr(0, kOleMagic.size()) == kOleMagic) {
    return Invalid(
        "the file is a password-protected workbook or a legacy .xls file, which cannot be "
        "read; " +
        std::string(kSaveAsAdvice));
  }
  if (!LooksLikeXlsx(bytes)) {
    return Invalid("the file is not an XLSX workbook (it is not a zip container)");
  }
  Package package(limits);
  if (Status s = package.Open(bytes); !s.ok()) return s;
  std::string workbook_path = "xl/workbook.xml";
  {
    RelsHandler root("");
    bool present = false;
    if (Status s = package.ParseIfPresent("_rels/.rels", root, &present); !s.ok()) return s;
    if (root.office_document.found && !root.office_document.external) {
      std::optional<std::string> path = ResolveTarget("", root.office_document.target);
      if (path) workbook_path = std::move(*path);
    }
  }
  WorkbookHandler workbook;
  bool present = false;
  if (Status s = package.ParseIfPresent(workbook_path, workbook, &present); !s.ok()) return s;
  if (!present) return MissingWorkbook(package);
  if (!workbook.found_sheet) return Invalid("the workbook contains no sheets");
  RelsHandler rels("");
  const std::string rels_path = RelsPathOf(workbook_path);
  if (Status s = package.ParseIfPresent(rels_path, rels, &present); !s.ok()) return s;
  if (!present) {
    return Invalid("the XLSX workbook is incomplete: its part " + QuoteForMessage(rels_path) +
                   " is missing");
  }
  const std::string folder = FolderOf(workbook_path);
  std::vector<std::string> shared_strings;
  {
    std::optional<std::string> path = folder + "sharedStrings.xml";
    if (rels.shared_strings.found && !rels.shared_strings.external) {
      path = ResolveTarget(folder, rels.shared_strings.target);
    }
    if (path) {
      SharedStringsHandler handler(limits, &shared_strings);
      if (Status s = package.ParseIfPresent(*path, handler, &present); !s.ok()) return s;
    }
  }
  std::vector<XlsxSheet> out;
  for (const auto& [name, rel_id] : workbook.sheets) {
    const std::string sheet_name = QuoteForMessage(name);
    const auto rel = rels.all.find(rel_id);
    if (rel_id.empty() || rel == rels.all.end() || rel->second.external) {
      return Invalid("the workbook's sheet " + sheet_name +
                     " refers to a relationship the workbook does not define");
    }
    if (EndsWith(rel->second.type, "/chartsheet")) continue;
    const std::optional<std::string> sheet_path = ResolveTarget(folder, rel->second.target);
    if (!sheet_path) {
      return Invalid("the workbook's sheet " + sheet_name + " has the invalid location " +
                     QuoteForMessage(rel->second.target));
    }
    SheetHandler sheet(limits, shared_strings);
    if (Status s = package.ParseIfPresent(*sheet_path, sheet, &present); !s.ok()) return s;
    if (!present) {
      return Invalid("the XLSX workbook is incomplete: its sheet " + sheet_name + " (part " +
                     QuoteForMessage(*sheet_path) + ") is missing");
    }
    out.push_back({name, sheet.TakeRows()});
  }
  if (out.empty()) return Invalid("the workbook holds only chart sheets, no worksheet");
  return out;
}

}  // namespace

Result<std::vector<XlsxSheet>> ReadXlsxSheets(std::string_view bytes, const XlsxLimits& limits) {
  try {
    return ReadAllSheets(bytes, limits);
  } catch (const std::exception&) {
    return Status::Internal("the server ran out of memory while reading the XLSX file");
  }
}

bool LooksLikeXlsx(std::string_view bytes) { return bytes.substr(0, 4) == kZipMagic; }

Result<std::vector<SheetRow>> ReadXlsxFirstSheet(std::string_view bytes, const XlsxLimits& limits) {
  // The limits bound memory well below what a server has; this catches only a machine that is
  // already out of it.
  try {
    return ReadFirstSheet(bytes, limits);
  } catch (const std::exception&) {
    return Status::Internal("the server ran out of memory while reading the XLSX file");
  }
}

}  // namespace bomvault::bom
