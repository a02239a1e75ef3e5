// Request bodies (http/body.h): what ParseBody takes and refuses, and that BodySchema documents
// the same list of members.
#include "http/body.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bomvault::http {
namespace {

using nlohmann::json;

struct Inner {
  std::string mode;
};
struct Sample {
  std::string name;
  std::optional<std::string> note;
  std::string role;
  bool flag = true;
  std::optional<int> days;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
  Inner inner;
  int doubled = 0;
};

const BodySpec<Inner> kInner{.name = "Inner",
                             .max_bytes = 1024,
                             .fields = {Choice("mode", &Inner::mode, Need::kRequired, {"a", "b"})},
                             .closed = true};

const BodySpec<Sample> kSample{
    "Sample",
    4096,
    {Text("name", &Sample::name, Need::kRequired, 1, 5, "invalid_name"),
     Text("note", &Sample::note, Need::kOptional),
     Choice("role", &Sample::role, Need::kOptional, {"viewer", "editor"}, "invalid_role"),
     Flag("flag", &Sample::flag, Need::kOptional),
     Whole("days", &Sample::days, Need::kOptional, 1, 365, "invalid_expiry"),
     TextList("tags", &Sample::tags, Need::kOptional, 2),
     TextMap("labels", &Sample::labels, Need::kOptional, 2),
     Object("inner", &Sample::inner, Need::kOptional, kInner),
     Nested("doubled", &Sample::doubled, Need::kOptional, json{{"type", "integer"}},
            [](const json& v) -> util::Result<int> {
              if (!v.is_number_integer()) return util::Status::Invalid("odd", "not a number");
              return v.get<int>() * 2;
            })}};

std::string CodeOf(const json& body) {
  auto r = ParseBody(kSample, body);
  return r.ok() ? "" : r.status().machine_code();
}

TEST_CASE("a body's members are read into their struct, and what is absent keeps its default") {
  auto r = ParseBody(kSample, json{{"name", "héllo"},
                                   {"role", "editor"},
                                   {"flag", false},
                                   {"days", 30},
                                   {"tags", {"x", "y"}},
                                   {"labels", {{"k", "v"}}},
                                   {"inner", {{"mode", "b"}}},
                                   {"doubled", 21},
                                   {"extra", 1}});
  REQUIRE(r.ok());
  CHECK(r->name == "héllo");  // five characters, six bytes: lengths count characters
  CHECK_FALSE(r->note.has_value());
  CHECK(r->role == "editor");
  CHECK(r->flag == false);
  CHECK(r->days == 30);
  CHECK(r->tags == std::vector<std::string>{"x", "y"});
  CHECK(r->labels.at("k") == "v");
  CHECK(r->inner.mode == "b");
  CHECK(r->doubled == 42);

  auto minimal = ParseBody(kSample, json{{"name", "a"}});
  REQUIRE(minimal.ok());
  CHECK(minimal->flag == true);
  CHECK_FALSE(minimal->days.has_value());
  CHECK(minimal->role.empty());
}

TEST_CASE("null is absent: an optional member keeps its default, a required one is missing") {
  auto r = ParseBody(kSample, json{{"name", "a"}, {"note", nullptr}, {"flag", nullptr}});
  REQUIRE(r.ok());
  CHECK_FALSE(r->note.has_value());
  CHECK(r->flag == true);
  CHECK(CodeOf(json{{"name", nullptr}}) == "missing_field");
  CHECK(CodeOf(json::object()) == "missing_field");
}

TEST_CASE("each member refuses a wrong type or range with its code") {
  CHECK(CodeOf(json{{"name", 5}}) == "invalid_field");
  CHECK(CodeOf(json{{"name", ""}}) == "invalid_name");
  CHECK(CodeOf(json{{"name", "toolong"}}) == "invalid_name");
  CHECK(CodeOf(json{{"name", "a"}, {"role", "owner"}}) == "invalid_role");
  CHECK(CodeOf(json{{"name", "a"}, {"role", 1}}) == "invalid_role");
  CHECK(CodeOf(json{{"name", "a"}, {"flag", "true"}}) == "invalid_field");
  CHECK(CodeOf(json{{"name", "a"}, {"days", 0}}) == "invalid_expiry");
  CHECK(CodeOf(json{{"name", "a"}, {"days", 366}}) == "invalid_expiry");
  CHECK(CodeOf(json{{"name", "a"}, {"days", 1.5}}) == "invalid_expiry");
  // Parsed from text, 0 and 366 are unsigned numbers: compared as such.
  CHECK(CodeOf(json::parse(R"({"name":"a","days":0})")) == "invalid_expiry");
  CHECK(CodeOf(json::parse(R"({"name":"a","days":366})")) == "invalid_expiry");
  CHECK(CodeOf(json::parse(R"({"name":"a","days":-1})")) == "invalid_expiry");
  CHECK(CodeOf(json::parse(R"({"name":"a","days":365})")).empty());
  CHECK(CodeOf(json{{"name", "a"}, {"days", "30"}}) == "invalid_expiry");
  CHECK(CodeOf(json{{"name", "a"}, {"days", 18446744073709551615ull}}) == "invalid_expiry");
  CHECK(CodeOf(json{{"name", "a"}, {"tags", {"x", "y", "z"}}}) == "invalid_field");
  CHECK(CodeOf(json{{"name", "a"}, {"tags", {"x", 1}}}) == "invalid_field");
  CHECK(CodeOf(json{{"name", "a"}, {"labels", {{"k", 1}}}}) == "invalid_field");
  CHECK(CodeOf(json{{"name", "a"}, {"inner", "b"}}) == "invalid_field");
  CHECK(CodeOf(json{{"name", "a"}, {"doubled", "x"}}) == "odd");
  CHECK(CodeOf(json::array()) == "invalid_json");
}

TEST_CASE("a closed body refuses a member it does not have; an open one ignores it") {
  CHECK(CodeOf(json{{"name", "a"}, {"surprise", 1}}).empty());
  CHECK(CodeOf(json{{"name", "a"}, {"inner", {{"mode", "a"}, {"surprise", 1}}}}) ==
        "unknown_field");
  CHECK(CodeOf(json{{"name", "a"}, {"inner", {{"mode", "c"}}}}) == "invalid_field");
}

TEST_CASE("an unknown member's name is echoed at most 40 bytes long, cut between characters") {
  const std::string name = std::string(39, 'a') + "é" + std::string(100, 'b');
  auto r = ParseBody(kInner, json{{"mode", "a"}, {name, 1}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().machine_code() == "unknown_field");
  CHECK(r.status().message() == "\"" + std::string(39, 'a') + "…\" is not a member of this body");
  CHECK(json(r.status().message()).dump().size() > 0);  // valid UTF-8: dump() would throw
}

TEST_CASE("the schema lists the same members, their constraints and which are required") {
  json s = BodySchema(kSample);
  CHECK(s["type"] == "object");
  CHECK(s["required"] == json{"name"});
  CHECK_FALSE(s.contains("additionalProperties"));
  CHECK(s["properties"].size() == kSample.fields.size());
  CHECK(s["properties"]["name"] == json{{"type", "string"}, {"minLength", 1}, {"maxLength", 5}});
  CHECK(s["properties"]["note"]["nullable"] == true);
  CHECK(s["properties"]["role"]["enum"] == json{"viewer", "editor", nullptr});
  CHECK(s["properties"]["days"]["minimum"] == 1);
  CHECK(s["properties"]["days"]["maximum"] == 365);
  CHECK(s["properties"]["tags"]["maxItems"] == 2);
  CHECK(s["properties"]["labels"]["maxProperties"] == 2);
  json inner = s["properties"]["inner"];
  CHECK(inner["additionalProperties"] == false);
  CHECK(inner["required"] == json{"mode"});
}

TEST_CASE("a whole-body parser and its schema replace the member list") {
  BodySpec<int> whole{.name = "Whole",
                      .max_bytes = 64,
                      .whole_parser = [](const json& body) -> util::Result<int> {
                        return static_cast<int>(body.size());
                      },
                      .whole_schema =
                          [] {
                            return json{{"type", "object"}};
                          }};
  auto r = ParseBody(whole, json{{"a", 1}, {"b", 2}});
  REQUIRE(r.ok());
  CHECK(*r == 2);
  CHECK(BodySchema(whole) == json{{"type", "object"}});
  CHECK_FALSE(ParseBody(whole, json::array()).ok());
}

}  // namespace
}  // namespace bomvault::http
