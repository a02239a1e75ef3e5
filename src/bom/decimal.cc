#include "bom/decimal.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "bom/item.h"

namespace bomvault::bom {
namespace {

constexpr uint64_t kScale = 1000000000;  // 10^kFractionDigits

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The digits of a valid quantity with the insignificant zeros already removed, so that both the
// canonical text and the Decimal value are built from the same accepted syntax.
struct Parts {
  std::string_view integer;   // no leading zeros; empty means 0
  std::string_view fraction;  // no trailing zeros; may be empty
};

util::Status Bad(std::string message) {
  return util::Status::Invalid("bad_quantity", std::move(message));
}

util::Result<Parts> Split(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return Bad("quantity is empty");
  // Built only on failure: this runs once per imported row.
  auto quoted = [text] { return QuoteForMessage(text); };
  if (text.front() == '-') {
    return Bad("quantity " + quoted() + " is negative; quantities must be zero or more");
  }
  if (text.front() == '+') return Bad("quantity " + quoted() + " must be written without a sign");

  size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  std::string_view integer = text.substr(0, i);
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    const size_t start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    fraction = text.substr(start, i - start);
  }
  const bool has_digits = !integer.empty() || !fraction.empty();
  if (i != text.size()) {
    const char c = text[i];
    if (has_digits && (c == 'e' || c == 'E')) {
      return Bad("quantity " + quoted() + " uses an exponent; write the number out in full");
    }
    if (has_digits && c == ',') {
      return Bad("quantity " + quoted() +
                 " contains ','; use '.' as the decimal point and no thousands separators");
    }
    return Bad("quantity " + quoted() + " is not a number");
  }
  if (!has_digits) return Bad("quantity " + quoted() + " is not a number");

  while (!integer.empty() && integer.front() == '0') integer.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (integer.size() > static_cast<size_t>(kQuantityMaxIntegerDigits)) {
    return Bad("quantity " + quoted() + " has more than " +
               std::to_string(kQuantityMaxIntegerDigits) + " digits before the decimal point");
  }
  if (fraction.size() > static_cast<size_t>(kQuantityMaxFractionDigits)) {
    return Bad("quantity " + quoted() + " has more than " +
               std::to_string(kQuantityMaxFractionDigits) + " digits after the decimal point");
  }
  return Parts{integer, fraction};
}

util::Status Overflow() {
  return util::Status::Unprocessable("bom_quantity_overflow",
                                     "a quantity total is too large to compute exactly");
}

}  // namespace

util::Result<std::string> CanonicalQuantity(std::string_view text) {
  util::Result<Parts> parts = Split(text);
  if (!parts.ok()) return parts.status();
  std::string out;
  if (parts->integer.empty()) {
    out = "0";
  } else {
    out.assign(parts->integer);
  }
  if (!parts->fraction.empty()) {
    out += '.';
    out.append(parts->fraction);
  }
  return out;
}

util::Result<Decimal> Decimal::Parse(std::string_view text) {
  util::Result<Parts> parts = Split(text);
  if (!parts.ok()) return parts.status();
  Scaled integer = 0;
  for (char c : parts->integer) integer = integer * 10 + static_cast<unsigned>(c - '0');
  uint64_t fraction = 0;
  for (int k = 0; k < kFractionDigits; ++k) {
    const size_t pos = static_cast<size_t>(k);
    fraction =
        fraction * 10 +
        (pos < parts->fraction.size() ? static_cast<unsigned>(parts->fraction[pos] - '0') : 0);
  }
  // At most 15 integer digits, so this cannot overflow 128 bits.
  return Decimal(integer * kScale + fraction);
}

Decimal Decimal::FromInteger(uint64_t value) {
  return Decimal(static_cast<Scaled>(value) * kScale);
}

util::Result<Decimal> Decimal::Add(Decimal other) const {
  Scaled sum;
  if (__builtin_add_overflow(scaled_, other.scaled_, &sum)) return Overflow();
  return Decimal(sum);
}

util::Result<Decimal> Decimal::Mul(Decimal other) const {
  // (ai·S + af)(bi·S + bf) / S = ai·bi·S + ai·bf + af·bi + af·bf/S. Only the last term is
  // inexact, and splitting keeps every intermediate within 128 bits whenever the result is.
  const Scaled ai = scaled_ / kScale;
  const Scaled af = scaled_ % kScale;
  const Scaled bi = other.scaled_ / kScale;
  const Scaled bf = other.scaled_ % kScale;
  Scaled whole, cross1, cross2, total;
  if (__builtin_mul_overflow(ai, bi, &whole) || __builtin_mul_overflow(whole, kScale, &whole) ||
      __builtin_mul_overflow(ai, bf, &cross1) || __builtin_mul_overflow(af, bi, &cross2)) {
    return Overflow();
  }
  const Scaled tail = (af * bf + kScale / 2) / kScale;  // af·bf < 10^18: no overflow
  if (__builtin_add_overflow(whole, cross1, &total) ||
      __builtin_add_overflow(total, cross2, &total) ||
      __builtin_add_overflow(total, tail, &total)) {
    return Overflow();
  }
  return Decimal(total);
}

std::string Decimal::ToString() const {
  Scaled integer = scaled_ / kScale;
  uint64_t fraction = static_cast<uint64_t>(scaled_ % kScale);
  std::string out;
  do {
    out.push_back(static_cast<char>('0' + static_cast<int>(integer % 10)));
    integer /= 10;
  } while (integer != 0);
  std::string digits(out.rbegin(), out.rend());
  if (fraction != 0) {
    std::string frac(kFractionDigits, '0');
    for (int k = kFractionDigits - 1; k >= 0; --k) {
      frac[static_cast<size_t>(k)] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    while (frac.back() == '0') frac.pop_back();
    digits += '.';
    digits += frac;
  }
  return digits;
}

util::Result<std::string> CanonicalQuantityFromNumber(std::string_view text) {
  const size_t e = text.find_first_of("eE");
  if (e == std::string_view::npos) return CanonicalQuantity(text);
  auto refuse = [&] {
    return util::Status::Invalid("bad_quantity",
                                 "quantity " + QuoteForMessage(text) + " is not a plain number");
  };
  std::string_view mantissa = text.substr(0, e);
  std::string_view exponent = text.substr(e + 1);
  bool negative = false;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    negative = exponent[0] == '-';
    exponent.remove_prefix(1);
  }
  if (exponent.empty() || exponent.size() > 3 ||
      !std::all_of(exponent.begin(), exponent.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return refuse();
  }
  const int shift = std::stoi(std::string(exponent));
  if (shift > 64) return refuse();
  const size_t dot = mantissa.find('.');
  std::string digits(mantissa.substr(0, dot));
  std::string fraction = dot == std::string_view::npos ? "" : std::string(mantissa.substr(dot + 1));
  if ((digits.empty() && fraction.empty()) ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !std::all_of(fraction.begin(), fraction.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return refuse();
  }
  // value = digits.fraction × 10^(±shift), moved by padding with zeros and re-placing the point.
  std::string all = digits + fraction;
  ptrdiff_t point = static_cast<ptrdiff_t>(digits.size()) + (negative ? -shift : shift);
  if (point < 0) {
    all.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  if (static_cast<size_t>(point) > all.size())
    all.append(static_cast<size_t>(point) - all.size(), '0');
  std::string plain = all.substr(0, static_cast<size_t>(point));
  if (static_cast<size_t>(point) < all.size())
    plain += "." + all.substr(static_cast<size_t>(point));
  return CanonicalQuantity(plain);
}

std::string RoundSignificant(std::string_view text, int digits) {
  std::string_view body = text;
  const bool negative = !body.empty() && body.front() == '-';
  if (negative) body.remove_prefix(1);
  const size_t dot = body.find('.');
  const std::string_view int_part = body.substr(0, dot);
  const std::string_view frac_part =
      dot == std::string_view::npos ? std::string_view() : body.substr(dot + 1);
  auto all_digits = [](std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (int_part.empty() || !all_digits(int_part) || !all_digits(frac_part) ||
      (dot != std::string_view::npos && frac_part.empty()) || digits <= 0) {
    return std::string(text);
  }
  std::string d = std::string(int_part) + std::string(frac_part);
  size_t point = int_part.size();
  const size_t first = d.find_first_not_of('0');
  if (first == std::string::npos || d.size() - first <= static_cast<size_t>(digits)) {
    return std::string(text);
  }
  const size_t keep = first + static_cast<size_t>(digits);
  const bool up = d[keep] >= '5';
  d.resize(keep);
  if (up) {
    size_t i = keep;
    while (i > 0 && d[i - 1] == '9') d[--i] = '0';
    if (i == 0) {
      d.insert(d.begin(), '1');
      ++point;
    } else {
      ++d[i - 1];
    }
  }
  if (d.size() < point) d.append(point - d.size(), '0');  // rounded inside the integer part
  std::string out = negative ? "-" : "";
  std::string integer = d.substr(0, point);
  std::string fraction = d.substr(point);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  const size_t lead = integer.find_first_not_of('0');
  integer = lead == std::string::npos ? "0" : integer.substr(lead);
  out += integer;
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

}  // namespace bomvault::bom
