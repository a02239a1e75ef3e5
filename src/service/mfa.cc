#include "service/mfa.h"

#include <cctype>

#include "crypto/crypto.h"
#include "crypto/totp.h"
#include "service/accounts.h"
#include "service/accounts_shared.h"
#include "service/audit.h"
#include "store/mfa_store.h"
#include "store/passkeys_store.h"
#include "store/sessions_store.h"
#include "store/users_store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/percent_encode.h"

namespace bomvault::service {

using access::Principal;
using access::PrincipalKind;
using util::Code;
using util::Status;

using accounts_detail::Allowed;
using accounts_detail::TooManyAttempts;

namespace {

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

}  // namespace

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

}  // namespace bomvault::service
