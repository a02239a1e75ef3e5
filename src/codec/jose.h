// The JSON of JOSE: JWK sets, a compact JWS's header and an ID token's claims, read into the plain
// structs crypto/jose.h verifies with. Reading never throws: a member of the wrong type reads as
// absent (or, where that would change a check's outcome, as a value that fails it), and a text
// that is not a JSON object is refused.
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "crypto/jose.h"

namespace bomvault::codec {

// One key of a set; nullopt when it is not a JSON object.
std::optional<crypto::Jwk> JwkFromJson(const nlohmann::json& jwk);
// A JWK set: {"keys": [...]}, members that are not objects skipped. nullopt when the value is not
// an object with a "keys" array.
std::optional<crypto::Jwks> JwksFromJson(const nlohmann::json& jwks);
std::optional<crypto::Jwks> DecodeJwks(std::string_view text);

// The claims of a JSON object (ValidateIdToken's part of them).
crypto::IdTokenClaims IdTokenClaimsFromJson(const nlohmann::json& claims);

struct VerifiedJws {
  crypto::SigAlg alg = crypto::SigAlg::kRs256;
  crypto::JwsHeader header;
  crypto::IdTokenClaims claims;
  std::string payload_json;  // the claims' JSON text, for the caller's own claims (codec/oidc.h)
};

struct JwsOutcome {
  std::optional<VerifiedJws> ok;
  crypto::JwsError error = crypto::JwsError::kMalformed;
};

// Splits a compact JWS, reads its header and claims (each must be a JSON object, else
// kMalformed) and verifies it with crypto::VerifyJws.
JwsOutcome VerifyJws(std::string_view compact, const crypto::Jwks& jwks,
                     std::span<const crypto::SigAlg> allowed);

}  // namespace bomvault::codec
