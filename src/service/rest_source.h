// The REST/JSON kind of data source: a BOM is read from GET <items_path> (the remote id put in
// for "{remote_id}") as {"name", "items":[bomvault items], "next": path or null}, following
// "next" pages on the same origin; a BOM is sent with POST <send_path> {name, items} (answer
// {"id"}) or, when it went there before, PUT <items_path>.
// Each user's own credentials, one of:
//   oauth_code          OAuth 2.0 authorization code with PKCE (S256): the server makes the
//                       state and the verifier, the user's browser signs in at the provider, the
//                       code comes back through PUT .../connection; tokens are refreshed when
//                       they expire or the API answers 401, and revoked (RFC 7009) on disconnect;
//   client_credentials  the user's own OAuth client id and secret, exchanged for tokens;
//   api_key             a key sent in the source's api_key_header;
//   basic               HTTP Basic with the user's own name and password.
// The provider's endpoints (authorize, token, revocation) may be another origin than the API;
// each is configured by an Administrator and reached under the same outbound rules.
// Secrets are NUL-separated fields in locked memory (see Secret* below); the request bodies that
// must carry them are wiped after use. Not thread-safe: one per job or request.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bom/item.h"
#include "crypto/secure_buffer.h"
#include "service/outbound.h"
#include "service/tryton.h"
#include "util/status.h"

namespace bomvault::service {

struct RestSettings {
  OutboundTarget api;  // base URL's origin
  std::optional<OutboundTarget> authorize, token, revocation;
  std::string authorize_path, token_path, revocation_path;  // with their origin's base path
  std::string auth_method;
  std::string client_id, client_secret, scopes;
  std::string api_key_header = "X-Api-Key";
  std::string items_path = "/boms/{remote_id}";
  std::string send_path = "/boms";
};

// A secret's fields: "oauth", access, refresh, expires_at | "apikey", key | "basic", user,
// password | "cc", client_id, client_secret, access, expires_at. Persisted (sealed): must not
// change.
crypto::SecureBuffer JoinSecret(const std::vector<std::string_view>& fields);
std::vector<std::string_view> SplitSecret(const crypto::SecureBuffer& secret);

class RestClient {
 public:
  RestClient(RestSettings settings, const std::atomic<bool>* cancelled)
      : s_(std::move(settings)), cancelled_(cancelled) {}

  // The provider's authorization URL for a code + PKCE sign-in.
  std::string AuthorizeUrl(std::string_view state, std::string_view challenge,
                           std::string_view redirect_uri) const;
  util::Result<crypto::SecureBuffer> ExchangeCode(std::string_view code,
                                                  const crypto::SecureBuffer& verifier,
                                                  std::string_view redirect_uri);
  util::Result<crypto::SecureBuffer> ClientCredentials(std::string_view client_id,
                                                       std::string_view client_secret);
  // Revokes what can be revoked (RFC 7009); failures are logged, not fatal.
  void Revoke(const crypto::SecureBuffer& secret);

  // `secret` may be replaced (refreshed tokens); `on_refreshed` gets the new one to store.
  util::Result<RemoteBom> Pull(crypto::SecureBuffer& secret, std::string_view remote_id,
                               const std::function<void(const crypto::SecureBuffer&)>& on_refreshed,
                               const std::function<void(double)>& progress);
  util::Result<std::string> Send(
      crypto::SecureBuffer& secret, std::string_view name, const std::vector<bom::Item>& items,
      std::optional<std::string> existing,
      const std::function<void(const crypto::SecureBuffer&)>& on_refreshed);

 private:
  util::Result<crypto::SecureBuffer> TokenRequest(std::string body,
                                                  const crypto::SecureBuffer* auth,
                                                  std::string_view kind,
                                                  const crypto::SecureBuffer* keep);
  util::Result<crypto::SecureBuffer> Refresh(const crypto::SecureBuffer& secret);
  util::Result<OutboundResponse> Call(
      crypto::SecureBuffer& secret, OutboundRequest request,
      const std::function<void(const crypto::SecureBuffer&)>& on_refreshed);

  RestSettings s_;
  const std::atomic<bool>* cancelled_;
};

// A remote id for REST sources: 1-128 of [A-Za-z0-9._~-].
bool ValidRestId(std::string_view id);

}  // namespace bomvault::service
