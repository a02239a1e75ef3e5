#include "vault/share_codec.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

namespace bomvault::vault {
namespace {

// sodium_init is idempotent, so every test case can ask for it; SecureBuffer needs it.
struct SodiumFixture {
  SodiumFixture() { REQUIRE(sodium_init() >= 0); }
};

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::array<uint8_t, 8> kStoreId = {1, 2, 3, 4, 5, 6, 7, 8};
constexpr std::array<uint8_t, 8> kOtherStoreId = {1, 2, 3, 4, 5, 6, 7, 9};

std::array<uint8_t, 32> CountingY() {
  std::array<uint8_t, 32> y{};
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<uint8_t>(i);
  return y;
}

// Known answers from an independent Python reference (hashlib.blake2b, big-integer base32), kept
// out of the repository: store id 01..08, y = 00..1f, with the threshold and index shown.
constexpr std::string_view kValidT3I2 =
    "bvs1-04106-1050R-3GG0R-2000G-40R40-M30E2-09185-GR38E-1W812-4GK2G-AHC5R-R34D1-P70X3-RFXTX-"
    "WMRG";
// Correct checksums over field values the encoder refuses to produce.
constexpr std::string_view kIndex0 =
    "bvs1-04106-1050R-3GG0R-0000G-40R40-M30E2-09185-GR38E-1W812-4GK2G-AHC5R-R34D1-P70X3-RFNG4-"
    "7D1G";
constexpr std::string_view kIndex11 =
    "bvs1-04106-1050R-3GG0R-B000G-40R40-M30E2-09185-GR38E-1W812-4GK2G-AHC5R-R34D1-P70X3-RFVAT-"
    "4RV4";
constexpr std::string_view kThreshold1 =
    "bvs1-04106-1050R-3GG08-2000G-40R40-M30E2-09185-GR38E-1W812-4GK2G-AHC5R-R34D1-P70X3-RFRCY-"
    "EZJR";
constexpr std::string_view kThreshold11 =
    "bvs1-04106-1050R-3GG2R-2000G-40R40-M30E2-09185-GR38E-1W812-4GK2G-AHC5R-R34D1-P70X3-RFJ75-"
    "TDVW";

void CheckError(const util::Result<DecodedShare>& result, std::string_view machine_code) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == util::Code::kInvalid);
  CHECK(result.status().machine_code() == machine_code);
  CHECK_FALSE(result.status().message().empty());
}

TEST_CASE_FIXTURE(SodiumFixture, "encoding matches the reference vector") {
  const auto y = CountingY();
  const std::string text = EncodeShare(kStoreId, 3, 2, y);
  CHECK(text == kValidT3I2);
  CHECK(text.size() == 93);
}

TEST_CASE_FIXTURE(SodiumFixture, "decoding the reference vector yields its fields") {
  auto share = DecodeShare(kValidT3I2, kStoreId);
  REQUIRE(share.ok());
  CHECK(share->store_id == kStoreId);
  CHECK(share->threshold == 3);
  CHECK(share->index == 2);
  CHECK(share->y.Equals(CountingY()));
}

TEST_CASE_FIXTURE(SodiumFixture, "random shares round trip for every threshold and index") {
  for (uint8_t threshold = 2; threshold <= 10; ++threshold) {
    for (uint8_t index = 1; index <= 10; ++index) {
      CAPTURE(int{threshold});
      CAPTURE(int{index});
      const crypto::SecureBuffer y = crypto::SecureBuffer::Random(32);
      std::array<uint8_t, 8> store_id{};
      randombytes_buf(store_id.data(), store_id.size());
      const std::string text = EncodeShare(store_id, threshold, index, y.span());
      auto share = DecodeShare(text, store_id);
      REQUIRE(share.ok());
      CHECK(share->store_id == store_id);
      CHECK(share->threshold == threshold);
      CHECK(share->index == index);
      CHECK(share->y.Equals(y.span()));
    }
  }
}

TEST_CASE_FIXTURE(SodiumFixture, "encoded text has the documented shape and no I, L, O or U") {
  for (int round = 0; round < 200; ++round) {
    const crypto::SecureBuffer y = crypto::SecureBuffer::Random(32);
    const std::string text = EncodeShare(kStoreId, 2, 1, y.span());
    REQUIRE(text.size() == 93);
    CHECK(text.substr(0, 5) == "bvs1-");
    const std::string body = text.substr(5);
    for (size_t i = 0; i < body.size(); ++i) {
      if (i % 6 == 5) {
        CHECK(body[i] == '-');
      } else {
        CHECK(kAlphabet.find(body[i]) != std::string_view::npos);
      }
    }
    CHECK(body.find_first_of("ILOUilou") == std::string::npos);
  }
}

TEST_CASE_FIXTURE(SodiumFixture, "any single changed character is reported as a checksum error") {
  const std::string valid(kValidT3I2);
  int checked = 0;
  for (size_t pos = 5; pos < valid.size(); ++pos) {
    if (valid[pos] == '-') continue;
    for (char replacement : kAlphabet) {
      if (replacement == valid[pos]) continue;
      std::string typo = valid;
      typo[pos] = replacement;
      CAPTURE(pos);
      CAPTURE(replacement);
      CheckError(DecodeShare(typo, kStoreId), "share_checksum");
      ++checked;
    }
  }
  CHECK(checked == 74 * 31);
  auto result = DecodeShare(std::string(valid).replace(20, 1, "Z"), kStoreId);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message() ==
        "the share's checksum does not match: it was probably mistyped");
}

TEST_CASE_FIXTURE(SodiumFixture, "a share of another store is reported as foreign") {
  auto result = DecodeShare(kValidT3I2, kOtherStoreId);
  CheckError(result, "foreign_share");
  CHECK(result.status().message() == "this share belongs to another bomvault store");
}

TEST_CASE_FIXTURE(SodiumFixture, "a typo is reported as a typo even for another store's share") {
  std::string typo(kValidT3I2);
  typo[6] = typo[6] == '4' ? '5' : '4';  // inside the store id
  CheckError(DecodeShare(typo, kOtherStoreId), "share_checksum");
  CheckError(DecodeShare(typo, kStoreId), "share_checksum");
}

TEST_CASE_FIXTURE(SodiumFixture, "garbage is reported as malformed without echoing it") {
  const std::string valid(kValidT3I2);
  const std::string no_dashes = [&] {
    std::string s = valid;
    s.erase(std::remove(s.begin() + 5, s.end(), '-'), s.end());
    return s;
  }();
  const std::string cases[] = {
      "",
      "   \n",
      "hello",
      "bvs1-",
      "bvs1",
      "bvs2-" + valid.substr(5),
      "bvs1" + valid.substr(5),  // prefix without its dash
      "xbvs1-" + valid.substr(5),
      valid.substr(5),                    // no prefix at all
      valid.substr(0, valid.size() - 1),  // one character short
      valid + "0",                        // one character too many
      valid + "-00000",
      no_dashes.substr(0, 40),
      valid.substr(0, 20) + "U" + valid.substr(21),  // U is not in the alphabet
      valid.substr(0, 20) + "!" + valid.substr(21),
      valid.substr(0, 20) + "\xc3\xa9" + valid.substr(22),
      valid.substr(0, 20) + std::string(1, '\0') + valid.substr(21),
      "bvs1-SECRETLOOKINGGARBAGE",
  };
  for (const std::string& text : cases) {
    CAPTURE(text);
    auto result = DecodeShare(text, kStoreId);
    CheckError(result, "malformed_share");
    if (text.size() > 12) {
      CHECK(result.status().message().find(text.substr(5, 5)) == std::string::npos);
    }
  }
}

TEST_CASE_FIXTURE(SodiumFixture, "out-of-range fields with a correct checksum are malformed") {
  for (std::string_view text : {kIndex0, kIndex11, kThreshold1, kThreshold11}) {
    CAPTURE(text);
    CheckError(DecodeShare(text, kStoreId), "malformed_share");
  }
  CHECK(DecodeShare(kIndex0, kStoreId).status().message().find("0") != std::string::npos);
  CHECK(DecodeShare(kThreshold1, kStoreId).status().message().find("threshold") !=
        std::string::npos);
}

TEST_CASE_FIXTURE(SodiumFixture, "malformed messages say what is wrong") {
  const std::string valid(kValidT3I2);
  CHECK(DecodeShare("hello", kStoreId).status().message().find("bvs1-") != std::string::npos);
  CHECK(DecodeShare(valid.substr(0, 50), kStoreId).status().message().find("short") !=
        std::string::npos);
  CHECK(DecodeShare(valid + "0", kStoreId).status().message().find("long") != std::string::npos);
  CHECK(DecodeShare(valid.substr(0, 20) + "U" + valid.substr(21), kStoreId)
            .status()
            .message()
            .find("character 21") != std::string::npos);
}

TEST_CASE_FIXTURE(SodiumFixture, "decoding forgives case, spacing, line breaks and look-alikes") {
  const std::string valid(kValidT3I2);
  std::string lower = valid;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  std::string upper = valid;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  std::string spaced = valid;
  std::replace(spaced.begin() + 5, spaced.end(), '-', ' ');
  std::string wrapped = "  \t" + valid.substr(0, 29) + "\r\n" + valid.substr(29, 30) + "\n\t" +
                        valid.substr(59) + "\r\n";
  std::string no_dashes = valid;
  no_dashes.erase(std::remove(no_dashes.begin() + 5, no_dashes.end(), '-'), no_dashes.end());
  std::string look_alikes = valid;  // 0 -> O/o and 1 -> I/L/l wherever they occur
  int swapped = 0;
  for (size_t i = 5; i < look_alikes.size(); ++i) {
    if (look_alikes[i] == '0')
      look_alikes[i] = (swapped++ % 2) ? 'O' : 'o';
    else if (look_alikes[i] == '1')
      look_alikes[i] = "ILl"[swapped++ % 3];
  }
  REQUIRE(swapped > 5);
  for (const std::string& text : {lower, upper, spaced, wrapped, no_dashes, look_alikes}) {
    CAPTURE(text);
    auto share = DecodeShare(text, kStoreId);
    REQUIRE(share.ok());
    CHECK(share->threshold == 3);
    CHECK(share->index == 2);
    CHECK(share->y.Equals(CountingY()));
  }
}

TEST_CASE_FIXTURE(SodiumFixture, "encoding refuses fields a decoder would reject") {
  const auto y = CountingY();
  CHECK(EncodeShare(kStoreId, 3, 0, y).empty());
  CHECK(EncodeShare(kStoreId, 3, 11, y).empty());
  CHECK(EncodeShare(kStoreId, 1, 2, y).empty());
  CHECK(EncodeShare(kStoreId, 11, 2, y).empty());
  CHECK(EncodeShare(kStoreId, 3, 2, std::span<const uint8_t>(y).first(31)).empty());
  CHECK_FALSE(EncodeShare(kStoreId, 10, 10, y).empty());
}

}  // namespace
}  // namespace bomvault::vault
