// The passkeys and passkey_challenges rows behind service/passkeys.h.
//
// A credential (its id and public key) and its name are stored sealed under the org's key, found
// by a keyed hash of the credential id; a challenge is stored only as its hash. This module moves
// the sealed bytes and hashes only. Every function runs on the caller's connection inside the
// caller's transaction (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct ChallengeRow {
  std::string purpose;
  std::optional<util::UserId> user;
  crypto::Bytes session_hash;  // empty when the challenge is bound to no session
  int64_t expires_at = 0;
};
void PurgeExpiredChallenges(Db& db, int64_t now);
void InsertChallenge(Db& db, const crypto::Bytes& hash, const std::string& purpose,
                     const util::UserId* user, const crypto::Bytes* session_hash, int64_t now,
                     int64_t expires_at);
std::optional<ChallengeRow> FindChallenge(Db& db, const crypto::Bytes& hash);
// False if it was gone already (another request took it).
bool DeleteChallenge(Db& db, const crypto::Bytes& hash);
int64_t CountLiveChallenges(Db& db, const std::string& purpose, int64_t now);

struct PasskeyRow {
  util::PasskeyId id;
  crypto::Bytes credential_sealed, name_sealed;
  int alg = 0;
  int64_t sign_count = 0;
  int64_t created_at = 0, last_used_at = 0;
};
// The user's passkeys, oldest first.
std::vector<PasskeyRow> ListPasskeys(Db& db, const util::UserId& user);
bool PasskeyExists(Db& db, const crypto::Bytes& credential_hash);
int64_t CountPasskeys(Db& db, const util::UserId& user);
void InsertPasskey(Db& db, const util::UserId& user, const util::OrgId& org,
                   const crypto::Bytes& credential_hash, const PasskeyRow& row);
// False if the user has no such passkey.
bool RenamePasskey(Db& db, const util::UserId& user, const util::PasskeyId& id,
                   const crypto::Bytes& name_sealed);
void DeletePasskey(Db& db, const util::UserId& user, const util::PasskeyId& id);
// Every passkey of `user` (an Administrator's MFA reset); how many were deleted.
int DeleteUserPasskeys(Db& db, const util::UserId& user);
// Compare-and-set: false if the count was no longer `from` (another sign-in moved it).
bool AdvanceSignCount(Db& db, const util::PasskeyId& id, int64_t from, int64_t to, int64_t now);

// What registering a passkey needs to know of its user.
struct PasskeyEnrolee {
  crypto::Bytes email_sealed;
  std::optional<crypto::Bytes> display_name_sealed;
  bool has_password = false;
  int64_t passkeys = 0;
  bool totp_enabled = false;
};
std::optional<PasskeyEnrolee> FindEnrolee(Db& db, const util::UserId& user);

// A passkey found by its credential, with what signing in needs of its user.
struct PasskeySignInRow {
  util::PasskeyId id;
  util::UserId user;
  util::OrgId org;
  std::string role;
  bool disabled = false, has_password = false;
  int64_t sign_count = 0;
  crypto::Bytes credential_sealed;
  crypto::Bytes email_bidx;
};
std::optional<PasskeySignInRow> FindPasskeyForSignIn(Db& db, const crypto::Bytes& credential_hash);

}  // namespace bomvault::store
