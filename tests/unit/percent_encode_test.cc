#include "util/percent_encode.h"

#include <doctest/doctest.h>

using bomvault::util::PercentEncode;

TEST_CASE(
    "percent-encoding keeps the RFC 3986 unreserved characters and encodes every other byte") {
  CHECK(PercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(PercentEncode("a b+c&d=e/f?") == "a%20b%2Bc%26d%3De%2Ff%3F");
  CHECK(PercentEncode("bomvault:alice@example.com") == "bomvault%3Aalice%40example.com");
  CHECK(PercentEncode("\xc3\xa9") == "%C3%A9");  // UTF-8 bytes, upper-case hex
  CHECK(PercentEncode(std::string_view("\0\xff", 2)) == "%00%FF");
  CHECK(PercentEncode("").empty());
}
