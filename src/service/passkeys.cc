#include "service/passkeys.h"

#include <algorithm>

#include "codec/webauthn.h"
#include "crypto/jose.h"
#include "service/audit.h"
#include "store/orgs_store.h"
#include "store/passkeys_store.h"
#include "store/sessions_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Principal;
using util::Code;
using util::Status;
namespace wa = crypto::webauthn;

namespace {

constexpr int64_t kClientTimeoutMs = 120000;

Status Allowed(const Principal& p, access::Function f) {
  return access::Refusal(p, f, access::MayUse(p, f));
}

Status Refused(Code code, wa::Error e) {
  return Status(code, wa::ErrorCode(e), wa::ErrorMessage(e));
}

Status ChallengeInvalid(Code code) {
  return Status(code, "passkey_challenge_invalid",
                "the passkey challenge is unknown, expired or already used; start again");
}

Status UnknownPasskey() {
  return Status(Code::kUnauthenticated, "passkey_unknown", "this passkey is not registered here");
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// The sealed document: the credential id and the COSE key, both base64url.
crypto::Bytes SealCredential(const OrgCrypto& org, const std::string& object,
                             std::span<const uint8_t> credential_id,
                             std::span<const uint8_t> cose_key) {
  return org.SealText("passkey", object, codec::EncodeStoredPasskey(credential_id, cose_key));
}

struct OpenedCredential {
  crypto::Bytes id;
  wa::CoseKey key;
};

std::optional<OpenedCredential> OpenCredential(const OrgCrypto& org, const std::string& object,
                                               std::span<const uint8_t> sealed) {
  auto text = org.OpenText("passkey", object, sealed);
  if (!text) return std::nullopt;
  auto stored = codec::DecodeStoredPasskey(*text);
  if (!stored) return std::nullopt;
  auto key = wa::ParseCoseKey(stored->cose_key, nullptr);
  if (!std::holds_alternative<wa::CoseKey>(key)) return std::nullopt;
  return OpenedCredential{std::move(stored->credential_id), std::get<wa::CoseKey>(key)};
}

std::string CredentialObject(const std::string& user, const std::string& passkey) {
  return user + "/" + passkey;
}

}  // namespace

Passkeys::Passkeys(store::Database& db, OrgKeys& org_keys, Accounts& accounts,
                   PasskeyOptions options)
    : db_(db),
      org_keys_(org_keys),
      accounts_(accounts),
      rp_(wa::RelyingPartyFromUrl(options.public_url)) {}

Status Passkeys::Unavailable() const {
  return Status::Conflict("passkeys_unavailable",
                          "passkeys need the server's public URL (--public-url) to name a host, "
                          "not an IP address");
}

crypto::Bytes Passkeys::ChallengeHash(std::span<const uint8_t> challenge) const {
  return crypto::Hash("bomvault-passkey-challenge", challenge);
}

crypto::Bytes Passkeys::CredentialHash(std::span<const uint8_t> credential_id) const {
  return crypto::Hash("bomvault-passkey-credential", credential_id);
}

Status Passkeys::CheckName(std::string_view name) const {
  if (name.empty() || CodePoints(name) > 100) {
    return Status::Invalid("invalid_name", "a passkey needs a name of 1 to 100 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Invalid("invalid_name", "a passkey's name cannot hold control characters");
    }
  }
  return Status::Ok();
}

crypto::Bytes Passkeys::NewChallenge(store::Db& db, const char* purpose, const util::UserId* user,
                                     const crypto::Bytes* session_hash) {
  int64_t now = util::NowUnix();
  store::PurgeExpiredChallenges(db, now);
  crypto::Bytes challenge = crypto::RandomBytes(32);
  store::InsertChallenge(db, ChallengeHash(challenge), purpose, user, session_hash, now,
                         now + kChallengeSeconds);
  return challenge;
}

util::Result<Passkeys::Challenge> Passkeys::TakeChallenge(std::span<const uint8_t> challenge) {
  crypto::Bytes h = ChallengeHash(challenge);
  std::optional<Challenge> found;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto row = store::FindChallenge(db, h);
    if (!row) return Status::Ok();
    bool live = row->expires_at > util::NowUnix();
    Challenge c;
    c.purpose = std::move(row->purpose);
    if (row->user) c.user = std::move(*row->user);
    c.session_hash = std::move(row->session_hash);
    // Deleting is the single use: of two requests racing with one challenge only one deletes it.
    if (store::DeleteChallenge(db, h) && live) found = std::move(c);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!found) return ChallengeInvalid(Code::kUnauthenticated);
  return std::move(*found);
}

util::Result<std::vector<crypto::Bytes>> Passkeys::CredentialIds(store::Db& db,
                                                                 const OrgCrypto& org,
                                                                 const util::UserId& user) {
  std::vector<crypto::Bytes> out;
  for (const store::PasskeyRow& row : store::ListPasskeys(db, user)) {
    auto opened =
        OpenCredential(org, CredentialObject(user.str(), row.id.str()), row.credential_sealed);
    if (!opened) return Status::Internal("a passkey could not be opened");
    out.push_back(std::move(opened->id));
  }
  return out;
}

util::Result<PasskeyCreation> Passkeys::StartRegistration(const Principal& actor,
                                                          std::string_view bearer) {
  if (Status st = Allowed(actor, access::Function::kMfaEnrol); !st.ok()) return st;
  if (!available()) return Unavailable();
  PasskeyCreation out;
  out.rp_id = rp_->id;
  out.user_handle = actor.user.str();
  out.timeout_ms = kClientTimeoutMs;
  crypto::Bytes session = accounts_.TokenHash(bearer);
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = org_keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    auto user = store::FindEnrolee(db, actor.user);
    if (!user) return Status::NotFound();
    if (!user->has_password) {
      return Status::Conflict("passkeys_need_local_account",
                              "this account signs in through the organisation's identity "
                              "provider; its second factor belongs there");
    }
    if (user->passkeys >= kMaxPerUser) {
      return Status::Conflict("too_many_passkeys", "remove a passkey before adding another");
    }
    auto email = org.value()->OpenText("email", actor.user.str(), user->email_sealed);
    if (!email) return Status::Internal("the account could not be opened");
    out.user_name = *email;
    out.display_name = *email;
    if (user->display_name_sealed) {
      auto name =
          org.value()->OpenText("display-name", actor.user.str(), *user->display_name_sealed);
      if (name && !name->empty()) out.display_name = *name;
    }
    auto ids = CredentialIds(db, *org.value(), actor.user);
    if (!ids.ok()) return ids.status();
    out.exclude = std::move(ids.value());
    out.challenge = NewChallenge(db, "register", &actor.user, &session);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<PasskeyView> Passkeys::FinishRegistration(const Principal& actor,
                                                       std::string_view bearer,
                                                       std::string_view name,
                                                       const PasskeyRegistration& r) {
  if (Status st = Allowed(actor, access::Function::kMfaEnrol); !st.ok()) return st;
  if (!available()) return Unavailable();
  if (Status st = CheckName(name); !st.ok()) return st;
  auto challenge = codec::CheckClientData(r.client_data_json, "webauthn.create", rp_->origin);
  if (auto* e = std::get_if<wa::Error>(&challenge)) return Refused(Code::kInvalid, *e);
  auto taken = TakeChallenge(std::get<crypto::Bytes>(challenge));
  if (!taken.ok()) return ChallengeInvalid(Code::kInvalid);
  crypto::Bytes session = accounts_.TokenHash(bearer);
  if (taken->purpose != "register" || !taken->user || *taken->user != actor.user ||
      !crypto::ConstantTimeEquals(taken->session_hash, session)) {
    return ChallengeInvalid(Code::kInvalid);
  }
  auto att = wa::ParseAttestationObject(r.attestation_object);
  if (auto* e = std::get_if<wa::Error>(&att)) return Refused(Code::kInvalid, *e);
  const auto& ad = std::get<wa::AttestationObject>(att).auth_data;
  if (auto e = wa::CheckAuthenticatorFlags(ad, rp_->id, false)) return Refused(Code::kInvalid, *e);
  if (!ad.attested) return Refused(Code::kInvalid, wa::Error::kNoCredential);
  const auto& cred = *ad.attested;
  if (!r.credential_id.empty() && r.credential_id != cred.credential_id) {
    return Refused(Code::kInvalid, wa::Error::kMalformed);
  }
  PasskeyView v;
  v.id = util::PasskeyId::Generate();
  v.name = std::string(name);
  v.alg = cred.key.alg;
  v.created_at = util::NowUnix();
  crypto::Bytes cred_hash = CredentialHash(cred.credential_id);
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = org_keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    if (store::PasskeyExists(db, cred_hash)) {
      return Status::Conflict("passkey_exists", "this passkey is already registered");
    }
    if (store::CountPasskeys(db, actor.user) >= kMaxPerUser) {
      return Status::Conflict("too_many_passkeys", "remove a passkey before adding another");
    }
    auto sealed = SealCredential(*org.value(), CredentialObject(actor.user.str(), v.id.str()),
                                 cred.credential_id, cred.key_cbor);
    auto sealed_name = org.value()->SealText("passkey-name", v.id.str(), name);
    store::PasskeyRow row;
    row.id = v.id;
    row.credential_sealed = std::move(sealed);
    row.name_sealed = std::move(sealed_name);
    row.alg = v.alg;
    row.sign_count = static_cast<int64_t>(ad.sign_count);
    row.created_at = static_cast<int64_t>(v.created_at);
    store::InsertPasskey(db, actor.user, actor.org, cred_hash, row);
    // The new factor was proved in this user's session: enrolment-only sessions become whole.
    store::ClearMfaPending(db, actor.user);
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(),
                 actor.user.str(),
                 "passkey.register",
                 {{"passkey_id", v.id.str()}, {"alg", v.alg}}});
    return Status::Ok();
  });
  accounts_.ForgetCachedPrincipals();
  if (!st.ok()) return st;
  util::log::Info("passkey.registered").Ref("user_id", actor.user).Ref("passkey_id", v.id);
  accounts_.Notify(actor.user, actor.org, NoticeKind::kPasskeyAdded);
  return v;
}

util::Result<std::vector<PasskeyView>> Passkeys::List(const Principal& actor) {
  if (Status st = Allowed(actor, access::Function::kSelf); !st.ok()) return st;
  std::vector<PasskeyView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto org = org_keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    for (const store::PasskeyRow& row : store::ListPasskeys(db, actor.user)) {
      PasskeyView v;
      v.id = row.id;
      auto name = org.value()->OpenText("passkey-name", v.id.str(), row.name_sealed);
      if (!name) return Status::Internal("a passkey could not be opened");
      v.name = *name;
      v.alg = row.alg;
      v.created_at = row.created_at;
      v.last_used_at = row.last_used_at;
      out.push_back(std::move(v));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status Passkeys::Rename(const Principal& actor, const util::PasskeyId& id, std::string_view name) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  if (Status st = CheckName(name); !st.ok()) return st;
  return db_.Write([&](store::Db& db) -> Status {
    auto org = org_keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    auto sealed = org.value()->SealText("passkey-name", id.str(), name);
    if (!store::RenamePasskey(db, actor.user, id, sealed)) return Status::NotFound();
    // The name stays out of the audit: the entry says only which passkey was renamed.
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(),
                 actor.user.str(),
                 "passkey.rename",
                 {{"passkey_id", id.str()}}});
    return Status::Ok();
  });
}

Status Passkeys::Remove(const Principal& actor, const util::PasskeyId& id,
                        std::string_view password) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  // Whether it exists is said only after the password: the id alone reveals nothing.
  Status st = accounts_.VerifyCurrentPassword(actor, password);
  if (!st.ok()) return st;
  st = db_.Write([&](store::Db& db) -> Status {
    auto user = store::FindEnrolee(db, actor.user);
    if (!user) return Status::NotFound();
    const std::vector<store::PasskeyRow> mine = store::ListPasskeys(db, actor.user);
    if (std::none_of(mine.begin(), mine.end(),
                     [&](const store::PasskeyRow& p) { return p.id == id; })) {
      return Status::NotFound();
    }
    bool last = !user->totp_enabled && user->passkeys == 1;
    if (last && access::MfaRequired(store::LoadOrgSettings(db, actor.org).mfa_policy, actor.role)) {
      return Status::Conflict("last_second_factor",
                              "your organisation requires a second factor and this is your last "
                              "one; add another passkey or an authenticator app first");
    }
    store::DeletePasskey(db, actor.user, id);
    auto org = org_keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(),
                 actor.user.str(),
                 "passkey.remove",
                 {{"passkey_id", id.str()}}});
    return Status::Ok();
  });
  accounts_.ForgetCachedPrincipals();
  if (st.ok()) {
    util::log::Info("passkey.removed").Ref("user_id", actor.user).Ref("passkey_id", id);
    accounts_.Notify(actor.user, actor.org, NoticeKind::kPasskeyRemoved);
  }
  return st;
}

util::Result<PasskeyRequest> Passkeys::StartPasswordless(const std::string& peer) {
  if (!available()) return Unavailable();
  const std::string peer_key = "addr:" + peer;
  int64_t wait = std::max(anonymous_.Take(peer_key), Accounts::SignInWait("", peer_key));
  if (wait > 0) {
    return Status(Code::kTooManyRequests, "too_many_attempts",
                  "too many sign-in attempts; wait before trying again")
        .WithRetryAfter(wait);
  }
  PasskeyRequest out;
  out.rp_id = rp_->id;
  out.user_verification_required = true;
  out.timeout_ms = kClientTimeoutMs;
  Status st = db_.Write([&](store::Db& db) -> Status {
    if (store::CountLiveChallenges(db, "passwordless", util::NowUnix()) >=
        kMaxAnonymousChallenges) {
      return Status(Code::kTooManyRequests, "too_many_attempts",
                    "too many sign-ins in progress; try again in a minute")
          .WithRetryAfter(60);
    }
    out.challenge = NewChallenge(db, "passwordless", nullptr, nullptr);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<PasskeyRequest> Passkeys::StartSecondFactor(const Accounts::SignInAttempt& attempt,
                                                         bool password_ok,
                                                         const std::string& peer) {
  if (!available()) return Unavailable();
  if (!attempt.found || !password_ok || attempt.disabled) {
    return accounts_.RefuseSignIn(attempt, peer);
  }
  if (attempt.passkeys == 0) {
    return Status::Conflict("no_passkeys", "this account has no passkey; sign in without one");
  }
  PasskeyRequest out;
  out.rp_id = rp_->id;
  out.timeout_ms = kClientTimeoutMs;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = org_keys_.Get(db, attempt.org);
    if (!org.ok()) return org.status();
    auto ids = CredentialIds(db, *org.value(), attempt.id);
    if (!ids.ok()) return ids.status();
    out.allow = std::move(ids.value());
    out.challenge = NewChallenge(db, "second_factor", &attempt.id, nullptr);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<SignInResult> Passkeys::SignIn(const PasskeyAssertion& a, const std::string& peer) {
  if (!available()) return Unavailable();
  const std::string peer_key = "addr:" + peer;
  if (int64_t wait = Accounts::SignInWait("", peer_key); wait > 0) {
    return Status(Code::kTooManyRequests, "too_many_attempts",
                  "too many failed sign-ins; wait before trying again")
        .WithRetryAfter(wait);
  }
  // Every refusal below counts towards the address's back-off (and the account's, once known).
  std::string account_key;
  auto refuse = [&](Status st) {
    Accounts::SignInFailed(account_key, peer_key);
    return st;
  };
  auto challenge = codec::CheckClientData(a.client_data_json, "webauthn.get", rp_->origin);
  if (auto* e = std::get_if<wa::Error>(&challenge)) {
    util::log::Warn("passkey.refused_client_data").AddrHash("peer", peer);
    return refuse(Refused(Code::kUnauthenticated, *e));
  }
  auto taken = TakeChallenge(std::get<crypto::Bytes>(challenge));
  if (!taken.ok()) return refuse(taken.status());
  if (taken->purpose == "register") return refuse(ChallengeInvalid(Code::kUnauthenticated));
  const bool passwordless = taken->purpose == "passwordless";

  // The credential and its owner.
  crypto::Bytes cred_hash = CredentialHash(a.credential_id);
  struct Row {
    util::PasskeyId id;
    util::UserId user;
    util::OrgId org;
    access::Role role = access::Role::kViewer;
    bool disabled = false, has_password = false;
    int64_t sign_count = 0;
    crypto::Bytes sealed;
  };
  std::optional<Row> row;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto found = store::FindPasskeyForSignIn(db, cred_hash);
    if (!found) return Status::Ok();
    Row r;
    r.id = std::move(found->id);
    r.user = std::move(found->user);
    r.org = std::move(found->org);
    r.role = access::ParseRole(found->role).value_or(access::Role::kViewer);
    r.disabled = found->disabled;
    r.has_password = found->has_password;
    r.sign_count = found->sign_count;
    r.sealed = std::move(found->credential_sealed);
    account_key.assign(found->email_bidx.begin(),
                       found->email_bidx.end());  // Accounts' back-off key
    row = std::move(r);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!row) {
    util::log::Warn("passkey.refused_unknown").AddrHash("peer", peer);
    return refuse(UnknownPasskey());
  }
  if (int64_t wait = Accounts::SignInWait(account_key, peer_key); wait > 0) {
    return Status(Code::kTooManyRequests, "too_many_attempts",
                  "too many failed sign-ins; wait before trying again")
        .WithRetryAfter(wait);
  }

  // Refusals from here on name the user: audited in the org (ids only) besides the log line.
  auto audit_refusal = [&](const char* action, AuditChange change) {
    Status audited = db_.Write([&](store::Db& db) -> Status {
      auto org = org_keys_.Get(db, row->org);
      if (!org.ok()) return org.status();
      RecordAudit(db, org.value().get(),
                  {"user:" + row->user.str(), row->user.str(), action, change});
      return Status::Ok();
    });
    if (!audited.ok()) util::log::Error("passkey.refusal_audit_failed").Ref("user_id", row->user);
  };
  auto refuse_user = [&](Status st) {
    util::log::Warn("passkey.refused")
        .Ref("user_id", row->user)
        .Ref("passkey_id", row->id)
        .AddrHash("peer", peer);
    audit_refusal("session.failure",
                  {{"reason", st.machine_code()}, {"passkey_id", row->id.str()}});
    return refuse(std::move(st));
  };
  if (!passwordless && (!taken->user || *taken->user != row->user)) {
    // A second-factor challenge answered with someone else's passkey.
    return refuse_user(UnknownPasskey());
  }
  if (a.user_handle && !a.user_handle->empty() &&
      !crypto::ConstantTimeEquals(*a.user_handle, crypto::AsBytes(row->user.str()))) {
    return refuse_user(UnknownPasskey());
  }
  if (row->disabled || (passwordless && !row->has_password)) {
    return refuse_user(Status(Code::kUnauthenticated, "bad_credentials",
                              "this account cannot sign in with a passkey"));
  }
  auto ad = wa::ParseAuthenticatorData(a.authenticator_data);
  if (auto* e = std::get_if<wa::Error>(&ad)) {
    return refuse_user(Refused(Code::kUnauthenticated, *e));
  }
  const auto& auth = std::get<wa::AuthenticatorData>(ad);
  if (auto e = wa::CheckAuthenticatorFlags(auth, rp_->id, passwordless)) {
    return refuse_user(Refused(Code::kUnauthenticated, *e));
  }
  std::optional<OpenedCredential> cred;
  {
    auto org = db_.Read([&](store::Db& db) -> Status {
      auto o = org_keys_.Get(db, row->org);
      if (!o.ok()) return o.status();
      cred =
          OpenCredential(*o.value(), CredentialObject(row->user.str(), row->id.str()), row->sealed);
      return Status::Ok();
    });
    if (!org.ok()) return org;
  }
  if (!cred || !crypto::ConstantTimeEquals(cred->id, a.credential_id)) {
    return Status::Internal("a passkey could not be opened");
  }
  if (!wa::VerifyAssertion(cred->key, a.authenticator_data, a.client_data_json, a.signature)) {
    return refuse_user(Refused(Code::kUnauthenticated, wa::Error::kBadSignature));
  }
  // The signature counter (WebAuthn §7.2 step 21): a counter that does not move forward means
  // two authenticators hold this key.
  const int64_t received = auth.sign_count;
  auto cloned = [&] {
    util::log::Warn("passkey.clone_detected")
        .Ref("user_id", row->user)
        .Ref("passkey_id", row->id)
        .Num("stored", row->sign_count)
        .Num("received", received)
        .AddrHash("peer", peer);
    audit_refusal("passkey.clone_detected", {{"passkey_id", row->id.str()},
                                             {"stored_count", row->sign_count},
                                             {"received_count", received}});
    Accounts::SignInFailed(account_key, peer_key);
    return Status(Code::kUnauthenticated, "passkey_cloned",
                  "this passkey's signature counter went back: it may have been copied. Sign in "
                  "another way and tell your administrator");
  };
  if ((received != 0 || row->sign_count != 0) && received <= row->sign_count) return cloned();

  util::Result<SignInResult> result = Status::Internal();
  bool race = false;
  st = db_.Write([&](store::Db& db) -> Status {
    // Compare-and-set: of two sign-ins with one counter value only the first moves it.
    if (!store::AdvanceSignCount(db, row->id, row->sign_count, received, util::NowUnix())) {
      race = true;
      return Status::Ok();
    }
    auto org = org_keys_.Get(db, row->org);
    if (!org.ok()) return org.status();
    result = accounts_.IssuePasskeySession(db, row->user, row->org, row->role);
    if (!result.ok()) return result.status();
    RecordAudit(db, org.value().get(),
                {"user:" + row->user.str(),
                 row->user.str(),
                 "session.create",
                 {{"kind", "session"},
                  {"method", passwordless ? "passkey" : "password"},
                  {"mfa", "passkey"},
                  {"passkey_id", row->id.str()},
                  {"user_verified", auth.user_verified()}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (race && received != 0) return cloned();
  if (race) return refuse_user(ChallengeInvalid(Code::kUnauthenticated));
  Accounts::SignInSucceeded(account_key, peer_key);
  accounts_.NoteSignInAddress(row->user, row->org, peer);
  util::log::Info("session.created")
      .Ref("user_id", row->user)
      .Ref("org_id", row->org)
      .Ref("passkey_id", row->id)
      .Num("passwordless", passwordless ? 1 : 0);
  return result;
}

}  // namespace bomvault::service
