// Accounts: local users, sign-in, sessions, personal API tokens and the second factor, as one
// class in files by concern. This header declares the class, its limits and the machinery
// the concerns share, in accounts.cc: bounded password hashing (which sealing stops), the blind
// indexes of addresses and the hash of tokens, org keys, security notices and the cache of
// resolved principals that every change to a session, role, account state or factor clears.
// Each concern's value types and pure checks are in its own header, its methods in its own file:
//   service/users.h    users.cc    users, the directory, display names, address and password
//                                  checks shared with org creation and invitations
//   service/sign_in.h  sign_in.cc  password sign-in, re-authentication, password changes
//                      sessions.cc sessions (password, passkey, single sign-on), Resolve,
//                                  sign-out, API tokens
//   service/mfa.h      mfa.cc      TOTP, recovery codes, an Administrator's MFA reset
// users.h says why this stays one class for now. SQL lives in store/ (users_store, sessions_store,
// mfa_store). Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "access/permissions.h"
#include "service/limiter.h"
#include "service/mfa.h"
#include "service/notices.h"
#include "service/org_keys.h"
#include "service/sign_in.h"
#include "service/users.h"
#include "store/database.h"
#include "util/etag.h"

namespace bomvault::service {

class Accounts {
 public:
  static constexpr int kHashingSlots = 2;
  static constexpr int64_t kSessionIdleSeconds = 2 * 3600;
  static constexpr int64_t kSessionAbsoluteSeconds = 12 * 3600;
  // Browser sessions (password, passkey or single sign-on) one user may hold at once (ASVS
  // 7.1.2). A sign-in beyond it ends the user's least recently used session, ties broken by
  // creation order (oldest first), and audits "session.evicted". API tokens are not counted.
  static constexpr int kMaxSessionsPerUser = 10;
  static constexpr int kRecoveryCodes = 10;

  Accounts(store::Database& db, OrgKeys& org_keys, const crypto::SecureBuffer& index_key,
           crypto::Bytes operator_token_hash);

  // --- Shared by every concern (accounts.cc) ---
  // Hashes a password with bounded concurrency.
  util::Result<std::string> HashPassword(std::string_view password);

  // Sealing: every call waiting for a hashing slot, now or later, gives up with kSealed at
  // once instead of keeping the instance's hold while it queues (Instance::Seal).
  void StopHashing();
  crypto::Bytes EmailIndex(std::string_view normalised_email) const;

  void ForgetCachedPrincipals();

  // Security notices (service/notices.h): set once, before requests, when a mail relay is
  // configured; null = none. Notify() queues one and never fails or waits.
  void SetNotices(Notices* notices) { notices_.store(notices); }
  void Notify(const util::UserId& user, const util::OrgId& org, NoticeKind kind, int failures = 0);

  // --- Users (service/users.h, users.cc) ---
  // The blind index of an address within one org, for accounts an Administrator added while
  // the address already had an account in another org (see InsertUser).
  crypto::Bytes OrgEmailIndex(const util::OrgId& org, std::string_view normalised_email) const;

  // What the e-mail address is to `org`: a member (kMember, including an account added with the
  // org-local index), an account of another org (kElsewhere) or unknown (kFree). Never shown
  // to the org as such: see InsertUser.
  enum class AddressUse { kFree, kMember, kElsewhere };
  AddressUse EmailUse(store::Db& db, const util::OrgId& org, std::string_view normalised_email);

  // Inserts a user inside the caller's transaction (org creation uses this). 409 email_taken
  // when the address is a member of this org. When it has an account in another org:
  //  * shadow_if_elsewhere = false (invitation acceptance, org creation): 409 email_taken, told
  //    to the address's owner or the operator, never to another org;
  //  * shadow_if_elsewhere = true (an Administrator adding a user): the account is created as
  //    for a fresh address, but indexed under OrgEmailIndex. Sign-in finds accounts by the
  //    instance-wide index only, so it keeps reaching the existing account; the new one cannot
  //    be signed into. The org sees exactly what it sees for an address whose owner never signs
  //    in, and learns nothing about other orgs' members (issue 10, finding 8).
  util::Result<util::UserId> InsertUser(store::Db& db, const OrgCrypto& org,
                                        const std::string& email, const std::string& pw_hash,
                                        access::Role role, bool verified,
                                        bool shadow_if_elsewhere = false);

  util::Result<util::UserId> CreateUser(const access::Principal& actor, std::string_view email,
                                        std::string_view password, std::string_view role);
  util::Result<std::vector<UserView>> ListUsers(const access::Principal& actor);
  util::Result<UserView> GetUser(const access::Principal& actor, const util::UserId& id);
  util::Status UpdateUser(const access::Principal& actor, const util::UserId& id,
                          std::optional<std::string> role, std::optional<bool> disabled,
                          const util::IfMatch& if_match = {});

  // No permission check: for services that decided access already (support access).
  util::Result<std::vector<UserView>> ListOrgUsers(const util::OrgId& org);

  // The org's members as colleagues see them (display name and e-mail address only), for
  // sharing and transferring: enabled accounts of the actor's org whose name or address contains
  // `query` (case-insensitive; empty matches everyone), sorted by name, at most `limit`.
  util::Result<std::vector<DirectoryEntry>> Directory(const access::Principal& actor,
                                                      std::string_view query, size_t limit);
  // The user's own display name (0 to 100 characters, no control characters; sealed like the
  // address).
  // `if_match` is compared with the caller's MeEtag (GET /me) inside the write.
  util::Status SetDisplayName(const access::Principal& actor, std::string_view name,
                              const util::IfMatch& if_match = {});

  // --- Signing in, sessions and tokens (service/sign_in.h, sign_in.cc, sessions.cc) ---
  // With TOTP enrolled, either `totp` or `recovery_code` must be valid (totp wins if both given).
  util::Result<SignInResult> SignIn(std::string_view email, std::string_view password,
                                    std::string_view totp, std::string_view recovery_code,
                                    const std::string& peer);

  // SignIn in three steps, so that the HTTP handler can let go of the instance's hold while
  // the password hash queues and runs: a sign-in flood then never delays a seal
  // (service/instance.h). BeginSignIn checks the back-off and reads the account;
  // CheckPassword needs no Accounts object (the hashing slots and the sign-in back-offs are
  // process-wide) and gives up with kSealed once stop() is true; FinishSignIn records the
  // outcome and issues the session, on whichever Accounts is current by then.
  struct SignInAttempt {
    std::string account_key, peer_key;  // back-off keys
    bool found = false;                 // the fields below describe the account if found
    util::UserId id;
    util::OrgId org;
    std::string pw_hash, role, mfa_policy;
    bool disabled = false, totp_enabled = false;
    int passkeys = 0;  // registered passkeys (service/passkeys.h): a second factor like TOTP
    crypto::Bytes totp_sealed;
    int64_t totp_last_step = 0;
  };
  util::Result<SignInAttempt> BeginSignIn(std::string_view email, const std::string& peer);
  static util::Result<bool> CheckPassword(const SignInAttempt& attempt, std::string_view password,
                                          const std::function<bool()>& stop);
  util::Result<SignInResult> FinishSignIn(const SignInAttempt& attempt, bool password_ok,
                                          std::string_view totp, std::string_view recovery_code,
                                          const std::string& peer);
  // The failure half of FinishSignIn (unknown account, wrong password, disabled): counts towards
  // both back-offs, audits and returns the generic bad-credentials refusal.
  util::Status RefuseSignIn(const SignInAttempt& attempt, const std::string& peer);
  util::Status AuditSignInFailure(const SignInAttempt& row, std::string_view reason);

  // For passkey sign-in (service/passkeys.h), which shares the sign-in back-offs: the seconds to
  // wait (0 = go ahead), and a failure or success recorded under the same keys.
  static int64_t SignInWait(const std::string& account_key, const std::string& peer_key);
  static void SignInFailed(const std::string& account_key, const std::string& peer_key);
  static void SignInSucceeded(const std::string& account_key, const std::string& peer_key);
  // A whole browser session (never enrolment-only) after a passkey assertion, inside the caller's
  // transaction.
  util::Result<SignInResult> IssuePasskeySession(store::Db& db, const util::UserId& user,
                                                 const util::OrgId& org, access::Role role);
  // Checks the signed-in user's current password, backing off per user after failures.
  util::Status VerifyCurrentPassword(const access::Principal& actor, std::string_view password);

  // Re-authentication of a signed-in browser session (ASVS 7.5, access::RecentProof): the current
  // password, plus a current TOTP code or an unused recovery code when TOTP is enrolled, the same
  // proof as a sign-in. On success the session's authenticated_at becomes now, which opens the
  // window for sensitive operations again; audited "session.reauth". A failure is audited
  // "session.reauth_failure" and counts towards a per-user back-off with sign-in's limits (5
  // failures, then 429 with a growing wait up to 15 minutes). Refused without a check: API tokens
  // (403 interactive_session_required), accounts without a local password (409
  // password_not_set: they sign in again through the identity provider, which gives a fresh
  // session), accounts whose second factor is a passkey (409 passkey_required: they sign in
  // again with the passkey, which gives a fresh session).
  util::Status Reauthenticate(const access::Principal& actor, std::string_view bearer,
                              std::string_view password, std::string_view totp,
                              std::string_view recovery_code);

  // anonymous principal when the token is unknown, expired or its account disabled.
  access::Principal Resolve(std::string_view bearer);
  util::Status SignOut(std::string_view bearer);
  util::Status SignOutEverywhere(const access::Principal& actor);

  util::Result<std::pair<std::string, TokenView>> CreateApiToken(const access::Principal& actor,
                                                                 std::string_view name,
                                                                 std::string_view scope,
                                                                 int64_t days);
  util::Result<std::vector<TokenView>> ListTokens(const access::Principal& actor,
                                                  std::string_view current_bearer);
  util::Status RevokeToken(const access::Principal& actor, const util::SessionId& id);

  // Needs the current password; ends the user's other browser sessions when sign_out_others.
  util::Status ChangePassword(const access::Principal& actor, std::string_view current_password,
                              std::string_view new_password, bool sign_out_others,
                              std::string_view current_bearer);

  // After a successful sign-in (password, passkey or single sign-on) from `peer`: records a keyed
  // pseudonym of the address for the user (store/sign_in_addresses.h, the kSignInAddressesKept
  // most recent are kept) and, when it is new and the user had signed in before, mails the user a
  // kNewAddress notice. Never fails the sign-in: a storage fault is logged by user id.
  static constexpr int kSignInAddressesKept = 20;
  void NoteSignInAddress(const util::UserId& user, const util::OrgId& org, const std::string& peer);

  // Single sign-on (service/oidc.h): a browser session for a user the provider (or the operator's
  // break-glass path) vouched for, inside the caller's transaction. mfa_by_provider marks the
  // org's MFA policy as met; expires_at is capped at kSessionAbsoluteSeconds from now.
  util::Result<SignInResult> IssueSsoSession(store::Db& db, const util::UserId& user,
                                             const util::OrgId& org, access::Role role,
                                             int64_t expires_at, bool mfa_by_provider,
                                             util::SessionId* session_id);
  // The lookup hash sessions.token_hash holds for a bearer token.
  crypto::Bytes TokenHash(std::string_view token) const;

  // --- Second factor (service/mfa.h, mfa.cc) ---
  util::Result<TotpEnrollment> StartTotp(const access::Principal& actor);
  // Enables TOTP and returns the first kRecoveryCodes recovery codes (shown once).
  util::Result<std::vector<std::string>> ConfirmTotp(const access::Principal& actor,
                                                     std::string_view code);
  // Replaces every recovery code; needs a current TOTP code.
  util::Result<std::vector<std::string>> RegenerateRecoveryCodes(const access::Principal& actor,
                                                                 std::string_view totp);
  // Turns off the user's own TOTP and deletes the recovery codes; needs the current password.
  // The user may enrol again at once (StartTotp).
  util::Status RemoveTotp(const access::Principal& actor, std::string_view password);

  // Administrator: turns off a user's second factor after a lost device. Clears the TOTP secret,
  // every recovery code and every passkey, and ends every session and API token of that user
  // (whoever holds the lost device may have signed in with it); audited as "mfa.reset". The user
  // signs in with the password alone and, when the org's policy requires a second factor, enrols
  // again first.
  util::Status ResetMfa(const access::Principal& actor, const util::UserId& id);

 private:
  struct Cached {
    access::Principal principal;
    int64_t cached_at = 0;
    int64_t last_seen_at = 0;
  };
  util::Result<std::shared_ptr<const OrgCrypto>> Org(store::Db& db, const util::OrgId& org);
  // sign_in.cc
  util::Result<SignInResult> IssueSession(store::Db& db, const util::UserId& user,
                                          const util::OrgId& org, access::Role role,
                                          bool mfa_pending);
  // Inside the caller's transaction, right after `kept` was inserted: ends the user's least
  // recently used browser sessions beyond kMaxSessionsPerUser (never `kept`) and audits each.
  util::Status EndExcessSessions(store::Db& db, const util::UserId& user, const util::OrgId& org,
                                 const util::SessionId& kept);
  // mfa.cc (the hash is also what sign-in and re-authentication look a typed code up by)
  crypto::Bytes RecoveryCodeHash(const util::UserId& user, std::string_view normalised) const;
  // Replaces the user's recovery codes inside the caller's transaction; returns the new codes.
  std::vector<std::string> ReplaceRecoveryCodes(store::Db& db, const util::UserId& user);

  store::Database& db_;
  OrgKeys& org_keys_;
  crypto::SecureBuffer index_key_;
  crypto::Bytes operator_hash_;
  // A hashing slot, or nullopt once StopHashing() was called. Released by the guard.
  class HashSlot {
   public:
    explicit HashSlot(std::counting_semaphore<kHashingSlots>* s) : s_(s) {}
    HashSlot(HashSlot&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    HashSlot& operator=(HashSlot&&) = delete;
    ~HashSlot() {
      if (s_ != nullptr) s_->release();
    }

   private:
    std::counting_semaphore<kHashingSlots>* s_;
  };
  static std::optional<HashSlot> TakeHashSlot(const std::function<bool()>& stop);
  // Process-wide, like the sign-in back-offs below: CheckPassword runs without any Accounts.
  inline static std::counting_semaphore<kHashingSlots> hashing_{kHashingSlots};
  std::atomic<bool> hashing_stopped_{false};
  inline static Backoff account_backoff_{5, 900};
  // Per peer address: forgets one failure per 5 quiet minutes and is cleared by a successful
  // sign-in from it, so an address many people share is never locked for good.
  inline static Backoff address_backoff_{30, 900, 300};
  Backoff reauth_backoff_{5, 900};  // per user: current password and TOTP checks when signed in
  std::atomic<Notices*> notices_{nullptr};
  std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_;  // token hash → principal; guarded by cache_mu_
  // Token hash → the last request that used it, in Unix ms (guarded by cache_mu_). The store
  // keeps last_seen_at at one-minute precision, so sessions used in the same minute tie there;
  // the session cap orders by this, which every Resolve() updates, to end the one really used
  // least recently. Lost at restart (the store's minute then decides); cleared when too large.
  std::unordered_map<std::string, int64_t> last_use_ms_;
  // Bumped by every ForgetCachedPrincipals() (guarded by cache_mu_). Resolve() notes it before
  // reading the database and caches its answer only if it is unchanged, so a lookup that read
  // the rows before a change committed can never refill the cache with the stale principal.
  uint64_t cache_generation_ = 0;
};

}  // namespace bomvault::service
