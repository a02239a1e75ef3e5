// Accounts: local users, sign-in, sessions, personal API tokens and TOTP.
//
// Passwords are hashed with Argon2id (crypto::PasswordHash); at most kHashingSlots hashes run at
// once so a burst of sign-ins cannot starve other requests or exhaust memory. Sign-in failures
// back off per account and per address (429 with a retry time). Session and API tokens are 256
// random bits shown once and stored only as BLAKE2b hashes; lookups go by hash. E-mail addresses
// are found through an instance-wide blind index and stored sealed under the org key.
// Resolve() turns a bearer token into a Principal; resolved principals are cached for a few
// seconds and the cache is cleared whenever a session, role or account state changes, so a
// revocation takes effect on the next request.
//
// Second factor: TOTP (RFC 6238) plus kRecoveryCodes single-use recovery codes of 120 random bits
// each, shown once when TOTP is confirmed (or regenerated) and stored only as BLAKE2b hashes; a
// recovery code is accepted at sign-in in place of a TOTP code and deleted in the same
// transaction. When the org's MFA policy requires a second factor the user has not enrolled,
// sign-in still succeeds but the session is marked (sessions.mfa_pending) and Resolve() sets
// Principal::mfa_enrolment_only, which access::MayUse turns into "enrol first" everywhere; the
// policy is also applied at every Resolve(), so tightening it reaches existing sessions and API
// tokens too. Wrong current passwords and TOTP codes given by a signed-in user back off per user.
// Thread-safe.
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
#include "service/notices.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/etag.h"

namespace bomvault::service {

struct SignInResult {
  std::string token;  // shown once
  util::UserId user;
  util::OrgId org;
  access::Role role;
  int64_t expires_at = 0;
  bool mfa_enrolment_required = false;  // the session may only enrol a second factor
};

struct UserView {
  util::UserId id;
  util::OrgId org;
  std::string email;
  std::string display_name;  // chosen by the user; may be empty
  access::Role role;
  bool email_verified = false;
  bool disabled = false;
  bool mfa_enabled = false;
  int recovery_codes_left = 0;
  int passkeys = 0;
  int64_t created_at = 0;
  int64_t last_active_at = 0;
  int64_t version = 0;  // the write counter (schema/0015): GET /users/{id}'s ETag
};

// GET /users/{id}'s entity tag. GET /me's adds what the caller's own session shapes there.
inline std::string UserEtag(const UserView& u) { return util::EntityTag(u.version); }
inline std::string MeEtag(int64_t version, const access::Principal& p) {
  return util::EntityTag(
      version, std::string("me") + (p.read_only ? "r" : "") + (p.mfa_enrolment_only ? "e" : ""));
}

struct TokenView {
  util::SessionId id;
  std::string kind;  // "session" | "api"
  std::string name;
  std::string scope;
  int64_t created_at = 0, last_seen_at = 0, expires_at = 0;
  bool current = false;
};

// One line of the org directory: what every member may know about a colleague.
struct DirectoryEntry {
  util::UserId id;
  std::string display_name;
  std::string email;
};

struct TotpEnrollment {
  std::string secret_base32;
  std::string otpauth_uri;
};

// Validation shared with org creation.
util::Result<std::string> NormaliseEmail(std::string_view email);
util::Status CheckPasswordPolicy(std::string_view password);

// Context-specific words barred from passwords (ASVS 6.1.2, 6.2.11): the local part of the
// account's address, its display name, its organisation's name and "bomvault". Each is split into
// words at every character that is not an ASCII letter or digit (bytes of other scripts stay in
// the word); every word of 4 or more bytes, and the whole local part, name or org name when it is
// 4 or more bytes with the separators removed, is barred anywhere in the password, ignoring ASCII
// case and the same separators. Shorter words ("al", "qa") would refuse too many good passwords.
// Pure; the callers unseal the names.
struct PasswordContext {
  std::string email;         // normalised address
  std::string display_name;  // may be empty
  std::string org_name;      // may be empty
};
// Invalid "password_context_word" whose message names which kind of word the password holds.
util::Status CheckPasswordContext(std::string_view password, const PasswordContext& context);
// The org's name, unsealed ("" when it cannot be opened).
std::string OpenOrgName(store::Db& db, const OrgCrypto& org, const util::OrgId& id);

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

  // Hashes a password with bounded concurrency.
  util::Result<std::string> HashPassword(std::string_view password);

  // Sealing: every call waiting for a hashing slot, now or later, gives up with kSealed at
  // once instead of keeping the instance's hold while it queues (Instance::Seal).
  void StopHashing();
  crypto::Bytes EmailIndex(std::string_view normalised_email) const;

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

  // Administrator: turns off a user's second factor after a lost device. Clears the TOTP secret,
  // every recovery code and every passkey, and ends every session and API token of that user
  // (whoever holds the lost device may have signed in with it); audited as "mfa.reset". The user
  // signs in with the password alone and, when the org's policy requires a second factor, enrols
  // again first.
  util::Status ResetMfa(const access::Principal& actor, const util::UserId& id);

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
  // Needs the current password; ends the user's other browser sessions when sign_out_others.
  util::Status ChangePassword(const access::Principal& actor, std::string_view current_password,
                              std::string_view new_password, bool sign_out_others,
                              std::string_view current_bearer);

  void ForgetCachedPrincipals();

  // After a successful sign-in (password, passkey or single sign-on) from `peer`: records a keyed
  // pseudonym of the address for the user (store/sign_in_addresses.h, the kSignInAddressesKept
  // most recent are kept) and, when it is new and the user had signed in before, mails the user a
  // kNewAddress notice. Never fails the sign-in: a storage fault is logged by user id.
  static constexpr int kSignInAddressesKept = 20;
  void NoteSignInAddress(const util::UserId& user, const util::OrgId& org, const std::string& peer);

  // Security notices (service/notices.h): set once, before requests, when a mail relay is
  // configured; null = none. Notify() queues one and never fails or waits.
  void SetNotices(Notices* notices) { notices_.store(notices); }
  void Notify(const util::UserId& user, const util::OrgId& org, NoticeKind kind, int failures = 0);

  // Single sign-on (service/oidc.h): a browser session for a user the provider (or the operator's
  // break-glass path) vouched for, inside the caller's transaction. mfa_by_provider marks the
  // org's MFA policy as met; expires_at is capped at kSessionAbsoluteSeconds from now.
  util::Result<SignInResult> IssueSsoSession(store::Db& db, const util::UserId& user,
                                             const util::OrgId& org, access::Role role,
                                             int64_t expires_at, bool mfa_by_provider,
                                             util::SessionId* session_id);
  // The lookup hash sessions.token_hash holds for a bearer token.
  crypto::Bytes TokenHash(std::string_view token) const;

  // No permission check: for services that decided access already (support access).
  util::Result<std::vector<UserView>> ListOrgUsers(const util::OrgId& org);

 private:
  struct Cached {
    access::Principal principal;
    int64_t cached_at = 0;
    int64_t last_seen_at = 0;
  };
  util::Result<std::shared_ptr<const OrgCrypto>> Org(store::Db& db, const util::OrgId& org);
  util::Result<SignInResult> IssueSession(store::Db& db, const util::UserId& user,
                                          const util::OrgId& org, access::Role role,
                                          bool mfa_pending);
  crypto::Bytes RecoveryCodeHash(const util::UserId& user, std::string_view normalised) const;
  // Replaces the user's recovery codes inside the caller's transaction; returns the new codes.
  std::vector<std::string> ReplaceRecoveryCodes(store::Db& db, const util::UserId& user);
  // Inside the caller's transaction, right after `kept` was inserted: ends the user's least
  // recently used browser sessions beyond kMaxSessionsPerUser (never `kept`) and audits each.
  util::Status EndExcessSessions(store::Db& db, const util::UserId& user, const util::OrgId& org,
                                 const util::SessionId& kept);

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
