// The codecs of the documents bomvault stores (src/codec/): each decodes a text as today's
// bomvault writes it to the same struct, encodes that struct back to the same bytes, and refuses
// malformed JSON, wrong types and missing fields with an error instead of throwing.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec/backup_keys.h"
#include "codec/import_metadata.h"
#include "codec/import_profile.h"
#include "codec/keyring_file.h"

namespace bomvault::codec {
namespace {

const crypto::Bytes kSealed = {0, 1, 2};  // "AAEC"
const StoreId kStoreId = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};

// As WriteKeyringFile writes it (two spaces, sorted keys, a newline at the end).
const char* const kKeyringText = R"({
  "format": 1,
  "keyring": "AAEC",
  "shares": 3,
  "store_id": "0011223344556677",
  "threshold": 2
}
)";

// As a backup writes DEST/keys.json (one space, sorted keys).
const char* const kBackupKeysText = R"({
 "format": 1,
 "keyring": {
  "keyring": "AAEC",
  "shares": 3,
  "threshold": 2
 },
 "org_keys": [
  {
   "created_at": 1700000000,
   "org_id": "org_00112233445566778899aabb",
   "retired_keys": [
    "BAUG",
    "CgsM"
   ],
   "wrapped_index_key": "BwgJ",
   "wrapped_key": "AQID"
  },
  {
   "created_at": 1700000050,
   "org_id": "org_ffeeddccbbaa998877665544",
   "wrapped_key": "DQ4P"
  }
 ],
 "store_id": "0011223344556677",
 "written_at": 1700000100
}
)";

// As `bomvault restore` writes DIR/restore-keys.json.
const char* const kRestoreKeysText = R"({
 "format": 1,
 "org_keys": [
  {
   "created_at": 1700000050,
   "org_id": "org_ffeeddccbbaa998877665544",
   "wrapped_key": "DQ4P"
  }
 ],
 "store_id": "0011223344556677"
}
)";

// As the import profile service seals a profile (compact, sorted keys).
const char* const kProfileText =
    R"({"base":"kicad-grouped","mappings":[{"column":"pos","field":"find_number"},)"
    R"({"column":"mfr_pn","property":"mfr_part"},{"column":"cost","ignore":true}],)"
    R"("name":"ERP export","options":{"charset":"windows-1252","on_error":"skip","sheet":"BOM"}})";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("keyring file: today's text decodes and encodes back byte for byte") {
  auto f = DecodeKeyringFile(kKeyringText);
  REQUIRE(f.ok());
  CHECK(f->store_id == kStoreId);
  CHECK(f->threshold == 2);
  CHECK(f->shares == 3);
  CHECK(f->sealed == kSealed);
  CHECK(EncodeKeyringFile(f.value()) == kKeyringText);
}

TEST_CASE("keyring file: damaged texts are keyring_damaged, never an exception") {
  const std::string good = kKeyringText;
  const std::vector<std::string> bad = {
      "",
      "{",
      "[]",
      "null",
      "\xff\xfe",
      Replace(good, "\"format\": 1", "\"format\": 2"),
      Replace(good, "\"format\": 1", "\"format\": \"1\""),
      Replace(good, "\"format\": 1,", ""),
      Replace(good, "\"0011223344556677\"", "\"00112233\""),
      Replace(good, "\"0011223344556677\"", "\"zz11223344556677\""),
      Replace(good, "\"0011223344556677\"", "7"),
      Replace(good, "\"AAEC\"", "\"not base64!\""),
      Replace(good, "\"AAEC\"", "[]"),
      Replace(good, "\"threshold\": 2", "\"threshold\": \"2\""),
      Replace(good, "\"threshold\": 2", "\"threshold\": 4"),
      Replace(good, "\"threshold\": 2", "\"threshold\": 1"),
      Replace(good, "\"shares\": 3", "\"shares\": 11"),
      Replace(good, "\"shares\": 3", "\"shares\": 18446744073709551615"),
      Replace(good, "\"shares\": 3,", ""),
  };
  for (const std::string& text : bad) {
    CAPTURE(text);
    auto f = DecodeKeyringFile(text);
    REQUIRE(!f.ok());
    CHECK(f.status().machine_code() == "keyring_damaged");
  }
}

TEST_CASE("backup keys.json: today's text decodes and encodes back byte for byte") {
  auto kf = DecodeBackupKeyFile(kBackupKeysText);
  REQUIRE(kf.ok());
  CHECK(kf->keyring.store_id == kStoreId);
  CHECK(kf->keyring.threshold == 2);
  CHECK(kf->keyring.shares == 3);
  CHECK(kf->keyring.sealed == kSealed);
  CHECK(kf->written_at == 1700000100);
  REQUIRE(kf->org_keys.size() == 2);
  const OrgKeyEntry& a = kf->org_keys[0];
  CHECK(a.org.str() == "org_00112233445566778899aabb");
  CHECK(a.wrapped == crypto::Bytes{1, 2, 3});
  CHECK(a.created_at == 1700000000);
  REQUIRE(a.wrapped_index);
  CHECK(*a.wrapped_index == crypto::Bytes{7, 8, 9});
  CHECK(a.retired == std::vector<crypto::Bytes>{{4, 5, 6}, {10, 11, 12}});
  const OrgKeyEntry& b = kf->org_keys[1];
  CHECK(!b.wrapped_index);
  CHECK(b.retired.empty());
  CHECK(EncodeBackupKeyFile(kf.value()) == kBackupKeysText);
}

TEST_CASE("backup keys.json: damaged texts are backup_damaged, never an exception") {
  const std::string good = kBackupKeysText;
  const std::vector<std::string> bad = {
      "",
      "{\"format\": 1",
      "[1]",
      Replace(good, "\"format\": 1", "\"format\": true"),
      Replace(good, "\"keyring\": {", "\"keyring\": [{"),  // not JSON any more
      Replace(good, "\"keyring\": \"AAEC\"", "\"keyring\": 5"),
      Replace(good, "\"threshold\": 2", "\"threshold\": []"),
      Replace(good, "\"shares\": 3", "\"shares\": 1"),
      Replace(good, "\"0011223344556677\"", "null"),
      Replace(good, "\"org_keys\": [", "\"org_keys\": {\"x\": ["),  // not JSON any more
      Replace(good, "\"org_id\": \"org_00112233445566778899aabb\"", "\"org_id\": 1"),
      Replace(good, "\"org_id\": \"org_00112233445566778899aabb\"", "\"org_id\": \"org_x\""),
      Replace(good, "\"wrapped_key\": \"AQID\"", "\"wrapped_key\": \"!!\""),
      Replace(good, "\"wrapped_index_key\": \"BwgJ\"", "\"wrapped_index_key\": 3"),
      Replace(good, "\"BAUG\"", "4"),
      Replace(good, "\"retired_keys\": [", "\"retired_keys\": {\"k\": ["),  // not JSON
  };
  for (const std::string& text : bad) {
    CAPTURE(text);
    auto kf = DecodeBackupKeyFile(text);
    REQUIRE(!kf.ok());
    CHECK(kf.status().machine_code() == "backup_damaged");
  }
  // An org_keys that is not a list, and one that is missing.
  std::string no_list =
      Replace(good,
              good.substr(good.find("\"org_keys\": ["),
                          good.find(" \"store_id\"") - good.find("\"org_keys\": [")),
              "\"org_keys\": 7,\n");
  CHECK(!DecodeBackupKeyFile(no_list).ok());
  CHECK(!DecodeBackupKeyFile(Replace(no_list, "\"org_keys\": 7,\n", "")).ok());
  // A created_at of another type reads as 0, as before: it only orders the keys.
  auto odd =
      DecodeBackupKeyFile(Replace(good, "\"created_at\": 1700000000", "\"created_at\": \"x\""));
  REQUIRE(odd.ok());
  CHECK(odd->org_keys[0].created_at == 0);
}

TEST_CASE("restore-keys.json: today's text decodes and encodes back byte for byte") {
  auto rows = DecodeRestoreKeyFile(kRestoreKeysText);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK(rows->at(0).org.str() == "org_ffeeddccbbaa998877665544");
  CHECK(rows->at(0).wrapped == crypto::Bytes{13, 14, 15});
  CHECK(EncodeRestoreKeyFile(kStoreId, rows.value()) == kRestoreKeysText);
  for (const char* text : {"", "{}", "{\"format\": 1}", "{\"format\": 1, \"org_keys\": [3]}",
                           "{\"format\": \"1\", \"org_keys\": []}", "nul"}) {
    CAPTURE(text);
    auto r = DecodeRestoreKeyFile(text);
    CHECK(!r.ok());
  }
}

TEST_CASE("import profile: today's stored text decodes and encodes back byte for byte") {
  auto p = DecodeImportProfile(kProfileText);
  REQUIRE(p.ok());
  CHECK(p->name == "ERP export");
  CHECK(p->base == "kicad-grouped");
  REQUIRE(p->mappings.size() == 3);
  CHECK(p->mappings[1].target == bom::ColumnMapping::Target::kProperty);
  CHECK(p->charset == "windows-1252");
  CHECK(p->sheet == "BOM");
  CHECK(p->skip_bad_rows);
  CHECK(EncodeImportProfile(p.value()) == kProfileText);
  // The smallest profile: the options always name on_error.
  auto bare = DecodeImportProfile(R"({"name":"x"})");
  REQUIRE(bare.ok());
  CHECK(EncodeImportProfile(bare.value()) ==
        R"({"base":"","mappings":[],"name":"x","options":{"on_error":"strict"}})");
}

TEST_CASE("import profile: bad documents are invalid_profile with today's messages") {
  auto error = [](const std::string& text) {
    auto p = DecodeImportProfile(text);
    REQUIRE(!p.ok());
    CHECK(p.status().machine_code() == "invalid_profile");
    return p.status().message();
  };
  CHECK(error("") == "the profile is not JSON");
  CHECK(error("{\"name\": ") == "the profile is not JSON");
  CHECK(error("[]") == "the body must be an object");
  CHECK(error("{}") == "\"name\" must be a string");
  CHECK(error(R"({"name": 5})") == "\"name\" must be a string");
  CHECK(error(R"({"name": ""})") ==
        "\"name\" needs 1 to 100 characters of text without control characters");
  CHECK(error(R"({"name": "a\tb"})") ==
        "\"name\" needs 1 to 100 characters of text without control characters");
  CHECK(error(R"({"name": "x", "base": 1})") == "\"base\" must be a string");
  CHECK(
      error(R"({"name": "x", "base": "nope"})").rfind("\"base\" must be a built-in profile: ", 0) ==
      0);
  CHECK(error(R"({"name": "x", "mappings": {}})") == "\"mappings\" must be an array");
  CHECK(error(R"({"name": "x", "mappings": [{"column": "a"}]})") ==
        "mappings[0]: give exactly one of \"field\", \"property\" or \"ignore\": true");
  CHECK(error(R"({"name": "x", "options": []})") == "\"options\" must be an object");
  CHECK(error(R"({"name": "x", "options": {"charset": 8}})") ==
        "options.charset must be a string of at most 100 characters");
  CHECK(error(R"({"name": "x", "options": {"sheet": ")" + std::string(101, 's') + "\"}}") ==
        "options.sheet must be a string of at most 100 characters");
  CHECK(error(R"({"name": "x", "options": {"on_error": true}})") ==
        "options.on_error is skip or strict");
  CHECK(error(R"({"name": "x", "options": {"other": 1}})") ==
        "options may hold charset, sheet and on_error only");
  // null means absent for base, mappings and options.
  CHECK(DecodeImportProfile(R"({"name": "x", "base": null, "mappings": null, "options": null})")
            .ok());
}

TEST_CASE("import profile: settings built in code get the same checks") {
  ImportProfileSettings s;
  s.name = "x";
  s.mappings = {{"Mfr PN", bom::ColumnMapping::Target::kProperty, "Mfr Part"}};
  auto ok = CheckImportProfile(s);
  REQUIRE(ok.ok());
  CHECK(ok->mappings[0].column == "mfr_pn");
  s.name = std::string(101, 'n');
  CHECK(CheckImportProfile(s).status().machine_code() == "invalid_profile");
  s.name = "x";
  s.base = "nope";
  CHECK(!CheckImportProfile(s).ok());
  s.base = "";
  s.charset = std::string(101, 'c');
  CHECK(!CheckImportProfile(s).ok());
  s.charset = "";
  s.mappings = {{"a", bom::ColumnMapping::Target::kField, "nope"}};
  CHECK(CheckImportProfile(s).status().machine_code() == "invalid_profile");
}

TEST_CASE("import metadata: the source when given, else an empty object") {
  CHECK(ImportMetadataText("") == "{}");
  CHECK(ImportMetadataText("bom.csv") == R"({"source":"bom.csv"})");
}

}  // namespace bomvault::codec
