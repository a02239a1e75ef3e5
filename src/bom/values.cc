#include "bom/values.h"

#include <algorithm>

#include "bom/decimal.h"
#include "bom/item.h"
#include "bom/profile.h"

namespace bomvault::bom {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Rewrites separators to a plain "digits.digits" form; false if the text is not a number shape.
bool PlainNumber(std::string_view s, bool decimal_comma, std::string* out) {
  out->clear();
  if (s.empty()) return false;
  const size_t commas = static_cast<size_t>(std::count(s.begin(), s.end(), ','));
  const size_t dots = static_cast<size_t>(std::count(s.begin(), s.end(), '.'));
  auto groups_of_three = [&](char sep) {
    // Every separator followed by exactly three digits, the first group 1-3 digits.
    size_t first = s.find(sep);
    if (first == 0 || first > 3) return false;
    for (size_t i = first; i < s.size(); i += 4) {
      if (s[i] != sep || i + 3 >= s.size() + 0 || !IsDigit(s[i + 1]) || !IsDigit(s[i + 2]) ||
          !IsDigit(s[i + 3])) {
        return false;
      }
      if (i + 4 < s.size() && s[i + 4] != sep) {
        return s[i + 4] == (sep == ',' ? '.' : ',') ? true : false;
      }
    }
    return true;
  };
  std::string t(s);
  if (commas > 0 && dots > 0) {
    // The separator that comes last is the decimal one.
    const bool comma_last = s.rfind(',') > s.rfind('.');
    const char thousands = comma_last ? '.' : ',';
    if (!groups_of_three(thousands)) return false;
    t.erase(std::remove(t.begin(), t.end(), thousands), t.end());
    std::replace(t.begin(), t.end(), ',', '.');
  } else if (commas > 0) {
    if (commas == 1 && (decimal_comma || !groups_of_three(','))) {
      std::replace(t.begin(), t.end(), ',', '.');
    } else if (groups_of_three(',')) {
      t.erase(std::remove(t.begin(), t.end(), ','), t.end());
    } else {
      return false;
    }
  }
  *out = std::move(t);
  return true;
}

}  // namespace

util::Result<QuantityCell> ParseQuantityCell(std::string_view text, bool decimal_comma) {
  const std::string_view cell = Trim(text);
  auto bad = [&] {
    return util::Status::Invalid("bad_quantity",
                                 "quantity " + QuoteForMessage(cell) + " is not a number");
  };
  if (cell.empty()) return bad();
  if (cell.front() == '-') {
    return util::Status::Invalid("bad_quantity", "quantity " + QuoteForMessage(cell) +
                                                     " is negative; a BOM quantity cannot be");
  }
  QuantityCell out;
  // The number is the longest prefix of digits and separators (and an exponent).
  size_t k = 0;
  while (k < cell.size() && (IsDigit(cell[k]) || cell[k] == '.' || cell[k] == ',')) ++k;
  if (k == 0) return bad();
  if (k < cell.size() && (cell[k] == 'e' || cell[k] == 'E')) {
    size_t e = k + 1;
    if (e < cell.size() && (cell[e] == '+' || cell[e] == '-')) ++e;
    if (e < cell.size() && IsDigit(cell[e])) {
      while (e < cell.size() && IsDigit(cell[e])) ++e;
      k = e;
    }
  }
  std::string_view number = cell.substr(0, k);
  std::string_view unit = Trim(cell.substr(k));
  if (!unit.empty()) {
    // A unit is letters (any script), '%', '"', '\'', '²', '³', '/' or '.'; no digits first.
    if (IsDigit(unit.front()) || unit.size() > 16) return bad();
    if (unit.find_first_of(",;") != std::string_view::npos) return bad();
    out.unit = std::string(unit);
  }
  std::string plain;
  const size_t exp = number.find_first_of("eE");
  if (exp != std::string_view::npos) {
    if (!PlainNumber(number.substr(0, exp), decimal_comma, &plain)) return bad();
    plain.append(number.substr(exp));
  } else if (!PlainNumber(number, decimal_comma, &plain)) {
    return bad();
  }
  auto canonical = CanonicalQuantityFromNumber(plain);
  if (!canonical.ok()) {
    return util::Status::Invalid(
        "bad_quantity", "quantity " + QuoteForMessage(cell) + ": " + canonical.status().message());
  }
  out.quantity = std::move(canonical.value());
  return out;
}

int64_t ParseLevelCell(std::string_view text) {
  const std::string_view s = Trim(text);
  if (s.empty() || s.size() > 64) return -1;
  // SAP: ".1", "..2", "...3": the dots count (a digit after them, if any, agrees or is ignored).
  if (s.front() == '.') {
    size_t dots = 0;
    while (dots < s.size() && s[dots] == '.') ++dots;
    for (size_t i = dots; i < s.size(); ++i) {
      if (!IsDigit(s[i])) return -1;
    }
    return static_cast<int64_t>(dots);
  }
  size_t parts = 1;
  bool all_zero_fraction = true;
  size_t digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsDigit(s[i])) {
      ++digits;
      if (parts > 1 && s[i] != '0') all_zero_fraction = false;
      continue;
    }
    if (s[i] != '.' || digits == 0) return -1;
    ++parts;
    digits = 0;
  }
  if (digits == 0) return -1;
  if (parts == 1 || (parts == 2 && all_zero_fraction)) {
    const std::string_view whole = s.substr(0, s.find('.'));
    if (whole.size() > 6) return -1;
    int64_t v = 0;
    for (char c : whole) v = v * 10 + (c - '0');
    return v;
  }
  return static_cast<int64_t>(parts);  // outline number: one level per component
}

namespace {

__extension__ using U128 = unsigned __int128;

// Canonical text → value × 10^9; false if it does not fit.
bool Scaled(std::string_view text, U128* out) {
  U128 v = 0;
  int fraction = -1;
  for (char c : text) {
    if (c == '.') {
      fraction = 0;
      continue;
    }
    if (!IsDigit(c)) return false;
    if (fraction >= 9) continue;  // canonical quantities have at most 9
    v = v * 10 + static_cast<U128>(c - '0');
    if (fraction >= 0) ++fraction;
  }
  for (int f = fraction < 0 ? 0 : fraction; f < 9; ++f) v *= 10;
  *out = v;
  return true;
}

}  // namespace

util::Result<std::string> DivideQuantity(std::string_view a, std::string_view b) {
  U128 x = 0, y = 0;
  if (!Scaled(a, &x) || !Scaled(b, &y) || y == 0) {
    return util::Status::Invalid("bad_quantity",
                                 "a quantity cannot be divided by " + QuoteForMessage(b));
  }
  // (x / y) × 10^9, rounded half up: x is at most 10^24, so x × 10^9 fits in 128 bits.
  const U128 scaled = (x * 1000000000 * 2 / y + 1) / 2;
  std::string digits;
  U128 v = scaled;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  while (digits.size() < 10) digits.insert(digits.begin(), '0');
  std::string text = digits.substr(0, digits.size() - 9) + "." + digits.substr(digits.size() - 9);
  auto canonical = CanonicalQuantity(text);
  if (!canonical.ok()) return canonical.status();
  return canonical;
}

size_t CountDesignators(std::string_view text) {
  size_t count = 0;
  size_t i = 0;
  auto sep = [](char c) { return c == ',' || c == ';' || IsBlank(c); };
  while (i < text.size()) {
    while (i < text.size() && sep(text[i])) ++i;
    if (i >= text.size()) break;
    size_t j = i;
    while (j < text.size() && !sep(text[j])) ++j;
    std::string_view tok = text.substr(i, j - i);
    i = j;
    // A range "R1-R4", "R1-4", "R1...R4" or "R1…R4".
    std::string range(tok);
    for (std::string_view sep : {std::string_view("\xE2\x80\xA6"), std::string_view("..."),
                                 std::string_view("\xE2\x80\x93")}) {
      if (const size_t at = range.find(sep); at != std::string::npos) {
        range.replace(at, sep.size(), "-");
      }
    }
    tok = range;
    size_t dash = tok.find('-');
    if (dash != std::string_view::npos && dash > 0 && dash + 1 < tok.size()) {
      auto split = [](std::string_view t, std::string_view* prefix, uint64_t* n) {
        size_t d = t.size();
        while (d > 0 && IsDigit(t[d - 1])) --d;
        if (d == t.size() || t.size() - d > 9) return false;
        *prefix = t.substr(0, d);
        *n = 0;
        for (size_t k = d; k < t.size(); ++k) *n = *n * 10 + static_cast<uint64_t>(t[k] - '0');
        return true;
      };
      std::string_view p1, p2;
      uint64_t a = 0, b = 0;
      if (split(tok.substr(0, dash), &p1, &a) && split(tok.substr(dash + 1), &p2, &b) &&
          !p1.empty() && (p2.empty() || p2 == p1) && b >= a && b - a < 10000) {
        count += static_cast<size_t>(b - a + 1);
        continue;
      }
    }
    ++count;
  }
  return count;
}

bool IsDnpMarker(std::string_view text, bool in_dnp_column) {
  const std::string key = HeaderKey(text);
  if (key.empty()) return false;
  for (std::string_view w :
       {"dnp", "dnf", "dni", "do not place", "do not populate", "do not fit", "not fitted",
        "not placed", "nofit", "no fit", "nicht bestückt", "unbestückt"}) {
    if (key == w) return true;
  }
  if (in_dnp_column) {
    for (std::string_view w : {"yes", "y", "true", "x", "1", "ja", "excluded", "exclude"}) {
      if (key == w) return true;
    }
  }
  return false;
}

}  // namespace bomvault::bom
