#include "bom/table.h"

#include <algorithm>
#include <array>

#include "bom/decode.h"
#include "bom/profile.h"

namespace bomvault::bom {
namespace {

constexpr size_t kSniffLines = 64;
constexpr std::array<char, 4> kDelimiters = {',', ';', '\t', '|'};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

size_t Filled(const TableRow& row) {
  return static_cast<size_t>(std::count_if(row.cells.begin(), row.cells.end(),
                                           [](const std::string& c) { return !c.empty(); }));
}

// Distinct known header words in a row: a data row that says "DNP" twice is not a header.
std::vector<std::string> HeaderKeys(const TableRow& row) {
  std::vector<std::string> seen;
  for (const std::string& cell : row.cells) {
    if (cell.empty() || cell.size() > 80 || !IsHeaderWord(cell)) continue;
    std::string key = HeaderKey(cell);
    if (std::find(seen.begin(), seen.end(), key) == seen.end()) seen.push_back(std::move(key));
  }
  return seen;
}

size_t HeaderWords(const TableRow& row) { return HeaderKeys(row).size(); }

bool IsTotalRow(const TableRow& row) {
  for (const std::string& cell : row.cells) {
    if (cell.empty()) continue;
    const std::string key = HeaderKey(cell);
    for (std::string_view word : {"total", "totals", "sum", "summe", "gesamt", "grand total"}) {
      if (key == word || (key.size() > word.size() && key.compare(0, word.size(), word) == 0 &&
                          key[word.size()] == ' ')) {
        return true;
      }
    }
    return false;  // only the first non-empty cell decides
  }
  return false;
}

bool FirstCellEndsInColon(const TableRow& row) {
  for (const std::string& cell : row.cells) {
    if (cell.empty()) continue;
    return cell.back() == ':';
  }
  return false;
}

}  // namespace

char SniffDelimiter(std::string_view text) {
  // Per candidate: the count on each of the first lines, outside quotes.
  std::array<std::vector<size_t>, kDelimiters.size()> counts;
  std::array<size_t, kDelimiters.size()> current{};
  bool quoted = false;
  size_t lines = 0;
  bool any = false;
  for (size_t i = 0; i < text.size() && lines < kSniffLines; ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == '\n' || c == '\r')) {
      if (any) {
        for (size_t d = 0; d < kDelimiters.size(); ++d) counts[d].push_back(current[d]);
        ++lines;
      }
      current.fill(0);
      any = false;
    } else if (!quoted) {
      any = true;
      for (size_t d = 0; d < kDelimiters.size(); ++d) current[d] += c == kDelimiters[d] ? 1 : 0;
    }
  }
  if (any && lines < kSniffLines) {
    for (size_t d = 0; d < kDelimiters.size(); ++d) counts[d].push_back(current[d]);
  }
  char best = ',';
  size_t best_lines = 0, best_count = 0;
  for (size_t d = 0; d < kDelimiters.size(); ++d) {
    std::vector<size_t> v = counts[d];
    std::sort(v.begin(), v.end());
    // The most frequent non-zero count and on how many lines it occurs.
    size_t mode = 0, mode_lines = 0;
    for (size_t i = 0; i < v.size();) {
      size_t j = i;
      while (j < v.size() && v[j] == v[i]) ++j;
      if (v[i] != 0 && (j - i > mode_lines || (j - i == mode_lines && v[i] > mode))) {
        mode = v[i];
        mode_lines = j - i;
      }
      i = j;
    }
    if (mode_lines > best_lines || (mode_lines == best_lines && mode > best_count)) {
      best = kDelimiters[d];
      best_lines = mode_lines;
      best_count = mode;
    }
  }
  return best;
}

util::Result<std::vector<TableRow>> SplitRecords(std::string_view text, char delimiter,
                                                 size_t max_records) {
  std::vector<TableRow> rows;
  const size_t n = text.size();
  size_t p = 0;
  size_t line = 1;
  auto line_end = [&](size_t q) { return text[q] == '\n' || text[q] == '\r'; };
  auto skip_line_end = [&](size_t q) {
    if (text[q] == '\r' && q + 1 < n && text[q + 1] == '\n') return q + 2;
    return q + 1;
  };
  while (p < n && (max_records == 0 || rows.size() < max_records)) {
    TableRow row;
    row.line = line;
    // A line of blanks only is a blank row.
    size_t q = p;
    while (q < n && IsBlank(text[q]) && text[q] != delimiter) ++q;
    if (q >= n || line_end(q)) {
      rows.push_back(std::move(row));
      p = q >= n ? n : skip_line_end(q);
      ++line;
      continue;
    }
    while (true) {
      std::string cell;
      q = p;
      while (q < n && IsBlank(text[q]) && text[q] != delimiter) ++q;
      if (q < n && text[q] == '"') {
        const size_t open_line = line;
        ++q;
        while (true) {
          const size_t close = text.find('"', q);
          if (close == std::string_view::npos) {
            return util::Status::Invalid(
                "csv_syntax", "line " + std::to_string(open_line) +
                                  ": a quoted cell is never closed: the closing \" is missing");
          }
          for (size_t k = q; k < close; ++k) {
            if (text[k] == '\n' || (text[k] == '\r' && (k + 1 >= n || text[k + 1] != '\n'))) {
              ++line;
            }
          }
          cell.append(text.substr(q, close - q));
          if (close + 1 < n && text[close + 1] == '"') {
            cell.push_back('"');
            q = close + 2;
            continue;
          }
          q = close + 1;
          break;
        }
        // Text after the closing quote (12"" pipe written without doubling) is kept as is.
        size_t end = q;
        while (end < n && text[end] != delimiter && !line_end(end)) ++end;
        size_t tail_end = end;
        while (tail_end > q && IsBlank(text[tail_end - 1])) --tail_end;
        cell.append(text.substr(q, tail_end - q));
        q = end;
      } else {
        size_t end = q;
        while (end < n && text[end] != delimiter && !line_end(end)) ++end;
        size_t stop = end;
        while (stop > q && IsBlank(text[stop - 1])) --stop;
        cell.assign(text.substr(q, stop - q));
        q = end;
      }
      row.cells.push_back(std::move(cell));
      if (q >= n) {
        p = n;
        break;
      }
      if (text[q] == delimiter) {
        p = q + 1;
        if (p >= n) {
          row.cells.emplace_back();
          break;
        }
        continue;
      }
      p = skip_line_end(q);
      break;
    }
    rows.push_back(std::move(row));
    ++line;
  }
  return rows;
}

util::Result<FoundTable> FindTable(std::vector<TableRow> rows) {
  FoundTable out;
  size_t best = rows.size(), best_words = 0, looked = 0;
  for (size_t i = 0; i < rows.size() && looked < kHeaderSearchRows; ++i) {
    if (Filled(rows[i]) == 0) continue;
    ++looked;
    const size_t words = HeaderWords(rows[i]);
    if (words >= 2 && words > best_words) {
      best = i;
      best_words = words;
    }
  }
  if (best == rows.size()) {
    return util::Status::Invalid(
        "csv_header",
        "no header row found in the first " + std::to_string(kHeaderSearchRows) +
            " rows: name the columns, for example \"Part Number,Description,Quantity\" "
            "(Designator, MPN, Manufacturer, Value, Level and Parent are understood too)");
  }
  out.header_index = best;
  for (size_t i = 0; i < best; ++i) {
    if (Filled(rows[i]) == 0) continue;
    out.warnings.push_back({rows[i].line, 0, "skipped_preamble",
                            "skipped a line before the header (title or report preamble)"});
  }
  out.header = std::move(rows[best].cells);
  const size_t header_line = rows[best].line;
  out.header_line = header_line;
  while (!out.header.empty() && out.header.back().empty()) out.header.pop_back();
  const size_t width = out.header.size();

  out.data.reserve(rows.size() - best);
  const std::vector<std::string> header_keys = HeaderKeys(TableRow{header_line, out.header});
  bool after_total = false;  // what follows a total row is a footer (sign-off, notes)
  size_t pending_blank_line = 0;
  for (size_t i = best + 1; i < rows.size(); ++i) {
    TableRow& row = rows[i];
    const size_t filled = Filled(row);
    if (filled == 0) {
      if (pending_blank_line == 0) pending_blank_line = row.line;
      continue;
    }
    // Trailing empty cells (a delimiter at the end of every line) carry nothing.
    while (row.cells.size() > width && row.cells.back().empty()) row.cells.pop_back();
    auto skip = [&](std::string code, std::string message) {
      out.warnings.push_back({row.line, 0, std::move(code), std::move(message)});
    };
    if (row.cells.size() <= width + 1 &&
        std::equal(row.cells.begin(), row.cells.end(), out.header.begin(),
                   out.header.begin() + std::min(width, row.cells.size()))) {
      skip("skipped_header",
           "skipped a repeat of the header row (line " + std::to_string(header_line) + ")");
      continue;
    }
    // A second header row shares at least two header words with the header ("P71;ID;DNP" is a
    // connector whose value is ID, not a header).
    if (after_total) {
      skip("skipped_summary", "skipped a row after the total row (a footer)");
      continue;
    }
    if (const std::vector<std::string> keys = HeaderKeys(row);
        keys.size() >= 2 && keys.size() * 2 > filled &&
        std::count_if(keys.begin(), keys.end(), [&](const std::string& k) {
          return std::find(header_keys.begin(), header_keys.end(), k) != header_keys.end();
        }) >= 2) {
      skip("skipped_header", "skipped a second header row");
      continue;
    }
    if (IsTotalRow(row) && filled * 2 <= width + 2) {
      skip("skipped_total", "skipped a total row");
      after_total = true;
      continue;
    }
    if (FirstCellEndsInColon(row) && filled <= 3) {
      skip("skipped_summary", "skipped a summary row");
      continue;
    }
    if (pending_blank_line != 0) {
      out.warnings.push_back(
          {pending_blank_line, 0, "skipped_blank", "skipped blank rows inside the table"});
      pending_blank_line = 0;
    }
    out.data.push_back(std::move(row));
  }
  std::stable_sort(out.warnings.begin(), out.warnings.end(),
                   [](const ImportMessage& a, const ImportMessage& b) { return a.line < b.line; });
  return out;
}

std::vector<std::vector<TableRow>> SplitSideBySide(const std::vector<TableRow>& rows) {
  size_t best = rows.size(), best_words = 0, looked = 0;
  for (size_t i = 0; i < rows.size() && looked < kHeaderSearchRows; ++i) {
    if (Filled(rows[i]) == 0) continue;
    ++looked;
    const size_t words = HeaderWords(rows[i]);
    if (words >= 2 && words > best_words) {
      best = i;
      best_words = words;
    }
  }
  if (best == rows.size()) return {};
  const std::vector<std::string>& header = rows[best].cells;
  for (size_t gap = 1; gap + 1 < header.size(); ++gap) {
    if (!header[gap].empty()) continue;
    size_t left = 0, right = 0;
    for (size_t c = 0; c < gap; ++c) left += header[c].empty() ? 0 : 1;
    for (size_t c = gap + 1; c < header.size(); ++c) right += header[c].empty() ? 0 : 1;
    if (left < 2 || right < 2) continue;
    const bool empty_everywhere = std::all_of(rows.begin(), rows.end(), [&](const TableRow& r) {
      return r.cells.size() <= gap || r.cells[gap].empty();
    });
    if (!empty_everywhere) continue;
    std::vector<std::vector<TableRow>> out(2);
    for (const TableRow& r : rows) {
      TableRow a{r.line, {}}, b{r.line, {}};
      a.cells.assign(r.cells.begin(),
                     r.cells.begin() + static_cast<long>(std::min(gap, r.cells.size())));
      if (r.cells.size() > gap + 1)
        b.cells.assign(r.cells.begin() + static_cast<long>(gap + 1), r.cells.end());
      out[0].push_back(std::move(a));
      out[1].push_back(std::move(b));
    }
    // Both halves must hold a table of their own.
    for (const auto& half : out) {
      if (!FindTable(half).ok()) return {};
    }
    return out;
  }
  return {};
}

util::Result<TextTable> ReadTextTable(std::string_view bytes, std::string_view charset) {
  auto decoded = DecodeText(bytes, charset);
  if (!decoded.ok()) return decoded.status();
  TextTable t;
  t.encoding = std::move(decoded->encoding);
  t.text = std::move(decoded->text);
  t.delimiter = SniffDelimiter(t.text);
  auto rows = SplitRecords(t.text, t.delimiter);
  if (!rows.ok()) return rows.status();
  auto table = FindTable(std::move(rows.value()));
  if (!table.ok()) return table.status();
  t.table = std::move(table.value());
  return t;
}

}  // namespace bomvault::bom
