#include "service/sign_in.h"

#include <algorithm>

#include "crypto/crypto.h"
#include "crypto/totp.h"
#include "service/accounts.h"
#include "service/accounts_shared.h"
#include "service/audit.h"
#include "store/mfa_store.h"
#include "store/sessions_store.h"
#include "store/sign_in_addresses.h"
#include "store/users_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Principal;
using access::PrincipalKind;
using util::Code;
using util::Status;

using accounts_detail::Allowed;
using accounts_detail::DummyHash;
using accounts_detail::SealingStatus;
using accounts_detail::TooManyAttempts;

namespace {

Status BadCredentials() {
  return Status(Code::kUnauthenticated, "bad_credentials", "wrong e-mail address or password");
}

}  // namespace

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
    AuditChange change = {{"kind", "session"}};
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
        change.Set("mfa", "totp");
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
        change.Set("mfa", "recovery_code");
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
    if (enrolment_only) change.Set("mfa_enrolment_only", true);
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
      AuditChange change;
      if (mfa != nullptr) change.Set("mfa", mfa);
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

}  // namespace bomvault::service
