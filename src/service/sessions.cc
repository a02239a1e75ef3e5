#include <algorithm>

#include "crypto/crypto.h"
#include "service/accounts.h"
#include "service/accounts_shared.h"
#include "service/audit.h"
#include "store/sessions_store.h"
#include "store/users_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Principal;
using access::PrincipalKind;
using util::Code;
using util::Status;

using accounts_detail::Allowed;

namespace {

constexpr int64_t kPrincipalCacheSeconds = 5;
constexpr int64_t kLastSeenGranularity = 60;
constexpr int kMaxListedTokens = 200;

// A new browser session of `user` until `expires_at`: the answer (holding the token) and the row to
// insert (its hash, kind "session", scope "write"). The caller sets the row's MFA flags.
struct NewBrowserSession {
  SignInResult result;
  store::NewSessionRow row;
};
NewBrowserSession MakeBrowserSession(const Accounts& accounts, const util::UserId& user,
                                     const util::OrgId& org, access::Role role, int64_t now,
                                     int64_t expires_at) {
  NewBrowserSession s;
  s.result.token = crypto::RandomToken();
  s.result.user = user;
  s.result.org = org;
  s.result.role = role;
  s.result.expires_at = expires_at;
  s.row.id = util::SessionId::Generate();
  s.row.token_hash = accounts.TokenHash(s.result.token);
  s.row.user = user;
  s.row.kind = "session";
  s.row.scope = "write";
  s.row.created_at = now;
  s.row.expires_at = expires_at;
  return s;
}

}  // namespace

util::Result<SignInResult> Accounts::IssuePasskeySession(store::Db& db, const util::UserId& user,
                                                         const util::OrgId& org,
                                                         access::Role role) {
  return IssueSession(db, user, org, role, false);
}

util::Result<SignInResult> Accounts::IssueSession(store::Db& db, const util::UserId& user,
                                                  const util::OrgId& org, access::Role role,
                                                  bool mfa_pending) {
  const int64_t now = util::NowUnix();
  auto s = MakeBrowserSession(*this, user, org, role, now, now + kSessionAbsoluteSeconds);
  s.row.mfa_pending = mfa_pending;
  store::InsertSession(db, s.row);
  store::MarkUserActive(db, user, now);
  if (Status st = EndExcessSessions(db, user, org, s.row.id); !st.ok()) return st;
  return s.result;
}

Status Accounts::EndExcessSessions(store::Db& db, const util::UserId& user, const util::OrgId& org,
                                   const util::SessionId& kept) {
  struct Held {
    util::SessionId id;
    std::string hash;
    int64_t used_ms;
  };
  std::vector<Held> held;  // in creation order
  for (store::BrowserSessionRow& s : store::ListBrowserSessions(db, user)) {
    held.push_back({std::move(s.id), std::string(s.token_hash.begin(), s.token_hash.end()),
                    s.last_seen_at * 1000});
  }
  if (held.size() <= static_cast<size_t>(kMaxSessionsPerUser)) return Status::Ok();
  {
    std::lock_guard lock(cache_mu_);
    for (Held& h : held) {
      auto it = last_use_ms_.find(h.hash);
      if (it != last_use_ms_.end()) h.used_ms = std::max(h.used_ms, it->second);
    }
  }
  std::erase_if(held, [&](const Held& h) { return h.id == kept; });
  // Stable: among equal last uses the one created first goes first.
  std::stable_sort(held.begin(), held.end(),
                   [](const Held& a, const Held& b) { return a.used_ms < b.used_ms; });
  const size_t excess = held.size() + 1 - static_cast<size_t>(kMaxSessionsPerUser);
  auto crypto = Org(db, org);
  if (!crypto.ok()) return crypto.status();
  for (size_t i = 0; i < excess && i < held.size(); ++i) {
    store::DeleteSession(db, held[i].id);
    RecordAudit(db, crypto.value().get(),
                {"user:" + user.str(),
                 user.str(),
                 "session.evicted",
                 {{"session_id", held[i].id.str()}, {"limit", kMaxSessionsPerUser}}});
    util::log::Info("session.evicted").Ref("user_id", user).Num("limit", kMaxSessionsPerUser);
  }
  ForgetCachedPrincipals();
  return Status::Ok();
}

util::Result<SignInResult> Accounts::IssueSsoSession(store::Db& db, const util::UserId& user,
                                                     const util::OrgId& org, access::Role role,
                                                     int64_t expires_at, bool mfa_by_provider,
                                                     util::SessionId* session_id) {
  const int64_t now = util::NowUnix();
  auto s = MakeBrowserSession(*this, user, org, role, now,
                              std::min(expires_at, now + kSessionAbsoluteSeconds));
  s.row.mfa_by_provider = mfa_by_provider;
  store::InsertSession(db, s.row);
  store::MarkUserActive(db, user, now);
  if (Status st = EndExcessSessions(db, user, org, s.row.id); !st.ok()) return st;
  if (session_id != nullptr) *session_id = s.row.id;
  return s.result;
}

Principal Accounts::Resolve(std::string_view bearer) {
  Principal p;
  if (bearer.empty() || bearer.size() > 256) return p;
  crypto::Bytes h = TokenHash(bearer);
  if (crypto::ConstantTimeEquals(h, operator_hash_)) {
    p.kind = PrincipalKind::kOperator;
    return p;
  }
  std::string key(h.begin(), h.end());
  int64_t now = util::NowUnix();
  uint64_t generation = 0;
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.cached_at < kPrincipalCacheSeconds) {
      if (it->second.principal.kind == PrincipalKind::kUser) {
        last_use_ms_[key] = util::NowUnixMillis();
      }
      return it->second.principal;
    }
    generation = cache_generation_;
  }
  bool found = false;
  int64_t last_seen = 0;
  std::string kind;
  Status read = db_.Read([&](store::Db& db) -> Status {
    auto row = store::FindTokenHolder(db_, db, h);
    if (!row) return Status::Ok();
    kind = row->kind;
    last_seen = row->last_seen_at;
    if (row->expires_at <= now || row->disabled) return Status::Ok();
    if (kind == "session" && last_seen + kSessionIdleSeconds <= now) return Status::Ok();
    p.kind = PrincipalKind::kUser;
    p.user = row->user;
    p.read_only = row->scope == "read";
    p.api_token = kind == "api";
    if (!p.api_token) p.authenticated_at = row->authenticated_at;
    p.org = row->org;
    p.role = access::ParseRole(row->role).value_or(access::Role::kViewer);
    p.email_verified = row->email_verified;
    // The policy is read afresh, so tightening it also restricts sessions and API tokens that
    // were issued before; a session issued as enrolment-only stays so until TOTP is confirmed.
    // A session from single sign-on whose provider asserted a second factor meets it too.
    bool second_factor = row->totp_enabled || row->mfa_by_provider || row->has_passkey;
    p.mfa_enrolment_only =
        !second_factor && (row->mfa_pending || access::MfaRequired(row->mfa_policy, p.role));
    found = true;
    return Status::Ok();
  });
  if (!read.ok()) {
    // Fails closed: a store that cannot be read signs nobody in.
    util::log::Error("session.resolve_failed");
    return Principal{};
  }
  if (!found) return Principal{};
  if (now - last_seen >= kLastSeenGranularity) {
    // Activity feeds idle expiry and the stale-data purge; a minute's precision is plenty and
    // keeps reads from turning into writes. If the mark cannot be written the request still
    // runs (it is authenticated) and the next one tries again; the fault is logged.
    Status marked = db_.Write([&](store::Db& db) -> Status {
      store::TouchSession(db, h, now);
      store::MarkUserActive(db, p.user, now);
      return Status::Ok();
    });
    if (!marked.ok()) util::log::Error("session.last_seen_failed").Ref("user_id", p.user);
  }
  std::lock_guard lock(cache_mu_);
  if (last_use_ms_.size() > 200000) last_use_ms_.clear();
  last_use_ms_[key] = util::NowUnixMillis();
  if (generation != cache_generation_) return p;  // something changed meanwhile: do not cache
  if (cache_.size() > 100000) cache_.clear();
  cache_[key] = Cached{p, now, now};
  return p;
}

Status Accounts::SignOut(std::string_view bearer) {
  crypto::Bytes h = TokenHash(bearer);
  Status st = db_.Write([&](store::Db& db) -> Status {
    store::DeleteSessionByToken(db, h);
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  return st;
}

Status Accounts::SignOutEverywhere(const Principal& actor) {
  Status st = Allowed(actor, access::Function::kSelfManage);
  if (!st.ok()) return st;
  st = db_.Write([&](store::Db& db) -> Status {
    store::DeleteUserSessions(db, actor.user);
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(), actor.user.str(), "session.revoke_all", {}});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  return st;
}

util::Result<std::pair<std::string, TokenView>> Accounts::CreateApiToken(const Principal& actor,
                                                                         std::string_view name,
                                                                         std::string_view scope,
                                                                         int64_t days) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  if (name.empty() || name.size() > 100) {
    return Status::Invalid("invalid_name", "a token needs a name of 1 to 100 characters");
  }
  if (scope != "read" && scope != "write") {
    return Status::Invalid("invalid_scope", "scope must be read or write");
  }
  if (days < 1 || days > 365) {
    return Status::Invalid("invalid_expiry", "a token expires after 1 to 365 days");
  }
  std::string token = crypto::RandomToken();
  TokenView v;
  v.id = util::SessionId::Generate();
  v.kind = "api";
  v.name = std::string(name);
  v.scope = std::string(scope);
  v.created_at = v.last_seen_at = util::NowUnix();
  v.expires_at = v.created_at + days * util::kSecondsPerDay;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    store::NewSessionRow row;
    row.id = v.id;
    row.token_hash = TokenHash(token);
    row.user = actor.user;
    row.kind = v.kind;
    row.scope = v.scope;
    row.name_sealed = org.value()->SealText("token-name", v.id.str(), name);
    row.created_at = v.created_at;  // = v.last_seen_at
    row.expires_at = v.expires_at;
    store::InsertSession(db, row);
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(),
                 actor.user.str(),
                 "token.create",
                 {{"token_id", v.id.str()}, {"scope", v.scope}, {"expires_at", v.expires_at}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return std::make_pair(std::move(token), std::move(v));
}

util::Result<std::vector<TokenView>> Accounts::ListTokens(const Principal& actor,
                                                          std::string_view current_bearer) {
  if (Status st = Allowed(actor, access::Function::kSelfSessions); !st.ok()) return st;
  crypto::Bytes current = TokenHash(current_bearer);
  std::vector<TokenView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    for (store::SessionRow& row :
         store::ListLiveSessions(db, actor.user, util::NowUnix(), kMaxListedTokens)) {
      TokenView v;
      v.id = std::move(row.id);
      v.kind = std::move(row.kind);
      v.scope = std::move(row.scope);
      if (row.name_sealed) {
        v.name = org.value()->OpenText("token-name", v.id.str(), *row.name_sealed).value_or("");
      }
      v.created_at = row.created_at;
      v.last_seen_at = row.last_seen_at;
      v.expires_at = row.expires_at;
      v.current = crypto::ConstantTimeEquals(row.token_hash, current);
      out.push_back(std::move(v));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status Accounts::RevokeToken(const Principal& actor, const util::SessionId& id) {
  Status st = Allowed(actor, access::Function::kSelfManage);
  if (!st.ok()) return st;
  st = db_.Write([&](store::Db& db) -> Status {
    if (store::DeleteUserSession(db, actor.user, id) == 0) return Status::NotFound();
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(
        db, org.value().get(),
        {"user:" + actor.user.str(), actor.user.str(), "token.revoke", {{"token_id", id.str()}}});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  return st;
}

}  // namespace bomvault::service
