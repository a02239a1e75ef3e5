// Passkeys (WebAuthn): registration, sign-in as the second factor and passwordless sign-in,
// listing, renaming and removal (docs/passkeys.md). The pure checks are crypto/webauthn.h; this
// module keeps the ceremonies' state.
//
// Relying party: the RP ID is the host of --public-url and the only accepted origin is that URL's
// origin; with an IP literal as host (browsers refuse those as RP IDs) passkeys are unavailable
// and every call answers 409 passkeys_unavailable.
//
// Challenges: 32 random bytes, stored only as a hash with their purpose, single use (the row is
// deleted in its own transaction before anything else is checked, so a failed attempt still uses
// it up), valid kChallengeSeconds. A registration challenge is bound to the user and the session
// that asked; a second-factor challenge to the user whose password was just checked; a
// passwordless challenge to nobody (the credential names the user). Anonymous challenges are
// rate-limited per address and capped in number.
//
// Sign-in: the credential is found by the hash of its id; its key is sealed under the org key
// with the user and passkey ids as associated data. rpIdHash, UP (always), UV (passwordless),
// type, origin, crossOrigin and the signature are checked; then the signature counter: when the
// stored or the new counter is non-zero the new one must be higher, else the authenticator may be
// a clone: the sign-in is refused and audited (passkey.clone_detected). The counter is advanced
// with a compare-and-set, so two sign-ins with one assertion cannot both pass. Failures count
// towards the same per-account and per-address back-offs as password sign-in (Accounts).
// Passkeys belong to local accounts: a user without a password (single sign-on) cannot register
// one, and passwordless sign-in is refused for such an account.
// Thread-safe: all state is in the store; the rate limiter has its own mutex.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "crypto/webauthn.h"
#include "service/accounts.h"
#include "service/limiter.h"
#include "service/org_keys.h"
#include "store/database.h"

namespace bomvault::service {

struct PasskeyOptions {
  std::string public_url = "http://127.0.0.1:8080";
};

struct PasskeyView {
  util::PasskeyId id;
  std::string name;
  int alg = 0;  // COSE: -7 ES256, -8 EdDSA
  int64_t created_at = 0;
  int64_t last_used_at = 0;
};

// What navigator.credentials.create needs (the http layer turns it into JSON).
struct PasskeyCreation {
  crypto::Bytes challenge;
  std::string rp_id;
  std::string user_handle;  // the user id: opaque, no personal data
  std::string user_name;    // the e-mail address
  std::string display_name;
  std::vector<crypto::Bytes> exclude;  // the user's existing credential ids
  int64_t timeout_ms = 0;
};

// What navigator.credentials.get needs.
struct PasskeyRequest {
  crypto::Bytes challenge;
  std::string rp_id;
  std::vector<crypto::Bytes> allow;  // empty for passwordless: any discoverable credential
  bool user_verification_required = false;
  int64_t timeout_ms = 0;
};

struct PasskeyRegistration {
  crypto::Bytes credential_id;  // the credential's id (rawId) as the browser reported it
  crypto::Bytes client_data_json;
  crypto::Bytes attestation_object;
};

struct PasskeyAssertion {
  crypto::Bytes credential_id;
  crypto::Bytes client_data_json;
  crypto::Bytes authenticator_data;
  crypto::Bytes signature;
  std::optional<crypto::Bytes> user_handle;
};

class Passkeys {
 public:
  static constexpr int64_t kChallengeSeconds = 300;
  static constexpr int kMaxPerUser = 20;
  static constexpr int kMaxAnonymousChallenges = 10000;

  Passkeys(store::Database& db, OrgKeys& org_keys, Accounts& accounts, PasskeyOptions options);

  bool available() const { return rp_.has_value(); }

  // Registration, by a signed-in user (also one whose session may only enrol a second factor).
  util::Result<PasskeyCreation> StartRegistration(const access::Principal& actor,
                                                  std::string_view bearer);
  util::Result<PasskeyView> FinishRegistration(const access::Principal& actor,
                                               std::string_view bearer, std::string_view name,
                                               const PasskeyRegistration& response);

  util::Result<std::vector<PasskeyView>> List(const access::Principal& actor);
  util::Status Rename(const access::Principal& actor, const util::PasskeyId& id,
                      std::string_view name);
  // Needs the current password. Removing the last second factor while the org's policy requires
  // one is refused (409 last_second_factor): the user would be locked into enrolment.
  util::Status Remove(const access::Principal& actor, const util::PasskeyId& id,
                      std::string_view password);

  // Passwordless: a challenge for any discoverable credential (user verification required).
  util::Result<PasskeyRequest> StartPasswordless(const std::string& peer);
  // Second factor: `attempt` and `password_ok` come from Accounts::BeginSignIn/CheckPassword; a
  // wrong password is refused exactly like POST /sessions refuses it.
  util::Result<PasskeyRequest> StartSecondFactor(const Accounts::SignInAttempt& attempt,
                                                 bool password_ok, const std::string& peer);
  // Either ceremony's assertion: the challenge says which one it is.
  util::Result<SignInResult> SignIn(const PasskeyAssertion& assertion, const std::string& peer);

 private:
  struct Challenge {
    std::string purpose;
    std::optional<util::UserId> user;
    crypto::Bytes session_hash;
  };
  crypto::Bytes ChallengeHash(std::span<const uint8_t> challenge) const;
  crypto::Bytes CredentialHash(std::span<const uint8_t> credential_id) const;
  // Inserts a new challenge inside the caller's transaction and returns it.
  crypto::Bytes NewChallenge(store::Db& db, const char* purpose, const util::UserId* user,
                             const crypto::Bytes* session_hash);
  // Deletes the challenge (committed at once) and returns it if it existed and had not expired.
  util::Result<Challenge> TakeChallenge(std::span<const uint8_t> challenge);
  util::Status Unavailable() const;
  util::Status CheckName(std::string_view name) const;
  util::Result<std::vector<crypto::Bytes>> CredentialIds(store::Db& db, const OrgCrypto& org,
                                                         const util::UserId& user);

  store::Database& db_;
  OrgKeys& org_keys_;
  Accounts& accounts_;
  std::optional<crypto::webauthn::RelyingParty> rp_;
  TokenBucket anonymous_{1, 20};  // passwordless challenges per address
};

}  // namespace bomvault::service
