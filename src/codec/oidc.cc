#include "codec/oidc.h"

#include <nlohmann/json.hpp>

#include "codec/json_fields.h"
#include "crypto/crypto.h"

namespace bomvault::codec {

namespace {

using nlohmann::json;

// Strings in an array, others skipped.
std::vector<std::string> Texts(const json& array) {
  std::vector<std::string> out;
  for (const auto& v : array) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// Wipes a string member of a parsed document before it is dropped.
void WipeMember(json& j, const char* name) {
  if (!j.is_object()) return;
  auto it = j.find(name);
  if (it != j.end() && it->is_string()) crypto::Wipe(it->get_ref<std::string&>());
}

json Parse(std::string_view text) { return json::parse(text, nullptr, false); }

}  // namespace

std::string EncodeProviderConfig(const OidcProviderConfig& c) {
  json doc = {{"issuer", c.issuer},
              {"client_id", c.client_id},
              {"client_secret", c.client_secret.value_or("")},
              {"algorithms", c.algorithms},
              {"display_name", c.display_name},
              {"default_role", c.default_role},
              {"provisioning", c.provisioning},
              {"groups_claim", c.groups_claim},
              {"group_roles", c.group_roles},
              {"mfa_acr_values", c.mfa_acr_values},
              {"max_session_seconds", c.max_session_seconds},
              {"internal", c.internal},
              {"ca_pem", c.ca_pem}};
  std::string text = doc.dump();
  WipeMember(doc, "client_secret");
  return text;
}

std::optional<OidcProviderConfig> DecodeProviderConfig(std::string_view text) {
  json j = Parse(text);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  std::optional<OidcProviderConfig> out;
  try {
    OidcProviderConfig c;
    c.issuer = j.value("issuer", "");
    c.client_id = j.value("client_id", "");
    c.client_secret = j.value("client_secret", "");
    c.algorithms = j.value("algorithms", std::vector<std::string>{});
    c.display_name = j.value("display_name", "");
    c.default_role = j.value("default_role", "viewer");
    c.provisioning = j.value("provisioning", "jit");
    c.groups_claim = j.value("groups_claim", "");
    c.group_roles = j.value("group_roles", std::map<std::string, std::string>{});
    c.mfa_acr_values = j.value("mfa_acr_values", std::vector<std::string>{});
    c.max_session_seconds = j.value("max_session_seconds", int64_t{12 * 3600});
    c.internal = j.value("internal", false);
    c.ca_pem = j.value("ca_pem", "");
    out = std::move(c);
  } catch (const json::exception&) {
    // a member of the wrong type: not a configuration this server wrote
  }
  WipeMember(j, "client_secret");
  return out;
}

std::string EncodeLoginRequest(const OidcLoginRequest& r) {
  json doc = {{"nonce", r.nonce}, {"verifier", r.verifier}};
  if (!r.link_user.empty()) doc["link_user"] = r.link_user;
  std::string text = doc.dump();
  WipeMember(doc, "verifier");
  return text;
}

std::optional<OidcLoginRequest> DecodeLoginRequest(std::string_view text) {
  json j = Parse(text);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  std::optional<OidcLoginRequest> out;
  auto field = [&](const char* name, std::string* to) {
    auto it = j.find(name);
    if (it == j.end()) return true;
    if (!it->is_string()) return false;
    *to = it->get<std::string>();
    return true;
  };
  OidcLoginRequest r;
  if (field("nonce", &r.nonce) && field("verifier", &r.verifier) &&
      field("link_user", &r.link_user)) {
    out = std::move(r);
  } else {
    crypto::Wipe(r.verifier);
  }
  WipeMember(j, "verifier");
  return out;
}

std::optional<OidcDiscovery> DecodeDiscovery(std::string_view text) {
  json j = Parse(text);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  OidcDiscovery d;
  d.issuer = OptionalText(j, "issuer");
  d.authorization_endpoint = OptionalText(j, "authorization_endpoint");
  d.token_endpoint = OptionalText(j, "token_endpoint");
  d.jwks_uri = OptionalText(j, "jwks_uri");
  d.end_session_endpoint = OptionalText(j, "end_session_endpoint");
  if (auto m = j.find("code_challenge_methods_supported"); m != j.end()) {
    d.code_challenge_methods = m->is_array() ? Texts(*m) : std::vector<std::string>{};
  }
  return d;
}

std::optional<std::string> DecodeTokenResponseIdToken(std::string_view text) {
  json j = Parse(text);
  std::optional<std::string> id_token;
  if (!j.is_discarded() && j.is_object()) id_token = OptionalText(j, "id_token");
  WipeMember(j, "access_token");
  WipeMember(j, "refresh_token");
  WipeMember(j, "id_token");
  return id_token;
}

IdTokenDetails DecodeIdTokenDetails(std::string_view payload_json, std::string_view groups_claim) {
  IdTokenDetails d;
  json j = Parse(payload_json);
  if (j.is_discarded() || !j.is_object()) return d;
  if (auto at = j.find("auth_time"); at != j.end()) {
    d.has_auth_time = true;
    if (at->is_number()) d.auth_time = at->get<double>();
  }
  if (auto amr = j.find("amr"); amr != j.end() && amr->is_array()) d.amr = Texts(*amr);
  d.acr = OptionalText(j, "acr");
  if (!groups_claim.empty()) {
    auto groups = j.find(std::string(groups_claim));
    if (groups != j.end() && groups->is_array()) d.groups = Texts(*groups);
  }
  d.email = OptionalText(j, "email");
  auto verified = j.find("email_verified");
  d.email_verified = verified != j.end() && verified->is_boolean() && verified->get<bool>();
  return d;
}

}  // namespace bomvault::codec
