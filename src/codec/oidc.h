// The JSON of OpenID Connect as bomvault speaks it (service/oidc.h): the provider's discovery
// document, its token endpoint's answer and an ID token's claims beyond those crypto/jose.h
// checks, and the two documents bomvault seals itself: an organisation's provider configuration
// and a pending sign-in's request. Each is read into and written from a plain struct; reading
// never throws (a text that is not the expected JSON is refused, a member of the wrong type reads
// as absent). Texts holding a secret (the client secret, the provider's tokens) have the parsed
// copies wiped before they are dropped.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bomvault::codec {

// An organisation's provider, as an Administrator sets it and as it is sealed. Persisted as JSON:
// key names must not change.
struct OidcProviderConfig {
  std::string issuer;
  std::string client_id;
  std::optional<std::string> client_secret;  // nullopt keeps the stored one; "" = public client
  std::vector<std::string> algorithms;       // subset of RS256, ES256, EdDSA
  std::string display_name;
  std::string default_role = "viewer";
  std::string provisioning = "jit";  // "jit" | "invitation"
  std::string groups_claim;          // "" = roles are not taken from the token
  std::map<std::string, std::string> group_roles;
  std::vector<std::string> mfa_acr_values;
  int64_t max_session_seconds = 12 * 3600;
  bool internal = false;  // loopback and private addresses allowed (on-prem or test providers)
  std::string ca_pem;     // "" = the system store
};

// The sealed text (an absent client secret is stored as "").
std::string EncodeProviderConfig(const OidcProviderConfig& config);
// Missing members take their defaults (client_secret ""); nullopt when the text is not a JSON
// object or a member has the wrong type.
std::optional<OidcProviderConfig> DecodeProviderConfig(std::string_view text);

// A pending sign-in's sealed request: the ID token's nonce, the PKCE verifier and, when a
// signed-in user links their account, that user's id ("" otherwise).
struct OidcLoginRequest {
  std::string nonce, verifier, link_user;
};
std::string EncodeLoginRequest(const OidcLoginRequest& request);
// nullopt when the text is not a JSON object or a member is not text.
std::optional<OidcLoginRequest> DecodeLoginRequest(std::string_view text);

// The members of a discovery document bomvault uses (OpenID Connect Discovery 1.0, 3); each
// nullopt when absent or not text.
struct OidcDiscovery {
  std::optional<std::string> issuer;
  std::optional<std::string> authorization_endpoint, token_endpoint, jwks_uri, end_session_endpoint;
  // "code_challenge_methods_supported" when present: its texts (empty when it is not an array).
  std::optional<std::vector<std::string>> code_challenge_methods;
  bool operator==(const OidcDiscovery&) const = default;
};
// nullopt when the text is not a JSON object.
std::optional<OidcDiscovery> DecodeDiscovery(std::string_view text);

// The token endpoint's answer: its id_token; nullopt when the text is not a JSON object with an
// id_token text. The access token is not kept.
std::optional<std::string> DecodeTokenResponseIdToken(std::string_view text);

// The claims of a verified ID token's payload that sign-in uses beyond crypto::IdTokenClaims.
struct IdTokenDetails {
  bool has_auth_time = false;
  std::optional<double> auth_time;  // nullopt when present but not a number
  std::vector<std::string> amr;     // the texts of "amr" when it is an array
  std::optional<std::string> acr;
  std::optional<std::vector<std::string>> groups;  // the configured claim's texts, when an array
  std::optional<std::string> email;
  bool email_verified = false;  // true only for the boolean true
};
// `groups_claim` "" reads no groups. A payload that is not a JSON object reads as no claims.
IdTokenDetails DecodeIdTokenDetails(std::string_view payload_json, std::string_view groups_claim);

}  // namespace bomvault::codec
