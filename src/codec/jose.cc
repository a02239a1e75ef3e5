#include "codec/jose.h"

#include <utility>

#include "codec/json_fields.h"

namespace bomvault::codec {

namespace {

using nlohmann::json;

// A present member as text; one of another type as its JSON text (which never equals a name).
std::optional<std::string> PresentAsText(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return std::nullopt;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// Seconds: an integer, or a number of another kind cut to one; nullopt beyond int64 (casting
// 1e300 would be undefined).
std::optional<int64_t> Seconds(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  double d = it->get<double>();
  if (!(d > -9.2e18 && d < 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(d);
}

std::optional<json> ObjectOf(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

std::optional<crypto::Jwk> JwkFromJson(const json& j) {
  if (!j.is_object()) return std::nullopt;
  crypto::Jwk k;
  k.kty = OptionalText(j, "kty").value_or("");
  k.crv = OptionalText(j, "crv").value_or("");
  k.kid = OptionalText(j, "kid").value_or("");
  k.use = PresentAsText(j, "use");
  k.alg = PresentAsText(j, "alg");
  k.n = OptionalText(j, "n");
  k.e = OptionalText(j, "e");
  k.x = OptionalText(j, "x");
  k.y = OptionalText(j, "y");
  return k;
}

std::optional<crypto::Jwks> JwksFromJson(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto keys = j.find("keys");
  if (keys == j.end() || !keys->is_array()) return std::nullopt;
  crypto::Jwks out;
  for (const auto& k : *keys) {
    if (auto jwk = JwkFromJson(k)) out.keys.push_back(std::move(*jwk));
  }
  return out;
}

std::optional<crypto::Jwks> DecodeJwks(std::string_view text) {
  return JwksFromJson(json::parse(text, nullptr, false));
}

crypto::IdTokenClaims IdTokenClaimsFromJson(const json& j) {
  crypto::IdTokenClaims c;
  if (!j.is_object()) return c;
  c.iss = OptionalText(j, "iss");
  c.nonce = OptionalText(j, "nonce");
  c.sub = OptionalText(j, "sub");
  if (auto aud = j.find("aud"); aud != j.end()) {
    if (aud->is_string()) {
      c.audiences.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (!a.is_string()) {
          c.audiences.clear();  // one audience that is not text refuses them all
          break;
        }
        c.audiences.push_back(a.get<std::string>());
      }
    }
  }
  c.has_azp = j.contains("azp");
  c.azp = OptionalText(j, "azp");
  c.exp = Seconds(j, "exp");
  c.iat = Seconds(j, "iat");
  c.has_nbf = j.contains("nbf");
  c.nbf = Seconds(j, "nbf");
  return c;
}

JwsOutcome VerifyJws(std::string_view compact, const crypto::Jwks& jwks,
                     std::span<const crypto::SigAlg> allowed) {
  JwsOutcome out;
  auto parts = crypto::SplitCompactJws(compact);
  if (!parts) return out;
  auto header_json = ObjectOf(parts->header_json);
  auto claims_json = ObjectOf(parts->payload_json);
  if (!header_json || !claims_json) return out;
  crypto::JwsHeader header;
  header.alg = OptionalText(*header_json, "alg");
  header.critical = header_json->contains("crit");
  if (auto kid = header_json->find("kid"); kid != header_json->end()) {
    if (kid->is_string()) {
      header.kid = kid->get<std::string>();
    } else {
      header.kid_not_text = true;
    }
  }
  crypto::JwsResult r = crypto::VerifyJws(*parts, header, jwks, allowed);
  out.error = r.error;
  if (!r.ok) return out;
  out.ok = VerifiedJws{*r.ok, std::move(header), IdTokenClaimsFromJson(*claims_json),
                       std::move(parts->payload_json)};
  return out;
}

}  // namespace bomvault::codec
