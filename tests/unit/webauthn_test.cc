// crypto/webauthn: CBOR/COSE decoding, authenticator data, client data checks and assertion
// signatures, over real authenticators' output:
//  - ES256: a YubiKey 5 NFC registering at and signing for demo.yubico.com, from Yubico's
//    java-webauthn-server test suite (webauthn-server-core/src/test/scala/com/yubico/webauthn/
//    test/RealExamples.scala, "YubiKey5Nfc"; Apache-2.0 / BSD-2-Clause);
//  - EdDSA: an Ed25519 assertion for localhost:5000, from Duo Labs' py_webauthn test suite
//    (tests/test_bytes_subclass_support.py; BSD-3-Clause).
// Refusals are made by changing one thing in those vectors; Ed25519 keys of our own are signed
// with libsodium (an implementation independent of the OpenSSL verifier).
#include "crypto/webauthn.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <string>

#include "codec/webauthn.h"
#include "crypto/crypto.h"
#include "crypto/jose.h"

using namespace bomvault::crypto;
using namespace bomvault::crypto::webauthn;
// clientDataJSON is read by the codec, then checked by crypto/webauthn.
using bomvault::codec::CheckClientData;

namespace {

Bytes B64u(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  auto d = Base64UrlDecode(s);
  REQUIRE(d.has_value());
  return Bytes(d->begin(), d->end());
}

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

template <class T>
T Ok(std::variant<T, Error> v) {
  if (auto* e = std::get_if<Error>(&v)) FAIL("unexpected error " << ErrorCode(*e));
  return std::get<T>(std::move(v));
}

template <class T>
Error Err(const std::variant<T, Error>& v) {
  REQUIRE(std::holds_alternative<Error>(v));
  return std::get<Error>(v);
}

// YubiKey 5 NFC (Yubico's RealExamples.scala).
const char* kYkAttestation =
    "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIgZUEF7FMB8dEzallsJvUFVhHRU8xdWDkDwQQI-"
    "ZU8XRMCIQC"
    "qzI3-"
    "lWRlSEBLGk2XVqkp72q2QzbhdOzZyWOrke4jsmN4NWOBWQLAMIICvDCCAaSgAwIBAgIEA63wEjANBgkqhkiG9w0BAQsF"
    "ADAuMSwwKgYDVQQDEyNZdWJpY28gVTJGIFJvb3QgQ0EgU2VyaWFsIDQ1NzIwMDYzMTAgFw0xNDA4MDEwMDAwMDBaGA8yMD"
    "Uw"
    "MDkwNDAwMDAwMFowbTELMAkGA1UEBhMCU0UxEjAQBgNVBAoMCVl1YmljbyBBQjEiMCAGA1UECwwZQXV0aGVudGljYXRvci"
    "BB"
    "dHRlc3RhdGlvbjEmMCQGA1UEAwwdWXViaWNvIFUyRiBFRSBTZXJpYWwgNjE3MzA4MzQwWTATBgcqhkjOPQIBBggqhkjOPQ"
    "MB"
    "BwNCAAQZnoecFi233DnuSkKgRhalswn-ygkvdr4JSPltbpXK5MxlzVSgWc-"
    "9x8mzGysdbBhEecLAYfQYqpVLWWosHPoXo2ww"
    "ajAiBgkrBgEEAYLECgIEFTEuMy42LjEuNC4xLjQxNDgyLjEuNzATBgsrBgEEAYLlHAIBAQQEAwIEMDAhBgsrBgEEAYLlHA"
    "EB"
    "BAQSBBD6K5ncnjlCV4-SSjDSPEEYMAwGA1UdEwEB_wQCMAAwDQYJKoZIhvcNAQELBQADggEBACjrs2f-0djw4onryp_"
    "22AdX"
    "xg6a5XyxcoybHDjKu72E2SN9qDGsIZSfDy38DDFr_bF1s25joiu7WA6tylKA0HmEDloeJXJiWjv7h2Az2_"
    "siqWnJOLic4XE1"
    "lAChJS2XAqkSk9VFGelg3SLOiifrBet-ebdQwAL-2QFrcR7JrXRQG9kUy76O2VcSgbdPROsHfOYeywarhalyVSZ-6OOYK_"
    "Q_"
    "DLIaOC0jXrnkzm2ymMQFQlBAIysrYeEM1wxiFbwDt-lAcbcOEtHEf5ZlWi75nUzlWn8bSx_"
    "5FO4TbZ5hIEcUiGRpiIBEMRZl"
    "OIm4ZIbZycn_vJOFRTVps0V0S4ygtDdoYXV0aERhdGFYxMRs74KtG1Rkd1kdAIsIdZ7D5tLstPOUdL_"
    "qaWmSXQO3QQAAADn6"
    "K5ncnjlCV4-"
    "SSjDSPEEYAECSDhJoaRjVyhU9DO24CFhDHIm8rwh5dHFRVONEpTj2eXiqpzRs5xNoNlEq5cotavl1nTbQ6DhX"
    "aOYm_ulT16RMpQECAyYgASFYIJbLqy9JV7ETZUEdPtNzlfl6fBTDZNgioYpDIxIVhRGOIlggS8YE-"
    "ZzHh63D4jN3vShnN3F7"
    "heKxyJuAApMeRvTJuc8";
const char* kYkCreateClientData =
    R"({"type":"webauthn.create","challenge":"0b-5-z3_EvP6pqaBj6Fu7A4M5SdefgZ_jcAoFa6_miU","origin":"https://demo.yubico.com","crossOrigin":false})";
const char* kYkCredentialId =
    "kg4SaGkY1coVPQztuAhYQxyJvK8IeXRxUVTjRKU49nl4qqc0bOcTaDZRKuXKLWr5dZ020Og4V2jmJv7pU9ekTA";
const char* kYkGetClientData =
    R"({"type":"webauthn.get","challenge":"AK6EVGBeT_DvQQk3hoUCocO8k3WVvnQnwL5Kd2oFWzM","origin":"https://demo.yubico.com","crossOrigin":false,"extra_keys_may_be_added_here":"do not compare clientDataJSON against a template. See https://goo.gl/yabPex"})";
const char* kYkAuthData = "xGzvgq0bVGR3WR0Aiwh1nsPm0uy085R0v-ppaZJdA7cBAAAAOg";
const char* kYkSignature =
    "MEUCIDkZa6d7HwRxGCZdAldFuTo4qUZvaV8j7IYGjO74liKcAiEAj_PLArWm-VylAUsKgWoj50NQSpnn_"
    "qhZEgasgfWmG1Y";

// Ed25519 (py_webauthn's tests).
const char* kEdKey = "pAEBAycgBiFYIMz6_SUFLiDid2Yhlq0YboyJ-CDrIrNpkPUGmJp4D3Dp";
const char* kEdAuthData = "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAABw";
const char* kEdClientData =
    "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiZVo0ZWVBM080ank1Rkl6cURhU0o2SkROR3UwYkJjNXpJMU"
    "Rq"
    "UV9rTHNvMVdOcWtHNms1bUNZZjFkdFFoVlVpQldaV2xaa3pSNU1GZWVXQ3BKUlVOWHciLCJvcmlnaW4iOiJodHRwOi8vbG"
    "9j"
    "YWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9";
const char* kEdSignature =
    "RRWV8mYDRvK7YdQgdtZD4pJ2dh1D_IWZ_D6jsZo6FHJBoenbj0CVT5nA20vUzlRhN4R6dOEUHmUwP1F8eRBhBg";

}  // namespace

TEST_CASE("webauthn: a YubiKey 5 NFC registration parses, and its assertion verifies") {
  auto att = Ok(ParseAttestationObject(B64u(kYkAttestation)));
  CHECK(att.fmt == "packed");  // the statement is read, not trusted
  const auto& ad = att.auth_data;
  CHECK(ad.user_present());
  CHECK_FALSE(ad.user_verified());
  CHECK(ad.sign_count == 0x39);
  REQUIRE(ad.attested.has_value());
  CHECK(ad.attested->credential_id == B64u(kYkCredentialId));
  CHECK(ad.attested->key.alg == kEs256);
  CHECK(ad.attested->key.x.size() == 32);
  CHECK_FALSE(CheckAuthenticatorFlags(ad, "demo.yubico.com", false).has_value());
  CHECK(CheckAuthenticatorFlags(ad, "demo.yubico.com", true) == Error::kUserNotVerified);
  CHECK(CheckAuthenticatorFlags(ad, "yubico.com", false) == Error::kRpIdMismatch);

  auto challenge =
      Ok(CheckClientData(Text(kYkCreateClientData), "webauthn.create", "https://demo.yubico.com"));
  CHECK(challenge == B64u("0b-5-z3_EvP6pqaBj6Fu7A4M5SdefgZ_jcAoFa6_miU"));

  // The stored COSE key bytes parse back to the same key.
  size_t used = 0;
  auto again = Ok(ParseCoseKey(ad.attested->key_cbor, &used));
  CHECK(used == ad.attested->key_cbor.size());
  CHECK(again.x == ad.attested->key.x);
  CHECK(again.y == ad.attested->key.y);

  Bytes get_ad = B64u(kYkAuthData);
  auto assertion = Ok(ParseAuthenticatorData(get_ad));
  CHECK(assertion.sign_count == 0x3a);
  CHECK_FALSE(assertion.attested.has_value());
  Ok(CheckClientData(Text(kYkGetClientData), "webauthn.get", "https://demo.yubico.com"));
  CHECK(VerifyAssertion(ad.attested->key, get_ad, Text(kYkGetClientData), B64u(kYkSignature)));

  SUBCASE("any changed byte breaks the signature") {
    Bytes sig = B64u(kYkSignature);
    sig[10] ^= 1;
    CHECK_FALSE(VerifyAssertion(ad.attested->key, get_ad, Text(kYkGetClientData), sig));
    Bytes changed_ad = get_ad;
    changed_ad[36] ^= 1;  // the counter
    CHECK_FALSE(
        VerifyAssertion(ad.attested->key, changed_ad, Text(kYkGetClientData), B64u(kYkSignature)));
    std::string cd = kYkGetClientData;
    cd[cd.find("AK6E")] = 'B';
    CHECK_FALSE(VerifyAssertion(ad.attested->key, get_ad, Text(cd), B64u(kYkSignature)));
  }
}

TEST_CASE("webauthn: an Ed25519 assertion verifies against its COSE key") {
  auto key = Ok(ParseCoseKey(B64u(kEdKey), nullptr));
  CHECK(key.alg == kEdDsa);
  CHECK(key.y.empty());
  Bytes ad_bytes = B64u(kEdAuthData);
  auto ad = Ok(ParseAuthenticatorData(ad_bytes));
  CHECK(ad.sign_count == 7);
  CHECK_FALSE(CheckAuthenticatorFlags(ad, "localhost", false).has_value());
  Bytes cd = B64u(kEdClientData);
  auto challenge = Ok(CheckClientData(cd, "webauthn.get", "http://localhost:5000"));
  CHECK(Base64UrlEncode(challenge) ==
        "eZ4eeA3O4jy5FIzqDaSJ6JDNGu0bBc5zI1DjQ_kLso1WNqkG6k5mCYf1dtQhVUiBWZWlZkzR5MFeeWCpJRUNXw");
  CHECK(VerifyAssertion(key, ad_bytes, cd, B64u(kEdSignature)));
  Bytes sig = B64u(kEdSignature);
  sig[63] ^= 0x40;
  CHECK_FALSE(VerifyAssertion(key, ad_bytes, cd, sig));
  sig.pop_back();
  CHECK_FALSE(VerifyAssertion(key, ad_bytes, cd, sig));
}

TEST_CASE("webauthn: client data refusals") {
  Bytes cd = B64u(kEdClientData);
  CHECK(Err(CheckClientData(cd, "webauthn.create", "http://localhost:5000")) == Error::kWrongType);
  CHECK(Err(CheckClientData(cd, "webauthn.get", "http://localhost:5001")) ==
        Error::kOriginMismatch);
  CHECK(Err(CheckClientData(cd, "webauthn.get", "https://localhost:5000")) ==
        Error::kOriginMismatch);
  CHECK(Err(CheckClientData(
            Text(R"({"type":"webauthn.get","challenge":"AAAA","origin":"https://a.example",)"
                 R"("crossOrigin":true})"),
            "webauthn.get", "https://a.example")) == Error::kCrossOrigin);
  CHECK(Err(CheckClientData(Text(R"({"type":"webauthn.get","origin":"https://a.example"})"),
                            "webauthn.get", "https://a.example")) == Error::kMalformed);
  CHECK(Err(CheckClientData(Text(R"({"type":"webauthn.get","challenge":"A+/=",)"
                                 R"("origin":"https://a.example"})"),
                            "webauthn.get", "https://a.example")) == Error::kMalformed);
  CHECK(Err(CheckClientData(Text("not json"), "webauthn.get", "https://a.example")) ==
        Error::kMalformed);
}

TEST_CASE("webauthn: authenticator data must be consumed exactly") {
  Bytes ad = B64u(kEdAuthData);
  Ok(ParseAuthenticatorData(ad));
  Bytes longer = ad;
  longer.push_back(0);
  CHECK(Err(ParseAuthenticatorData(longer)) == Error::kMalformed);
  Bytes shorter(ad.begin(), ad.end() - 1);
  CHECK(Err(ParseAuthenticatorData(shorter)) == Error::kMalformed);
  Bytes no_up = ad;
  no_up[32] &= static_cast<uint8_t>(~kFlagUserPresent);
  CHECK(CheckAuthenticatorFlags(Ok(ParseAuthenticatorData(no_up)), "localhost", false) ==
        Error::kUserNotPresent);
  // AT claimed with nothing after the header.
  Bytes at = ad;
  at[32] |= kFlagAttested;
  CHECK(Err(ParseAuthenticatorData(at)) == Error::kMalformed);
  // ED claimed: an empty extensions map (0xa0) is fine, a truncated one is not.
  Bytes ed = ad;
  ed[32] |= kFlagExtensions;
  CHECK(Err(ParseAuthenticatorData(ed)) == Error::kMalformed);
  ed.push_back(0xa0);
  Ok(ParseAuthenticatorData(ed));
}

TEST_CASE("webauthn: COSE keys other than ES256 and EdDSA are refused") {
  // {1: 1, 3: -8, -1: 6, -2: h'00..'} built by hand.
  auto okp = [](uint8_t crv, uint8_t alg_neg, size_t xlen) {
    Bytes k = {0xa4, 0x01, 0x01, 0x03, alg_neg, 0x20, crv, 0x21, 0x58, static_cast<uint8_t>(xlen)};
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    for (size_t i = 0; i < xlen; ++i) k.push_back(pk[i % sizeof pk]);
    return k;
  };
  CHECK(Ok(ParseCoseKey(okp(6, 0x27, 32), nullptr)).alg == kEdDsa);
  CHECK(Err(ParseCoseKey(okp(7, 0x27, 32), nullptr)) == Error::kUnsupportedKey);  // X448 curve
  CHECK(Err(ParseCoseKey(okp(6, 0x26, 32), nullptr)) == Error::kUnsupportedKey);  // alg ES256
  CHECK(Err(ParseCoseKey(okp(6, 0x27, 31), nullptr)) == Error::kUnsupportedKey);
  // RS256 (-257): kty 3.
  Bytes rsa = {0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20, 0x41, 0x00, 0x21, 0x41, 0x00};
  CHECK(Err(ParseCoseKey(rsa, nullptr)) == Error::kMalformed);  // no crv for RSA: not ours
  // A duplicated label is ambiguous.
  Bytes dup = okp(6, 0x27, 32);
  dup[0] = 0xa5;
  dup.insert(dup.end(), {0x01, 0x01});
  CHECK(Err(ParseCoseKey(dup, nullptr)) == Error::kMalformed);
  // An EC2 key whose point is not on P-256.
  Bytes ec = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20};
  for (int i = 0; i < 32; ++i) ec.push_back(1);
  ec.insert(ec.end(), {0x22, 0x58, 0x20});
  for (int i = 0; i < 32; ++i) ec.push_back(2);
  CHECK(Err(ParseCoseKey(ec, nullptr)) == Error::kUnsupportedKey);
  CHECK(Err(ParseCoseKey(Bytes{}, nullptr)) == Error::kMalformed);
  CHECK(Err(ParseCoseKey(Bytes{0x9f, 0xff}, nullptr)) == Error::kMalformed);
}

TEST_CASE("webauthn: an Ed25519 assertion signed here with libsodium verifies") {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  CoseKey key{kEdDsa, Bytes(pk, pk + 32), {}};
  Bytes ad = Sha256(AsBytes("bom.example.com"));
  ad.insert(ad.end(), {kFlagUserPresent | kFlagUserVerified, 0, 0, 0, 5});
  Bytes cd =
      Text(R"({"type":"webauthn.get","challenge":"AAEC","origin":"https://bom.example.com"})");
  Bytes msg = ad;
  Bytes h = Sha256(cd);
  msg.insert(msg.end(), h.begin(), h.end());
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
  CHECK(VerifyAssertion(key, ad, cd, Bytes(sig, sig + sizeof sig)));
  auto parsed = Ok(ParseAuthenticatorData(ad));
  CHECK_FALSE(CheckAuthenticatorFlags(parsed, "bom.example.com", true).has_value());
  CHECK(Ok(CheckClientData(cd, "webauthn.get", "https://bom.example.com")) == Bytes{0, 1, 2});
}

TEST_CASE("webauthn: the relying party comes from the public URL") {
  auto rp = RelyingPartyFromUrl("https://BOM.example.com:8443/app");
  REQUIRE(rp.has_value());
  CHECK(rp->id == "bom.example.com");
  CHECK(rp->origin == "https://bom.example.com:8443");
  rp = RelyingPartyFromUrl("https://bom.example.com:443");
  REQUIRE(rp.has_value());
  CHECK(rp->origin == "https://bom.example.com");
  rp = RelyingPartyFromUrl("http://localhost:8080");
  REQUIRE(rp.has_value());
  CHECK(rp->id == "localhost");
  CHECK(rp->origin == "http://localhost:8080");
  CHECK_FALSE(RelyingPartyFromUrl("http://127.0.0.1:8080").has_value());
  CHECK_FALSE(RelyingPartyFromUrl("http://[::1]:8080").has_value());
  CHECK_FALSE(RelyingPartyFromUrl("ftp://bom.example.com").has_value());
  CHECK_FALSE(RelyingPartyFromUrl("https://user@bom.example.com").has_value());
  CHECK_FALSE(RelyingPartyFromUrl("https://bom..example.com").has_value());
  CHECK_FALSE(RelyingPartyFromUrl("https://bom.example.com:x").has_value());
}

TEST_CASE("codec/webauthn: client data that is not the expected JSON is malformed, never thrown") {
  using bomvault::codec::DecodeClientData;
  const char* bad[] = {
      "",
      "[]",
      "\"text\"",
      "{",
      R"({"type":5,"challenge":"AAAA","origin":"https://a.example"})",
      R"({"type":"webauthn.get","challenge":[],"origin":"https://a.example"})",
      R"({"type":"webauthn.get","challenge":"AAAA","origin":null})",
      R"({"type":"webauthn.get","challenge":"AAAA"})",
  };
  for (const char* text : bad) {
    CHECK_FALSE(DecodeClientData(Text(text)));
    CHECK(Err(CheckClientData(Text(text), "webauthn.get", "https://a.example")) ==
          Error::kMalformed);
  }
  CHECK_FALSE(DecodeClientData(Bytes(4097, ' ')));
  // crossOrigin of another type is malformed (after the type and origin checks).
  Bytes odd = Text(R"({"type":"webauthn.get","challenge":"AAAA","origin":"https://a.example",)"
                   R"("crossOrigin":"yes"})");
  CHECK(Err(CheckClientData(odd, "webauthn.get", "https://a.example")) == Error::kMalformed);
  CHECK(Err(CheckClientData(odd, "webauthn.create", "https://a.example")) == Error::kWrongType);
  auto ok = DecodeClientData(Text(R"({"type":"webauthn.get","challenge":"AAAA",)"
                                  R"("origin":"https://a.example","crossOrigin":false})"));
  REQUIRE(ok);
  CHECK(ok->type == "webauthn.get");
  CHECK_FALSE(ok->cross_origin);
}

TEST_CASE("codec/webauthn: the sealed passkey document reads back, and nothing else does") {
  using bomvault::codec::DecodeStoredPasskey;
  using bomvault::codec::EncodeStoredPasskey;
  Bytes id = {1, 2, 3}, key = {0xa5, 0x01};
  std::string text = EncodeStoredPasskey(id, key);
  CHECK(text == R"({"id":"AQID","key":"pQE"})");  // the stored form, as sealed today
  auto back = DecodeStoredPasskey(text);
  REQUIRE(back);
  CHECK(back->credential_id == id);
  CHECK(back->cose_key == key);
  for (const char* bad : {"", "{}", "[]", R"({"id":"AQID"})", R"({"id":1,"key":"pQE"})",
                          R"({"id":"AQ+D","key":"pQE"})", "{"}) {
    CHECK_FALSE(DecodeStoredPasskey(bad));
  }
}
