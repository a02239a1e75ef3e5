#include "service/oidc.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "codec/jose.h"
#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/outbound.h"
#include "store/invitations_store.h"
#include "store/orgs_store.h"
#include "store/sso_store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/percent_encode.h"

namespace bomvault::service {

using access::Principal;
using access::Role;
using util::Code;
using util::Status;

namespace {

constexpr size_t kMaxProviderAnswer = 1u << 20;
constexpr int64_t kJwksRefetchSeconds = 1;
constexpr int64_t kIatMaxAgeSeconds = 600;
constexpr int kMaxPendingLogins = 10000;

Status Allowed(const Principal& p, access::Function f) {
  return access::Refusal(p, f, access::MayUse(p, f));
}

Status Invalid(const char* code, std::string message) {
  return Status::Invalid(code, std::move(message));
}

Status StateInvalid() {
  return Invalid("state_invalid",
                 "this sign-in is unknown, expired, already used or was started in another "
                 "browser; start again");
}

bool IsTextField(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
}

// The org's own setting, stored in orgs.settings (absent = on).
bool LocalPasswordsOn(store::Db& db, const util::OrgId& org) {
  return store::LoadOrgSettings(db, org).local_passwords;
}

// RFC 8176 values naming a factor beyond a password.
bool AmrHasSecondFactor(const std::vector<std::string>& amr) {
  static const std::set<std::string> kStrong = {"mfa",  "otp",  "hwk",    "swk", "sc",  "fpt",
                                                "face", "iris", "retina", "vbm", "sms", "tel"};
  for (const auto& v : amr) {
    if (kStrong.count(v) != 0) return true;
  }
  return false;
}

int RoleRank(Role r) {
  switch (r) {
    case Role::kAdministrator:
      return 3;
    case Role::kEditor:
      return 2;
    case Role::kViewer:
      return 1;
  }
  return 0;
}

Status CheckInput(const OidcProviderInput& c) {
  auto origin = ParseSourceUrl(c.issuer, c.internal);
  if (!origin.ok()) {
    return Invalid("invalid_issuer",
                   "issuer must be an https URL (http only for a provider marked internal) with a "
                   "host, no credentials, query or fragment, at an address this server may reach");
  }
  if (!IsTextField(c.client_id, 255)) {
    return Invalid("invalid_client_id", "client_id must be 1-255 printable characters");
  }
  if (c.client_secret && c.client_secret->size() > 1024) {
    return Invalid("invalid_client_secret", "client_secret must be at most 1024 bytes");
  }
  if (c.algorithms.empty()) {
    return Invalid("invalid_algorithms",
                   "algorithms must list at least one of RS256, ES256, EdDSA");
  }
  for (const auto& a : c.algorithms) {
    if (!crypto::ParseSigAlg(a)) {
      return Invalid("invalid_algorithms",
                     "algorithms may only be RS256, ES256 and EdDSA (never none or HS*)");
    }
  }
  if (!IsTextField(c.display_name, 60)) {
    return Invalid("invalid_display_name", "display_name must be 1-60 printable characters");
  }
  if (!access::ParseRole(c.default_role)) {
    return Invalid("invalid_role", "default_role must be administrator, editor or viewer");
  }
  if (c.provisioning != "jit" && c.provisioning != "invitation") {
    return Invalid("invalid_provisioning", "provisioning must be jit or invitation");
  }
  if (!c.groups_claim.empty() && !IsTextField(c.groups_claim, 100)) {
    return Invalid("invalid_groups_claim", "groups_claim must be at most 100 printable characters");
  }
  if (c.group_roles.size() > 100) {
    return Invalid("invalid_group_roles", "at most 100 group mappings");
  }
  for (const auto& [group, role] : c.group_roles) {
    if (!IsTextField(group, 255) || !access::ParseRole(role)) {
      return Invalid("invalid_group_roles",
                     "group_roles maps group names to administrator, editor or viewer");
    }
  }
  if (c.mfa_acr_values.size() > 20) return Invalid("invalid_acr", "at most 20 acr values");
  for (const auto& a : c.mfa_acr_values) {
    if (!IsTextField(a, 255)) return Invalid("invalid_acr", "acr values are printable text");
  }
  if (c.max_session_seconds < 300 || c.max_session_seconds > Accounts::kSessionAbsoluteSeconds) {
    return Invalid("invalid_max_session",
                   "max_session_seconds must be between 300 and 43200 (12 hours)");
  }
  if (c.ca_pem.size() > 64 * 1024 ||
      (!c.ca_pem.empty() && c.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)) {
    return Invalid("invalid_ca", "ca_pem must be PEM certificates, at most 64 KiB");
  }
  return Status::Ok();
}

}  // namespace

struct Oidc::Provider {
  util::OrgId org;
  OidcProviderInput config;  // client_secret moved into `secret`
  crypto::SecureBuffer secret;
  SourceOrigin origin;
};

namespace {

OutboundTarget Target(const Oidc::Provider& p) {
  OutboundTarget t;
  t.origin = p.origin;
  t.internal = p.config.internal;
  t.ca_pem = p.config.ca_pem;
  t.max_response_bytes = kMaxProviderAnswer;
  t.connect_timeout_seconds = 10;
  t.timeout_seconds = 15;
  return t;
}

}  // namespace

struct Oidc::Discovery {
  std::string authorization_endpoint;
  std::string token_path;
  std::string jwks_path;
  std::string end_session_endpoint;
};

Oidc::Oidc(store::Database& db, OrgKeys& org_keys, Accounts& accounts,
           const crypto::SecureBuffer& index_key, OidcOptions options)
    : db_(db),
      org_keys_(org_keys),
      accounts_(accounts),
      index_key_(index_key.Clone()),
      options_(std::move(options)) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/') {
    options_.public_url.pop_back();
  }
}

crypto::Bytes Oidc::SubjectIndex(const util::OrgId& org, std::string_view issuer,
                                 std::string_view sub) const {
  std::string key = org.str();
  key += '\n';
  key += issuer;
  key += '\n';
  key += sub;
  return crypto::KeyedHash(index_key_, "oidc-subject", crypto::AsBytes(key));
}

util::Result<Oidc::Provider> Oidc::LoadProvider(store::Db& db, const util::OrgId& org) {
  auto sealed = store::ProviderConfigSealed(db, org);
  if (!sealed) {
    return Status(Code::kNotFound, "sso_not_configured", "this organisation has no single sign-on");
  }
  auto crypto = org_keys_.Get(db, org);
  if (!crypto.ok()) return crypto.status();
  auto plain = crypto.value()->Open("oidc", org.str(), *sealed);
  if (!plain) return Status::Internal("the sign-on configuration could not be opened");
  auto config = codec::DecodeProviderConfig(
      std::string_view(reinterpret_cast<const char*>(plain->data()), plain->size()));
  crypto::Wipe(*plain);
  if (!config) return Status::Internal("the sign-on configuration could not be read");
  Provider p;
  p.org = org;
  p.config = std::move(*config);
  std::string secret = p.config.client_secret.value_or("");
  p.secret = crypto::SecureBuffer(reinterpret_cast<const uint8_t*>(secret.data()), secret.size());
  crypto::Wipe(secret);
  if (p.config.client_secret) {
    crypto::Wipe(*p.config.client_secret);
  }
  p.config.client_secret.reset();
  auto origin = ParseSourceUrl(p.config.issuer, p.config.internal);
  if (!origin.ok()) return origin.status();
  p.origin = origin.value();
  return p;
}

util::Result<Oidc::Discovery> Oidc::Discover(const Provider& p, bool force) {
  int64_t now = util::NowUnix();
  std::optional<codec::OidcDiscovery> doc;
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(p.org.str());
    if (!force && it != cache_.end() && it->second.issuer == p.config.issuer &&
        now - it->second.discovery_at < kCacheSeconds) {
      doc = it->second.discovery;
    }
  }
  auto unusable = [](const char* what) {
    return Status(Code::kUnprocessable, "sso_discovery_invalid",
                  std::string("the provider's discovery document is unusable: ") + what);
  };
  if (!doc) {
    OutboundTarget target = Target(p);
    OutboundRequest req;
    req.path = "/.well-known/openid-configuration";
    req.headers = {"Accept: application/json"};
    auto r = Fetch(target, req);
    if (!r.ok()) return r.status();
    if (r->status != 200) return unusable("it did not answer 200");
    doc = codec::DecodeDiscovery(r->body);
    if (!doc) return unusable("not a JSON object");
  }
  // The document must be the configured issuer's own (OpenID Connect Discovery 4.3).
  if (doc->issuer.value_or("") != p.config.issuer) return unusable("its issuer differs");
  Discovery d;
  // Every endpoint bomvault calls lives at the issuer's own origin: nothing is fetched elsewhere.
  auto same_origin = [&](const char* key, const std::optional<std::string>& member, bool required,
                         std::string* path, std::string* full) -> Status {
    if (!member) return required ? unusable(key) : Status::Ok();
    const std::string& url = *member;
    size_t query = url.find('?');
    auto o = ParseSourceUrl(url.substr(0, query), p.config.internal);
    if (!o.ok() || o->OriginText() != p.origin.OriginText()) return unusable(key);
    if (path != nullptr) {
      if (query != std::string::npos) return unusable(key);
      *path = o->path.empty() ? "/" : o->path;
    }
    if (full != nullptr) *full = url;
    return Status::Ok();
  };
  if (Status st = same_origin("authorization_endpoint", doc->authorization_endpoint, true, nullptr,
                              &d.authorization_endpoint);
      !st.ok()) {
    return st;
  }
  if (Status st = same_origin("token_endpoint", doc->token_endpoint, true, &d.token_path, nullptr);
      !st.ok()) {
    return st;
  }
  if (Status st = same_origin("jwks_uri", doc->jwks_uri, true, &d.jwks_path, nullptr); !st.ok()) {
    return st;
  }
  if (Status st = same_origin("end_session_endpoint", doc->end_session_endpoint, false, nullptr,
                              &d.end_session_endpoint);
      !st.ok()) {
    return st;
  }
  if (const auto& m = doc->code_challenge_methods) {
    if (std::find(m->begin(), m->end(), "S256") == m->end()) {
      return unusable("it does not support PKCE S256");
    }
  }
  std::lock_guard lock(cache_mu_);
  auto& e = cache_[p.org.str()];
  if (e.issuer != p.config.issuer || e.discovery_at == 0 || force || e.discovery != doc) {
    if (e.issuer != p.config.issuer) e = CacheEntry{};
    e.issuer = p.config.issuer;
    e.discovery = doc;
    e.discovery_at = now;
  }
  return d;
}

util::Result<crypto::Jwks> Oidc::Jwks(const Provider& p, const Discovery& d, bool refresh) {
  int64_t now = util::NowUnix();
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(p.org.str());
    if (it != cache_.end() && it->second.issuer == p.config.issuer && it->second.jwks) {
      bool fresh = now - it->second.jwks_at < kCacheSeconds;
      // An unknown kid refetches, but not more than once a second per org.
      bool may_refetch = now - it->second.jwks_at >= kJwksRefetchSeconds;
      if ((!refresh && fresh) || (refresh && !may_refetch)) return *it->second.jwks;
    }
  }
  OutboundTarget target = Target(p);
  target.origin.path = "";
  OutboundRequest req;
  req.path = d.jwks_path;
  req.headers = {"Accept: application/json, application/jwk-set+json"};
  auto r = Fetch(target, req);
  if (!r.ok()) return r.status();
  auto jwks = codec::DecodeJwks(r->body);
  if (r->status != 200 || !jwks) {
    return Status(Code::kUnprocessable, "sso_jwks_invalid", "the provider's key set is unusable");
  }
  util::log::Info("sso.jwks_fetched")
      .Ref("org_id", p.org)
      .Num("keys", static_cast<int64_t>(jwks->keys.size()));
  std::lock_guard lock(cache_mu_);
  auto& e = cache_[p.org.str()];
  if (e.issuer != p.config.issuer) {
    e = CacheEntry{};
    e.issuer = p.config.issuer;
  }
  e.jwks = jwks;
  e.jwks_at = now;
  return std::move(*jwks);
}

util::Result<OidcProviderView> Oidc::GetProvider(const Principal& actor) {
  if (Status st = Allowed(actor, access::Function::kOrgSettingsRead); !st.ok()) return st;
  OidcProviderView v;
  Status st = db_.Read([&](store::Db& db) -> Status {
    v.local_passwords = LocalPasswordsOn(db, actor.org);
    auto p = LoadProvider(db, actor.org);
    if (!p.ok()) return p.status();
    v.config = p->config;
    v.has_client_secret = p->secret.size() > 0;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  v.redirect_uri = options_.public_url + kOidcCallbackPath;
  return v;
}

Status Oidc::PutProvider(const Principal& actor, OidcProviderInput input) {
  if (Status st = Allowed(actor, access::Function::kOrgSettingsWrite); !st.ok()) return st;
  if (Status st = CheckInput(input); !st.ok()) return st;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = org_keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    bool existed = false;
    if (!input.client_secret) {
      auto old = LoadProvider(db, actor.org);
      if (old.ok()) {
        existed = true;
        input.client_secret =
            std::string(reinterpret_cast<const char*>(old->secret.data()), old->secret.size());
      } else if (old.status().code() != Code::kNotFound) {
        return old.status();
      }
    } else {
      existed = store::ProviderExists(db, actor.org);
    }
    std::string text = codec::EncodeProviderConfig(input);
    auto sealed = org.value()->SealText("oidc", actor.org.str(), text);
    crypto::Wipe(text);
    if (input.client_secret) {
      crypto::Wipe(*input.client_secret);
    }
    store::SaveProvider(db, actor.org, sealed, util::NowUnix());
    RecordAudit(db, org.value().get(),
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 existed ? "sso.update" : "sso.create",
                 {{"issuer", input.issuer},
                  {"client_id", input.client_id},
                  {"algorithms", input.algorithms},
                  {"provisioning", input.provisioning},
                  {"default_role", input.default_role},
                  {"internal", input.internal}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::lock_guard lock(cache_mu_);
  cache_.erase(actor.org.str());
  return Status::Ok();
}

Status Oidc::DeleteProvider(const Principal& actor) {
  if (Status st = Allowed(actor, access::Function::kOrgSettingsWrite); !st.ok()) return st;
  Status st = db_.Write([&](store::Db& db) -> Status {
    if (!LocalPasswordsOn(db, actor.org)) {
      return Status::Conflict("local_passwords_off",
                              "turn local passwords back on before removing single sign-on, or "
                              "nobody could sign in");
    }
    if (!store::DeleteProvider(db, actor.org)) return Status::NotFound();
    int unlinked = store::DeleteOrgIdentities(db, actor.org);
    auto org = org_keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 "sso.delete",
                 {{"identities_unlinked", unlinked}}});
    return Status::Ok();
  });
  std::lock_guard lock(cache_mu_);
  cache_.erase(actor.org.str());
  return st;
}

util::Result<std::string> Oidc::PublicName(const util::OrgId& org) {
  std::string name;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto p = LoadProvider(db, org);
    if (!p.ok()) return p.status().code() == Code::kNotFound ? Status::NotFound() : p.status();
    name = p->config.display_name;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return name;
}

util::Result<OidcStart> Oidc::Start(const util::OrgId& org, const Principal* link_as) {
  if (link_as != nullptr) {
    if (Status st = Allowed(*link_as, access::Function::kSelfManage); !st.ok()) return st;
    if (link_as->org != org) return Status::NotFound();
  }
  util::Result<Provider> provider = Status::Internal();
  Status st = db_.Read([&](store::Db& db) -> Status {
    provider = LoadProvider(db, org);
    if (!provider.ok()) {
      return provider.status().code() == Code::kNotFound ? Status::NotFound() : provider.status();
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  const Provider& p = provider.value();
  auto d = Discover(p, false);
  if (!d.ok()) return d.status();

  std::string state = crypto::RandomToken();
  std::string nonce = crypto::RandomToken();
  std::string verifier = crypto::RandomToken();  // 43 unreserved characters (RFC 7636 4.1)
  OidcStart out;
  out.binding = crypto::RandomToken();
  crypto::Bytes challenge = crypto::Sha256(crypto::AsBytes(verifier));
  crypto::Bytes state_hash = crypto::Hash("bomvault-oidc-state", crypto::AsBytes(state));
  crypto::Bytes binding_hash = crypto::Hash("bomvault-oidc-binding", crypto::AsBytes(out.binding));
  codec::OidcLoginRequest request{nonce, verifier, link_as != nullptr ? link_as->user.str() : ""};
  st = db_.Write([&](store::Db& db) -> Status {
    int64_t now = util::NowUnix();
    store::PurgeExpiredLogins(db, now);
    if (store::CountLogins(db, org) >= kMaxPendingLogins) {
      return Status(Code::kTooManyRequests, "too_many_sign_ins",
                    "too many sign-ins are in progress; try again in a few minutes")
          .WithRetryAfter(60);
    }
    auto crypto = org_keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    std::string text = codec::EncodeLoginRequest(request);
    auto sealed = crypto.value()->SealText("oidc-login", crypto::ToHex(state_hash), text);
    crypto::Wipe(text);
    store::InsertLogin(db, state_hash, {org, binding_hash, sealed, now + kLoginTtlSeconds}, now);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::string scope = "openid email profile";
  if (!p.config.groups_claim.empty()) scope += " " + p.config.groups_claim;
  std::string url = d->authorization_endpoint;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code&client_id=" + util::PercentEncode(p.config.client_id) +
         "&redirect_uri=" + util::PercentEncode(options_.public_url + kOidcCallbackPath) +
         "&scope=" + util::PercentEncode(scope) + "&state=" + state + "&nonce=" + nonce +
         "&code_challenge=" + crypto::Base64UrlEncode(challenge) +
         "&code_challenge_method=S256&max_age=" + std::to_string(p.config.max_session_seconds);
  out.authorization_url = std::move(url);
  util::log::Info("sso.started").Ref("org_id", org).Num("link", link_as != nullptr ? 1 : 0);
  return out;
}

Status Oidc::Abandon(std::string_view state) {
  if (state.empty() || state.size() > 256) return StateInvalid();
  crypto::Bytes state_hash = crypto::Hash("bomvault-oidc-state", crypto::AsBytes(state));
  return db_.Write([&](store::Db& db) -> Status {
    return store::DeleteLogin(db, state_hash) ? Status::Ok() : StateInvalid();
  });
}

Status Oidc::Refuse(const util::OrgId& org, const std::string& code, const std::string& message) {
  util::log::Warn("sso.refused").Ref("org_id", org);
  // The refusal stands whether or not its audit entry could be written; a failure is logged.
  Status audited = db_.Write([&](store::Db& db) -> Status {
    auto crypto = org_keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    RecordAudit(db, crypto.value().get(),
                {"org:" + org.str(), "system", "sso.refused", {{"reason", code}}});
    return Status::Ok();
  });
  if (!audited.ok()) util::log::Error("sso.refusal_audit_failed").Ref("org_id", org);
  return Status(Code::kUnauthenticated, code, message);
}

util::Result<OidcSignIn> Oidc::Finish(std::string_view code, std::string_view state,
                                      std::string_view binding, const std::string& peer) {
  if (state.empty() || state.size() > 256 || code.empty() || code.size() > 4096 ||
      binding.size() > 256) {
    return StateInvalid();
  }
  // The state is deleted before anything else: it can be used once, whatever happens next.
  crypto::Bytes state_hash = crypto::Hash("bomvault-oidc-state", crypto::AsBytes(state));
  crypto::Bytes binding_hash = crypto::Hash("bomvault-oidc-binding", crypto::AsBytes(binding));
  util::OrgId org;
  std::optional<codec::OidcLoginRequest> request;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto login = store::TakeLogin(db, state_hash);
    if (!login) return StateInvalid();
    org = login->org;
    bool bound = crypto::ConstantTimeEquals(binding_hash, login->binding_hash);
    if (!bound || login->expires_at <= util::NowUnix()) return Status::Ok();
    auto crypto = org_keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    auto plain =
        crypto.value()->Open("oidc-login", crypto::ToHex(state_hash), login->request_sealed);
    if (!plain) return Status::Internal("a sign-in could not be opened");
    request = codec::DecodeLoginRequest(
        std::string_view(reinterpret_cast<const char*>(plain->data()), plain->size()));
    crypto::Wipe(*plain);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!request) {
    util::log::Warn("sso.state_unbound").Ref("org_id", org).AddrHash("peer", peer);
    return StateInvalid();
  }
  util::Result<Provider> provider = Status::Internal();
  st = db_.Read([&](store::Db& db) -> Status {
    provider = LoadProvider(db, org);
    return provider.ok() ? Status::Ok() : provider.status();
  });
  if (!st.ok()) return st;
  const Provider& p = provider.value();
  auto d = Discover(p, false);
  if (!d.ok()) return d.status();

  // The code exchange (RFC 6749 4.1.3 with the PKCE verifier, RFC 7636 4.5).
  OutboundTarget target = Target(p);
  target.origin.path = "";
  OutboundRequest req;
  req.method = "POST";
  req.path = d->token_path;
  req.content_type = "application/x-www-form-urlencoded";
  req.headers = {"Accept: application/json"};
  req.body = "grant_type=authorization_code&code=" + util::PercentEncode(code) +
             "&redirect_uri=" + util::PercentEncode(options_.public_url + kOidcCallbackPath) +
             "&code_verifier=" + util::PercentEncode(request->verifier);
  crypto::SecureBuffer authorization;
  if (p.secret.size() > 0) {
    // client_secret_basic: both parts form-encoded first (RFC 6749 2.3.1).
    std::string secret(reinterpret_cast<const char*>(p.secret.data()), p.secret.size());
    std::string encoded = util::PercentEncode(secret);
    authorization = BasicAuthorization(util::PercentEncode(p.config.client_id), encoded);
    crypto::Wipe(secret);
    crypto::Wipe(encoded);
    req.authorization = &authorization;
  } else {
    req.body += "&client_id=" + util::PercentEncode(p.config.client_id);
  }
  auto answer = Fetch(target, req);
  if (!answer.ok()) return answer.status();
  auto answered_token = codec::DecodeTokenResponseIdToken(answer->body);
  crypto::Wipe(answer->body);
  if (answer->status != 200 || !answered_token) {
    return Refuse(org, "sso_code_rejected", "the provider did not accept this sign-in's code");
  }
  std::string id_token = std::move(*answered_token);

  std::vector<crypto::SigAlg> allowed;
  for (const auto& a : p.config.algorithms) {
    if (auto alg = crypto::ParseSigAlg(a)) allowed.push_back(*alg);
  }
  auto jwks = Jwks(p, *d, false);
  if (!jwks.ok()) return jwks.status();
  codec::JwsOutcome verified = codec::VerifyJws(id_token, jwks.value(), allowed);
  if (!verified.ok && verified.error == crypto::JwsError::kUnknownKid) {
    jwks = Jwks(p, *d, true);
    if (!jwks.ok()) return jwks.status();
    verified = codec::VerifyJws(id_token, jwks.value(), allowed);
  }
  if (!verified.ok) {
    return Refuse(org, std::string("id_token_") + crypto::JwsErrorCode(verified.error),
                  "the provider's ID token was refused (signature or algorithm)");
  }
  const crypto::IdTokenClaims& claims = verified.ok->claims;
  crypto::IdTokenExpectations want;
  want.issuer = p.config.issuer;
  want.client_id = p.config.client_id;
  want.nonce = request->nonce;
  want.now = util::NowUnix();
  want.skew_seconds = kClockSkewSeconds;
  want.max_age_seconds = kIatMaxAgeSeconds;
  if (auto bad = crypto::ValidateIdToken(claims, want)) {
    return Refuse(org, "id_token_" + *bad, "the provider's ID token was refused (claims)");
  }
  const std::string sub = *claims.sub;
  const codec::IdTokenDetails details =
      codec::DecodeIdTokenDetails(verified.ok->payload_json, p.config.groups_claim);
  int64_t auth_time = claims.iat.value_or(want.now);
  if (details.has_auth_time) {
    // A time before int64's range could not be cast (undefined): refused like a future one.
    if (!details.auth_time || *details.auth_time > want.now + kClockSkewSeconds ||
        !(*details.auth_time > -9.2e18)) {
      return Refuse(org, "id_token_auth_time_invalid", "the provider's ID token was refused");
    }
    auth_time = static_cast<int64_t>(*details.auth_time);
  }
  int64_t provider_session_end = auth_time + p.config.max_session_seconds;
  if (provider_session_end <= want.now) {
    return Refuse(org, "id_token_auth_too_old",
                  "the provider's sign-in is older than this organisation allows");
  }
  bool mfa = AmrHasSecondFactor(details.amr);
  if (!mfa && details.acr) {
    mfa = std::find(p.config.mfa_acr_values.begin(), p.config.mfa_acr_values.end(), *details.acr) !=
          p.config.mfa_acr_values.end();
  }
  // The role the provider's groups give, when the org maps them.
  std::optional<Role> group_role;
  if (!p.config.groups_claim.empty()) {
    group_role = access::ParseRole(p.config.default_role);
    if (details.groups) {
      int best = 0;
      for (const auto& g : *details.groups) {
        auto m = p.config.group_roles.find(g);
        if (m == p.config.group_roles.end()) continue;
        auto r = access::ParseRole(m->second);
        if (r && RoleRank(*r) > best) {
          best = RoleRank(*r);
          group_role = r;
        }
      }
    }
  }
  const std::string link_user = request->link_user;
  crypto::Bytes subject = SubjectIndex(org, p.config.issuer, sub);

  OidcSignIn out;
  std::string refusal_code, refusal_message;
  Code refusal_kind = Code::kForbidden;
  st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = org_keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    auto refuse = [&](Code kind, const char* c, const char* m) {
      refusal_kind = kind;
      refusal_code = c;
      refusal_message = m;
      return Status(kind, c, m);
    };
    std::optional<std::string> user_id;
    if (auto linked = store::FindIdentity(db, subject, org)) user_id = linked->str();
    int64_t now = util::NowUnix();
    if (!link_user.empty()) {
      if (user_id && *user_id != link_user) {
        return refuse(Code::kConflict, "identity_linked_elsewhere",
                      "this provider account is linked to another bomvault account");
      }
      if (!user_id) {
        if (!store::LinkIdentityIfEnabled(db, subject, util::UserId::FromTrusted(link_user), org,
                                          now)) {
          return refuse(Code::kForbidden, "account_disabled", "this account is disabled");
        }
        RecordAudit(db, crypto.value().get(),
                    {"user:" + link_user, link_user, "sso.link", {{"issuer", p.config.issuer}}});
        out.linked = true;
      }
      user_id = link_user;
    }
    if (!user_id) {
      if (!details.email) {
        return refuse(Code::kForbidden, "email_claim_missing",
                      "the provider sent no e-mail address for this new account");
      }
      auto email = NormaliseEmail(*details.email);
      if (!email.ok()) return refuse(Code::kForbidden, "email_claim_invalid", "bad address");
      bool email_verified = details.email_verified;
      Role role = group_role.value_or(
          access::ParseRole(p.config.default_role).value_or(access::Role::kViewer));
      if (p.config.provisioning == "invitation") {
        if (!email_verified) {
          return refuse(Code::kForbidden, "email_not_verified",
                        "the provider has not verified this address, so no invitation can match");
        }
        crypto::Bytes bidx = accounts_.EmailIndex(email.value());
        auto invitation = store::TakeNewestInvitation(db, org, bidx, now);
        if (!invitation) {
          return refuse(Code::kForbidden, "not_invited",
                        "this organisation admits new accounts only by invitation");
        }
        if (!group_role) role = access::ParseRole(invitation->role).value_or(role);
        RecordAudit(
            db, crypto.value().get(),
            {"invitation:" + invitation->id.str(), "system", "invitation.accept", {{"sso", true}}});
      }
      auto created =
          accounts_.InsertUser(db, *crypto.value(), email.value(), "", role, email_verified, true);
      if (!created.ok()) {
        if (created.status().code() == Code::kConflict) {
          return refuse(Code::kConflict, "email_taken",
                        "an account with this address exists; sign in to it and link the "
                        "provider from your account page");
        }
        return created.status();
      }
      store::InsertIdentity(db, subject, *created, org, now);
      RecordAudit(db, crypto.value().get(),
                  {"user:" + created->str(),
                   "system",
                   "user.create",
                   {{"role", access::RoleName(role)},
                    {"sso", p.config.provisioning},
                    {"email_verified", email_verified}}});
      user_id = created->str();
      out.created = true;
    }
    auto member = store::FindMemberState(db, util::UserId::FromTrusted(*user_id), org);
    if (!member) return refuse(Code::kForbidden, "account_disabled", "account gone");
    Role role = access::ParseRole(member->role).value_or(Role::kViewer);
    if (member->disabled) {
      return refuse(Code::kForbidden, "account_disabled", "this account is disabled");
    }
    std::string policy = store::LoadOrgSettings(db, org).mfa_policy;
    util::UserId user = util::UserId::FromTrusted(*user_id);
    if (group_role && *group_role != role && link_user.empty()) {
      store::SetUserRole(db, user, std::string(access::RoleName(*group_role)));
      RecordAudit(
          db, crypto.value().get(),
          {"user:" + user.str(),
           "system",
           "user.update",
           {{"role",
             {{"before", access::RoleName(role)}, {"after", access::RoleName(*group_role)}}},
            {"source", "sso_groups"}}});
      role = *group_role;
      accounts_.ForgetCachedPrincipals();
    }
    if (access::MfaRequired(policy, role) && !mfa) {
      return refuse(Code::kForbidden, "mfa_required_at_provider",
                    "this organisation requires a second factor: sign in at the provider with one");
    }
    int64_t expires = std::min(now + Accounts::kSessionAbsoluteSeconds, provider_session_end);
    util::SessionId session;
    auto issued = accounts_.IssueSsoSession(db, user, org, role, expires, mfa, &session);
    if (!issued.ok()) return issued.status();
    auto sealed = crypto.value()->SealText("oidc-session", session.str(), id_token);
    store::InsertSsoSession(db, session, org, sealed);
    RecordAudit(db, crypto.value().get(),
                {"user:" + user.str(),
                 user.str(),
                 "session.create",
                 {{"kind", "session"}, {"sso", true}, {"mfa_by_provider", mfa}}});
    out.session = std::move(issued.value());
    return Status::Ok();
  });
  crypto::Wipe(id_token);
  if (!st.ok()) {
    if (!refusal_code.empty()) {
      // The transaction rolled back; the refusal is recorded on its own.
      Status refused = Refuse(org, refusal_code, refusal_message);
      return Status(refusal_kind, refused.machine_code(), refused.message());
    }
    return st;
  }
  util::log::Info("session.created")
      .Ref("user_id", out.session.user)
      .Ref("org_id", org)
      .Num("sso", 1)
      .Num("mfa_by_provider", mfa ? 1 : 0);
  accounts_.NoteSignInAddress(out.session.user, org, peer);
  return out;
}

util::Result<OidcLogout> Oidc::Logout(const Principal& actor, std::string_view bearer) {
  if (actor.kind != access::PrincipalKind::kUser) return Status::Forbidden();
  crypto::Bytes h = accounts_.TokenHash(bearer);
  std::string id_token;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto row = store::FindSsoSessionByToken(db, h);
    if (!row) return Status::Ok();
    auto crypto = org_keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    auto t = crypto.value()->OpenText("oidc-session", row->session.str(), row->id_token_sealed);
    if (t) id_token = std::move(*t);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  OidcLogout out;
  if (!id_token.empty()) {
    util::Result<Provider> provider = Status::Internal();
    Status read = db_.Read([&](store::Db& db) -> Status {
      provider = LoadProvider(db, actor.org);
      return Status::Ok();
    });
    if (!read.ok()) provider = read;  // then no provider logout URL, the local one still holds
    if (provider.ok()) {
      auto d = Discover(provider.value(), false);
      if (d.ok() && !d->end_session_endpoint.empty()) {
        std::string url = d->end_session_endpoint;
        url += url.find('?') == std::string::npos ? '?' : '&';
        url += "id_token_hint=" + util::PercentEncode(id_token) +
               "&post_logout_redirect_uri=" + util::PercentEncode(options_.public_url + "/") +
               "&client_id=" + util::PercentEncode(provider->config.client_id);
        out.logout_url = std::move(url);
      }
    }
    crypto::Wipe(id_token);
  }
  if (Status s = accounts_.SignOut(bearer); !s.ok()) return s;
  return out;
}

int64_t Oidc::CheckAll(store::Db& db, OrgKeys& org_keys, std::vector<std::string>* problems,
                       std::vector<std::string>* summary) {
  for (const store::ProviderRow& row : store::ListProviders(db)) {
    const util::OrgId& org = row.org;
    auto crypto = org_keys.Get(db, org);
    auto plain =
        crypto.ok() ? crypto.value()->Open("oidc", org.str(), row.config_sealed) : std::nullopt;
    if (!plain) {
      problems->push_back("org " + org.str() + ": single sign-on configuration does not open");
    } else {
      crypto::Wipe(*plain);
    }
  }
  for (const util::OrgId& id : store::OrgIds(db)) {
    if (store::LoadOrgSettings(db, id).local_passwords) continue;
    const std::string& org = id.str();
    int64_t hashes = store::CountOrgPasswordHashes(db, id);
    summary->push_back("org " + org +
                       ": local passwords off, password hashes: " + std::to_string(hashes));
    if (hashes != 0) {
      problems->push_back("org " + org + ": local passwords are off but " + std::to_string(hashes) +
                          " password hashes are stored");
    }
  }
  return store::CountPasswordHashes(db);
}

Status Oidc::SetLocalPasswords(const Principal& actor, bool enabled) {
  if (Status st = Allowed(actor, access::Function::kOrgSettingsWrite); !st.ok()) return st;
  Status st = db_.Write([&](store::Db& db) -> Status {
    bool before = LocalPasswordsOn(db, actor.org);
    int wiped = 0;
    if (!enabled) {
      if (!store::ProviderExists(db, actor.org)) {
        return Status::Conflict("sso_not_configured",
                                "configure single sign-on before turning local passwords off");
      }
      if (!store::UserHasIdentity(db, actor.user)) {
        return Status::Conflict("link_your_account_first",
                                "link your own account to the provider first, or you would be "
                                "locked out");
      }
      // secure_delete is on: the overwritten hashes do not linger in free pages.
      wiped = store::WipeOrgPasswordHashes(db, actor.org);
    }
    store::OrgSettings settings = store::LoadOrgSettings(db, actor.org);
    settings.local_passwords = enabled;
    store::SaveOrgSettings(db, actor.org, settings);
    auto crypto = org_keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    RecordAudit(db, crypto.value().get(),
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 "org.settings",
                 {{"local_passwords", {{"before", before}, {"after", enabled}}},
                  {"password_hashes_wiped", wiped}}});
    return Status::Ok();
  });
  if (st.ok()) {
    util::log::Info("org.local_passwords").Ref("org_id", actor.org).Num("enabled", enabled ? 1 : 0);
  }
  return st;
}

util::Result<SignInResult> Oidc::BreakGlass(const Principal& actor, const util::OrgId& org,
                                            const util::UserId& user, std::string_view reason) {
  // The operator's org-management permission (the same one that may delete the org).
  if (Status st = Allowed(actor, access::Function::kOrgDelete); !st.ok()) return st;
  if (reason.size() < 10 || reason.size() > 500 || !IsTextField(reason, 500)) {
    return Invalid("invalid_reason", "give a reason of 10-500 printable characters");
  }
  util::Result<SignInResult> out = Status::Internal();
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto member = store::FindMemberState(db, user, org);
    if (!member) return Status::NotFound();
    if (member->role != "administrator" || member->disabled) {
      return Status::Conflict("not_an_administrator",
                              "break-glass access is only for an active Administrator");
    }
    util::SessionId session;
    out = accounts_.IssueSsoSession(db, user, org, Role::kAdministrator,
                                    util::NowUnix() + kBreakGlassSeconds, true, &session);
    if (!out.ok()) return out.status();
    auto crypto = org_keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    RecordAudit(db, crypto.value().get(),
                {"user:" + user.str(),
                 "operator",
                 "session.break_glass",
                 {{"reason", std::string(reason)}, {"session_id", session.str()}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Warn("session.break_glass").Ref("org_id", org).Ref("user_id", user);
  return out;
}

}  // namespace bomvault::service
