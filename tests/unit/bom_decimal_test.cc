#include <doctest/doctest.h>

#include <string>

#include "bom/decimal.h"

namespace bomvault::bom {
namespace {

std::string Canon(std::string_view text) {
  util::Result<std::string> r = CanonicalQuantity(text);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r.value();
}

util::Status CanonError(std::string_view text) {
  util::Result<std::string> r = CanonicalQuantity(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == util::Code::kInvalid);
  CHECK(r.status().machine_code() == "bad_quantity");
  return r.status();
}

Decimal D(std::string_view text) {
  util::Result<Decimal> r = Decimal::Parse(text);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r.value();
}

std::string MulText(std::string_view a, std::string_view b) {
  util::Result<Decimal> r = D(a).Mul(D(b));
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r->ToString();
}

TEST_CASE("CanonicalQuantity normalises plain decimals") {
  CHECK(Canon("8") == "8");
  CHECK(Canon("8.0") == "8");
  CHECK(Canon(" 2.50 ") == "2.5");
  CHECK(Canon("\t3\t") == "3");
  CHECK(Canon("0") == "0");
  CHECK(Canon("0.0") == "0");
  CHECK(Canon("000") == "0");
  CHECK(Canon(".5") == "0.5");
  CHECK(Canon("5.") == "5");
  CHECK(Canon("007.2500") == "7.25");
  CHECK(Canon("0.25") == "0.25");
  CHECK(Canon("1000000") == "1000000");
}

TEST_CASE("CanonicalQuantity is idempotent") {
  for (std::string_view text : {"8", "8.0", " 2.50 ", ".5", "007.2500", "0.000000001", "0"}) {
    const std::string once = Canon(text);
    CHECK(Canon(once) == once);
  }
}

TEST_CASE("CanonicalQuantity enforces 15 integer and 9 fraction digits") {
  CHECK(Canon("999999999999999") == "999999999999999");
  CHECK(CanonError("1000000000000000").message().find("15 digits before") != std::string::npos);
  CHECK(Canon("0000000000000000001") == "1");  // leading zeros do not count
  CHECK(Canon("0.123456789") == "0.123456789");
  CHECK(CanonError("0.1234567891").message().find("9 digits after") != std::string::npos);
  CHECK(Canon("1.1000000000000") == "1.1");  // trailing zeros do not count
}

TEST_CASE("CanonicalQuantity refuses what is not a plain non-negative decimal") {
  CHECK(CanonError("").message() == "quantity is empty");
  CHECK(CanonError("   ").message() == "quantity is empty");
  CHECK(CanonError("-1").message().find("negative") != std::string::npos);
  CHECK(CanonError("-0").message().find("negative") != std::string::npos);
  CHECK(CanonError("+1").message().find("without a sign") != std::string::npos);
  CHECK(CanonError("1e3").message().find("exponent") != std::string::npos);
  CHECK(CanonError("1E-3").message().find("exponent") != std::string::npos);
  CHECK(CanonError("2.5e0").message().find("exponent") != std::string::npos);
  CHECK(CanonError("1,5").message().find("'.' as the decimal point") != std::string::npos);
  CHECK(CanonError("1,000.5").message().find("thousands") != std::string::npos);
  for (std::string_view bad : {"NaN", "nan", "inf", "Infinity", "-inf", ".", "abc", "1.2.3", "0x10",
                               "1 000", "1/2", "e5", "\xD9\xA1", "8 pcs"}) {
    CAPTURE(bad);
    CHECK_FALSE(CanonError(bad).ok());
  }
  CHECK(CanonError("abc").message() == "quantity \"abc\" is not a number");
}

TEST_CASE("CanonicalQuantity echoes at most 40 characters of the input") {
  const std::string huge(5000, 'x');
  const util::Status s = CanonError(huge);
  CHECK(s.message().size() < 120);
  CHECK(s.message().find(std::string(40, 'x') + "\xE2\x80\xA6") != std::string::npos);
  CHECK(s.message().find(std::string(41, 'x')) == std::string::npos);
}

TEST_CASE("Decimal parses what CanonicalQuantity accepts and prints canonically") {
  CHECK(D("8").ToString() == "8");
  CHECK(D(" 2.50 ").ToString() == "2.5");
  CHECK(D("0").ToString() == "0");
  CHECK(D("0").IsZero());
  CHECK(Decimal().ToString() == "0");
  CHECK(D("0.000000001").ToString() == "0.000000001");
  CHECK(D("999999999999999.999999999").ToString() == "999999999999999.999999999");
  CHECK(Decimal::FromInteger(42).ToString() == "42");
  CHECK(Decimal::FromInteger(UINT64_MAX).ToString() == "18446744073709551615");
  util::Result<Decimal> bad = Decimal::Parse("1e3");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().machine_code() == "bad_quantity");
  CHECK_FALSE(Decimal::Parse("-2").ok());
}

TEST_CASE("Decimal compares by value") {
  CHECK(D("8") == D("8.000"));
  CHECK(D("0.25") < D("0.3"));
  CHECK(D("10") > D("9.999999999"));
}

TEST_CASE("Decimal::Add is exact") {
  CHECK(D("0.1").Add(D("0.2"))->ToString() == "0.3");
  CHECK(D("999999999999999.999999999").Add(D("0.000000001"))->ToString() == "1000000000000000");
  CHECK(D("0").Add(D("0"))->ToString() == "0");
}

TEST_CASE("Decimal::Mul rounds to 9 places, half away from zero") {
  CHECK(MulText("0.25", "8") == "2");
  CHECK(MulText("1.5", "1.5") == "2.25");
  CHECK(MulText("0.333333333", "3") == "0.999999999");
  CHECK(MulText("0.000000001", "0.5") == "0.000000001");  // exactly half: rounds up
  CHECK(MulText("0.000000001", "0.4") == "0");
  CHECK(MulText("0.123456789", "0.987654321") == "0.121932631");  // 0.1219326311126…
  CHECK(MulText("12", "0") == "0");
  CHECK(MulText("99999999999999", "99999999999999") == "9999999999999800000000000001");
}

TEST_CASE("Decimal overflow is an error, never a wrap") {
  util::Result<Decimal> big = D("999999999999999").Mul(D("999999999999999"));
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().code() == util::Code::kUnprocessable);
  CHECK(big.status().machine_code() == "bom_quantity_overflow");

  // Build a value near the top of the range and push it over with Add.
  Decimal x = D("99999999999999");
  x = x.Mul(D("99999999999999")).value();  // ~1e28
  x = x.Mul(D("30")).value();              // ~3e29, still representable
  util::Result<Decimal> over = x.Add(x);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().machine_code() == "bom_quantity_overflow");
  CHECK_FALSE(x.Mul(D("2")).ok());
  CHECK_FALSE(x.Mul(D("1.5")).ok());
}

}  // namespace
}  // namespace bomvault::bom

TEST_CASE("CanonicalQuantityFromNumber expands exponents exactly, in text") {
  using bomvault::bom::CanonicalQuantityFromNumber;
  CHECK(CanonicalQuantityFromNumber("8").value() == "8");
  CHECK(CanonicalQuantityFromNumber("1.5E-3").value() == "0.0015");
  CHECK(CanonicalQuantityFromNumber("1e-3").value() == "0.001");
  CHECK(CanonicalQuantityFromNumber("2e+2").value() == "200");
  CHECK(CanonicalQuantityFromNumber("2.50E1").value() == "25");
  CHECK(CanonicalQuantityFromNumber("0.1e1").value() == "1");
  CHECK(CanonicalQuantityFromNumber("123E-9").value() == "0.000000123");
  CHECK(CanonicalQuantityFromNumber("0E0").value() == "0");
  // Beyond the quantity's digits, or not a number at all: refused, never rounded.
  CHECK(!CanonicalQuantityFromNumber("1e-10").ok());
  CHECK(!CanonicalQuantityFromNumber("1e16").ok());
  CHECK(!CanonicalQuantityFromNumber("1e999").ok());
  CHECK(!CanonicalQuantityFromNumber("-1e2").ok());
  CHECK(!CanonicalQuantityFromNumber("1e").ok());
  CHECK(!CanonicalQuantityFromNumber("e5").ok());
  CHECK(!CanonicalQuantityFromNumber("1.2.3e1").ok());
}

TEST_CASE("RoundSignificant rounds spreadsheet doubles to the digits shown") {
  using bomvault::bom::RoundSignificant;
  CHECK(RoundSignificant("0.30000000000000004", 15) == "0.3");
  CHECK(RoundSignificant("2.9999999999999996", 15) == "3");
  CHECK(RoundSignificant("0.1", 15) == "0.1");
  CHECK(RoundSignificant("12345678901234567", 15) == "12345678901234600");
  CHECK(RoundSignificant("99999999999999999", 15) == "100000000000000000");
  CHECK(RoundSignificant("0.00012345678901234567", 15) == "0.000123456789012346");
  CHECK(RoundSignificant("-1.00000000000000002", 15) == "-1");
  CHECK(RoundSignificant("45413", 15) == "45413");
  CHECK(RoundSignificant("abc", 15) == "abc");
  CHECK(RoundSignificant("1.", 15) == "1.");
  CHECK(RoundSignificant("", 15).empty());
}
