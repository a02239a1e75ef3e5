// Quantities: canonical decimal text for storage and a fixed-point Decimal for roll-ups.
//
// BOM quantities are exact decimals ("0.25 m", "8 pcs"); binary floating point would turn them
// into 0.2499999… and make two equal BOMs compare different. So quantities are stored as
// canonical text (no sign, no exponent, no leading zeros, no trailing fractional zeros, "0" for
// zero) and arithmetic happens in Decimal, a non-negative 128-bit integer scaled by 10^9.
// Invariants: CanonicalQuantity's output is a fixed point of itself; Decimal::Parse accepts
// exactly what CanonicalQuantity accepts; Decimal::ToString is canonical (it may exceed 15
// integer digits, since sums of valid quantities can). Arithmetic never wraps: overflow is an
// error. Pure functions and plain values: thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace bomvault::bom {

inline constexpr int kQuantityMaxIntegerDigits = 15;
inline constexpr int kQuantityMaxFractionDigits = 9;

// Accepts plain decimal text such as "8", "8.0", " 2.50 ", ".5", "007" (surrounding spaces and
// tabs are ignored; leading integer zeros and trailing fraction zeros do not count toward the
// digit limits) and returns its canonical form ("8", "8", "2.5", "0.5", "7"). Refuses, with
// Status::Invalid("bad_quantity", …): empty text, signs (negatives are meaningless in a BOM and
// '+' is never needed), exponents, NaN/infinity, ',' as a separator (ambiguous between locales),
// more than 15 integer or 9 fraction digits, anything else.
util::Result<std::string> CanonicalQuantity(std::string_view text);

// The same, for a number written by a machine (a JSON number's lexeme, an XLSX cell's value):
// additionally accepts an exponent ("1.5E-3", "2e+2") and shifts the decimal point exactly, in
// text, before canonicalising, so no binary rounding ever happens. Exponents beyond ±64 are
// refused with the same "bad_quantity" status (no valid quantity needs one).
util::Result<std::string> CanonicalQuantityFromNumber(std::string_view text);

// Plain decimal text ("-"? digits ("." digits)?) rounded half-up to `digits` significant digits,
// trailing fraction zeros removed: ("0.30000000000000004", 15) → "0.3". Spreadsheets store
// doubles with 17 digits but show 15, so a formula's 0.1+0.2 reaches us as 0.30000000000000004;
// rounding to what the user saw is the honest reading. Other text is returned unchanged.
std::string RoundSignificant(std::string_view text, int digits);

// Exact non-negative fixed-point number with 9 fraction digits, for summing and multiplying
// quantities. Mul rounds the exact product to 9 places, half away from zero; Add is exact.
// Overflow (beyond about 3.4e29) is Status::Unprocessable("bom_quantity_overflow", …).
class Decimal {
 public:
  static constexpr int kFractionDigits = 9;

  Decimal() = default;  // zero

  static util::Result<Decimal> Parse(std::string_view text);
  static Decimal FromInteger(uint64_t value);

  util::Result<Decimal> Add(Decimal other) const;
  util::Result<Decimal> Mul(Decimal other) const;
  std::string ToString() const;
  bool IsZero() const { return scaled_ == 0; }

  friend bool operator==(Decimal a, Decimal b) { return a.scaled_ == b.scaled_; }
  friend std::strong_ordering operator<=>(Decimal a, Decimal b) {
    return a.scaled_ < b.scaled_   ? std::strong_ordering::less
           : a.scaled_ > b.scaled_ ? std::strong_ordering::greater
                                   : std::strong_ordering::equal;
  }

 private:
  __extension__ using Scaled = unsigned __int128;

  explicit Decimal(Scaled scaled) : scaled_(scaled) {}

  Scaled scaled_ = 0;
};

}  // namespace bomvault::bom
