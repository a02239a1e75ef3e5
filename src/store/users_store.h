// The users rows: accounts, their standing (role, disabled, verified address), their password
// hash and the sealed address and display name. Addresses are stored sealed under the org's key
// and found by a blind index (instance-wide, or org-local for an account an Administrator added
// while the address had one elsewhere); this module moves the sealed bytes and index values only,
// and service/accounts.h decides what they mean. The TOTP columns belong to store/mfa_store.h.
// Every function runs on the caller's connection inside the caller's transaction
// (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

// The sealed address of `user` in `org`; nullopt if the org has no such user.
std::optional<crypto::Bytes> UserEmailSealed(Db& db, const util::OrgId& org,
                                             const util::UserId& user);
// The same, only while the account is enabled (mail to a disabled account is never sent).
std::optional<crypto::Bytes> EnabledUserEmailSealed(Db& db, const util::OrgId& org,
                                                    const util::UserId& user);

// A user as the account reads show it, with the counts of its second factors.
struct UserRow {
  util::UserId id;
  crypto::Bytes email_sealed;
  std::optional<crypto::Bytes> display_name_sealed;
  std::string role;  // persisted text: administrator, editor or viewer
  bool email_verified = false, disabled = false, totp_enabled = false;
  int64_t created_at = 0, last_active_at = 0;
  int recovery_codes = 0, passkeys = 0;
  int64_t version = 0;  // the write counter (schema/0015)
};
// The org's users, oldest first (at most `limit`).
std::vector<UserRow> ListUsers(Db& db, const util::OrgId& org, int limit);
// `user` if it belongs to `org`.
std::optional<UserRow> FindUser(Db& db, const util::OrgId& org, const util::UserId& user);

// An account whose blind index is one of those looked for.
struct EmailIndexHit {
  util::OrgId org;
  bool org_local = false;  // found under the org-local index, not the instance-wide one
};
std::vector<EmailIndexHit> FindEmailIndex(Db& db, const crypto::Bytes& instance_index,
                                          const crypto::Bytes& org_local_index);

struct NewUserRow {
  util::UserId id;
  util::OrgId org;
  crypto::Bytes email_index, email_sealed;
  std::string password_hash;  // empty: no local password (single sign-on only), stored as NULL
  std::string role;
  bool email_verified = false;
  int64_t now = 0;  // created and last active
};
void InsertUser(Db& db, const NewUserRow& row);

// What a password sign-in needs of the account behind an address's instance-wide index, and of
// its org's MFA policy (read like store/orgs_store.h's, "optional" when unset).
struct SignInAccountRow {
  util::UserId id;
  util::OrgId org;
  std::string password_hash;  // empty when the account has no local password
  std::string role, mfa_policy;
  bool disabled = false, totp_enabled = false;
  crypto::Bytes totp_sealed;  // empty when none is stored
  int64_t totp_last_step = 0;
  int passkeys = 0;
};
std::optional<SignInAccountRow> FindSignInAccount(Db& db, const crypto::Bytes& email_index);

// The user's password hash, "" when the account has no local password; nullopt: no such user.
std::optional<std::string> PasswordHash(Db& db, const util::UserId& user);
// Replaces an existing password only: false when the account has none (local passwords off).
bool ReplacePasswordHash(Db& db, const util::UserId& user, const std::string& hash);

// Sets the role; `clear_verified` makes the address unverified again (a demotion).
void SetUserRole(Db& db, const util::UserId& user, const std::string& role, bool clear_verified);
void SetUserDisabled(Db& db, const util::UserId& user, bool disabled);
// nullopt clears the name. False if there is no such user.
bool SetDisplayNameSealed(Db& db, const util::UserId& user,
                          const std::optional<crypto::Bytes>& sealed);
// The activity mark (not a content write: the version stays).
void MarkUserActive(Db& db, const util::UserId& user, int64_t now);

}  // namespace bomvault::store
