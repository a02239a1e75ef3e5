#include <doctest/doctest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bom/decimal.h"
#include "bom/json_body.h"
#include "bom/tree.h"

namespace bomvault::bom {
namespace {

using nlohmann::json;
using util::Status;
using Properties = std::vector<std::pair<std::string, std::string>>;

BomBody Parse(std::string_view body, const Limits& limits = Limits()) {
  util::Result<BomBody> r = ParseBomBody(body, limits);
  REQUIRE_MESSAGE(r.ok(), r.status().machine_code() << ": " << r.status().message());
  return std::move(r).value();
}

Status ParseError(std::string_view body, const Limits& limits = Limits()) {
  util::Result<BomBody> r = ParseBomBody(body, limits);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == util::Code::kInvalid);
  return r.status();
}

std::vector<Item> Items(std::string_view body) {
  BomBody b = Parse(body);
  REQUIRE(b.items.has_value());
  return std::move(*b.items);
}

// An item body with the required fields, `extra` spliced in.
std::string ItemJson(std::string_view extra = "", std::string_view ref = "\"1\"") {
  std::string out = "{\"ref\":" + std::string(ref) + ",\"part_number\":\"P\",\"quantity\":1";
  if (!extra.empty()) out += "," + std::string(extra);
  return out + "}";
}

std::string Nested(size_t levels, std::string_view inner = "1") {
  return std::string(levels, '[') + std::string(inner) + std::string(levels, ']');
}

// ---- the former DOM path, kept verbatim as the reference -----------------------------------
// From src/http/routes_boms.cc (ItemFromJson, ItemsFromJson, MetadataField) and src/http/api.cc
// (JsonBody, StringField) before the SAX parser replaced them, with SendError turned into a
// returned Status. RefParse composes them the way ParseBomBody's contract describes.

util::Result<Item> RefItemFromJson(const json& j, size_t index) {
  std::string where = "items[" + std::to_string(index) + "]";
  if (!j.is_object()) return Status::Invalid("invalid_item", where + " must be an object");
  Item it;
  auto text = [&](const char* key, std::string* out, bool required) -> Status {
    auto f = j.find(key);
    if (f == j.end() || f->is_null()) {
      return required ? Status::Invalid("invalid_item", where + "." + key + " is required")
                      : Status::Ok();
    }
    if (f->is_string()) {
      *out = f->get<std::string>();
    } else if (f->is_number_integer() || f->is_number_unsigned()) {
      *out = f->dump();
    } else {
      return Status::Invalid("invalid_item", where + "." + key + " must be a string");
    }
    return Status::Ok();
  };
  Status st;
  if (!(st = text("ref", &it.ref, true)).ok()) return st;
  if (!(st = text("parent", &it.parent, false)).ok()) return st;
  if (!(st = text("find_number", &it.find_number, false)).ok()) return st;
  if (!(st = text("part_number", &it.part_number, true)).ok()) return st;
  if (!(st = text("description", &it.description, false)).ok()) return st;
  if (!(st = text("unit", &it.unit, false)).ok()) return st;
  if (!(st = text("refdes", &it.refdes, false)).ok()) return st;
  auto q = j.find("quantity");
  if (q == j.end() || !(q->is_number() || q->is_string())) {
    return Status::Invalid("invalid_item", where + ".quantity must be a number");
  }
  auto canonical = CanonicalQuantity(q->is_string() ? q->get<std::string>() : q->dump());
  if (!canonical.ok()) {
    return Status::Invalid("bom_bad_quantity",
                           where + ".quantity: " + canonical.status().message());
  }
  it.quantity = canonical.value();
  auto p = j.find("properties");
  if (p != j.end() && !p->is_null()) {
    if (!p->is_object())
      return Status::Invalid("invalid_item", where + ".properties must be an object");
    for (auto e = p->begin(); e != p->end(); ++e) {
      std::string key = NormalizeColumnName(e.key());
      if (e->is_string()) {
        if (!e->get<std::string>().empty()) it.properties.emplace_back(key, e->get<std::string>());
      } else if (e->is_number() || e->is_boolean()) {
        it.properties.emplace_back(key, e->dump());
      } else if (!e->is_null()) {
        return Status::Invalid("invalid_item",
                               where + ".properties values must be text or numbers");
      }
    }
  }
  return it;
}

util::Result<std::vector<Item>> RefItemsFromJson(const json& body) {
  auto f = body.find("items");
  if (f == body.end() || !f->is_array()) {
    return Status::Invalid("missing_field", "\"items\" must be an array");
  }
  std::vector<Item> items;
  items.reserve(f->size());
  for (size_t i = 0; i < f->size(); ++i) {
    auto it = RefItemFromJson((*f)[i], i);
    if (!it.ok()) return it.status();
    items.push_back(std::move(it.value()));
  }
  return items;
}

util::Result<json> RefMetadataField(const json& body) {
  json meta = json::object();
  if (body.contains("metadata") && !body["metadata"].is_null()) {
    if (!body["metadata"].is_object()) {
      return Status::Invalid("invalid_metadata", "\"metadata\" must be an object");
    }
    meta = body["metadata"];
  }
  if (body.contains("source") && !body["source"].is_null()) {
    if (!body["source"].is_string()) {
      return Status::Invalid("invalid_field", "\"source\" must be a string");
    }
    meta["source"] = body["source"];
  }
  return meta;
}

util::Result<BomBody> RefParse(std::string_view text) {
  BomBody out;
  if (text.empty()) return out;
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded()) {
    return Status::Invalid("invalid_json", "the request body is not valid JSON");
  }
  if (!body.is_object()) {
    return Status::Invalid("invalid_json", "the request body must be a JSON object");
  }
  if (auto it = body.find("name"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return Status::Invalid("invalid_field", "\"name\" must be a string");
    out.name = it->get<std::string>();
  }
  if (body.contains("metadata") || (body.contains("source") && !body["source"].is_null())) {
    auto meta = RefMetadataField(body);
    if (!meta.ok()) return meta.status();
    out.metadata = std::move(meta).value();
  }
  if (body.contains("items")) {
    auto items = RefItemsFromJson(body);
    if (!items.ok()) return items.status();
    out.items = std::move(items).value();
  }
  return out;
}

// Same outcome from both paths: status, machine code, message, or every field of the body.
void CheckParity(std::string_view body) {
  CAPTURE(body);
  util::Result<BomBody> want = RefParse(body);
  util::Result<BomBody> got = ParseBomBody(body, Limits());
  REQUIRE(got.ok() == want.ok());
  if (!want.ok()) {
    CHECK(got.status().code() == want.status().code());
    CHECK(got.status().machine_code() == want.status().machine_code());
    CHECK(got.status().message() == want.status().message());
    return;
  }
  CHECK(got->name == want->name);
  CHECK(got->metadata.has_value() == want->metadata.has_value());
  if (got->metadata && want->metadata) CHECK(got->metadata->dump() == want->metadata->dump());
  REQUIRE(got->items.has_value() == want->items.has_value());
  if (!want->items) return;
  REQUIRE(got->items->size() == want->items->size());
  for (size_t i = 0; i < want->items->size(); ++i) {
    CAPTURE(i);
    CHECK((*got->items)[i] == (*want->items)[i]);
  }
}

const char* const kParityBodies[] = {
    // valid
    "",
    "{}",
    R"({"name":"Top","items":[{"ref":"1","part_number":"P-1","quantity":2},
       {"ref":"2","parent":"1","part_number":"P-2","quantity":"0.25","unit":"m",
        "description":"cable","refdes":"W1,W2","find_number":"10"}]})",
    R"({"items":[{"ref":12345,"parent":"","find_number":10,"part_number":"P","quantity":0.1},
                 {"ref":-5,"parent":12345,"part_number":7,"quantity":1e-3},
                 {"ref":18446744073709551615,"part_number":"P","quantity":1.50}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,"properties":{"Supplier Name":"ACME",
       "zeta":1,"Alpha":true,"Empty":"","gone":null,"f":1.5,"big":1e3,"neg":-2,"no":false}}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,
       "properties":{"b":"1","a":{"x":1},"a":"ok","b":null,"c":[1],"c":"3"}}]})",
    R"({"items":[{"ref":{},"ref":"r","part_number":"P","quantity":"x","quantity":3,
       "properties":5,"properties":null,"parent":"q","parent":null}]})",
    R"({"name":"caf\u00e9 \ud83d\ude00 \"q\"","items":[{"ref":"a\"b\\c\n","part_number":"\u00c5",
       "quantity":" 2.50 ","x-unknown":{"deep":[[[{"a":null}]]]},"unknown2":[1,2,3]}]})",
    R"({"metadata":{"a":1,"a":{"b":[1,2,{"c":null}]},"x":1.25,"u":18446744073709551615,"n":-3,
       "s":"t","t":true,"e":{},"l":[]},"source":"erp","name":null})",
    R"({"metadata":null,"source":"cad"})",
    R"({"source":"cad","metadata":{"source":"overridden"}})",
    R"({"source":null,"name":"n"})",
    R"({"items":[]})",
    R"({"x":{"a":[[[{"b":1}]]]},"items":[{"ref":"1","part_number":"P","quantity":1}],
       "y":[1,{"z":null}],"name":"n","name":"last"})",
    R"({"items":5,"items":[{"ref":"1","part_number":"P","quantity":1}]})",
    R"({"items":[{"ref":"1"}],"items":[{"ref":"2","part_number":"P","quantity":1}]})",
    R"({"metadata":5,"metadata":{"k":"v"},"source":1,"source":"s"})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,"ref":"1","ref":"2"},
                 {"ref":"2","part_number":"P","quantity":0}]})",
    // invalid JSON and non-objects
    " ",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1}])",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1}]} x)",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1},]})",
    "[1,2]",
    "[1,2",
    "\"text\"",
    "42",
    "null",
    "{\"name\":\"\xff\"}",
    "{\"name\":\"\xc0\xaf\"}",
    "{\"\xed\xa0\x80\":1}",
    R"({"name":"\ud800"})",
    R"({"name":1e400})",
    "{'name':'x'}",
    // field errors, and which one wins
    R"({"name":5})",
    R"({"name":["x"],"metadata":5,"source":1,"items":5})",
    R"({"metadata":5,"source":1,"items":5})",
    R"({"metadata":[],"items":[{}]})",
    R"({"source":{"a":1},"items":5})",
    R"({"source":1})",
    R"({"items":null})",
    R"({"items":{"0":{}}})",
    R"({"items":"[]"})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1},5,{}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1},[]]})",
    R"({"items":[null]})",
    R"({"items":[{"part_number":"P","quantity":1}]})",
    R"({"items":[{"ref":null,"part_number":"P","quantity":1}]})",
    R"({"items":[{"ref":1.5,"part_number":"P","quantity":1}]})",
    R"({"items":[{"ref":"1","parent":true,"part_number":"P","quantity":1}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,"refdes":["R1"]}]})",
    R"({"items":[{"ref":"1","quantity":1}]})",
    R"({"items":[{"ref":"1","part_number":"P"}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":null}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":true}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":[1]}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":"abc"}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":-1}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":-0.5}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":"1,5"}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":"1e3"}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1234567890123456}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,"properties":[]}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,"properties":"a"}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,"properties":{"a":{}}}]})",
    R"({"items":[{"ref":"1","part_number":"P","quantity":1,"properties":{"z":"1","a":[]}}]})",
    R"({"items":[{"ref":1.0,"quantity":"x"},{"ref":"2"}],"name":"n"})",
    R"({"items":[{"ref":1.0},{"ref":"2"}],"name":5})",
    R"({"items":[{"ref":1.0}],"name":"n","trailing":[)",
};

TEST_CASE("json body: the same outcome as the former DOM path, valid and invalid") {
  for (const char* body : kParityBodies) CheckParity(body);
}

TEST_CASE("json body: parity holds for every truncation of a body") {
  const std::string body = R"({"name":"A","metadata":{"k":[1,{"x":"y"}]},"source":"s",)"
                           R"("items":[{"ref":12,"part_number":"P","quantity":0.25,)"
                           R"("properties":{"Colour":"red","w":2.5,"n":null}},)"
                           R"({"ref":"13","parent":"12","part_number":"Q","quantity":"3"}]})";
  for (size_t n = 0; n <= body.size(); ++n) CheckParity(std::string_view(body).substr(0, n));
}

TEST_CASE("json body: parity on randomly damaged bodies, and never a throw") {
  const std::string seed_body =
      R"({"name":"A","metadata":{"k":[1,{"x":"y"}]},"source":"s","items":[)"
      R"({"ref":12,"part_number":"P","quantity":0.25,"properties":{"Colour":"red","w":2}},)"
      R"({"ref":"13","parent":"12","part_number":"Q","quantity":"3","unit":null}]})";
  const std::string alphabet = "{}[]\":,0123456789.-eE \\xnul\xff\xc3\xa9";
  std::mt19937 rng(20240607);
  for (int round = 0; round < 3000; ++round) {
    std::string body = seed_body;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % body.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          body[at] = c;
          break;
        case 1:
          body.insert(at, 1, c);
          break;
        default:
          body.erase(at, 1);
          break;
      }
    }
    CAPTURE(body);
    util::Result<BomBody> got = ParseBomBody(body, Limits());
    util::Result<BomBody> want = RefParse(body);
    // A damaged quantity may now read as an exponent, where the two paths are meant to differ.
    if (got.status().machine_code() == "bom_bad_quantity" ||
        want.status().machine_code() == "bom_bad_quantity") {
      CHECK(got.status().machine_code() == want.status().machine_code());
      continue;
    }
    CheckParity(body);
  }
}

// ---- the rules one by one ---------------------------------------------------------------------

TEST_CASE("json body: an empty body is an empty BomBody; absent and null fields stay absent") {
  BomBody b = Parse("");
  CHECK_FALSE(b.name);
  CHECK_FALSE(b.metadata);
  CHECK_FALSE(b.items);

  b = Parse(R"({"name":null,"source":null,"other":1})");
  CHECK_FALSE(b.name);
  CHECK_FALSE(b.metadata);
  CHECK_FALSE(b.items);

  b = Parse(R"({"name":"","items":[]})");
  CHECK(b.name == "");
  REQUIRE(b.items);
  CHECK(b.items->empty());
}

TEST_CASE("json body: top-level errors and their messages") {
  Status s = ParseError("[]");
  CHECK(s.machine_code() == "invalid_json");
  CHECK(s.message() == "the request body must be a JSON object");
  s = ParseError("{\"a\":1");
  CHECK(s.message() == "the request body is not valid JSON");
  s = ParseError(R"({"name":1})");
  CHECK(s.machine_code() == "invalid_field");
  CHECK(s.message() == "\"name\" must be a string");
  s = ParseError(R"({"metadata":"x"})");
  CHECK(s.machine_code() == "invalid_metadata");
  CHECK(s.message() == "\"metadata\" must be an object");
  s = ParseError(R"({"source":[]})");
  CHECK(s.machine_code() == "invalid_field");
  CHECK(s.message() == "\"source\" must be a string");
  s = ParseError(R"({"items":{}})");
  CHECK(s.machine_code() == "missing_field");
  CHECK(s.message() == "\"items\" must be an array");
}

TEST_CASE("json body: metadata gets source merged in, null metadata is an empty object") {
  BomBody b = Parse(R"({"metadata":{"rev":"B","n":[1,2]},"source":"erp"})");
  REQUIRE(b.metadata);
  CHECK(*b.metadata == json({{"rev", "B"}, {"n", {1, 2}}, {"source", "erp"}}));
  b = Parse(R"({"source":"erp"})");
  CHECK(*b.metadata == json({{"source", "erp"}}));
  b = Parse(R"({"metadata":null})");
  CHECK(*b.metadata == json::object());
  b = Parse(R"({"metadata":{"a":1},"metadata":{"b":2}})");
  CHECK(*b.metadata == json({{"b", 2}}));
}

TEST_CASE("json body: item fields, integer text fields and defaults") {
  std::vector<Item> items = Items(
      R"({"items":[{"ref":100,"parent":-1,"find_number":18446744073709551615,"part_number":"P",)"
      R"("description":"d","quantity":"2","unit":"pcs","refdes":"R1,R2","other":{"a":[1]}}]})");
  REQUIRE(items.size() == 1);
  CHECK(items[0].ref == "100");
  CHECK(items[0].parent == "-1");
  CHECK(items[0].find_number == "18446744073709551615");
  CHECK(items[0].part_number == "P");
  CHECK(items[0].description == "d");
  CHECK(items[0].quantity == "2");
  CHECK(items[0].unit == "pcs");
  CHECK(items[0].refdes == "R1,R2");
  CHECK(items[0].properties.empty());

  items = Items(R"({"items":[{"ref":"1","part_number":"P","quantity":1,"unit":null}]})");
  CHECK(items[0].parent.empty());
  CHECK(items[0].unit.empty());
}

TEST_CASE("json body: item errors name the item and the field") {
  Status s = ParseError(R"({"items":[)" + ItemJson() + "," + ItemJson() + R"(,{"ref":"3"}]})");
  CHECK(s.machine_code() == "invalid_item");
  CHECK(s.message() == "items[2].part_number is required");
  s = ParseError(R"({"items":[)" + ItemJson() + ",7]}");
  CHECK(s.message() == "items[1] must be an object");
  s = ParseError(R"({"items":[)" + ItemJson(R"("unit":1.5)") + "]}");
  CHECK(s.message() == "items[0].unit must be a string");
  s = ParseError(R"({"items":[)" + ItemJson(R"("properties":{"a":[]})") + "]}");
  CHECK(s.message() == "items[0].properties values must be text or numbers");
  s = ParseError(R"({"items":[{"ref":"1","part_number":"P","quantity":"0.1234567891"}]})");
  CHECK(s.machine_code() == "bom_bad_quantity");
  CHECK(s.message().starts_with("items[0].quantity: quantity \"0.1234567891\""));
}

TEST_CASE("json body: the first bad item is reported, even with later bad items") {
  Status s = ParseError(R"({"items":[)" + ItemJson() + R"(,{"ref":"2"},{"ref":true},5]})");
  CHECK(s.message() == "items[1].part_number is required");
}

TEST_CASE("json body: properties: normalised keys, DOM key order, last duplicate wins") {
  std::vector<Item> items =
      Items(R"({"items":[)" +
            ItemJson(R"("properties":{"zeta":"1","Supplier Name":"ACME","Alpha":2.50,"ok":true,)"
                     R"("empty":"","nothing":null,"dup":"first","dup":"second","big":1e3})") +
            "]}");
  // std::map order of the keys as written: "Alpha" < "Supplier Name" < "big".
  const Properties want = {{"alpha", "2.5"},  {"supplier_name", "ACME"},
                           {"big", "1000.0"}, {"dup", "second"},
                           {"ok", "true"},    {"zeta", "1"}};
  CHECK(items[0].properties == want);

  // A bad value hidden by a later duplicate is not an error, as in the DOM.
  items = Items(R"({"items":[)" + ItemJson(R"("properties":{"a":{"x":1},"a":"fine"})") + "]}");
  CHECK(items[0].properties == Properties{{"a", "fine"}});
  // A second "properties" replaces the first entirely.
  items =
      Items(R"({"items":[)" + ItemJson(R"("properties":{"a":"1"},"properties":{"b":"2"})") + "]}");
  CHECK(items[0].properties == Properties{{"b", "2"}});
}

TEST_CASE("json body: numeric quantities are read exactly from their JSON text") {
  const std::pair<const char*, const char*> cases[] = {
      {"0.1", "0.1"},
      {"1e-3", "0.001"},
      {"1E-3", "0.001"},
      {"1.5e+2", "150"},
      {"2.5e-7", "0.00000025"},  // the DOM path refused this ("2.5e-07")
      {"0.123456789", "0.123456789"},
      {"123456789012345", "123456789012345"},
      {"100e-2", "1"},
      {"0e5", "0"},
      {"8.000", "8"},
      {"0", "0"},
  };
  for (const auto& [lexeme, canonical] : cases) {
    CAPTURE(lexeme);
    std::vector<Item> items = Items(R"({"items":[{"ref":"1","part_number":"P","quantity":)" +
                                    std::string(lexeme) + "}]}");
    CHECK(items[0].quantity == canonical);
  }
  // Refused with the item named: beyond the digit limits, exponents in strings, negatives.
  const char* refused[] = {
      "1e20", "1e-10",   "12345678901234567890", "0.10000000000000001", "\"1e3\"", "-1e3",
      "-0.0", "1e999999"};
  for (const char* q : refused) {
    CAPTURE(q);
    Status s = ParseError(R"({"items":[{"ref":"1","part_number":"P","quantity":)" + std::string(q) +
                          "}]}");
    if (std::string_view(q) == "1e999999") {
      CHECK(s.machine_code() == "invalid_json");  // out of double range: nlohmann refuses it
      continue;
    }
    CHECK(s.machine_code() == "bom_bad_quantity");
    CHECK(s.message().starts_with("items[0].quantity: "));
  }
  CHECK(ParseError(R"({"items":[{"ref":"1","part_number":"P","quantity":-1e3}]})")
            .message()
            .find("negative") != std::string::npos);
}

TEST_CASE("json body: duplicate top-level keys, the last one wins") {
  BomBody b = Parse(R"({"name":"a","name":"b","items":[)" + ItemJson() + R"(],"items":[]})");
  CHECK(b.name == "b");
  REQUIRE(b.items);
  CHECK(b.items->empty());
  // An earlier bad items array is forgotten when a good one follows, and the other way round.
  b = Parse(R"({"items":[{"ref":1}],"items":[)" + ItemJson() + "]}");
  CHECK(b.items->size() == 1);
  CHECK(ParseError(R"({"items":[)" + ItemJson() + R"(],"items":null})").machine_code() ==
        "missing_field");
  b = Parse(R"({"name":5,"name":null})");
  CHECK_FALSE(b.name);
}

TEST_CASE("json body: unknown keys with deep values are skipped, at the top and in items") {
  const std::string deep = Nested(60, R"({"a":[{"b":"c"}]})");
  BomBody b = Parse(R"({"x":)" + deep + R"(,"items":[)" + ItemJson(R"("y":[[[{"z":[]}]]])") +
                    R"(],"w":{"items":5,"name":7,"metadata":1}})");
  REQUIRE(b.items);
  CHECK(b.items->size() == 1);
  CHECK_FALSE(b.name);
  CHECK_FALSE(b.metadata);
}

TEST_CASE("json body: nesting deeper than 64 levels is invalid JSON") {
  // The top-level object is level 1: 63 more arrays reach exactly 64.
  Parse(R"({"x":)" + Nested(63) + "}");
  Status s = ParseError(R"({"x":)" + Nested(64) + "}");
  CHECK(s.machine_code() == "invalid_json");
  CHECK(s.message() == "the request body is nested more than 64 levels deep");
  CHECK(ParseError(Nested(100000)).machine_code() == "invalid_json");
  CHECK(ParseError(R"({"items":[)" + ItemJson(R"("p":)" + Nested(70)) + "]}").machine_code() ==
        "invalid_json");
}

TEST_CASE("json body: metadata is bounded in depth and size") {
  // The metadata object is level 1: 31 arrays inside reach exactly 32.
  BomBody b = Parse(R"({"metadata":{"a":)" + Nested(31) + "}}");
  CHECK(b.metadata->dump().size() > 62);
  Status s = ParseError(R"({"metadata":{"a":)" + Nested(32) + "}}");
  CHECK(s.machine_code() == "invalid_metadata");
  CHECK(s.message() == "\"metadata\" is nested more than 32 levels deep");

  // Just under the size limit is fine; one byte over is not.
  const std::string fits(kMaxMetadataBytes - std::string(R"({"k":""})").size(), 'x');
  b = Parse(R"({"metadata":{"k":")" + fits + R"("}})");
  CHECK(b.metadata->dump().size() == kMaxMetadataBytes);
  s = ParseError(R"({"metadata":{"k":")" + fits + R"(x"}})");
  CHECK(s.machine_code() == "invalid_metadata");
  CHECK(s.message() == "\"metadata\" is larger than 64 KiB");
  // "source" counts: the merged object is what is bounded.
  s = ParseError(R"({"metadata":{"k":")" + fits + R"("},"source":"s"})");
  CHECK(s.machine_code() == "invalid_metadata");
  // Escapes count by their dumped size.
  std::string newlines;
  for (size_t i = 0; i < kMaxMetadataBytes / 2; ++i) newlines += "\\n";
  s = ParseError(R"({"metadata":{"k":")" + newlines + R"("}})");
  CHECK(s.machine_code() == "invalid_metadata");

  // A huge object is refused while it streams in: the damage after it is never reached.
  std::string huge = R"({"metadata":{)";
  for (int i = 0; i < 20000; ++i) huge += "\"k" + std::to_string(i) + "\":[1,2,3],";
  huge += "\"end\":1} !!! not json";
  s = ParseError(huge);
  CHECK(s.machine_code() == "invalid_metadata");
  CHECK(s.message() == "\"metadata\" is larger than 64 KiB");
}

TEST_CASE("json body: more than max_items items stops the parse at once") {
  Limits limits;
  limits.max_items = 3;
  const std::string three = ItemJson() + "," + ItemJson() + "," + ItemJson();
  BomBody b = Parse(R"({"items":[)" + three + "]}", limits);
  CHECK(b.items->size() == 3);
  Status s = ParseError(R"({"items":[)" + three + "," + ItemJson() + "]}", limits);
  CHECK(s.machine_code() == "bom_too_many_items");
  CHECK(s.message() == "the BOM has more than 3 items, which is the limit");
  // Not objects count too, and the rest of the body is never read.
  s = ParseError(R"({"items":[)" + three + ",5 garbage", limits);
  CHECK(s.machine_code() == "bom_too_many_items");
  // Each items array is counted on its own, the last one being what counts.
  b = Parse(R"({"items":[)" + three + R"(],"items":[)" + three + "]}", limits);
  CHECK(b.items->size() == 3);
}

TEST_CASE("json body: strings must be valid UTF-8") {
  const char* bad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"};
  for (const char* bytes : bad) {
    CAPTURE(bytes);
    CHECK(ParseError(R"({"items":[{"ref":")" + std::string(bytes) +
                     R"(","part_number":"P",)"
                     R"("quantity":1}]})")
              .machine_code() == "invalid_json");
    CHECK(ParseError("{\"" + std::string(bytes) + "\":1}").machine_code() == "invalid_json");
  }
  CHECK(ParseError(R"({"name":"\udc00"})").machine_code() == "invalid_json");
  BomBody b = Parse(R"({"name":"\u00e9\ud83d\ude00","items":[]})");
  CHECK(b.name == "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_CASE("json body: the tree is not validated here") {
  std::vector<Item> items = Items(
      R"({"items":[{"ref":"1","parent":"nobody","part_number":"P","quantity":1},)"
      R"({"ref":"1","part_number":"P","quantity":1,"properties":{"qty":"clash","a":"1","A":"2"}},)"
      R"({"ref":"","part_number":"","quantity":0}]})");
  CHECK(items.size() == 3);
  CHECK_FALSE(ValidateItems(items, Limits()).ok());
}

TEST_CASE("json body: a 10,000-item body reads the same as through the DOM") {
  std::string body = R"({"name":"big","source":"erp","items":[)";
  for (int i = 0; i < 10000; ++i) {
    if (i != 0) body += ',';
    body += R"({"ref":")" + std::to_string(i) + R"(","parent":")" +
            (i == 0 ? std::string() : std::to_string((i - 1) / 4)) + R"(","part_number":"PN-)" +
            std::to_string(i * 7) + R"(","description":"Hex bolt M6x20 zinc","quantity":)" +
            (i % 3 == 0   ? "2"
             : i % 3 == 1 ? "0.25"
                          : "\"1.5\"") +
            R"(,"unit":"pcs","properties":{"material":"steel","Supplier":"ACME","n":)" +
            std::to_string(i) + "}}";
  }
  body += "]}";
  CheckParity(body);
  CHECK(ValidateItems(*Parse(body).items, Limits()).ok());
}

}  // namespace
}  // namespace bomvault::bom

TEST_CASE("json body: one item's properties are bounded while parsing, duplicates included") {
  std::string body =
      R"({"name":"x","items":[{"ref":"1","part_number":"A","quantity":1,"properties":{)";
  for (int i = 0; i < 1000; ++i) body += std::string(i ? "," : "") + "\"a\":1";
  body += "}}]}";
  auto r = bomvault::bom::ParseBomBody(body, bomvault::bom::Limits{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().machine_code() == "invalid_item");
  CHECK(r.status().message() == "items[0] has more than 64 properties");
}

namespace {
bomvault::bom::BomBody ParseOk(std::string_view body) {
  auto r = bomvault::bom::ParseBomBody(body, bomvault::bom::Limits{});
  REQUIRE(r.ok());
  return std::move(r.value());
}
bomvault::util::Status ParseFails(std::string_view body) {
  auto r = bomvault::bom::ParseBomBody(body, bomvault::bom::Limits{});
  REQUIRE_FALSE(r.ok());
  return r.status();
}
}  // namespace

TEST_CASE("manufacturers and dnp are read from items; wrong shapes are refused") {
  bomvault::bom::BomBody b = ParseOk(
      R"({"items":[{"ref":"1","part_number":"","quantity":1,"dnp":true,
          "manufacturers":[{"name":"Yageo","mpn":"RC0603FR-0710KL"},{"mpn":"ERJ-3EKF1002V"}]}]})");
  REQUIRE(b.items);
  REQUIRE(b.items->size() == 1);
  const bomvault::bom::Item& it = b.items->front();
  CHECK(it.dnp);
  CHECK(it.manufacturers == std::vector<bomvault::bom::Manufacturer>{{"Yageo", "RC0603FR-0710KL"},
                                                                     {"", "ERJ-3EKF1002V"}});
  CHECK(ParseFails(R"({"items":[{"ref":"1","part_number":"P","quantity":1,"manufacturers":{}}]})")
            .machine_code() == "invalid_item");
  CHECK(ParseFails(
            R"({"items":[{"ref":"1","part_number":"P","quantity":1,"manufacturers":[{"mpn":1}]}]})")
            .machine_code() == "invalid_item");
  CHECK(ParseFails(R"({"items":[{"ref":"1","part_number":"P","quantity":1,"dnp":"yes"}]})")
            .machine_code() == "invalid_item");
}
