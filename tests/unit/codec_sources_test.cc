// codec/source_config and codec/source_records: a data source's sealed settings, the bodies
// that create and change one, and the records a pull writes. The sealed texts must read back as
// they were written before the codec existed; bad input is an error naming the field, never a
// throw.
#include <doctest/doctest.h>

#include "codec/source_config.h"
#include "codec/source_records.h"

using namespace bomvault::codec;
using nlohmann::json;

namespace {

std::string CodeOf(const char* text) {
  auto r = DecodeSourceSettingsText(text);
  return r.ok() ? "ok" : std::string(r.status().machine_code()) + ": " + r.status().message();
}

}  // namespace

TEST_CASE("codec/source_config: the sealed settings of each kind, as written before") {
  SourceSettings t;
  t.name = "ERP";
  t.kind = "tryton";
  t.base_url = "https://erp.example";
  t.database = "prod";
  t.rules.skip_part_numbers = {"TMP-*"};
  t.rules.units = {{"Unit", "pcs"}};
  const std::string tryton = EncodeSourceSettings(t);
  CHECK(tryton ==
        R"({"auth_method":"basic","base_url":"https://erp.example","ca_pem":"","database":"prod",)"
        R"("internal":false,"kind":"tryton","max_response_bytes":33554432,"name":"ERP","proxy":"",)"
        R"("rules":{"skip_part_numbers":["TMP-*"],"units":{"Unit":"pcs"}},"timeout_seconds":60})");
  auto back = DecodeSourceSettingsText(tryton);
  REQUIRE(back.ok());
  CHECK(back->name == "ERP");
  CHECK(back->database == "prod");
  CHECK(back->max_response_bytes == 33554432);
  CHECK(back->internal == false);
  REQUIRE(back->rules);
  CHECK(back->rules->skip_part_numbers == t.rules.skip_part_numbers);
  CHECK(back->rules->units == t.rules.units);
  CHECK_FALSE(back->client_secret);  // a Tryton source has none

  SourceSettings r;
  r.name = "API";
  r.kind = "rest";
  r.base_url = "https://api.example";
  r.auth_method = "client_credentials";
  r.token_url = "https://id.example/token";
  r.client_secret = "s";
  json sealed = SourceSettingsJson(r, true), shown = SourceSettingsJson(r, false);
  CHECK(sealed.at("client_secret") == "s");
  CHECK_FALSE(shown.contains("client_secret"));
  CHECK(shown.at("client_secret_set") == true);
  CHECK(sealed.at("items_path") == "/boms/{remote_id}");
  auto rest = DecodeSourceSettingsText(EncodeSourceSettings(r));
  REQUIRE(rest.ok());
  CHECK(rest->client_secret == "s");
  CHECK(rest->token_url == "https://id.example/token");

  SourceSettings f;
  f.name = "Drop";
  f.kind = "folder";
  f.path = "plm/out";
  CHECK(EncodeSourceSettings(f) ==
        R"({"kind":"folder","name":"Drop","path":"plm/out","profile":"",)"
        R"("rules":{"skip_part_numbers":[],"units":{}}})");

  SourceSettings renamed = r;
  renamed.name = "API 2";
  renamed.client_secret = "t";
  CHECK(ChangedSourceFields(r, renamed) == std::vector<std::string>{"client_secret", "name"});
  CHECK(ChangedSourceFields(r, r).empty());
}

TEST_CASE("codec/source_config: bodies of the wrong shape are refused by field") {
  CHECK(CodeOf("[]") == "invalid_body: expected a JSON object");
  CHECK(CodeOf("not json") == "invalid_body: expected a JSON object");
  CHECK(CodeOf("") == "invalid_body: expected a JSON object");
  CHECK(CodeOf(R"({"colour":"red"})") == "unknown_field: unknown field \"colour\"");
  CHECK(CodeOf(R"({"name":5})") == "invalid_field: \"name\" must be a string");
  CHECK(CodeOf(R"({"base_url":[]})") == "invalid_field: \"base_url\" must be a string");
  CHECK(CodeOf(R"({"internal":"yes"})") == "invalid_field: \"internal\" must be true or false");
  CHECK(CodeOf(R"({"max_response_bytes":1.5})") ==
        "invalid_field: \"max_response_bytes\" must be a whole number from 4096 to 268435456");
  CHECK(CodeOf(R"({"max_response_bytes":100})").rfind("invalid_field", 0) == 0);
  CHECK(CodeOf(R"({"timeout_seconds":"60"})") ==
        "invalid_field: \"timeout_seconds\" must be a whole number from 1 to 600");
  CHECK(CodeOf(R"({"timeout_seconds":601})").rfind("invalid_field", 0) == 0);
  CHECK(CodeOf(R"({"rules":[]})") == "invalid_field: \"rules\" must be an object");
  CHECK(CodeOf(R"({"rules":{"skip_part_numbers":"A*"}})").rfind("invalid_field", 0) == 0);
  CHECK(CodeOf(R"({"rules":{"skip_part_numbers":[""]}})").rfind("invalid_field", 0) == 0);
  CHECK(CodeOf(R"({"rules":{"units":{"a":1}}})").rfind("invalid_field", 0) == 0);
  CHECK(CodeOf(R"({"rules":{"other":1}})") ==
        "invalid_field: \"rules\" knows skip_part_numbers and units only");
  // Null is absent; every member given is listed (a folder source refuses some).
  auto p = DecodeSourceSettingsText(R"({"name":null,"kind":"folder"})");
  REQUIRE(p.ok());
  CHECK_FALSE(p->name);
  CHECK(p->kind == "folder");
  CHECK(p->members == std::vector<std::string>{"kind", "name"});
}

TEST_CASE("codec/source_records: a pulled file's record and a pulled BOM's metadata") {
  PulledFileRecord r{"a.csv", 10, 20, "ab", "bom-1", 3, "user-1"};
  std::string text = EncodePulledFileRecord(r);
  CHECK(text == R"({"bom_id":"bom-1","mtime":20,"name":"a.csv","revision":3,"sha256":"ab",)"
                R"("size":10,"user_id":"user-1"})");
  auto back = DecodePulledFileRecord(text);
  REQUIRE(back);
  CHECK(back->size == 10);
  CHECK(back->mtime == 20);
  CHECK(back->sha256 == "ab");
  auto sparse = DecodePulledFileRecord("{}");
  REQUIRE(sparse);
  CHECK(sparse->size == -1);
  CHECK(sparse->mtime == -1);
  for (const char* bad : {"", "[]", "{", R"({"size":"10"})", R"({"sha256":1})"}) {
    CHECK_FALSE(DecodePulledFileRecord(bad));
  }
  CHECK(PulledBomMetadata("s-1", "42", std::nullopt) ==
        R"({"source_ref":{"remote_id":"42","source_id":"s-1"}})");
  CHECK(PulledBomMetadata("s-1", "a.csv", "a.csv") ==
        R"({"source":"a.csv","source_ref":{"remote_id":"a.csv","source_id":"s-1"}})");
}
