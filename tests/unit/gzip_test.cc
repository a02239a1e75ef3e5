// gzip for API answers: Accept-Encoding parsing, and a round trip through zlib's own inflate.
#include "util/gzip.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

using bomvault::util::AcceptsGzip;
using bomvault::util::Gzip;

namespace {

std::string Gunzip(const std::string& packed) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

}  // namespace

TEST_CASE("Accept-Encoding: gzip is taken only when the client allows it") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("gzip, deflate, br"));
  CHECK(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  CHECK(AcceptsGzip("x-gzip"));
  CHECK(AcceptsGzip("*"));
  CHECK(AcceptsGzip(" deflate , gzip ; q=0.001"));
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("br"));
  CHECK_FALSE(AcceptsGzip("identity"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0.0, br"));
  CHECK_FALSE(AcceptsGzip("*, gzip;q=0"));  // named codings win over the wildcard
  CHECK_FALSE(AcceptsGzip("gzip;q=banana"));
  CHECK_FALSE(AcceptsGzip("gzip;q=2"));
  CHECK_FALSE(AcceptsGzip("*;q=0"));
  CHECK_FALSE(AcceptsGzip("gzipx, agzip"));
}

TEST_CASE("Gzip output inflates back to the input and shrinks repetitive JSON") {
  std::string json = "{\"items\":[";
  for (int i = 0; i < 5000; ++i) {
    if (i) json += ',';
    json += "{\"ref\":\"" + std::to_string(i) + "\",\"part_number\":\"RES-" +
            std::to_string(i % 97) +
            "\",\"description\":\"Resistor 10k 1% 0402\",\"quantity\":\"2\",\"unit\":\"ea\"}";
  }
  json += "]}";
  auto packed = Gzip(json);
  REQUIRE(packed);
  CHECK(packed->size() * 8 < json.size());
  CHECK(static_cast<unsigned char>((*packed)[0]) == 0x1f);
  CHECK(static_cast<unsigned char>((*packed)[1]) == 0x8b);
  CHECK(Gunzip(*packed) == json);
  for (int level : {1, 9}) CHECK(Gunzip(*Gzip(json, level)) == json);
  auto empty = Gzip("");
  REQUIRE(empty);
  CHECK(Gunzip(*empty).empty());
}
