// crypto/jose and codec/jose: compact JWS verification against a JWKS and the ID token claim
// rules, their JSON read by the codec (whose refusals of bad input are tested here too). Ed25519
// tokens are signed here with libsodium (a second, independent implementation); RS256 and ES256
// come from real providers in tests/integration/test_sso.py.
#include "crypto/jose.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include "codec/jose.h"
#include "crypto/crypto.h"

using namespace bomvault::crypto;
using nlohmann::json;

namespace {

// The JSON forms, read by the codec as the service reads them.
bomvault::codec::JwsOutcome Verify(std::string_view token, const json& jwks,
                                   std::span<const SigAlg> allowed) {
  return bomvault::codec::VerifyJws(token, bomvault::codec::JwksFromJson(jwks).value_or(Jwks{}),
                                    allowed);
}

std::optional<std::string> Validate(const json& claims, const IdTokenExpectations& want) {
  return ValidateIdToken(bomvault::codec::IdTokenClaimsFromJson(claims), want);
}

std::optional<PublicKey> KeyFrom(const json& jwk) {
  auto k = bomvault::codec::JwkFromJson(jwk);
  if (!k) return std::nullopt;
  return PublicKey::FromJwk(*k);
}

struct EdKey {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  EdKey() { crypto_sign_keypair(pk, sk); }
  json Jwk(const std::string& kid) const {
    return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"kid", kid}, {"x", Base64UrlEncode({pk, 32})}};
  }
  std::string Sign(const json& header, const json& claims) const {
    std::string input =
        Base64UrlEncode(AsBytes(header.dump())) + "." + Base64UrlEncode(AsBytes(claims.dump()));
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()),
                         input.size(), sk);
    return input + "." + Base64UrlEncode({sig, sizeof sig});
  }
};

std::string Unsigned(const json& header, const json& claims, const std::string& sig) {
  return Base64UrlEncode(AsBytes(header.dump())) + "." + Base64UrlEncode(AsBytes(claims.dump())) +
         "." + sig;
}

const SigAlg kAll[] = {SigAlg::kRs256, SigAlg::kEs256, SigAlg::kEdDsa};

json Claims(int64_t now) {
  return {{"iss", "https://idp.example"},
          {"aud", "client-1"},
          {"sub", "u-1"},
          {"iat", now},
          {"exp", now + 300},
          {"nonce", "n-1"}};
}

IdTokenExpectations Want(int64_t now) {
  IdTokenExpectations w;
  w.issuer = "https://idp.example";
  w.client_id = "client-1";
  w.nonce = "n-1";
  w.now = now;
  return w;
}

}  // namespace

TEST_CASE("jose: only RS256, ES256 and EdDSA are algorithms at all") {
  CHECK(ParseSigAlg("RS256") == SigAlg::kRs256);
  CHECK(ParseSigAlg("ES256") == SigAlg::kEs256);
  CHECK(ParseSigAlg("EdDSA") == SigAlg::kEdDsa);
  for (const char* bad : {"none", "None", "HS256", "HS512", "RS384", "PS256", "", "rs256"}) {
    CHECK_FALSE(ParseSigAlg(bad));
  }
}

TEST_CASE("jose: an Ed25519 JWS verifies against its JWKS, and nothing else does") {
  REQUIRE(Init());
  EdKey key, other;
  json jwks = {{"keys", json::array({key.Jwk("e1")})}};
  json header = {{"alg", "EdDSA"}, {"kid", "e1"}};
  std::string token = key.Sign(header, Claims(1000));
  auto ok = Verify(token, jwks, kAll);
  REQUIRE(ok.ok);
  CHECK(ok.ok->claims.sub == "u-1");
  CHECK(ok.ok->alg == SigAlg::kEdDsa);

  SUBCASE("not in the allow-list") {
    const SigAlg rs_only[] = {SigAlg::kRs256};
    CHECK(Verify(token, jwks, rs_only).error == JwsError::kAlgNotAllowed);
  }
  SUBCASE("alg none") {
    auto r = Verify(Unsigned({{"alg", "none"}}, Claims(1000), ""), jwks, kAll);
    CHECK_FALSE(r.ok);
    CHECK(r.error == JwsError::kAlgNotAllowed);
  }
  SUBCASE("HS256 keyed with the public key") {
    std::string input = Base64UrlEncode(AsBytes(json({{"alg", "HS256"}, {"kid", "e1"}}).dump())) +
                        "." + Base64UrlEncode(AsBytes(Claims(1000).dump()));
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key.pk, sizeof key.pk);
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size());
    crypto_auth_hmacsha256_final(&st, mac);
    auto r = Verify(input + "." + Base64UrlEncode({mac, sizeof mac}), jwks, kAll);
    CHECK(r.error == JwsError::kAlgNotAllowed);
  }
  SUBCASE("another key under the same kid") {
    auto r = Verify(other.Sign(header, Claims(1000)), jwks, kAll);
    CHECK_FALSE(r.ok);
    CHECK(r.error == JwsError::kBadSignature);
  }
  SUBCASE("an unknown kid") {
    auto r = Verify(key.Sign({{"alg", "EdDSA"}, {"kid", "e9"}}, Claims(1000)), jwks, kAll);
    CHECK(r.error == JwsError::kUnknownKid);
  }
  SUBCASE("a changed payload") {
    std::string tampered = token;
    size_t dot = tampered.find('.');
    tampered[dot + 3] = tampered[dot + 3] == 'A' ? 'B' : 'A';
    CHECK_FALSE(Verify(tampered, jwks, kAll).ok);
  }
  SUBCASE("a JWK whose alg or use differ is not used") {
    json k = key.Jwk("e1");
    k["use"] = "enc";
    CHECK(Verify(token, json{{"keys", json::array({k})}}, kAll).error == JwsError::kUnknownKid);
    k = key.Jwk("e1");
    k["alg"] = "ES256";
    CHECK(Verify(token, json{{"keys", json::array({k})}}, kAll).error == JwsError::kUnknownKid);
  }
  SUBCASE("an EdDSA header with an RSA-typed key of that kid is refused") {
    json rsa = {{"kty", "RSA"}, {"kid", "e1"}, {"n", "AQAB"}, {"e", "AQAB"}};
    CHECK_FALSE(Verify(token, json{{"keys", json::array({rsa})}}, kAll).ok);
  }
  SUBCASE("malformed") {
    for (const char* bad : {"", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30"}) {
      CHECK(Verify(bad, jwks, kAll).error == JwsError::kMalformed);
    }
    CHECK(
        Verify(key.Sign({{"alg", "EdDSA"}, {"kid", "e1"}, {"crit", {"x"}}}, Claims(1)), jwks, kAll)
            .error == JwsError::kMalformed);
  }
}

TEST_CASE("jose: ID token claims") {
  const int64_t now = 1'800'000'000;
  CHECK_FALSE(Validate(Claims(now), Want(now)));
  auto with = [&](const char* key, json value) {
    json c = Claims(now);
    if (value.is_null()) {
      c.erase(key);
    } else {
      c[key] = value;
    }
    return Validate(c, Want(now)).value_or("ok");
  };
  CHECK(with("iss", "https://evil.example") == "iss_mismatch");
  CHECK(with("iss", nullptr) == "iss_mismatch");
  CHECK(with("aud", "client-2") == "aud_mismatch");
  CHECK(with("aud", json::array({"client-2"})) == "aud_mismatch");
  CHECK(with("aud", nullptr) == "aud_mismatch");
  // Several audiences need azp naming us.
  CHECK(with("aud", json::array({"client-1", "client-2"})) == "azp_mismatch");
  {
    json c = Claims(now);
    c["aud"] = json::array({"client-1", "client-2"});
    c["azp"] = "client-1";
    CHECK_FALSE(Validate(c, Want(now)));
    c["azp"] = "client-2";
    CHECK(Validate(c, Want(now)) == "azp_mismatch");
  }
  CHECK(with("exp", now - 61) == "expired");
  CHECK(with("exp", now - 30) == "ok");  // inside the skew
  CHECK(with("exp", nullptr) == "expired");
  CHECK(with("nbf", now + 3600) == "not_yet_valid");
  CHECK(with("nbf", now + 30) == "ok");
  CHECK(with("iat", now + 3600) == "not_yet_valid");
  CHECK(with("iat", now - 3600) == "expired");  // issued too long ago
  CHECK(with("iat", nullptr) == "iat_invalid");
  CHECK(with("nonce", "n-2") == "nonce_mismatch");
  CHECK(with("nonce", nullptr) == "nonce_mismatch");
  CHECK(with("sub", "") == "sub_missing");
  CHECK(with("sub", 5) == "sub_missing");
}

TEST_CASE("jose: JWK parsing refuses weak and unknown keys") {
  CHECK_FALSE(KeyFrom({{"kty", "oct"}, {"k", "AAAA"}}));
  CHECK_FALSE(KeyFrom({{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}}));
  // 1024-bit RSA modulus: too short.
  std::vector<uint8_t> n(128, 0xff);
  CHECK_FALSE(KeyFrom({{"kty", "RSA"}, {"n", Base64UrlEncode(n)}, {"e", "AQAB"}}));
  // A P-256 "point" that is not on the curve.
  std::vector<uint8_t> x(32, 1), y(32, 2);
  CHECK_FALSE(PublicKey::FromP256(x, y));
  CHECK(Base64UrlDecode("AQAB") == std::vector<uint8_t>{1, 0, 1});
  CHECK_FALSE(Base64UrlDecode("AQAB="));
}

TEST_CASE("jose: base64url decoding refuses bytes outside the alphabet that libsodium decodes") {
  // Found by fuzz/fuzz_jose.cc: libsodium 1.0.18 decoded these four bytes above 0x7f as digits,
  // so a token's signature had spellings other than its one base64url form.
  const std::string text =
      "3AYaz3pjKlWa\xad\x94\xca\xba"
      "cvALM0LDy1s3ZvOU_dqcVttT23dT";
  CHECK_FALSE(Base64UrlDecode(text));
  CHECK_FALSE(
      FromBase64("AQ\xad"
                 "B"));
  for (std::string bad : {"AQ B", "AQ\nB", "AQ+B", "AQ/B", "AQ=B"})
    CHECK_FALSE(Base64UrlDecode(bad));
  CHECK(Base64UrlDecode("-_-_") == std::vector<uint8_t>{0xfb, 0xff, 0xbf});
  CHECK(FromBase64("+/+/") == Bytes{0xfb, 0xff, 0xbf});
}

TEST_CASE("jose: members of the wrong type are refused, never thrown") {
  // Found by fuzz/fuzz_jose.cc: {"kty":77} threw nlohmann's type_error out of FromJwk (a JWKS
  // from a provider could end a sign-in in a 500).
  CHECK_FALSE(KeyFrom(json::parse(R"({"kty":77})")));
  CHECK_FALSE(KeyFrom(json::parse(R"({"kty":"EC","crv":5,"x":"AA","y":"AA"})")));
  CHECK_FALSE(KeyFrom(json::parse(R"({"kty":"OKP","crv":[],"x":"AA"})")));
  REQUIRE(Init());
  EdKey key;
  json jwk = key.Jwk("e1");
  std::string token = key.Sign({{"alg", "EdDSA"}, {"kid", "e1"}}, Claims(1000));
  json odd = jwk;
  odd["kid"] = 7;
  CHECK(Verify(token, json{{"keys", json::array({odd, jwk})}}, kAll).ok);
  // A time beyond int64 is no time: refused, not cast (undefined behaviour).
  json c = Claims(1'800'000'000);
  c["exp"] = 1e300;
  CHECK(Validate(c, Want(1'800'000'000)) == "expired");
  c = Claims(1'800'000'000);
  c["iat"] = -1e300;
  CHECK(Validate(c, Want(1'800'000'000)) == "iat_invalid");
}

TEST_CASE("codec/jose: bad JSON reads as a refusal, never a throw") {
  using bomvault::codec::DecodeJwks;
  using bomvault::codec::IdTokenClaimsFromJson;
  // JWK sets: not JSON, not an object, no keys array.
  for (const char* bad : {"", "not json", "[]", "{}", R"({"keys":{}})", R"({"keys":"a"})", "{"}) {
    CHECK_FALSE(DecodeJwks(bad));
  }
  // Members that are not objects are skipped; members of the wrong type read as absent.
  auto jwks = DecodeJwks(R"({"keys":[1,"x",null,{"kty":5,"kid":[],"n":{},"use":7,"alg":true}]})");
  REQUIRE(jwks);
  REQUIRE(jwks->keys.size() == 1);
  CHECK(jwks->keys[0].kty.empty());
  CHECK(jwks->keys[0].kid.empty());
  CHECK_FALSE(jwks->keys[0].n);
  CHECK(jwks->keys[0].use == "7");  // present, and never "sig"
  CHECK(jwks->keys[0].alg == "true");
  CHECK_FALSE(PublicKey::FromJwk(jwks->keys[0]));
  // Claims of the wrong type or shape.
  auto c = IdTokenClaimsFromJson(json::parse(
      R"({"iss":1,"aud":["client-1",2],"azp":3,"exp":"soon","iat":1e300,"nbf":null,"sub":{}})"));
  CHECK_FALSE(c.iss);
  CHECK(c.audiences.empty());
  CHECK(c.has_azp);
  CHECK_FALSE(c.azp);
  CHECK_FALSE(c.exp);
  CHECK_FALSE(c.iat);
  CHECK(c.has_nbf);
  CHECK_FALSE(c.nbf);
  CHECK_FALSE(c.sub);
  CHECK(IdTokenClaimsFromJson(json::array()).audiences.empty());
  CHECK_FALSE(IdTokenClaimsFromJson(json::parse(R"({"exp":18446744073709551615})")).exp);
  // A header or payload that is not a JSON object, or a kid that is not text: malformed.
  REQUIRE(Init());
  EdKey key;
  json keys = {{"keys", json::array({key.Jwk("e1")})}};
  CHECK(Verify(Unsigned(json::array(), Claims(1), "AA"), keys, kAll).error == JwsError::kMalformed);
  CHECK(Verify(Unsigned({{"alg", "EdDSA"}}, json("claims"), "AA"), keys, kAll).error ==
        JwsError::kMalformed);
  CHECK(Verify(key.Sign({{"alg", "EdDSA"}, {"kid", 5}}, Claims(1)), keys, kAll).error ==
        JwsError::kMalformed);
  CHECK(Verify(key.Sign({{"alg", 5}, {"kid", "e1"}}, Claims(1)), keys, kAll).error ==
        JwsError::kMalformed);
  std::string not_json = Base64UrlEncode(AsBytes(std::string("{\"alg\":"))) + "." +
                         Base64UrlEncode(AsBytes(Claims(1).dump())) + ".AA";
  CHECK(Verify(not_json, keys, kAll).error == JwsError::kMalformed);
}
