#include "service/accounts.h"

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"
#include "crypto/totp.h"
#include "service/audit.h"
#include "service/common_passwords.h"
#include "store/mfa_store.h"
#include "store/orgs_store.h"
#include "store/passkeys_store.h"
#include "store/sessions_store.h"
#include "store/sign_in_addresses.h"
#include "store/sources_store.h"
#include "store/users_store.h"
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
constexpr int kMaxListedUsers = 1000;
constexpr int kMaxListedTokens = 200;
// A valid Argon2id hash of a random password, verified when the account does not exist so that
// sign-in takes as long for an unknown address as for a wrong password.
const char* DummyHash() {
  static const std::string h = crypto::PasswordHash(crypto::RandomToken()).value_or("");
  return h.c_str();
}

Status BadCredentials() {
  return Status(Code::kUnauthenticated, "bad_credentials", "wrong e-mail address or password");
}

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
  auto sealed = store::OrgNameSealed(db, id);
  if (!sealed) return "";
  return org.OpenText("org-name", id.str(), *sealed).value_or("");
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
  AddressUse use = AddressUse::kFree;
  for (const store::EmailIndexHit& hit : store::FindEmailIndex(db, global, local)) {
    if (hit.org_local || hit.org == org) return AddressUse::kMember;
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
  store::NewUserRow row;
  row.id = util::UserId::Generate();
  row.org = org.org();
  row.email_index = std::move(bidx);
  row.email_sealed = org.SealText("email", row.id.str(), email);
  row.password_hash = pw_hash;  // empty: no local password (single sign-on only)
  row.role = std::string(access::RoleName(role));
  row.email_verified = verified;
  row.now = util::NowUnix();
  store::InsertUser(db, row);
  return row.id;
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
    for (const store::UserRow& row : store::ListUsers(db, actor.org, kMaxListedUsers)) {
      UserView u;
      u.id = row.id;
      u.org = actor.org;
      auto email = org.value()->OpenText("email", u.id.str(), row.email_sealed);
      if (!email) return Status::Internal("an account could not be opened");
      u.email = *email;
      u.role = access::ParseRole(row.role).value_or(access::Role::kViewer);
      u.email_verified = row.email_verified;
      u.disabled = row.disabled;
      u.mfa_enabled = row.totp_enabled;
      u.created_at = row.created_at;
      u.last_active_at = row.last_active_at;
      u.recovery_codes_left = row.recovery_codes;
      if (row.display_name_sealed) {
        auto name = org.value()->OpenText("display-name", u.id.str(), *row.display_name_sealed);
        if (!name) return Status::Internal("an account could not be opened");
        u.display_name = *name;
      }
      u.passkeys = row.passkeys;
      u.version = row.version;
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
    auto before = store::FindUser(db, actor.org, id);
    if (!before) return Status::NotFound();
    if (!if_match.Holds(util::EntityTag(before->version))) return Status::PreconditionFailed();
    const std::string& before_role = before->role;
    const bool before_disabled = before->disabled;
    nlohmann::json change = nlohmann::json::object();
    if (role && access::RoleName(*role) != before_role) {
      change["role"] = {{"before", before_role}, {"after", access::RoleName(*role)}};
      // Revoked privileges: the address must be verified again before sharing (seed rule).
      bool demoted = (before_role == "administrator") ||
                     (before_role == "editor" && *role == access::Role::kViewer);
      store::SetUserRole(db, id, std::string(access::RoleName(*role)), demoted);
    }
    if (disabled && *disabled != before_disabled) {
      change["disabled"] = {{"before", before_disabled}, {"after", *disabled}};
      store::SetUserDisabled(db, id, *disabled);
      if (*disabled) {
        store::DeleteUserSessions(db, id);
        // Their own connections to data sources go too (service/sources.h): a disabled user's
        // credentials must not outlive the account's use.
        if (int n = store::DeleteUserSourceConnections(db, id); n > 0) {
          change["source_connections_deleted"] = n;
        }
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
    auto row = store::FindSignInAccount(db, bidx);
    if (!row) return Status::Ok();
    a.found = true;
    a.id = row->id;
    a.org = row->org;
    a.pw_hash = std::move(row->password_hash);
    a.role = std::move(row->role);
    a.disabled = row->disabled;
    a.totp_enabled = row->totp_enabled;
    a.totp_sealed = std::move(row->totp_sealed);
    a.totp_last_step = row->totp_last_step;
    a.mfa_policy = std::move(row->mfa_policy);
    a.passkeys = row->passkeys;
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
        if (!store::AdvanceTotpStep(db, row->id, static_cast<int64_t>(*step))) {
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
        if (!store::UseRecoveryCode(db, row->id, h)) {
          return fail("recovery_code_invalid", "the recovery code is wrong or already used");
        }
        RecordAudit(db, org.value().get(),
                    {"user:" + row->id.str(),
                     row->id.str(),
                     "mfa.recovery_code_used",
                     {{"codes_left", store::CountRecoveryCodes(db, row->id)}}});
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
  store::NewSessionRow row;
  row.id = util::SessionId::Generate();
  row.token_hash = TokenHash(r.token);
  row.user = user;
  row.kind = "session";
  row.scope = "write";
  row.mfa_pending = mfa_pending;
  row.created_at = now;
  row.expires_at = r.expires_at;
  store::InsertSession(db, row);
  store::MarkUserActive(db, user, now);
  if (Status st = EndExcessSessions(db, user, org, row.id); !st.ok()) return st;
  return r;
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
  SignInResult r;
  r.token = crypto::RandomToken();
  r.user = user;
  r.org = org;
  r.role = role;
  int64_t now = util::NowUnix();
  r.expires_at = std::min(expires_at, now + kSessionAbsoluteSeconds);
  store::NewSessionRow row;
  row.id = util::SessionId::Generate();
  row.token_hash = TokenHash(r.token);
  row.user = user;
  row.kind = "session";
  row.scope = "write";
  row.mfa_by_provider = mfa_by_provider;
  row.created_at = now;
  row.expires_at = r.expires_at;
  store::InsertSession(db, row);
  store::MarkUserActive(db, user, now);
  if (Status st = EndExcessSessions(db, user, org, row.id); !st.ok()) return st;
  if (session_id != nullptr) *session_id = row.id;
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

util::Result<TotpEnrollment> Accounts::StartTotp(const Principal& actor) {
  if (Status st = Allowed(actor, access::Function::kMfaEnrol); !st.ok()) return st;
  TotpEnrollment out;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    auto user = store::FindUser(db, actor.org, actor.user);
    if (!user) return Status::NotFound();
    if (user->totp_enabled) {
      return Status::Conflict("mfa_enabled", "an authenticator is already enrolled");
    }
    auto email = org.value()->OpenText("email", actor.user.str(), user->email_sealed);
    if (!email) return Status::Internal("the account could not be opened");
    auto secret = crypto::SecureBuffer::Random(20);
    out.secret_base32 = crypto::Base32Encode(secret.span());
    out.otpauth_uri = "otpauth://totp/bomvault:" + util::PercentEncode(*email) +
                      "?secret=" + out.secret_base32 +
                      "&issuer=bomvault&algorithm=SHA1&digits=6&period=30";
    store::StoreTotpSecret(db, actor.user,
                           org.value()->Seal("totp", actor.user.str(), secret.span()));
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
  store::DeleteRecoveryCodes(db, user);
  std::vector<std::string> codes;
  int64_t now = util::NowUnix();
  while (static_cast<int>(codes.size()) < kRecoveryCodes) {
    crypto::SecureBuffer raw = crypto::SecureBuffer::Random(15);
    std::string base32 = crypto::Base32Encode(raw.span());
    std::string normalised = *NormaliseRecoveryCode(base32);
    crypto::Bytes h = RecoveryCodeHash(user, normalised);
    if (store::InsertRecoveryCode(db, user, h, now))
      codes.push_back(FormatRecoveryCode(normalised));
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
    auto totp = store::FindTotp(db, actor.user);
    if (!totp) return Status::NotFound();
    if (totp->enabled) {
      return Status::Conflict("mfa_enabled", "an authenticator is already enrolled");
    }
    if (!totp->secret_sealed) {
      return Status::Conflict("mfa_not_started", "start the enrolment first");
    }
    auto secret = OpenTotpSecret(*org.value(), actor.user, *totp->secret_sealed);
    if (!secret) return Status::Internal("the second factor could not be opened");
    auto step = crypto::TotpVerify(*secret, code, util::NowUnix());
    if (!step) {
      return Status::Invalid("totp_invalid", "the code does not match; check the device's clock");
    }
    store::EnableTotp(db, actor.user, static_cast<int64_t>(*step));
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
    auto row = store::FindTotp(db, actor.user);
    if (!row) return Status::NotFound();
    if (!row->enabled) return Status::Conflict("mfa_not_enabled", "enrol an authenticator first");
    auto secret =
        OpenTotpSecret(*org.value(), actor.user, row->secret_sealed.value_or(crypto::Bytes{}));
    if (!secret) return Status::Internal("the second factor could not be opened");
    auto step = crypto::TotpVerify(*secret, totp, util::NowUnix());
    // Check-and-set, as at sign-in: one code proves once.
    if (!step || !store::AdvanceTotpStep(db, actor.user, static_cast<int64_t>(*step))) {
      wrong_code = true;
      return Status::Invalid("totp_invalid", "the one-time code is wrong, expired or already used");
    }
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
    auto user = store::FindUser(db, actor.org, actor.user);
    if (!user) return Status::NotFound();
    context.email =
        org.value()->OpenText("email", actor.user.str(), user->email_sealed).value_or("");
    if (user->display_name_sealed) {
      context.display_name =
          org.value()
              ->OpenText("display-name", actor.user.str(), *user->display_name_sealed)
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
    if (!store::ReplacePasswordHash(db, actor.user, hash.value())) {
      return Status::Conflict("local_passwords_off",
                              "this organisation signs in through its identity provider only");
    }
    if (sign_out_others) {
      // Browser sessions only: API tokens are separate credentials, listed and revoked apart.
      ended = store::DeleteOtherBrowserSessions(db, actor.user, current);
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
    auto stored = store::PasswordHash(db, actor.user);
    if (!stored) return Status::NotFound();
    hash = std::move(*stored);
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
    auto user = store::FindUser(db, actor.org, actor.user);
    auto stored = store::PasswordHash(db, actor.user);
    if (!user || !stored) return Status::NotFound();
    hash = std::move(*stored);
    totp_enabled = user->totp_enabled;
    passkeys = user->passkeys;
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
        auto row = store::FindTotp(db, actor.user);
        if (!row) return Status::NotFound();
        auto secret =
            OpenTotpSecret(*org.value(), actor.user, row->secret_sealed.value_or(crypto::Bytes{}));
        if (!secret) return Status::Internal("the second factor could not be opened");
        auto step = crypto::TotpVerify(*secret, totp, util::NowUnix());
        // Check-and-set, as at sign-in: one code proves once.
        if (!step || !store::AdvanceTotpStep(db, actor.user, static_cast<int64_t>(*step))) {
          failed = "totp";
          return Status::Invalid("totp_invalid",
                                 "the one-time code is wrong, expired or already used");
        }
        mfa = "totp";
      } else if (totp_enabled) {
        auto normalised = NormaliseRecoveryCode(recovery_code);
        if (!normalised ||
            !store::UseRecoveryCode(db, actor.user, RecoveryCodeHash(actor.user, *normalised))) {
          failed = "recovery_code";
          return Status::Invalid("recovery_code_invalid",
                                 "the recovery code is wrong or already used");
        }
        mfa = "recovery_code";
      }
      if (!store::MarkSessionAuthenticated(db, actor.user, TokenHash(bearer), util::NowUnix())) {
        return Status::Unauthenticated("the session has ended");
      }
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
    if (!store::DisableTotp(db, actor.user)) {
      return Status::Conflict("mfa_not_enabled", "no authenticator is enrolled");
    }
    store::DeleteRecoveryCodes(db, actor.user);
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
    auto user = store::FindUser(db, actor.org, id);
    if (!user) return Status::NotFound();
    if (!user->totp_enabled && user->passkeys == 0) {
      return Status::Conflict("mfa_not_enabled", "this user has no authenticator enrolled");
    }
    const int passkeys_removed = store::DeleteUserPasskeys(db, id);
    store::ClearTotp(db, id);
    store::DeleteRecoveryCodes(db, id);
    ended = store::DeleteUserSessions(db, id);
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
      auto user = store::FindUser(db, actor.org, actor.user);
      if (!user) return Status::NotFound();
      if (!if_match.Holds(MeEtag(user->version, actor))) return Status::PreconditionFailed();
    }
    std::optional<crypto::Bytes> sealed;
    if (!name.empty()) sealed = org.value()->SealText("display-name", actor.user.str(), name);
    if (!store::SetDisplayNameSealed(db, actor.user, sealed)) return Status::NotFound();
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
