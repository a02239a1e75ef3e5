// The small stored documents' codecs: BOM metadata and revision notes, attachment metadata and
// key rotation positions. Each reads what today's stores hold and refuses bad text with an error,
// never a crash.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec/attachment_meta.h"
#include "codec/bom_metadata.h"
#include "codec/rotation_position.h"

namespace codec = bomvault::codec;

TEST_CASE("bom metadata: canonical text, limits and messages") {
  auto m = codec::CanonicalBomMetadata(R"({ "b": 1, "a": {"y": [1, 2.5], "x": null} })");
  REQUIRE(m.ok());
  CHECK(m.value() == R"({"a":{"x":null,"y":[1,2.5]},"b":1})");
  CHECK(codec::CanonicalBomMetadata("{}").value() == "{}");
  for (const char* bad : {"[]", "\"text\"", "1", "null", "", "{", "{\"a\":}"}) {
    auto r = codec::CanonicalBomMetadata(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().machine_code() == "invalid_metadata");
    CHECK(r.status().message() == "metadata must be an object");
  }
  const std::string big = "{\"k\":\"" + std::string(codec::kMaxBomMetadata, 'x') + "\"}";
  auto r = codec::CanonicalBomMetadata(big);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "metadata is limited to 16 KiB");
  // Exactly at the limit is fine.
  const std::string fits = "{\"k\":\"" + std::string(codec::kMaxBomMetadata - 8, 'x') + "\"}";
  CHECK(fits.size() == codec::kMaxBomMetadata);
  CHECK(codec::CanonicalBomMetadata(fits).ok());
}

TEST_CASE("bom metadata: merge replaces members key by key") {
  auto m = codec::MergeBomMetadata(R"({"a":1,"source":"old.csv"})", R"({"source":"new.csv"})");
  REQUIRE(m.ok());
  CHECK(m.value() == R"({"a":1,"source":"new.csv"})");
  // Stored text that is no object: the patch replaces it.
  CHECK(codec::MergeBomMetadata("garbage", R"({"x":true})").value() == R"({"x":true})");
  // A merge that outgrows the limit is refused.
  const std::string half = std::string(codec::kMaxBomMetadata / 2 + 10, 'x');
  auto big = codec::MergeBomMetadata("{\"a\":\"" + half + "\"}", "{\"b\":\"" + half + "\"}");
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().message() == "metadata is limited to 16 KiB");
  CHECK_FALSE(codec::MergeBomMetadata("{}", "[1]").ok());
}

TEST_CASE("bom metadata: source member") {
  CHECK(codec::BomMetadataSource(R"({"source":"a.csv"})") == "a.csv");
  CHECK(codec::BomMetadataSource(R"({"source":7})").empty());
  CHECK(codec::BomMetadataSource("{}").empty());
  CHECK(codec::BomMetadataSource("not json").empty());
}

TEST_CASE("revision notes: today's texts round-trip; bad text is no note") {
  CHECK(codec::EncodeRevisionNote({"json", "", ""}) == R"({"via":"json"})");
  CHECK(codec::EncodeRevisionNote({"import", "a.csv", "p_1"}) ==
        R"({"profile":"p_1","source":"a.csv","via":"import"})");
  auto n = codec::DecodeRevisionNote(R"({"profile":"p_1","source":"a.csv","via":"import"})");
  REQUIRE(n);
  CHECK(n->via == "import");
  CHECK(n->source == "a.csv");
  CHECK(n->profile == "p_1");
  auto partial = codec::DecodeRevisionNote(R"({"via":3,"source":"s"})");
  REQUIRE(partial);
  CHECK(partial->via.empty());
  CHECK(partial->source == "s");
  CHECK_FALSE(codec::DecodeRevisionNote("[]"));
  CHECK_FALSE(codec::DecodeRevisionNote("{"));
  // Invalid UTF-8 in a note is replaced, not thrown.
  CHECK(codec::EncodeRevisionNote({"json", std::string("a\xff"), ""}).find("\xef\xbf\xbd") !=
        std::string::npos);
}

TEST_CASE("attachment meta: round trip and refusals") {
  const std::string text = codec::EncodeAttachmentMeta({"drawing.pdf", "ab12"});
  CHECK(text == R"({"name":"drawing.pdf","sha256":"ab12"})");
  auto m = codec::DecodeAttachmentMeta(text);
  REQUIRE(m);
  CHECK(m->name == "drawing.pdf");
  CHECK(m->sha256 == "ab12");
  for (const char* bad : {"", "{", "[]", R"({"name":"x"})", R"({"name":1,"sha256":"ab"})",
                          R"({"name":"x","sha256":null})"}) {
    CHECK_FALSE(codec::DecodeAttachmentMeta(bad));
  }
}

TEST_CASE("rotation position: round trip and refusals") {
  const std::vector<codec::PositionKey> keys = {int64_t{42}, std::string("u_1"),
                                                bomvault::crypto::Bytes{0xab, 0x01}};
  const std::string text = codec::EncodeRotationPosition(keys);
  CHECK(text == R"([{"i":42},{"s":"u_1"},{"b":"ab01"}])");
  auto back = codec::DecodeRotationPosition(text, 3);
  REQUIRE(back);
  CHECK(*back == keys);
  CHECK_FALSE(codec::DecodeRotationPosition(text, 2));
  for (const char* bad : {"", "{}", "[1]", R"([{"x":1}])", R"([{"b":"zz"}])", R"([{"i":"1"}])"}) {
    CHECK_FALSE(codec::DecodeRotationPosition(bad, 1));
  }
}
