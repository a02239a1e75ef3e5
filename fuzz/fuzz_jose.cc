// Fuzz target: what an OpenID Connect provider (or anyone posing as one) sends bomvault, parsed by
// crypto/jose.h. The first input byte picks the entry point; the rest is its input:
//  0: a compact JWS, a newline, then a JWKS: VerifyJws with every algorithm allowed;
//  1: a JWK (JSON): PublicKey::FromJwk;
//  2: ID token claims (JSON): ValidateIdToken against fixed expectations;
//  3: base64url text: Base64UrlDecode.
// Invariants beyond "no crash, no sanitizer report":
//  * a verified JWS has a JSON object header whose "alg" names the algorithm reported, and JSON
//    object claims; changing any one byte of its signing input or of its signature (the seeds are
//    real signed tokens) makes it fail, so verification covers every byte;
//  * a refusal is one of the four documented errors;
//  * a parsed JWK never verifies an empty signature;
//  * claims that pass ValidateIdToken have the expected iss, an aud naming the client, a non-empty
//    sub, an exp not past and the expected nonce;
//  * base64url decoding is strict: what decodes encodes back to exactly the same text.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "codec/jose.h"
#include "crypto/crypto.h"
#include "crypto/jose.h"
#include "fuzz/fuzz_check.h"

using namespace bomvault::crypto;
using nlohmann::json;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(Init());
  return 0;
}

namespace {

const SigAlg kAll[] = {SigAlg::kRs256, SigAlg::kEs256, SigAlg::kEdDsa};
constexpr int64_t kNow = 1'800'000'000;

bool Documented(JwsError e) {
  return e == JwsError::kMalformed || e == JwsError::kAlgNotAllowed || e == JwsError::kUnknownKid ||
         e == JwsError::kBadSignature;
}

void CheckJws(std::string_view compact, const Jwks& jwks) {
  bomvault::codec::JwsOutcome r = bomvault::codec::VerifyJws(compact, jwks, kAll);
  if (!r.ok) {
    FUZZ_CHECK(Documented(r.error));
    FUZZ_CHECK(std::string_view(JwsErrorCode(r.error)).size() > 0);
    return;
  }
  FUZZ_CHECK(r.ok->header.alg == SigAlgName(r.ok->alg));
  // Every byte of the signing input and of the signature counts. Bounded: a long token is
  // checked at a sample of positions.
  size_t step = compact.size() / 64 + 1;
  for (size_t i = 0; i < compact.size(); i += step) {
    if (compact[i] == '.') continue;
    std::string changed(compact);
    // Another base64url character (never '.'), so the token keeps its three parts.
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    bomvault::codec::JwsOutcome again = bomvault::codec::VerifyJws(changed, jwks, kAll);
    // A change in the last character of a part may only touch its unused low bits; the strict
    // decoder refuses those, so that too is a refusal.
    FUZZ_CHECK(!again.ok);
  }
}

void CheckClaims(const json& claims) {
  IdTokenExpectations want;
  want.issuer = "https://idp.example";
  want.client_id = "client-1";
  want.nonce = "n-1";
  want.now = kNow;
  auto bad = ValidateIdToken(bomvault::codec::IdTokenClaimsFromJson(claims), want);
  if (bad) {
    FUZZ_CHECK(!bad->empty());
    return;
  }
  FUZZ_CHECK(claims.is_object());
  FUZZ_CHECK(claims.value("iss", json()) == want.issuer);
  const json& aud = claims.at("aud");
  bool names_us = aud == want.client_id;
  if (aud.is_array()) {
    for (const auto& a : aud) names_us = names_us || a == want.client_id;
  }
  FUZZ_CHECK(names_us);
  FUZZ_CHECK(claims.at("sub").is_string() && !claims.at("sub").get<std::string>().empty());
  FUZZ_CHECK(claims.at("exp").is_number() &&
             claims.at("exp").get<double>() >= static_cast<double>(kNow - want.skew_seconds));
  FUZZ_CHECK(claims.value("nonce", json()) == want.nonce);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      size_t nl = in.find('\n');
      if (nl == std::string_view::npos) return 0;
      json jwks = json::parse(in.substr(nl + 1), nullptr, false);
      if (jwks.is_discarded()) return 0;
      CheckJws(in.substr(0, nl), bomvault::codec::JwksFromJson(jwks).value_or(Jwks{}));
      break;
    }
    case 1: {
      json jwk = json::parse(in, nullptr, false);
      if (jwk.is_discarded()) return 0;
      auto parsed = bomvault::codec::JwkFromJson(jwk);
      if (auto key = parsed ? PublicKey::FromJwk(*parsed) : std::nullopt) {
        const uint8_t msg[] = {'x'};
        FUZZ_CHECK(!key->Verify(key->alg(), msg, {}));
      }
      break;
    }
    case 2: {
      json claims = json::parse(in, nullptr, false);
      if (claims.is_discarded()) return 0;
      CheckClaims(claims);
      break;
    }
    default: {
      if (auto bytes = Base64UrlDecode(in)) {
        FUZZ_CHECK(Base64UrlEncode(*bytes) == in);
      }
      break;
    }
  }
  return 0;
}
