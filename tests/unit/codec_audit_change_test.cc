// codec/audit_change.h: a change encodes to the very bytes nlohmann::json produced for the same
// literal (what every stored entry holds), literals keep their types, and checkpoints decode.
#include <doctest/doctest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "codec/audit_change.h"

using bomvault::codec::AuditChange;
using bomvault::codec::AuditValue;
using bomvault::codec::DecodeChainCheckpoint;
using bomvault::codec::EncodeAuditChange;
using bomvault::codec::JsonText;

namespace {

// The text today's call sites stored: nlohmann's object (keys sorted) dumped compactly.
std::string Nlohmann(const nlohmann::json& j) { return j.dump(); }

}  // namespace

TEST_CASE("audit change: encodes like the nlohmann literal it replaces") {
  const std::string admin = "u_0123";
  const char* reason = "combination";
  const int64_t until = 1767225600;
  const size_t removed = 3;
  const int64_t items = 12;
  const std::vector<std::string> fields = {"url", "ca_bundle"};

  CHECK(EncodeAuditChange({}) == Nlohmann(nlohmann::json::object()));
  CHECK(EncodeAuditChange({}) == "{}");
  CHECK(EncodeAuditChange({{"admin_user_id", admin}}) == Nlohmann({{"admin_user_id", admin}}));
  CHECK(EncodeAuditChange({{"role", "administrator"}, {"email_verified", true}}) ==
        Nlohmann({{"role", "administrator"}, {"email_verified", true}}));
  CHECK(EncodeAuditChange({{"reason", reason}}) == Nlohmann({{"reason", reason}}));
  CHECK(EncodeAuditChange({{"until", until}}) == Nlohmann({{"until", until}}));
  CHECK(EncodeAuditChange({{"name", {{"after", "Gearbox"}}},
                           {"items", {{"after", items}}},
                           {"via", std::string_view("json")}}) ==
        Nlohmann({{"name", {{"after", "Gearbox"}}},
                  {"items", {{"after", items}}},
                  {"via", std::string_view("json")}}));
  CHECK(EncodeAuditChange({{"items",
                            {{"before", items},
                             {"after", removed},
                             {"added", 0},
                             {"removed", removed},
                             {"changed", size_t{1}}}}}) == Nlohmann({{"items",
                                                                      {{"before", items},
                                                                       {"after", removed},
                                                                       {"added", 0},
                                                                       {"removed", removed},
                                                                       {"changed", size_t{1}}}}}));
  CHECK(EncodeAuditChange({{"fields", fields}, {"connections_dropped", 2}}) ==
        Nlohmann({{"fields", fields}, {"connections_dropped", 2}}));
  CHECK(EncodeAuditChange({{"threshold", items > 3 ? "items" : "boms"}, {"ratio", 0.5}}) ==
        Nlohmann({{"threshold", items > 3 ? "items" : "boms"}, {"ratio", 0.5}}));
  CHECK(EncodeAuditChange({{"value", nullptr}}) == R"({"value":null})");
  // Texts that need escaping: quotes, backslashes, control characters, non-ASCII.
  const std::string odd = "a\"b\\c\n\x01 Grüße";
  CHECK(EncodeAuditChange({{"name", odd}}) == Nlohmann({{"name", odd}}));
}

TEST_CASE("audit change: a string literal stays a text, never a bool") {
  CHECK(EncodeAuditChange({{"kind", "session"}}) == R"({"kind":"session"})");
  const char* mfa = "totp";
  CHECK(EncodeAuditChange({{"mfa", mfa}}) == R"({"mfa":"totp"})");
  CHECK(EncodeAuditChange({{"sso", true}}) == R"({"sso":true})");
  CHECK(EncodeAuditChange({{"n", uint8_t{7}}, {"m", -1}}) == R"({"m":-1,"n":7})");
  CHECK(std::holds_alternative<std::string>(AuditValue("text").storage()));
  CHECK(std::holds_alternative<bool>(AuditValue(false).storage()));
  CHECK(std::holds_alternative<int64_t>(AuditValue(size_t{5}).storage()));
}

TEST_CASE("audit change: built field by field, as the update diffs are") {
  AuditChange change;
  CHECK(change.empty());
  change.Set("role", {{"before", "viewer"}, {"after", "editor"}});
  change.Set("disabled", {{"before", false}, {"after", true}});
  change.Set("source_connections_deleted", 2);
  CHECK_FALSE(change.empty());
  nlohmann::json today = nlohmann::json::object();
  today["role"] = {{"before", "viewer"}, {"after", "editor"}};
  today["disabled"] = {{"before", false}, {"after", true}};
  today["source_connections_deleted"] = 2;
  CHECK(EncodeAuditChange(change) == Nlohmann(today));
  // A key set again keeps its last value, in its first place.
  change.Set("role", "administrator");
  CHECK(change.fields().size() == 3);
  CHECK(EncodeAuditChange(change).find(R"("role":"administrator")") != std::string::npos);
  // An optional: its value, or null.
  std::optional<int64_t> none, some = 4;
  CHECK(EncodeAuditChange({{"a", none}, {"b", some}}) == R"({"a":null,"b":4})");
  CHECK(AuditValue(int64_t{4}) == AuditValue(4));
  CHECK_FALSE(AuditValue(int64_t{4}) == AuditValue("4"));
  CHECK(AuditValue({{"x", 1}}) == AuditValue({{"x", 1}}));
}

TEST_CASE("audit change: embedded JSON texts, and bytes that are not UTF-8") {
  const std::string before = R"([{"column":"pos","field":"find_number"}])";
  const std::string after = "[]";
  CHECK(EncodeAuditChange(
            {{"mappings", {{"before", JsonText{before}}, {"after", JsonText{after}}}}}) ==
        Nlohmann({{"mappings",
                   {{"before", nlohmann::json::parse(before)},
                    {"after", nlohmann::json::parse(after)}}}}));
  // Not JSON: kept, as a string.
  CHECK(EncodeAuditChange({{"x", JsonText{"{oops"}}}) == R"({"x":"{oops"})");
  // Invalid UTF-8 never throws: it becomes U+FFFD.
  CHECK(EncodeAuditChange({{"name", std::string("a\xff"
                                                "b")}}) ==
        "{\"name\":\"a\xef\xbf\xbd"
        "b\"}");
}

TEST_CASE("audit change: chain checkpoints decode, bad ones do not") {
  const std::string text = EncodeAuditChange(
      {{"through_seq", 41}, {"through_hash", "ab01"}, {"deleted", 41}, {"retention_days", 30}});
  CHECK(text == R"({"deleted":41,"retention_days":30,"through_hash":"ab01","through_seq":41})");
  auto cp = DecodeChainCheckpoint(text);
  REQUIRE(cp);
  CHECK(cp->through_seq == 41);
  CHECK(cp->through_hash_hex == "ab01");
  CHECK_FALSE(DecodeChainCheckpoint(""));
  CHECK_FALSE(DecodeChainCheckpoint("not json"));
  CHECK_FALSE(DecodeChainCheckpoint("[1,2]"));
  CHECK_FALSE(DecodeChainCheckpoint(R"({"through_seq":"41","through_hash":"ab"})"));
  CHECK_FALSE(DecodeChainCheckpoint(R"({"through_seq":41,"through_hash":7})"));
  CHECK_FALSE(DecodeChainCheckpoint(R"({"through_seq":1.5,"through_hash":"ab"})"));
  CHECK_FALSE(DecodeChainCheckpoint(R"({"through_hash":"ab"})"));
}
