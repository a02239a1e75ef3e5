// codec/tryton and codec/rest_source: the JSON-RPC bodies bomvault sends Tryton and how its
// answers read, and the REST source's token answers, page links and sent BOMs. Bad answers are an
// error or read as absent, never a throw.
#include <doctest/doctest.h>

#include "codec/rest_source.h"
#include "codec/tryton.h"

using namespace bomvault::codec;

TEST_CASE("codec/tryton: requests are the JSON-RPC bodies Tryton takes") {
  CHECK(TrytonPreferencesCall(1) ==
        R"({"id":1,"method":"model.res.user.get_preferences","params":[true,{}]})");
  CHECK(
      TrytonSearchCall(2, "production.bom", "id", int64_t{42}) ==
      R"({"id":2,"method":"model.production.bom.search","params":[[["id","=",42]],0,1,null,{}]})");
  CHECK(
      TrytonSearchCall(3, "product.uom", "symbol", std::string("kg")) ==
      R"({"id":3,"method":"model.product.uom.search","params":[[["symbol","=","kg"]],0,1,null,{}]})");
  CHECK(TrytonReadCall(4, "product.product", {1, 2}, {"code", "name"}) ==
        R"({"id":4,"method":"model.product.product.read","params":[[1,2],["code","name"],{}]})");
  CHECK(TrytonCreateTemplateCall(5, "Bolt", "B-1", 7) ==
        R"({"id":5,"method":"model.product.template.create","params":[[{"code":"B-1",)"
        R"("default_uom":7,"name":"Bolt","products":[["create",[{}]]],"type":"goods"}],{}]})");
  CHECK(TrytonCreateBomCall(6, "Frame", {{1, 2.5, 3}}, {{4, 1, 3}}) ==
        R"({"id":6,"method":"model.production.bom.create","params":[[{"inputs":[["create",)"
        R"([{"product":1,"quantity":2.5,"uom":3}]]],"name":"Frame","outputs":[["create",)"
        R"([{"product":4,"quantity":1.0,"uom":3}]]]}],{}]})");
  CHECK(TrytonWriteBomCall(7, 9, "Frame", {10}, {11}, {}, {{4, 1, 3}}) ==
        R"({"id":7,"method":"model.production.bom.write","params":[[9],{"inputs":[["delete",)"
        R"([10]],["create",[]]],"name":"Frame","outputs":[["delete",[11]],["create",)"
        R"([{"product":4,"quantity":1.0,"uom":3}]]]},{}]})");
  CHECK(TrytonLinkBomCall(8, 4, 9) ==
        R"({"id":8,"method":"model.product.product-production.bom.create",)"
        R"("params":[[{"bom":9,"product":4}],{}]})");
  CHECK(TrytonQuantity("2.5") == 2.5);
  CHECK_FALSE(TrytonQuantity("two"));
  CHECK_FALSE(TrytonQuantity("\"2\""));
}

TEST_CASE("codec/tryton: answers") {
  auto ids = DecodeTrytonAnswer(R"({"id":1,"result":[5,"x",6]})");
  REQUIRE(std::holds_alternative<TrytonResult>(ids));
  const auto& r = std::get<TrytonResult>(ids);
  REQUIRE(r.items);
  REQUIRE(r.items->size() == 3);
  CHECK((*r.items)[0].integer == 5);
  CHECK_FALSE((*r.items)[1].integer);
  CHECK((*r.items)[1].text == "x");

  auto records = DecodeTrytonAnswer(
      R"({"id":2,"result":[{"id":1,"name":"Frame","inputs":[3,"4",5],"quantity":2.50,)"
      R"("product":"p"},7]})");
  REQUIRE(std::holds_alternative<TrytonResult>(records));
  const auto& rec = (*std::get<TrytonResult>(records).items)[0];
  CHECK(rec.is_object);
  CHECK(rec["id"].integer == 1);
  CHECK(rec["name"].text == "Frame");
  REQUIRE(rec["inputs"].list);
  CHECK(*rec["inputs"].list == std::vector<std::optional<int64_t>>{3, std::nullopt, 5});
  CHECK(rec["quantity"].number == "2.5");
  CHECK_FALSE(rec["product"].integer);  // not an id
  CHECK_FALSE(rec["missing"].text);
  CHECK_FALSE((*std::get<TrytonResult>(records).items)[1].is_object);

  auto prefs = DecodeTrytonAnswer(R"({"id":3,"result":{"language":"en"}})");
  REQUIRE(std::holds_alternative<TrytonResult>(prefs));
  CHECK(std::get<TrytonResult>(prefs).is_object);
  CHECK_FALSE(std::get<TrytonResult>(prefs).items);

  auto with_null_error = DecodeTrytonAnswer(R"({"id":4,"error":null,"result":[]})");
  CHECK(std::holds_alternative<TrytonResult>(with_null_error));
  CHECK(std::get<TrytonAnswerError>(DecodeTrytonAnswer(R"({"id":5,"error":["x",[]]})")) ==
        TrytonAnswerError::kRpcError);
  for (const char* bad : {"", "<html>", "[]", "5", "{", R"({"id":6})"}) {
    auto a = DecodeTrytonAnswer(bad);
    REQUIRE(std::holds_alternative<TrytonAnswerError>(a));
    CHECK(std::get<TrytonAnswerError>(a) == TrytonAnswerError::kBadAnswer);
  }
}

TEST_CASE("codec/rest_source: token answers, page links, sent BOMs") {
  auto t = DecodeOAuthTokens(R"({"access_token":"a","refresh_token":"r","expires_in":60})");
  REQUIRE(t);
  CHECK(t->access_token == "a");
  CHECK(t->refresh_token == "r");
  CHECK(t->expires_in == 60);
  auto odd = DecodeOAuthTokens(R"({"access_token":"a","refresh_token":5,"expires_in":"60"})");
  REQUIRE(odd);
  CHECK(odd->refresh_token.empty());
  CHECK_FALSE(odd->expires_in);
  for (const char* bad : {"", "[]", "{}", R"({"access_token":1})", "{"}) {
    CHECK_FALSE(DecodeOAuthTokens(bad));
  }

  CHECK(DecodeNextPage(R"({"items":[],"next":"/api/boms/1?page=2"})") == "/api/boms/1?page=2");
  for (const char* none : {R"({"next":null})", R"({"next":5})", "{}", "[]", "", "{"}) {
    CHECK(DecodeNextPage(none).empty());
  }

  bomvault::bom::Item it;
  it.ref = "1";
  it.part_number = "P-1";
  it.quantity = "2.5";
  it.properties = {{"colour", "red"}};
  CHECK(EncodeSentBom("Frame", {it}) ==
        R"({"items":[{"description":"","parent":"","part_number":"P-1","properties":)"
        R"({"colour":"red"},"quantity":2.5,"ref":"1","unit":""}],"name":"Frame"})");

  CHECK(DecodeSentId(R"({"id":"b-1"})") == "b-1");
  CHECK(DecodeSentId(R"({"id":42})") == "42");
  CHECK(DecodeSentId(R"({"id":[1]})") == "");
  CHECK(DecodeSentId("{}") == "");
  CHECK_FALSE(DecodeSentId("[]"));
  CHECK_FALSE(DecodeSentId(""));
}
