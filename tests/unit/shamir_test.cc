#include "crypto/shamir.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <array>
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

namespace bomvault::crypto {
namespace {

// sodium_init is idempotent, so every test case can ask for it; SecureBuffer needs it.
struct SodiumFixture {
  SodiumFixture() { REQUIRE(sodium_init() >= 0); }
};

// Textbook multiplication with branches, as an independent reference for the masked version.
uint8_t ReferenceMul(uint8_t a, uint8_t b) {
  unsigned product = 0;
  unsigned aa = a;
  for (int bit = 0; bit < 8; ++bit) {
    if (b & (1u << bit)) product ^= aa;
    aa <<= 1;
    if (aa & 0x100) aa ^= 0x11b;
  }
  return static_cast<uint8_t>(product);
}

std::vector<const ShamirShare*> Subset(const std::vector<ShamirShare>& shares, unsigned mask) {
  std::vector<const ShamirShare*> subset;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (mask & (1u << i)) subset.push_back(&shares[i]);
  }
  return subset;
}

std::vector<const ShamirShare*> All(const std::vector<ShamirShare>& shares) {
  return Subset(shares, (1u << shares.size()) - 1);
}

// Vectors from an independent Python reference (log/exp-table field arithmetic, direct power
// sums instead of Horner), kept out of the repository.
constexpr std::array<uint8_t, 8> kSecret1 = {0x53, 0xca, 0x57, 0x83, 0x00, 0xff, 0x01, 0x80};
constexpr std::array<uint8_t, 16> kCoefficients1 = {0x0b, 0x30, 0x55, 0x7a, 0x9f, 0xc4, 0xe9, 0x0e,
                                                    0x33, 0x58, 0x7d, 0xa2, 0xc7, 0xec, 0x11, 0x36};
constexpr std::array<std::array<uint8_t, 8>, 5> kShares1 = {{
    {0x68, 0xe5, 0x0c, 0x64, 0x6b, 0x20, 0x2a, 0xa7},
    {0x85, 0x93, 0x4f, 0x72, 0x1d, 0xbb, 0x09, 0x7a},
    {0xbe, 0xbc, 0x14, 0x95, 0x76, 0x64, 0x22, 0x5d},
    {0x52, 0x64, 0xe9, 0xea, 0x3b, 0xde, 0x72, 0x89},
    {0x69, 0x4b, 0xb2, 0x0d, 0x50, 0x01, 0x59, 0xae},
}};
constexpr std::array<uint8_t, 8> kSecret2 = {0x62, 0x6f, 0x6d, 0x76, 0x61, 0x75, 0x6c, 0x74};
constexpr std::array<uint8_t, 8> kCoefficients2 = {0x01, 0x02, 0x80, 0xff, 0x00, 0x1b, 0x53, 0xca};
constexpr std::array<std::array<uint8_t, 8>, 3> kShares2 = {{
    {0x63, 0x6d, 0xed, 0x89, 0x61, 0x6e, 0x3f, 0xbe},
    {0x60, 0x6b, 0x76, 0x93, 0x61, 0x43, 0xca, 0xfb},
    {0x61, 0x69, 0xf6, 0x6c, 0x61, 0x58, 0x99, 0x31},
}};

TEST_CASE("GfMul and GfInv match known answers") {
  using detail::GfInv;
  using detail::GfMul;
  CHECK(GfMul(0x53, 0xca) == 0x01);
  CHECK(GfMul(0x57, 0x83) == 0xc1);  // FIPS-197 section 4.2
  CHECK(GfMul(0x57, 0x13) == 0xfe);
  CHECK(GfMul(0x02, 0x80) == 0x1b);  // reduction by 0x11b
  CHECK(GfMul(0x00, 0xff) == 0x00);
  CHECK(GfMul(0x01, 0xab) == 0xab);
  CHECK(GfInv(0x53) == 0xca);
  CHECK(GfInv(0xca) == 0x53);
  CHECK(GfInv(0x01) == 0x01);
  CHECK(GfInv(0x00) == 0x00);
}

TEST_CASE("GfMul agrees with a reference for every pair and GfInv inverts every element") {
  int mismatches = 0;
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const auto x = static_cast<uint8_t>(a);
      const auto y = static_cast<uint8_t>(b);
      if (detail::GfMul(x, y) != ReferenceMul(x, y)) ++mismatches;
      if (detail::GfMul(x, y) != detail::GfMul(y, x)) ++mismatches;
    }
  }
  CHECK(mismatches == 0);
  int bad_inverses = 0;
  for (unsigned a = 1; a < 256; ++a) {
    const auto x = static_cast<uint8_t>(a);
    if (detail::GfMul(x, detail::GfInv(x)) != 1) ++bad_inverses;
  }
  CHECK(bad_inverses == 0);
}

TEST_CASE_FIXTURE(SodiumFixture, "split with fixed coefficients matches the reference vectors") {
  SUBCASE("n=5 k=3") {
    auto shares = ShamirSplitWithCoefficients(kSecret1, 5, 3, kCoefficients1);
    REQUIRE(shares.ok());
    REQUIRE(shares->size() == kShares1.size());
    for (size_t i = 0; i < kShares1.size(); ++i) {
      CHECK(static_cast<size_t>((*shares)[i].x) == i + 1);
      CHECK((*shares)[i].y.Equals(kShares1[i]));
    }
  }
  SUBCASE("n=3 k=2") {
    auto shares = ShamirSplitWithCoefficients(kSecret2, 3, 2, kCoefficients2);
    REQUIRE(shares.ok());
    REQUIRE(shares->size() == kShares2.size());
    for (size_t i = 0; i < kShares2.size(); ++i) {
      CHECK(static_cast<size_t>((*shares)[i].x) == i + 1);
      CHECK((*shares)[i].y.Equals(kShares2[i]));
    }
  }
}

TEST_CASE_FIXTURE(SodiumFixture, "combine rebuilds the reference secret from reference shares") {
  // Shares 2, 4, 5 of vector 1, given out of order, built without calling split.
  std::vector<ShamirShare> shares;
  for (int x : {5, 2, 4}) {
    shares.push_back(ShamirShare{static_cast<uint8_t>(x), SecureBuffer(kShares1[x - 1].data(), 8)});
  }
  auto secret = ShamirCombine(All(shares));
  REQUIRE(secret.ok());
  CHECK(secret->Equals(kSecret1));
}

TEST_CASE_FIXTURE(SodiumFixture, "any k of n shares rebuild the secret, k-1 do not") {
  const std::array<std::array<int, 2>, 5> kCases = {{{3, 3}, {3, 2}, {5, 3}, {10, 10}, {10, 2}}};
  for (const auto& n_k : kCases) {
    // Plain variables: clang 14 lambdas (inside CAPTURE) cannot capture structured bindings.
    const int n = n_k[0];
    const int k = n_k[1];
    CAPTURE(n);
    CAPTURE(k);
    const SecureBuffer secret = SecureBuffer::Random(32);
    auto shares = ShamirSplit(secret.span(), n, k);
    REQUIRE(shares.ok());
    REQUIRE(shares->size() == static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      CHECK((*shares)[i].x == i + 1);
      CHECK((*shares)[i].y.size() == secret.size());
    }
    int rebuilt = 0;
    int wrong = 0;
    int below_threshold_matches = 0;
    for (unsigned mask = 1; mask < (1u << n); ++mask) {
      const int count = std::popcount(mask);
      if (count < k - 1) continue;
      auto combined = ShamirCombine(Subset(*shares, mask));
      REQUIRE(combined.ok());
      const bool equal = combined->Equals(secret.span());
      if (count >= k) {
        equal ? ++rebuilt : ++wrong;
      } else if (equal) {
        ++below_threshold_matches;
      }
    }
    CHECK(rebuilt > 0);
    CHECK(wrong == 0);
    CHECK(below_threshold_matches == 0);
  }
}

TEST_CASE_FIXTURE(SodiumFixture, "random splits of the same secret differ") {
  const SecureBuffer secret = SecureBuffer::Random(32);
  auto first = ShamirSplit(secret.span(), 3, 2);
  auto second = ShamirSplit(secret.span(), 3, 2);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK_FALSE((*first)[0].y.Equals((*second)[0].y.span()));
  CHECK_FALSE((*first)[0].y.Equals(secret.span()));
}

TEST_CASE_FIXTURE(SodiumFixture, "split refuses invalid thresholds") {
  const std::array<uint8_t, 4> secret = {1, 2, 3, 4};
  const std::array<std::array<int, 2>, 10> kBad = {
      {{3, 1}, {3, 0}, {3, -1}, {3, 4}, {11, 2}, {11, 11}, {1, 1}, {0, 0}, {-2, 2}, {2, 3}}};
  for (const auto& n_k : kBad) {
    // Plain variables: clang 14 lambdas (inside CAPTURE) cannot capture structured bindings.
    const int n = n_k[0];
    const int k = n_k[1];
    CAPTURE(n);
    CAPTURE(k);
    auto shares = ShamirSplit(secret, n, k);
    REQUIRE_FALSE(shares.ok());
    CHECK(shares.status().code() == util::Code::kInvalid);
    CHECK(shares.status().machine_code() == "invalid_threshold");
    const std::vector<uint8_t> coefficients(secret.size() * 4, 7);
    auto fixed = ShamirSplitWithCoefficients(secret, n, k, coefficients);
    REQUIRE_FALSE(fixed.ok());
    CHECK(fixed.status().machine_code() == "invalid_threshold");
  }
  CHECK(ShamirSplit(secret, 10, 10).ok());
  CHECK(ShamirSplit(secret, 2, 2).ok());
}

TEST_CASE_FIXTURE(SodiumFixture, "split refuses an empty secret and a wrong coefficient count") {
  auto empty = ShamirSplit(std::span<const uint8_t>(), 3, 2);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().machine_code() == "invalid_secret");
  const std::array<uint8_t, 7> too_few = {};
  auto wrong = ShamirSplitWithCoefficients(kSecret1, 5, 3, too_few);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == util::Code::kInvalid);
  CHECK(wrong.status().machine_code() == "invalid_coefficients");
}

TEST_CASE_FIXTURE(SodiumFixture, "combine refuses duplicate shares") {
  auto shares = ShamirSplit(kSecret1, 3, 2);
  REQUIRE(shares.ok());
  auto same_pointer = ShamirCombine({&(*shares)[0], &(*shares)[0]});
  REQUIRE_FALSE(same_pointer.ok());
  CHECK(same_pointer.status().code() == util::Code::kInvalid);
  CHECK(same_pointer.status().machine_code() == "duplicate_share");

  ShamirShare copy{(*shares)[1].x, (*shares)[1].y.Clone()};
  auto same_x = ShamirCombine({&(*shares)[0], &(*shares)[1], &copy});
  REQUIRE_FALSE(same_x.ok());
  CHECK(same_x.status().machine_code() == "duplicate_share");
}

TEST_CASE_FIXTURE(SodiumFixture, "combine refuses malformed share lists") {
  auto shares = ShamirSplit(kSecret1, 3, 2);
  REQUIRE(shares.ok());

  auto empty = ShamirCombine({});
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().code() == util::Code::kInvalid);

  ShamirShare zero{0, (*shares)[0].y.Clone()};
  auto with_zero = ShamirCombine({&zero, &(*shares)[1]});
  REQUIRE_FALSE(with_zero.ok());
  CHECK(with_zero.status().code() == util::Code::kInvalid);
  CHECK(with_zero.status().machine_code() == "invalid_share");

  ShamirShare shorter{9, SecureBuffer(7)};
  auto unequal = ShamirCombine({&(*shares)[0], &shorter});
  REQUIRE_FALSE(unequal.ok());
  CHECK(unequal.status().code() == util::Code::kInvalid);

  ShamirShare hollow{9, SecureBuffer()};
  auto with_empty = ShamirCombine({&hollow});
  REQUIRE_FALSE(with_empty.ok());
  CHECK(with_empty.status().code() == util::Code::kInvalid);

  auto with_null = ShamirCombine({&(*shares)[0], nullptr});
  REQUIRE_FALSE(with_null.ok());
  CHECK(with_null.status().code() == util::Code::kInvalid);
}

}  // namespace
}  // namespace bomvault::crypto
