// Single sign-on with OpenID Connect, one provider per organisation (docs/sso.md).
//
// The flow is the authorization code flow with PKCE (S256), a `state` that is single-use and bound
// to the browser that started it (a random binding cookie whose hash is stored with the state),
// and a `nonce` that the ID token must carry. The ID token comes from the provider's token
// endpoint over the outbound client (service/outbound.h: the configured issuer's origin only, TLS
// verified against the system store or the provider's CA bundle; loopback and private addresses
// only for a provider an Administrator marked internal) and is verified by crypto::VerifyJws
// against the provider's JWKS with the configured algorithm allow-list, then by
// crypto::ValidateIdToken. Discovery documents and JWKS are cached for an hour; a token whose kid
// is unknown refetches the JWKS once (at most once a second per org).
//
// Users are matched by (issuer, sub) through a keyed blind index, never by e-mail address. An
// unknown identity is provisioned just in time with the default role (or the groups claim's role),
// or, for an invitation-only provider, only when a pending invitation names the address the
// provider verified. A signed-in local user links their account by running the flow with link=1.
// Sessions last no longer than the provider says: at most max_session_seconds after the
// provider's auth_time (sent as max_age), and never past Accounts' own limits. With the org's MFA
// policy requiring a second factor, the provider must assert one (amr or a configured acr value).
//
// Organisations may turn local passwords off (a provider and the acting Administrator's own linked
// identity are required first): every password hash of the org is wiped at once and no new one is
// stored. The operator's break-glass path issues a one-hour session for one of the org's
// Administrators, with a reason, audited in the org.
// Thread-safe: the caches have their own mutex; everything else goes through the store.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "codec/oidc.h"
#include "crypto/jose.h"
#include "service/accounts.h"
#include "service/org_keys.h"
#include "store/database.h"

namespace bomvault::service {

struct OidcOptions {
  std::string public_url = "http://127.0.0.1:8080";  // redirect_uri = public_url + kCallbackPath
};

inline constexpr const char* kOidcCallbackPath = "/api/v1/sso/callback";

// What an Administrator sets, and what is sealed (codec/oidc.h reads and writes its JSON).
using OidcProviderInput = codec::OidcProviderConfig;

struct OidcProviderView {
  OidcProviderInput config;  // client_secret left empty
  bool has_client_secret = false;
  std::string redirect_uri;
  bool local_passwords = true;
};

struct OidcStart {
  std::string authorization_url;
  std::string binding;  // the browser's cookie value (shown once)
};

struct OidcSignIn {
  SignInResult session;
  bool linked = false;   // an existing local account was linked
  bool created = false;  // provisioned just in time or from an invitation
};

struct OidcLogout {
  std::string logout_url;  // "" when the provider has no end_session_endpoint
};

class Oidc {
 public:
  static constexpr int64_t kLoginTtlSeconds = 600;
  static constexpr int64_t kCacheSeconds = 3600;
  static constexpr int64_t kClockSkewSeconds = 60;
  static constexpr int64_t kBreakGlassSeconds = 3600;

  Oidc(store::Database& db, OrgKeys& org_keys, Accounts& accounts,
       const crypto::SecureBuffer& index_key, OidcOptions options);

  util::Result<OidcProviderView> GetProvider(const access::Principal& actor);
  util::Status PutProvider(const access::Principal& actor, OidcProviderInput input);
  util::Status DeleteProvider(const access::Principal& actor);
  // For the sign-in page: the provider's display name, NotFound when the org has none.
  util::Result<std::string> PublicName(const util::OrgId& org);

  // Begins a sign-in (or, with link_as set, links the signed-in user's account).
  util::Result<OidcStart> Start(const util::OrgId& org, const access::Principal* link_as);
  util::Result<OidcSignIn> Finish(std::string_view code, std::string_view state,
                                  std::string_view binding, const std::string& peer);
  // The provider answered with an error: the state is spent (StateInvalid when unknown).
  util::Status Abandon(std::string_view state);
  // Ends the current session; for a session from the provider, the URL that ends the provider's.
  util::Result<OidcLogout> Logout(const access::Principal& actor, std::string_view bearer);

  // Offline check (`bomvault check`): every provider configuration and pending sign-in opens,
  // and an org with local passwords off stores no password hash. Adds one summary line per such
  // org ("org <id>: local passwords off, password hashes: N") and returns the number of
  // password hashes stored instance-wide.
  static int64_t CheckAll(store::Db& db, OrgKeys& org_keys, std::vector<std::string>* problems,
                          std::vector<std::string>* summary);

  util::Status SetLocalPasswords(const access::Principal& actor, bool enabled);
  util::Result<SignInResult> BreakGlass(const access::Principal& actor, const util::OrgId& org,
                                        const util::UserId& user, std::string_view reason);

  struct Provider;  // the decrypted configuration (internal to oidc.cc)

 private:
  struct Discovery;
  util::Result<Provider> LoadProvider(store::Db& db, const util::OrgId& org);
  util::Result<Discovery> Discover(const Provider& p, bool force);
  util::Result<crypto::Jwks> Jwks(const Provider& p, const Discovery& d, bool refresh);
  crypto::Bytes SubjectIndex(const util::OrgId& org, std::string_view issuer,
                             std::string_view sub) const;
  util::Status Refuse(const util::OrgId& org, const std::string& code, const std::string& message);

  store::Database& db_;
  OrgKeys& org_keys_;
  Accounts& accounts_;
  crypto::SecureBuffer index_key_;
  OidcOptions options_;
  struct CacheEntry {
    std::string issuer;
    std::optional<codec::OidcDiscovery> discovery;
    int64_t discovery_at = 0;
    std::optional<crypto::Jwks> jwks;
    int64_t jwks_at = 0;
  };
  std::mutex cache_mu_;
  std::map<std::string, CacheEntry> cache_;  // by org id; guarded by cache_mu_
};

}  // namespace bomvault::service
