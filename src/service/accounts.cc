#include "service/accounts.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"
#include "crypto/totp.h"
#include "service/audit.h"
#include "service/common_passwords.h"
#include "store/orgs_store.h"
#include "store/rows.h"
#include "store/sessions_store.h"
#include "store/sign_in_addresses.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/percent_encode.h"

namespace bomvault::service {

using access::Principal;
using access::PrincipalKind;
using util::Code;
using util::Status;

namespace {

constexpr int64_t kPrincipalCacheSeconds = 5;
constexpr int64_t kLastSeenGranularity = 60;
// A valid Argon2id hash of a random password, verified when the account does not exist so that
// sign-in takes as long for an unknown address as for a wrong password.
const char* DummyHash() {
  static const std::string h = crypto::PasswordHash(crypto::RandomToken()).value_or("");
  return h.c_str();
}

Status BadCredentials() {
  return Status(Code::kUnauthenticated, "bad_credentials", "wrong e-mail address or password");
}

using store::Blob;  // the one helper, shared with store/

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

Status Allowed(const Principal& p, access::Function f) {
  return access::Refusal(p, f, access::MayUse(p, f));
}

// Recovery codes: 15 random bytes = 24 base32 characters (120 bits, above the 112 bits that let a
// plain hash stand in for a password hash), shown in six groups of four.
constexpr size_t kRecoveryCodeChars = 24;

std::string FormatRecoveryCode(const std::string& base32) {
  std::string out;
  for (size_t i = 0; i < base32.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += '-';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(base32[i])));
  }
  return out;
}

// Case, spaces and dashes do not matter; anything else outside the alphabet is refused.
std::optional<std::string> NormaliseRecoveryCode(std::string_view code) {
  std::string out;
  for (unsigned char c : code) {
    if (c == '-' || c == ' ') continue;
    c = static_cast<unsigned char>(std::tolower(c));
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return std::nullopt;
    out += static_cast<char>(c);
    if (out.size() > kRecoveryCodeChars) return std::nullopt;
  }
  if (out.size() != kRecoveryCodeChars) return std::nullopt;
  return out;
}

std::optional<crypto::SecureBuffer> OpenTotpSecret(const OrgCrypto& org, const util::UserId& user,
                                                   std::span<const uint8_t> sealed) {
  auto plain = org.Open("totp", user.str(), sealed);
  if (!plain) return std::nullopt;
  crypto::SecureBuffer secret(plain->data(), plain->size());
  crypto::Wipe(*plain);
  return secret;
}

Status TooManyAttempts(int64_t wait) {
  return Status(Code::kTooManyRequests, "too_many_attempts",
                "too many failed attempts; wait before trying again")
      .WithRetryAfter(wait);
}

}  // namespace

util::Result<std::string> NormaliseEmail(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) {
    email.remove_prefix(1);
  }
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  auto bad = Status::Invalid("invalid_email", "this is not a valid e-mail address");
  if (email.size() < 3 || email.size() > 254) return bad;
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || email.find('@', at + 1) != email.npos) {
    return bad;
  }
  std::string_view domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == domain.npos || domain.front() == '.' ||
      domain.back() == '.') {
    return bad;
  }
  std::string out;
  for (unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' ||
        c == ';' || c == '(' || c == ')' || c == '[' || c == ']') {
      return bad;
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

Status CheckPasswordPolicy(std::string_view password) {
  if (CodePoints(password) < 8) {
    return Status::Invalid("password_too_short", "the password must have at least 8 characters");
  }
  if (password.size() > 1024) {
    return Status::Invalid("password_too_long", "the password must have at most 1024 bytes");
  }
  if (IsCommonPassword(password)) {
    return Status::Invalid("password_common",
                           "this password is too common; choose one that is harder to guess");
  }
  return Status::Ok();
}

namespace {

// ASCII letters folded to lower case, other bytes kept; separators (ASCII that is neither a letter
// nor a digit) dropped when `squash`, else turned into one space between words.
std::string Fold(std::string_view text, bool squash) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x80 || std::isalnum(c) != 0) {
      out += static_cast<char>(std::tolower(c));
    } else if (!squash && !out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  return out;
}

}  // namespace

Status CheckPasswordContext(std::string_view password, const PasswordContext& context) {
  constexpr size_t kMinWord = 4;
  const std::string folded = Fold(password, true);
  const std::string local = context.email.substr(0, context.email.find('@'));
  struct Source {
    std::string_view text;
    const char* what;
  };
  for (const Source& s :
       {Source{"bomvault", "the product's name"}, Source{local, "the name of your e-mail address"},
        Source{context.display_name, "your display name"},
        Source{context.org_name, "your organisation's name"}}) {
    std::vector<std::string> words;
    std::string spaced = Fold(s.text, false);
    size_t pos = 0;
    while (pos < spaced.size()) {
      size_t end = spaced.find(' ', pos);
      if (end == std::string::npos) end = spaced.size();
      if (end - pos >= kMinWord) words.push_back(spaced.substr(pos, end - pos));
      pos = end + 1;
    }
    std::string whole = Fold(s.text, true);
    if (whole.size() >= kMinWord) words.push_back(std::move(whole));
    for (const auto& w : words) {
      if (folded.find(w) != std::string::npos) {
        return Status::Invalid("password_context_word",
                               std::string("the password contains ") + s.what +
                                   "; a password may not contain the name of your e-mail address, "
                                   "your display name, your organisation's name or \"bomvault\"");
      }
    }
  }
  return Status::Ok();
}

std::string OpenOrgName(store::Db& db, const OrgCrypto& org, const util::OrgId& id) {
  SQLite::Statement q(db, "SELECT name_sealed FROM orgs WHERE id = ?");
  q.bind(1, id.str());
  if (!q.executeStep()) return "";
  auto col = q.getColumn(0);
  return org
      .OpenText("org-name", id.str(),
                {static_cast<const uint8_t*>(col.getBlob()), static_cast<size_t>(col.size())})
      .value_or("");
}

Accounts::Accounts(store::Database& db, OrgKeys& org_keys, const crypto::SecureBuffer& index_key,
                   crypto::Bytes operator_token_hash)
    : db_(db),
      org_keys_(org_keys),
      index_key_(index_key.Clone()),
      operator_hash_(std::move(operator_token_hash)) {
  DummyHash();
}

namespace {
Status SealingStatus() { return Status(Code::kSealed, "sealed", "the vault is being sealed"); }
}  // namespace

void Accounts::StopHashing() { hashing_stopped_.store(true); }

std::optional<Accounts::HashSlot> Accounts::TakeHashSlot(const std::function<bool()>& stop) {
  // Polled rather than woken: a seal is rare, and 20 ms is far inside its one-second promise.
  while (!stop()) {
    if (hashing_.try_acquire_for(std::chrono::milliseconds(20))) {
      if (!stop()) return HashSlot(&hashing_);
      hashing_.release();
    }
  }
  return std::nullopt;
}

util::Result<std::string> Accounts::HashPassword(std::string_view password) {
  std::optional<std::string> h;
  {
    auto slot = TakeHashSlot([this] { return hashing_stopped_.load(); });
    if (!slot) return SealingStatus();
    h = crypto::PasswordHash(password);
  }
  if (!h) return Status::Internal("the password could not be hashed");
  return *h;
}

crypto::Bytes Accounts::EmailIndex(std::string_view normalised_email) const {
  return crypto::KeyedHash(index_key_, "email", crypto::AsBytes(normalised_email));
}

crypto::Bytes Accounts::TokenHash(std::string_view token) const {
  return crypto::Hash("bomvault-token", crypto::AsBytes(token));
}

util::Result<std::shared_ptr<const OrgCrypto>> Accounts::Org(store::Db& db,
                                                             const util::OrgId& org) {
  return org_keys_.Get(db, org);
}

crypto::Bytes Accounts::OrgEmailIndex(const util::OrgId& org,
                                      std::string_view normalised_email) const {
  std::string text = org.str() + "\n" + std::string(normalised_email);
  return crypto::KeyedHash(index_key_, "email-in-org", crypto::AsBytes(text));
}

Accounts::AddressUse Accounts::EmailUse(store::Db& db, const util::OrgId& org,
                                        std::string_view normalised_email) {
  crypto::Bytes global = EmailIndex(normalised_email);
  crypto::Bytes local = OrgEmailIndex(org, normalised_email);
  SQLite::Statement q(db, "SELECT org_id, email_bidx = ? FROM users WHERE email_bidx IN (?, ?)");
  q.bind(1, local.data(), static_cast<int>(local.size()));
  q.bind(2, global.data(), static_cast<int>(global.size()));
  q.bind(3, local.data(), static_cast<int>(local.size()));
  AddressUse use = AddressUse::kFree;
  while (q.executeStep()) {
    if (q.getColumn(1).getInt() != 0 || q.getColumn(0).getString() == org.str()) {
      return AddressUse::kMember;
    }
    use = AddressUse::kElsewhere;
  }
  return use;
}

util::Result<util::UserId> Accounts::InsertUser(store::Db& db, const OrgCrypto& org,
                                                const std::string& email,
                                                const std::string& pw_hash, access::Role role,
                                                bool verified, bool shadow_if_elsewhere) {
  crypto::Bytes bidx = EmailIndex(email);
  switch (EmailUse(db, org.org(), email)) {
    case AddressUse::kFree:
      break;
    case AddressUse::kMember:
      return Status::Conflict("email_taken", "an account with this e-mail address exists");
    case AddressUse::kElsewhere:
      if (!shadow_if_elsewhere) {
        return Status::Conflict("email_taken", "an account with this e-mail address exists");
      }
      bidx = OrgEmailIndex(org.org(), email);
      break;
  }
  if (!pw_hash.empty()) {
    // An org with local passwords off (service/oidc.h) stores no password for anyone.
    if (!store::LoadOrgSettings(db, org.org()).local_passwords) {
      return Status::Conflict("local_passwords_off",
                              "this organisation signs in through its identity provider only");
    }
  }
  util::UserId id = util::UserId::Generate();
  auto sealed = org.SealText("email", id.str(), email);
  int64_t now = util::NowUnix();
  SQLite::Statement ins(db,
                        "INSERT INTO users(id, org_id, email_bidx, email_sealed, password_hash, "
                        "role, email_verified, last_active_at, created_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?)");
  ins.bind(1, id.str());
  ins.bind(2, org.org().str());
  ins.bind(3, bidx.data(), static_cast<int>(bidx.size()));
  ins.bind(4, sealed.data(), static_cast<int>(sealed.size()));
  if (pw_hash.empty()) {
    ins.bind(5);  // NULL: no local password (single sign-on only)
  } else {
    ins.bind(5, pw_hash);
  }
  ins.bind(6, std::string(access::RoleName(role)));
  ins.bind(7, verified ? 1 : 0);
  ins.bind(8, static_cast<int64_t>(now));
  ins.bind(9, static_cast<int64_t>(now));
  ins.exec();
  return id;
}

util::Result<util::UserId> Accounts::CreateUser(const Principal& actor, std::string_view email,
                                                std::string_view password,
                                                std::string_view role_text) {
  if (Status st = Allowed(actor, access::Function::kUserCreate); !st.ok()) return st;
  auto norm = NormaliseEmail(email);
  if (!norm.ok()) return norm.status();
  auto role = access::ParseRole(role_text);
  if (!role) {
    return Status::Invalid("invalid_role", "role must be administrator, editor or viewer");
  }
  Status st = CheckPasswordPolicy(password);
  if (!st.ok()) return st;
  PasswordContext context{norm.value(), "", ""};
  st = db_.Read([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    context.org_name = OpenOrgName(db, *org.value(), actor.org);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  st = CheckPasswordContext(password, context);
  if (!st.ok()) return st;
  auto hash = HashPassword(password);
  if (!hash.ok()) return hash.status();
  util::UserId created;
  st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    auto id = InsertUser(db, *org.value(), norm.value(), hash.value(), *role, true, true);
    if (!id.ok()) return id.status();
    created = id.value();
    RecordAudit(db, org.value().get(),
                {"user:" + created.str(),
                 actor.user.str(),
                 "user.create",
                 {{"role", access::RoleName(*role)}, {"email_verified", true}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("user.created").Ref("org_id", actor.org).Ref("user_id", created);
  return created;
}

util::Result<std::vector<UserView>> Accounts::ListUsers(const Principal& actor) {
  if (Status st = Allowed(actor, access::Function::kUserList); !st.ok()) return st;
  return ListOrgUsers(actor.org);
}

util::Result<std::vector<UserView>> Accounts::ListOrgUsers(const util::OrgId& org_id) {
  Principal actor;
  actor.org = org_id;
  std::vector<UserView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    SQLite::Statement q(
        db,
        "SELECT id, email_sealed, role, email_verified, disabled, totp_enabled, "
        "created_at, last_active_at, (SELECT count(*) FROM recovery_codes r WHERE "
        "r.user_id = users.id), display_name_sealed, (SELECT count(*) FROM passkeys p WHERE "
        "p.user_id = users.id), version FROM users WHERE org_id = ? "
        "ORDER BY created_at, id LIMIT 1000");
    q.bind(1, actor.org.str());
    while (q.executeStep()) {
      UserView u;
      u.id = util::UserId::FromTrusted(q.getColumn(0).getString());
      u.org = actor.org;
      auto email = org.value()->OpenText("email", u.id.str(), Blob(q.getColumn(1)));
      if (!email) return Status::Internal("an account could not be opened");
      u.email = *email;
      u.role = access::ParseRole(q.getColumn(2).getString()).value_or(access::Role::kViewer);
      u.email_verified = q.getColumn(3).getInt() != 0;
      u.disabled = q.getColumn(4).getInt() != 0;
      u.mfa_enabled = q.getColumn(5).getInt() != 0;
      u.created_at = q.getColumn(6).getInt64();
      u.last_active_at = q.getColumn(7).getInt64();
      u.recovery_codes_left = q.getColumn(8).getInt();
      if (!q.getColumn(9).isNull()) {
        auto name = org.value()->OpenText("display-name", u.id.str(), Blob(q.getColumn(9)));
        if (!name) return Status::Internal("an account could not be opened");
        u.display_name = *name;
      }
      u.passkeys = q.getColumn(10).getInt();
      u.version = q.getColumn(11).getInt64();
      out.push_back(std::move(u));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<UserView> Accounts::GetUser(const Principal& actor, const util::UserId& id) {
  // A user may read their own account; Administrators any in their org.
  if (actor.kind != PrincipalKind::kUser) return Status::Forbidden();
  Status st =
      Allowed(actor, actor.user == id ? access::Function::kSelf : access::Function::kUserList);
  if (!st.ok()) return st;
  auto all = ListOrgUsers(actor.org);
  if (!all.ok()) return all.status();
  for (auto& u : all.value()) {
    if (u.id == id) return u;
  }
  return Status::NotFound();
}

Status Accounts::UpdateUser(const Principal& actor, const util::UserId& id,
                            std::optional<std::string> role_text, std::optional<bool> disabled,
                            const util::IfMatch& if_match) {
  if (Status st = Allowed(actor, access::Function::kUserUpdate); !st.ok()) return st;
  std::optional<access::Role> role;
  if (role_text) {
    role = access::ParseRole(*role_text);
    if (!role)
      return Status::Invalid("invalid_role", "role must be administrator, editor or viewer");
  }
  if (actor.user == id &&
      ((role && *role != access::Role::kAdministrator) || disabled.value_or(false))) {
    return Status::Conflict("self_demotion",
                            "you cannot demote or disable yourself; ask another Administrator");
  }
  Status st = db_.Write([&](store::Db& db) -> Status {
    SQLite::Statement q(db,
                        "SELECT role, disabled, version FROM users WHERE id = ? AND org_id = ?");
    q.bind(1, id.str());
    q.bind(2, actor.org.str());
    if (!q.executeStep()) return Status::NotFound();
    if (!if_match.Holds(util::EntityTag(q.getColumn(2).getInt64()))) {
      return Status::PreconditionFailed();
    }
    std::string before_role = q.getColumn(0).getString();
    bool before_disabled = q.getColumn(1).getInt() != 0;
    nlohmann::json change = nlohmann::json::object();
    if (role && access::RoleName(*role) != before_role) {
      change["role"] = {{"before", before_role}, {"after", access::RoleName(*role)}};
      // Revoked privileges: the address must be verified again before sharing (seed rule).
      SQLite::Statement u(db,
                          "UPDATE users SET role = ?, email_verified = CASE WHEN ? THEN 0 "
                          "ELSE email_verified END WHERE id = ?");
      bool demoted = (before_role == "administrator") ||
                     (before_role == "editor" && *role == access::Role::kViewer);
      u.bind(1, std::string(access::RoleName(*role)));
      u.bind(2, demoted ? 1 : 0);
      u.bind(3, id.str());
      u.exec();
    }
    if (disabled && *disabled != before_disabled) {
      change["disabled"] = {{"before", before_disabled}, {"after", *disabled}};
      SQLite::Statement u(db, "UPDATE users SET disabled = ? WHERE id = ?");
      u.bind(1, *disabled ? 1 : 0);
      u.bind(2, id.str());
      u.exec();
      if (*disabled) {
        SQLite::Statement d(db, "DELETE FROM sessions WHERE user_id = ?");
        d.bind(1, id.str());
        d.exec();
        // Their own connections to data sources go too (service/sources.h): a disabled user's
        // credentials must not outlive the account's use.
        SQLite::Statement c(db, "DELETE FROM source_connections WHERE user_id = ?");
        c.bind(1, id.str());
        if (int n = c.exec(); n > 0) change["source_connections_deleted"] = n;
      }
    }
    if (change.empty()) return Status::Ok();
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"user:" + id.str(), actor.user.str(), "user.update", change});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  return st;
}

util::Result<Accounts::SignInAttempt> Accounts::BeginSignIn(std::string_view email,
                                                            const std::string& peer) {
  auto norm = NormaliseEmail(email);
  if (!norm.ok()) return BadCredentials();
  crypto::Bytes bidx = EmailIndex(norm.value());
  SignInAttempt a;
  a.account_key.assign(bidx.begin(), bidx.end());
  a.peer_key = "addr:" + peer;
  int64_t wait =
      std::max(address_backoff_.RetryAfter(a.peer_key), account_backoff_.RetryAfter(a.account_key));
  if (wait > 0) {
    util::log::Warn("session.throttled").Num("retry_after", wait);
    return Status(Code::kTooManyRequests, "too_many_attempts",
                  "too many failed sign-ins; wait before trying again")
        .WithRetryAfter(wait);
  }
  Status st = db_.Read([&](store::Db& db) -> Status {
    SQLite::Statement q(db,
                        "SELECT u.id, u.org_id, u.password_hash, u.role, u.disabled, "
                        "u.totp_enabled, u.totp_secret_sealed, u.totp_last_step, "
                        "coalesce(json_extract(o.settings, '$.mfa_policy'), 'optional'), "
                        "(SELECT count(*) FROM passkeys p WHERE p.user_id = u.id) "
                        "FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.email_bidx = ?");
    q.bind(1, bidx.data(), static_cast<int>(bidx.size()));
    if (!q.executeStep()) return Status::Ok();
    a.found = true;
    a.id = util::UserId::FromTrusted(q.getColumn(0).getString());
    a.org = util::OrgId::FromTrusted(q.getColumn(1).getString());
    a.pw_hash = q.getColumn(2).getString();
    a.role = q.getColumn(3).getString();
    a.disabled = q.getColumn(4).getInt() != 0;
    a.totp_enabled = q.getColumn(5).getInt() != 0;
    auto blob = Blob(q.getColumn(6));
    a.totp_sealed.assign(blob.begin(), blob.end());
    a.totp_last_step = q.getColumn(7).getInt64();
    a.mfa_policy = q.getColumn(8).getString();
    a.passkeys = q.getColumn(9).getInt();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return a;
}

util::Result<bool> Accounts::CheckPassword(const SignInAttempt& a, std::string_view password,
                                           const std::function<bool()>& stop) {
  auto slot = TakeHashSlot(stop);
  if (!slot) return SealingStatus();
  // Attempts that queued for a hashing slot while the account or address got locked out
  // leave without hashing, so a flood cannot keep the slots busy for the next honest sign-in.
  int64_t wait =
      std::max(address_backoff_.RetryAfter(a.peer_key), account_backoff_.RetryAfter(a.account_key));
  if (wait > 0) {
    return Status(Code::kTooManyRequests, "too_many_attempts",
                  "too many failed sign-ins; wait before trying again")
        .WithRetryAfter(wait);
  }
  // An account without a local password (single sign-on only) costs the same hash as a wrong
  // one and never signs in with a password.
  const bool has_password = a.found && !a.pw_hash.empty();
  return crypto::PasswordVerify(has_password ? a.pw_hash : DummyHash(), password) && has_password;
}

util::Result<SignInResult> Accounts::SignIn(std::string_view email, std::string_view password,
                                            std::string_view totp, std::string_view recovery_code,
                                            const std::string& peer) {
  auto attempt = BeginSignIn(email, peer);
  if (!attempt.ok()) return attempt.status();
  auto ok = CheckPassword(*attempt, password, [this] { return hashing_stopped_.load(); });
  if (!ok.ok()) return ok.status();
  return FinishSignIn(*attempt, *ok, totp, recovery_code, peer);
}

Status Accounts::RefuseSignIn(const SignInAttempt& attempt, const std::string& peer) {
  const SignInAttempt* row = attempt.found ? &attempt : nullptr;
  account_backoff_.Failure(attempt.account_key);
  address_backoff_.Failure(attempt.peer_key);
  if (row) {
    util::log::Warn("session.failure").Ref("user_id", row->id).AddrHash("peer", peer);
    Status st = AuditSignInFailure(*row, row->disabled ? "disabled" : "password");
    if (!st.ok()) return st;
  } else {
    util::log::Warn("session.failure_unknown_account").AddrHash("peer", peer);
  }
  return BadCredentials();
}

// A failed sign-in that names a user is audited in its own transaction (a failed second factor's
// transaction has rolled back). If that entry cannot be written the attempt fails with the
// storage's status rather than going unrecorded.
Status Accounts::AuditSignInFailure(const SignInAttempt& row, std::string_view reason) {
  return db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, row.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"user:" + row.id.str(), row.id.str(), "session.failure", {{"reason", reason}}});
    return Status::Ok();
  });
}

int64_t Accounts::SignInWait(const std::string& account_key, const std::string& peer_key) {
  int64_t wait = address_backoff_.RetryAfter(peer_key);
  if (!account_key.empty()) wait = std::max(wait, account_backoff_.RetryAfter(account_key));
  return wait;
}

void Accounts::SignInFailed(const std::string& account_key, const std::string& peer_key) {
  if (!account_key.empty()) account_backoff_.Failure(account_key);
  address_backoff_.Failure(peer_key);
}

void Accounts::SignInSucceeded(const std::string& account_key, const std::string& peer_key) {
  if (!account_key.empty()) account_backoff_.Success(account_key);
  address_backoff_.Success(peer_key);
}

util::Result<SignInResult> Accounts::IssuePasskeySession(store::Db& db, const util::UserId& user,
                                                         const util::OrgId& org,
                                                         access::Role role) {
  return IssueSession(db, user, org, role, false);
}

util::Result<SignInResult> Accounts::FinishSignIn(const SignInAttempt& attempt, bool password_ok,
                                                  std::string_view totp,
                                                  std::string_view recovery_code,
                                                  const std::string& peer) {
  const SignInAttempt* row = attempt.found ? &attempt : nullptr;
  const std::string& account_key = attempt.account_key;
  const std::string& peer_key = attempt.peer_key;
  Status st = Status::Ok();
  if (!row || !password_ok || row->disabled) return RefuseSignIn(attempt, peer);
  access::Role role = access::ParseRole(row->role).value_or(access::Role::kViewer);
  // Signed in without the second factor the org requires: the session may only enrol one.
  const bool enrolment_only =
      !row->totp_enabled && row->passkeys == 0 && access::MfaRequired(row->mfa_policy, role);
  const char* failure_reason = "totp";
  util::Result<SignInResult> result = Status::Internal();
  st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, row->org);
    if (!org.ok()) return org.status();
    nlohmann::json change = {{"kind", "session"}};
    auto fail = [&](const char* code, const char* message) {
      return Status(Code::kUnauthenticated, code, message);
    };
    if (row->totp_enabled) {
      if (!totp.empty()) {
        auto secret = OpenTotpSecret(*org.value(), row->id, row->totp_sealed);
        if (!secret) return Status::Internal("the second factor could not be opened");
        auto step = crypto::TotpVerify(*secret, totp, util::NowUnix());
        if (!step || *step <= row->totp_last_step) {
          return fail("totp_invalid", "the one-time code is wrong, expired or already used");
        }
        // Check-and-set inside the write transaction: row->totp_last_step was read before the
        // password hash, and parallel sign-ins with one code all saw the same old value. Only
        // the first to advance the step gets a session.
        SQLite::Statement u(
            db, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?");
        u.bind(1, static_cast<int64_t>(*step));
        u.bind(2, row->id.str());
        u.bind(3, static_cast<int64_t>(*step));
        if (u.exec() != 1) {
          return fail("totp_invalid", "the one-time code is wrong, expired or already used");
        }
        change["mfa"] = "totp";
      } else if (!recovery_code.empty()) {
        failure_reason = "recovery_code";
        auto normalised = NormaliseRecoveryCode(recovery_code);
        if (!normalised) {
          return fail("recovery_code_invalid", "the recovery code is wrong or already used");
        }
        crypto::Bytes h = RecoveryCodeHash(row->id, *normalised);
        // Deleting is the single use: two sign-ins racing with one code cannot both delete it.
        SQLite::Statement d(db, "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?");
        d.bind(1, row->id.str());
        d.bind(2, h.data(), static_cast<int>(h.size()));
        if (d.exec() == 0) {
          return fail("recovery_code_invalid", "the recovery code is wrong or already used");
        }
        SQLite::Statement left(db, "SELECT count(*) FROM recovery_codes WHERE user_id = ?");
        left.bind(1, row->id.str());
        left.executeStep();
        RecordAudit(db, org.value().get(),
                    {"user:" + row->id.str(),
                     row->id.str(),
                     "mfa.recovery_code_used",
                     {{"codes_left", left.getColumn(0).getInt()}}});
        change["mfa"] = "recovery_code";
      } else {
        return fail("totp_required", "a one-time code from your authenticator is required");
      }
    } else if (row->passkeys > 0) {
      // The passkey is the second factor: the password step ends here, and the sign-in finishes
      // with POST /api/v1/sessions/passkey (service/passkeys.h).
      failure_reason = "passkey_required";
      return fail("passkey_required", "confirm the sign-in with one of your passkeys");
    }
    result = IssueSession(db, row->id, row->org, role, enrolment_only);
    if (!result.ok()) return result.status();
    if (enrolment_only) change["mfa_enrolment_only"] = true;
    RecordAudit(db, org.value().get(),
                {"user:" + row->id.str(), row->id.str(), "session.create", change});
    return Status::Ok();
  });
  if (!st.ok()) {
    // A wrong second factor counts towards the back-off like a wrong password; the audit entry
    // is written on its own because the failed transaction rolled back.
    if (st.code() == Code::kUnauthenticated) {
      account_backoff_.Failure(account_key);
      address_backoff_.Failure(peer_key);
      util::log::Warn("session.failure_second_factor")
          .Ref("user_id", row->id)
          .AddrHash("peer", peer);
      Status audited = AuditSignInFailure(*row, failure_reason);
      if (!audited.ok()) return audited;
    }
    return st;
  }
  // A success after failed attempts on this account (counted since its last success, in this
  // process) is worth telling the user about: someone may have guessed the password.
  const int failures = account_backoff_.Success(account_key);
  address_backoff_.Success(peer_key);
  if (failures > 0) Notify(row->id, row->org, NoticeKind::kSignInAfterFailures, failures);
  NoteSignInAddress(row->id, row->org, peer);
  result->mfa_enrolment_required = enrolment_only;
  util::log::Info("session.created")
      .Ref("user_id", row->id)
      .Ref("org_id", row->org)
      .Num("mfa_enrolment_only", enrolment_only ? 1 : 0);
  return result;
}

util::Result<SignInResult> Accounts::IssueSession(store::Db& db, const util::UserId& user,
                                                  const util::OrgId& org, access::Role role,
                                                  bool mfa_pending) {
  SignInResult r;
  r.token = crypto::RandomToken();
  r.user = user;
  r.org = org;
  r.role = role;
  int64_t now = util::NowUnix();
  r.expires_at = now + kSessionAbsoluteSeconds;
  crypto::Bytes h = TokenHash(r.token);
  const util::SessionId id = util::SessionId::Generate();
  SQLite::Statement ins(
      db,
      "INSERT INTO sessions(id, token_hash, user_id, kind, scope, mfa_pending, "
      "created_at, last_seen_at, expires_at) VALUES (?,?,?,'session','write',?,?,?,?)");
  ins.bind(1, id.str());
  ins.bind(2, h.data(), static_cast<int>(h.size()));
  ins.bind(3, user.str());
  ins.bind(4, mfa_pending ? 1 : 0);
  ins.bind(5, static_cast<int64_t>(now));
  ins.bind(6, static_cast<int64_t>(now));
  ins.bind(7, static_cast<int64_t>(r.expires_at));
  ins.exec();
  SQLite::Statement u(db, "UPDATE users SET last_active_at = ? WHERE id = ?");
  u.bind(1, static_cast<int64_t>(now));
  u.bind(2, user.str());
  u.exec();
  if (Status st = EndExcessSessions(db, user, org, id); !st.ok()) return st;
  return r;
}

Status Accounts::EndExcessSessions(store::Db& db, const util::UserId& user, const util::OrgId& org,
                                   const util::SessionId& kept) {
  struct Held {
    std::string id;
    std::string hash;
    int64_t used_ms;
  };
  std::vector<Held> held;  // in creation order (rowid)
  {
    SQLite::Statement q(db,
                        "SELECT id, token_hash, last_seen_at FROM sessions WHERE user_id = ? AND "
                        "kind = 'session' ORDER BY rowid");
    q.bind(1, user.str());
    while (q.executeStep()) {
      auto hash = Blob(q.getColumn(1));
      held.push_back({q.getColumn(0).getString(), std::string(hash.begin(), hash.end()),
                      q.getColumn(2).getInt64() * 1000});
    }
  }
  if (held.size() <= static_cast<size_t>(kMaxSessionsPerUser)) return Status::Ok();
  {
    std::lock_guard lock(cache_mu_);
    for (Held& h : held) {
      auto it = last_use_ms_.find(h.hash);
      if (it != last_use_ms_.end()) h.used_ms = std::max(h.used_ms, it->second);
    }
  }
  std::erase_if(held, [&](const Held& h) { return h.id == kept.str(); });
  // Stable: among equal last uses the one created first goes first.
  std::stable_sort(held.begin(), held.end(),
                   [](const Held& a, const Held& b) { return a.used_ms < b.used_ms; });
  const size_t excess = held.size() + 1 - static_cast<size_t>(kMaxSessionsPerUser);
  auto crypto = Org(db, org);
  if (!crypto.ok()) return crypto.status();
  for (size_t i = 0; i < excess && i < held.size(); ++i) {
    SQLite::Statement d(db, "DELETE FROM sessions WHERE id = ?");
    d.bind(1, held[i].id);
    d.exec();
    RecordAudit(db, crypto.value().get(),
                {"user:" + user.str(),
                 user.str(),
                 "session.evicted",
                 {{"session_id", held[i].id}, {"limit", kMaxSessionsPerUser}}});
    util::log::Info("session.evicted").Ref("user_id", user).Num("limit", kMaxSessionsPerUser);
  }
  ForgetCachedPrincipals();
  return Status::Ok();
}

util::Result<SignInResult> Accounts::IssueSsoSession(store::Db& db, const util::UserId& user,
                                                     const util::OrgId& org, access::Role role,
                                                     int64_t expires_at, bool mfa_by_provider,
                                                     util::SessionId* session_id) {
  SignInResult r;
  r.token = crypto::RandomToken();
  r.user = user;
  r.org = org;
  r.role = role;
  int64_t now = util::NowUnix();
  r.expires_at = std::min(expires_at, now + kSessionAbsoluteSeconds);
  crypto::Bytes h = TokenHash(r.token);
  util::SessionId id = util::SessionId::Generate();
  SQLite::Statement ins(db,
                        "INSERT INTO sessions(id, token_hash, user_id, kind, scope, mfa_pending, "
                        "mfa_by_provider, created_at, last_seen_at, expires_at) "
                        "VALUES (?,?,?,'session','write',0,?,?,?,?)");
  ins.bind(1, id.str());
  ins.bind(2, h.data(), static_cast<int>(h.size()));
  ins.bind(3, user.str());
  ins.bind(4, mfa_by_provider ? 1 : 0);
  ins.bind(5, static_cast<int64_t>(now));
  ins.bind(6, static_cast<int64_t>(now));
  ins.bind(7, static_cast<int64_t>(r.expires_at));
  ins.exec();
  SQLite::Statement u(db, "UPDATE users SET last_active_at = ? WHERE id = ?");
  u.bind(1, static_cast<int64_t>(now));
  u.bind(2, user.str());
  u.exec();
  if (Status st = EndExcessSessions(db, user, org, id); !st.ok()) return st;
  if (session_id != nullptr) *session_id = id;
  return r;
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
    SQLite::Statement& q =
        db_.Prepared(db,
                     "SELECT s.user_id, s.kind, s.scope, s.expires_at, s.last_seen_at, "
                     "u.org_id, u.role, u.email_verified, u.disabled, s.mfa_pending, "
                     "u.totp_enabled, coalesce(json_extract(o.settings, '$.mfa_policy'), "
                     "'optional'), s.mfa_by_provider, EXISTS (SELECT 1 FROM passkeys p WHERE "
                     "p.user_id = u.id), coalesce(s.authenticated_at, s.created_at) "
                     "FROM sessions s JOIN users u ON u.id = s.user_id JOIN "
                     "orgs o ON o.id = u.org_id WHERE s.token_hash = ?");
    q.bind(1, h.data(), static_cast<int>(h.size()));
    if (!q.executeStep()) return Status::Ok();
    kind = q.getColumn(1).getString();
    int64_t expires = q.getColumn(3).getInt64();
    last_seen = q.getColumn(4).getInt64();
    if (expires <= now || q.getColumn(8).getInt() != 0) return Status::Ok();
    if (kind == "session" && last_seen + kSessionIdleSeconds <= now) return Status::Ok();
    p.kind = PrincipalKind::kUser;
    p.user = util::UserId::FromTrusted(q.getColumn(0).getString());
    p.read_only = q.getColumn(2).getString() == "read";
    p.api_token = kind == "api";
    if (!p.api_token) p.authenticated_at = q.getColumn(14).getInt64();
    p.org = util::OrgId::FromTrusted(q.getColumn(5).getString());
    p.role = access::ParseRole(q.getColumn(6).getString()).value_or(access::Role::kViewer);
    p.email_verified = q.getColumn(7).getInt() != 0;
    // The policy is read afresh, so tightening it also restricts sessions and API tokens that
    // were issued before; a session issued as enrolment-only stays so until TOTP is confirmed.
    // A session from single sign-on whose provider asserted a second factor meets it too.
    bool totp_enabled = q.getColumn(10).getInt() != 0 || q.getColumn(12).getInt() != 0 ||
                        q.getColumn(13).getInt() != 0;
    p.mfa_enrolment_only =
        !totp_enabled &&
        (q.getColumn(9).getInt() != 0 || access::MfaRequired(q.getColumn(11).getString(), p.role));
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
      SQLite::Statement u(db, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?");
      u.bind(1, static_cast<int64_t>(now));
      u.bind(2, h.data(), static_cast<int>(h.size()));
      u.exec();
      SQLite::Statement a(db, "UPDATE users SET last_active_at = ? WHERE id = ?");
      a.bind(1, static_cast<int64_t>(now));
      a.bind(2, p.user.str());
      a.exec();
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

void Accounts::Notify(const util::UserId& user, const util::OrgId& org, NoticeKind kind,
                      int failures) {
  Notices* n = notices_.load();
  if (n != nullptr) n->Post(Notice{user, org, kind, util::NowUnix(), failures});
}

void Accounts::NoteSignInAddress(const util::UserId& user, const util::OrgId& org,
                                 const std::string& peer) {
  // Bound to the user, so one address reads as unrelated values for two users.
  std::string material = user.str();
  material.push_back('\0');
  material += peer;
  const crypto::Bytes pseudonym =
      crypto::KeyedHash(index_key_, "sign-in-address", crypto::AsBytes(material));
  crypto::Wipe(material);
  store::SignInAddressSeen seen;
  Status st = db_.Write([&](store::Db& db) -> Status {
    seen = store::RecordSignInAddress(db, user, pseudonym, util::NowUnix(), kSignInAddressesKept);
    return Status::Ok();
  });
  if (!st.ok()) {
    util::log::Error("session.address_record_failed").Ref("user_id", user);
    return;
  }
  if (seen.known || seen.first_sign_in) return;
  util::log::Info("session.new_address").Ref("user_id", user);
  Notify(user, org, NoticeKind::kNewAddress);
}

void Accounts::ForgetCachedPrincipals() {
  std::lock_guard lock(cache_mu_);
  cache_.clear();
  ++cache_generation_;
}

Status Accounts::SignOut(std::string_view bearer) {
  crypto::Bytes h = TokenHash(bearer);
  Status st = db_.Write([&](store::Db& db) -> Status {
    SQLite::Statement d(db, "DELETE FROM sessions WHERE token_hash = ?");
    d.bind(1, h.data(), static_cast<int>(h.size()));
    d.exec();
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  return st;
}

Status Accounts::SignOutEverywhere(const Principal& actor) {
  Status st = Allowed(actor, access::Function::kSelfManage);
  if (!st.ok()) return st;
  st = db_.Write([&](store::Db& db) -> Status {
    SQLite::Statement d(db, "DELETE FROM sessions WHERE user_id = ?");
    d.bind(1, actor.user.str());
    d.exec();
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
    crypto::Bytes h = TokenHash(token);
    auto sealed_name = org.value()->SealText("token-name", v.id.str(), name);
    SQLite::Statement ins(db,
                          "INSERT INTO sessions(id, token_hash, user_id, kind, scope, name_sealed, "
                          "created_at, last_seen_at, expires_at) VALUES (?,?,?,'api',?,?,?,?,?)");
    ins.bind(1, v.id.str());
    ins.bind(2, h.data(), static_cast<int>(h.size()));
    ins.bind(3, actor.user.str());
    ins.bind(4, v.scope);
    ins.bind(5, sealed_name.data(), static_cast<int>(sealed_name.size()));
    ins.bind(6, static_cast<int64_t>(v.created_at));
    ins.bind(7, static_cast<int64_t>(v.last_seen_at));
    ins.bind(8, static_cast<int64_t>(v.expires_at));
    ins.exec();
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
    SQLite::Statement q(db,
                        "SELECT id, kind, scope, name_sealed, created_at, last_seen_at, "
                        "expires_at, token_hash FROM sessions WHERE user_id = ? AND expires_at > ? "
                        "ORDER BY created_at DESC LIMIT 200");
    q.bind(1, actor.user.str());
    q.bind(2, static_cast<int64_t>(util::NowUnix()));
    while (q.executeStep()) {
      TokenView v;
      v.id = util::SessionId::FromTrusted(q.getColumn(0).getString());
      v.kind = q.getColumn(1).getString();
      v.scope = q.getColumn(2).getString();
      if (!q.getColumn(3).isNull()) {
        v.name = org.value()->OpenText("token-name", v.id.str(), Blob(q.getColumn(3))).value_or("");
      }
      v.created_at = q.getColumn(4).getInt64();
      v.last_seen_at = q.getColumn(5).getInt64();
      v.expires_at = q.getColumn(6).getInt64();
      v.current = crypto::ConstantTimeEquals(Blob(q.getColumn(7)), current);
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
    SQLite::Statement d(db, "DELETE FROM sessions WHERE id = ? AND user_id = ?");
    d.bind(1, id.str());
    d.bind(2, actor.user.str());
    if (d.exec() == 0) return Status::NotFound();
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

util::Result<TotpEnrollment> Accounts::StartTotp(const Principal& actor) {
  if (Status st = Allowed(actor, access::Function::kMfaEnrol); !st.ok()) return st;
  TotpEnrollment out;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    SQLite::Statement q(db, "SELECT totp_enabled, email_sealed FROM users WHERE id = ?");
    q.bind(1, actor.user.str());
    if (!q.executeStep()) return Status::NotFound();
    if (q.getColumn(0).getInt() != 0) {
      return Status::Conflict("mfa_enabled", "an authenticator is already enrolled");
    }
    auto email = org.value()->OpenText("email", actor.user.str(), Blob(q.getColumn(1)));
    if (!email) return Status::Internal("the account could not be opened");
    auto secret = crypto::SecureBuffer::Random(20);
    out.secret_base32 = crypto::Base32Encode(secret.span());
    out.otpauth_uri = "otpauth://totp/bomvault:" + util::PercentEncode(*email) +
                      "?secret=" + out.secret_base32 +
                      "&issuer=bomvault&algorithm=SHA1&digits=6&period=30";
    auto sealed = org.value()->Seal("totp", actor.user.str(), secret.span());
    SQLite::Statement u(db,
                        "UPDATE users SET totp_secret_sealed = ?, totp_last_step = 0 WHERE id = ?");
    u.bind(1, sealed.data(), static_cast<int>(sealed.size()));
    u.bind(2, actor.user.str());
    u.exec();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

crypto::Bytes Accounts::RecoveryCodeHash(const util::UserId& user,
                                         std::string_view normalised) const {
  // 120 random bits per code: a plain hash is enough (ASVS 6.5.2); the user id keeps equal codes
  // of two users apart.
  return crypto::Hash("bomvault-recovery-code",
                      crypto::AsBytes(user.str() + ":" + std::string(normalised)));
}

std::vector<std::string> Accounts::ReplaceRecoveryCodes(store::Db& db, const util::UserId& user) {
  SQLite::Statement d(db, "DELETE FROM recovery_codes WHERE user_id = ?");
  d.bind(1, user.str());
  d.exec();
  std::vector<std::string> codes;
  int64_t now = util::NowUnix();
  while (static_cast<int>(codes.size()) < kRecoveryCodes) {
    crypto::SecureBuffer raw = crypto::SecureBuffer::Random(15);
    std::string base32 = crypto::Base32Encode(raw.span());
    std::string normalised = *NormaliseRecoveryCode(base32);
    crypto::Bytes h = RecoveryCodeHash(user, normalised);
    SQLite::Statement ins(db,
                          "INSERT OR IGNORE INTO recovery_codes(user_id, code_hash, created_at) "
                          "VALUES (?,?,?)");
    ins.bind(1, user.str());
    ins.bind(2, h.data(), static_cast<int>(h.size()));
    ins.bind(3, static_cast<int64_t>(now));
    if (ins.exec() == 1) codes.push_back(FormatRecoveryCode(normalised));
    crypto::Wipe(base32);
    crypto::Wipe(normalised);
  }
  return codes;
}

util::Result<std::vector<std::string>> Accounts::ConfirmTotp(const Principal& actor,
                                                             std::string_view code) {
  if (Status st = Allowed(actor, access::Function::kMfaEnrol); !st.ok()) return st;
  std::vector<std::string> codes;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    SQLite::Statement q(db, "SELECT totp_enabled, totp_secret_sealed FROM users WHERE id = ?");
    q.bind(1, actor.user.str());
    if (!q.executeStep()) return Status::NotFound();
    if (q.getColumn(0).getInt() != 0) {
      return Status::Conflict("mfa_enabled", "an authenticator is already enrolled");
    }
    if (q.getColumn(1).isNull()) {
      return Status::Conflict("mfa_not_started", "start the enrolment first");
    }
    auto secret = OpenTotpSecret(*org.value(), actor.user, Blob(q.getColumn(1)));
    if (!secret) return Status::Internal("the second factor could not be opened");
    auto step = crypto::TotpVerify(*secret, code, util::NowUnix());
    if (!step) {
      return Status::Invalid("totp_invalid", "the code does not match; check the device's clock");
    }
    SQLite::Statement u(db, "UPDATE users SET totp_enabled = 1, totp_last_step = ? WHERE id = ?");
    u.bind(1, static_cast<int64_t>(*step));
    u.bind(2, actor.user.str());
    u.exec();
    codes = ReplaceRecoveryCodes(db, actor.user);
    // The enrolment proved the new factor in this user's sessions: they are whole sessions now.
    store::ClearMfaPending(db, actor.user);
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(),
                 actor.user.str(),
                 "mfa.enable",
                 {{"method", "totp"}, {"recovery_codes", kRecoveryCodes}}});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  if (!st.ok()) return st;
  util::log::Info("mfa.enabled").Ref("user_id", actor.user);
  Notify(actor.user, actor.org, NoticeKind::kTotpEnrolled);
  return codes;
}

util::Result<std::vector<std::string>> Accounts::RegenerateRecoveryCodes(const Principal& actor,
                                                                         std::string_view totp) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  const std::string key = "totp:" + actor.user.str();
  if (int64_t wait = reauth_backoff_.RetryAfter(key); wait > 0) return TooManyAttempts(wait);
  std::vector<std::string> codes;
  bool wrong_code = false;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    SQLite::Statement q(db,
                        "SELECT totp_enabled, totp_secret_sealed, totp_last_step FROM users "
                        "WHERE id = ?");
    q.bind(1, actor.user.str());
    if (!q.executeStep()) return Status::NotFound();
    if (q.getColumn(0).getInt() == 0) {
      return Status::Conflict("mfa_not_enabled", "enrol an authenticator first");
    }
    auto secret = OpenTotpSecret(*org.value(), actor.user, Blob(q.getColumn(1)));
    if (!secret) return Status::Internal("the second factor could not be opened");
    auto step = crypto::TotpVerify(*secret, totp, util::NowUnix());
    if (!step || *step <= q.getColumn(2).getInt64()) {
      wrong_code = true;
      return Status::Invalid("totp_invalid", "the one-time code is wrong, expired or already used");
    }
    SQLite::Statement u(db, "UPDATE users SET totp_last_step = ? WHERE id = ?");
    u.bind(1, static_cast<int64_t>(*step));
    u.bind(2, actor.user.str());
    u.exec();
    codes = ReplaceRecoveryCodes(db, actor.user);
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(),
                 actor.user.str(),
                 "mfa.recovery_codes_regenerate",
                 {{"recovery_codes", kRecoveryCodes}}});
    return Status::Ok();
  });
  if (wrong_code) reauth_backoff_.Failure(key);
  if (!st.ok()) return st;
  reauth_backoff_.Success(key);
  Notify(actor.user, actor.org, NoticeKind::kRecoveryCodesRegenerated);
  return codes;
}

Status Accounts::ChangePassword(const Principal& actor, std::string_view current_password,
                                std::string_view new_password, bool sign_out_others,
                                std::string_view current_bearer) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  Status st = VerifyCurrentPassword(actor, current_password);
  if (!st.ok()) return st;
  st = CheckPasswordPolicy(new_password);
  if (!st.ok()) return st;
  PasswordContext context;
  st = db_.Read([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    SQLite::Statement q(db, "SELECT email_sealed, display_name_sealed FROM users WHERE id = ?");
    q.bind(1, actor.user.str());
    if (!q.executeStep()) return Status::NotFound();
    context.email =
        org.value()->OpenText("email", actor.user.str(), Blob(q.getColumn(0))).value_or("");
    if (!q.getColumn(1).isNull()) {
      context.display_name = org.value()
                                 ->OpenText("display-name", actor.user.str(), Blob(q.getColumn(1)))
                                 .value_or("");
    }
    context.org_name = OpenOrgName(db, *org.value(), actor.org);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  st = CheckPasswordContext(new_password, context);
  if (!st.ok()) return st;
  auto hash = HashPassword(new_password);
  if (!hash.ok()) return hash.status();
  crypto::Bytes current = TokenHash(current_bearer);
  int64_t ended = 0;
  st = db_.Write([&](store::Db& db) -> Status {
    // An account whose password was wiped meanwhile (local passwords turned off) gets none back.
    SQLite::Statement u(
        db, "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NOT NULL");
    u.bind(1, hash.value());
    u.bind(2, actor.user.str());
    if (u.exec() == 0) {
      return Status::Conflict("local_passwords_off",
                              "this organisation signs in through its identity provider only");
    }
    if (sign_out_others) {
      // Browser sessions only: API tokens are separate credentials, listed and revoked apart.
      SQLite::Statement d(db,
                          "DELETE FROM sessions WHERE user_id = ? AND kind = 'session' AND "
                          "token_hash != ?");
      d.bind(1, actor.user.str());
      d.bind(2, current.data(), static_cast<int>(current.size()));
      ended = d.exec();
    }
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(),
                 actor.user.str(),
                 "user.password_change",
                 {{"sessions_ended", ended}}});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  if (st.ok()) {
    util::log::Info("user.password_changed").Ref("user_id", actor.user);
    Notify(actor.user, actor.org, NoticeKind::kPasswordChanged);
  }
  return st;
}

Status Accounts::VerifyCurrentPassword(const Principal& actor, std::string_view password) {
  const std::string key = "password:" + actor.user.str();
  if (int64_t wait = reauth_backoff_.RetryAfter(key); wait > 0) return TooManyAttempts(wait);
  std::string hash;
  Status st = db_.Read([&](store::Db& db) -> Status {
    SQLite::Statement q(db, "SELECT password_hash FROM users WHERE id = ?");
    q.bind(1, actor.user.str());
    if (!q.executeStep()) return Status::NotFound();
    hash = q.getColumn(0).getString();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  bool ok = false;
  {
    auto slot = TakeHashSlot([this] { return hashing_stopped_.load(); });
    if (!slot) return SealingStatus();
    ok = crypto::PasswordVerify(hash, password);
  }
  if (!ok) {
    reauth_backoff_.Failure(key);
    util::log::Warn("user.reauth_refused").Ref("user_id", actor.user);
    return Status::Invalid("current_password_wrong", "the current password is not correct");
  }
  reauth_backoff_.Success(key);
  return Status::Ok();
}

Status Accounts::Reauthenticate(const Principal& actor, std::string_view bearer,
                                std::string_view password, std::string_view totp,
                                std::string_view recovery_code) {
  if (actor.kind != PrincipalKind::kUser)
    return Status::Forbidden();  // the operator has no session
  if (actor.api_token) return access::RecentProof(actor, 0, 0);
  const std::string key = "reauth:" + actor.user.str();
  if (int64_t wait = reauth_backoff_.RetryAfter(key); wait > 0) return TooManyAttempts(wait);
  std::string hash;
  bool totp_enabled = false;
  int passkeys = 0;
  Status st = db_.Read([&](store::Db& db) -> Status {
    SQLite::Statement q(db,
                        "SELECT coalesce(password_hash, ''), totp_enabled, (SELECT count(*) FROM "
                        "passkeys p WHERE p.user_id = users.id) FROM users WHERE id = ?");
    q.bind(1, actor.user.str());
    if (!q.executeStep()) return Status::NotFound();
    hash = q.getColumn(0).getString();
    totp_enabled = q.getColumn(1).getInt() != 0;
    passkeys = q.getColumn(2).getInt();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (hash.empty()) {
    return Status::Conflict("password_not_set",
                            "you sign in through your organisation's identity provider: sign in "
                            "there again to confirm it is you");
  }
  if (!totp_enabled && passkeys > 0) {
    return Status::Conflict("passkey_required", "confirm it is you with one of your passkeys");
  }
  if (totp_enabled && totp.empty() && recovery_code.empty()) {
    return Status::Invalid("totp_required", "a one-time code from your authenticator is required");
  }
  const char* failed = nullptr;  // what was wrong, for the back-off and the audit
  bool password_ok = false;
  {
    auto slot = TakeHashSlot([this] { return hashing_stopped_.load(); });
    if (!slot) return SealingStatus();
    password_ok = crypto::PasswordVerify(hash, password);
  }
  const char* mfa = nullptr;
  if (!password_ok) {
    failed = "password";
    st = Status::Invalid("current_password_wrong", "the current password is not correct");
  } else {
    st = db_.Write([&](store::Db& db) -> Status {
      auto org = Org(db, actor.org);
      if (!org.ok()) return org.status();
      if (totp_enabled && !totp.empty()) {
        SQLite::Statement q(db,
                            "SELECT totp_secret_sealed, totp_last_step FROM users WHERE id = ?");
        q.bind(1, actor.user.str());
        if (!q.executeStep()) return Status::NotFound();
        auto secret = OpenTotpSecret(*org.value(), actor.user, Blob(q.getColumn(0)));
        if (!secret) return Status::Internal("the second factor could not be opened");
        auto step = crypto::TotpVerify(*secret, totp, util::NowUnix());
        // Check-and-set, as at sign-in: one code proves once.
        SQLite::Statement u(
            db, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?");
        u.bind(1, static_cast<int64_t>(step.value_or(0)));
        u.bind(2, actor.user.str());
        u.bind(3, static_cast<int64_t>(step.value_or(0)));
        if (!step || u.exec() != 1) {
          failed = "totp";
          return Status::Invalid("totp_invalid",
                                 "the one-time code is wrong, expired or already used");
        }
        mfa = "totp";
      } else if (totp_enabled) {
        auto normalised = NormaliseRecoveryCode(recovery_code);
        SQLite::Statement d(db, "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?");
        crypto::Bytes h = RecoveryCodeHash(actor.user, normalised.value_or(""));
        d.bind(1, actor.user.str());
        d.bind(2, h.data(), static_cast<int>(h.size()));
        if (!normalised || d.exec() == 0) {
          failed = "recovery_code";
          return Status::Invalid("recovery_code_invalid",
                                 "the recovery code is wrong or already used");
        }
        mfa = "recovery_code";
      }
      crypto::Bytes session = TokenHash(bearer);
      SQLite::Statement u(db,
                          "UPDATE sessions SET authenticated_at = ? WHERE token_hash = ? AND "
                          "user_id = ? AND kind = 'session'");
      u.bind(1, static_cast<int64_t>(util::NowUnix()));
      u.bind(2, session.data(), static_cast<int>(session.size()));
      u.bind(3, actor.user.str());
      if (u.exec() != 1) return Status::Unauthenticated("the session has ended");
      nlohmann::json change = nlohmann::json::object();
      if (mfa != nullptr) change["mfa"] = mfa;
      RecordAudit(db, org.value().get(),
                  {"user:" + actor.user.str(), actor.user.str(), "session.reauth", change});
      return Status::Ok();
    });
  }
  if (failed != nullptr) {
    reauth_backoff_.Failure(key);
    util::log::Warn("session.reauth_failure").Ref("user_id", actor.user);
    Status audited = db_.Write([&](store::Db& db) -> Status {
      auto org = Org(db, actor.org);
      if (!org.ok()) return org.status();
      RecordAudit(db, org.value().get(),
                  {"user:" + actor.user.str(),
                   actor.user.str(),
                   "session.reauth_failure",
                   {{"reason", failed}}});
      return Status::Ok();
    });
    if (!audited.ok()) return audited;
    return st;
  }
  if (!st.ok()) return st;
  ForgetCachedPrincipals();  // after the commit, so no lookup can cache the old proof time
  reauth_backoff_.Success(key);
  util::log::Info("session.reauth").Ref("user_id", actor.user);
  return Status::Ok();
}

Status Accounts::RemoveTotp(const Principal& actor, std::string_view password) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  Status st = VerifyCurrentPassword(actor, password);
  if (!st.ok()) return st;
  st = db_.Write([&](store::Db& db) -> Status {
    SQLite::Statement u(db,
                        "UPDATE users SET totp_enabled = 0, totp_secret_sealed = NULL, "
                        "totp_last_step = 0 WHERE id = ? AND totp_enabled = 1");
    u.bind(1, actor.user.str());
    if (u.exec() == 0) return Status::Conflict("mfa_not_enabled", "no authenticator is enrolled");
    SQLite::Statement d(db, "DELETE FROM recovery_codes WHERE user_id = ?");
    d.bind(1, actor.user.str());
    d.exec();
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(
        db, org.value().get(),
        {"user:" + actor.user.str(), actor.user.str(), "mfa.disable", {{"method", "totp"}}});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  if (st.ok()) {
    util::log::Info("mfa.disabled").Ref("user_id", actor.user);
    Notify(actor.user, actor.org, NoticeKind::kTotpRemoved);
  }
  return st;
}

Status Accounts::ResetMfa(const Principal& actor, const util::UserId& id) {
  if (Status st = Allowed(actor, access::Function::kUserMfaReset); !st.ok()) return st;
  int64_t ended = 0;
  Status st = db_.Write([&](store::Db& db) -> Status {
    SQLite::Statement q(db,
                        "SELECT totp_enabled, (SELECT count(*) FROM passkeys p WHERE p.user_id = "
                        "users.id) FROM users WHERE id = ? AND org_id = ?");
    q.bind(1, id.str());
    q.bind(2, actor.org.str());
    if (!q.executeStep()) return Status::NotFound();
    if (q.getColumn(0).getInt() == 0 && q.getColumn(1).getInt() == 0) {
      return Status::Conflict("mfa_not_enabled", "this user has no authenticator enrolled");
    }
    SQLite::Statement pk(db, "DELETE FROM passkeys WHERE user_id = ?");
    pk.bind(1, id.str());
    const int passkeys_removed = pk.exec();
    SQLite::Statement u(db,
                        "UPDATE users SET totp_enabled = 0, totp_secret_sealed = NULL, "
                        "totp_last_step = 0 WHERE id = ?");
    u.bind(1, id.str());
    u.exec();
    SQLite::Statement d(db, "DELETE FROM recovery_codes WHERE user_id = ?");
    d.bind(1, id.str());
    d.exec();
    SQLite::Statement s(db, "DELETE FROM sessions WHERE user_id = ?");
    s.bind(1, id.str());
    ended = s.exec();
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"user:" + id.str(),
                 actor.user.str(),
                 "mfa.reset",
                 {{"sessions_ended", ended}, {"passkeys_removed", passkeys_removed}}});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  if (st.ok()) {
    util::log::Info("mfa.reset").Ref("user_id", id).Ref("actor_id", actor.user).Num("ended", ended);
    Notify(id, actor.org, NoticeKind::kMfaReset);
  }
  return st;
}

Status Accounts::SetDisplayName(const Principal& actor, std::string_view name,
                                const util::IfMatch& if_match) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (CodePoints(name) > 100) {
    return Status::Invalid("invalid_display_name", "a display name has at most 100 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Invalid("invalid_display_name",
                             "a display name cannot hold control characters");
    }
  }
  return db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    if (!if_match.header.empty()) {
      SQLite::Statement v(db, "SELECT version FROM users WHERE id = ?");
      v.bind(1, actor.user.str());
      if (!v.executeStep()) return Status::NotFound();
      if (!if_match.Holds(MeEtag(v.getColumn(0).getInt64(), actor))) {
        return Status::PreconditionFailed();
      }
    }
    SQLite::Statement u(db, "UPDATE users SET display_name_sealed = ? WHERE id = ?");
    if (name.empty()) {
      u.bind(1);
    } else {
      auto sealed = org.value()->SealText("display-name", actor.user.str(), name);
      u.bind(1, sealed.data(), static_cast<int>(sealed.size()));
    }
    u.bind(2, actor.user.str());
    if (u.exec() == 0) return Status::NotFound();
    // The name itself stays out of the audit: the entry says only that it changed.
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(), actor.user.str(), "user.display_name", {}});
    return Status::Ok();
  });
}

util::Result<std::vector<DirectoryEntry>> Accounts::Directory(const Principal& actor,
                                                              std::string_view query,
                                                              size_t limit) {
  if (Status st = Allowed(actor, access::Function::kDirectoryRead); !st.ok()) return st;
  // ASCII and Latin-1 letters (À-Þ, two UTF-8 bytes C3 80-9E) fold to lower case: enough for the
  // names of most Western European languages without a Unicode library.
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (size_t i = 0; i < out.size(); ++i) {
      auto c = static_cast<unsigned char>(out[i]);
      if (c == 0xC3 && i + 1 < out.size()) {
        auto next = static_cast<unsigned char>(out[i + 1]);
        if (next >= 0x80 && next <= 0x9E && next != 0x97)
          out[i + 1] = static_cast<char>(next + 0x20);
        ++i;
        continue;
      }
      out[i] = static_cast<char>(std::tolower(c));
    }
    return out;
  };
  const std::string needle = lower(query);
  auto all = ListOrgUsers(actor.org);
  if (!all.ok()) return all.status();
  std::vector<DirectoryEntry> out;
  for (auto& u : all.value()) {
    if (u.disabled) continue;
    if (!needle.empty() && lower(u.email).find(needle) == std::string::npos &&
        lower(u.display_name).find(needle) == std::string::npos) {
      continue;
    }
    out.push_back({u.id, std::move(u.display_name), std::move(u.email)});
  }
  auto key = [&](const DirectoryEntry& e) {
    return lower(e.display_name.empty() ? e.email : e.display_name);
  };
  std::sort(out.begin(), out.end(),
            [&](const DirectoryEntry& a, const DirectoryEntry& b) { return key(a) < key(b); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace bomvault::service
