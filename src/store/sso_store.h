// The single sign-on rows behind service/oidc.h: oidc_providers (an org's provider
// configuration), oidc_identities (which provider subject is which user), oidc_logins (sign-ins
// in flight) and oidc_sessions (the ID token behind a session, for the provider's logout).
//
// Configurations, requests and ID tokens are stored sealed under the org's key; a subject is
// stored only as its keyed index, a login's state and browser binding only as hashes. This
// module moves those bytes and decides nothing. It also holds the users statements single
// sign-on needs (a member's role and state, a role change from the provider's groups, wiping
// the org's password hashes when local passwords go off, and counting them for `bomvault
// check`). Every function runs on the caller's connection inside the caller's transaction
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

struct ProviderRow {
  util::OrgId org;
  crypto::Bytes config_sealed;
};
std::optional<crypto::Bytes> ProviderConfigSealed(Db& db, const util::OrgId& org);
bool ProviderExists(Db& db, const util::OrgId& org);
// Inserts the org's provider, or replaces its configuration.
void SaveProvider(Db& db, const util::OrgId& org, const crypto::Bytes& config_sealed, int64_t now);
// False if the org had no provider.
bool DeleteProvider(Db& db, const util::OrgId& org);
// Every org's provider.
std::vector<ProviderRow> ListProviders(Db& db);

// The user the subject index belongs to in `org`, if linked.
std::optional<util::UserId> FindIdentity(Db& db, const crypto::Bytes& subject_bidx,
                                         const util::OrgId& org);
// Links the subject to `user` if the user is an enabled member of `org`; false if not.
bool LinkIdentityIfEnabled(Db& db, const crypto::Bytes& subject_bidx, const util::UserId& user,
                           const util::OrgId& org, int64_t now);
void InsertIdentity(Db& db, const crypto::Bytes& subject_bidx, const util::UserId& user,
                    const util::OrgId& org, int64_t now);
bool UserHasIdentity(Db& db, const util::UserId& user);
// Unlinks every identity of the org; how many there were.
int DeleteOrgIdentities(Db& db, const util::OrgId& org);

void PurgeExpiredLogins(Db& db, int64_t now);
int64_t CountLogins(Db& db, const util::OrgId& org);
struct LoginRow {
  util::OrgId org;
  crypto::Bytes binding_hash, request_sealed;
  int64_t expires_at = 0;
};
void InsertLogin(Db& db, const crypto::Bytes& state_hash, const LoginRow& row, int64_t now);
// False if there was no such login.
bool DeleteLogin(Db& db, const crypto::Bytes& state_hash);
// Deletes and returns the login, so that its state is used at most once.
std::optional<LoginRow> TakeLogin(Db& db, const crypto::Bytes& state_hash);

void InsertSsoSession(Db& db, const util::SessionId& session, const util::OrgId& org,
                      const crypto::Bytes& id_token_sealed);
struct SsoSessionRow {
  util::SessionId session;
  crypto::Bytes id_token_sealed;
};
// The ID token behind the session whose bearer token hashes to `token_hash`.
std::optional<SsoSessionRow> FindSsoSessionByToken(Db& db, const crypto::Bytes& token_hash);

struct MemberState {
  std::string role;
  bool disabled = false;
};
// The role and state of `user` if it is a member of `org`.
std::optional<MemberState> FindMemberState(Db& db, const util::UserId& user,
                                           const util::OrgId& org);
void SetUserRole(Db& db, const util::UserId& user, const std::string& role);
// Deletes the password hashes of the org's members; how many there were.
int WipeOrgPasswordHashes(Db& db, const util::OrgId& org);
int64_t CountOrgPasswordHashes(Db& db, const util::OrgId& org);
int64_t CountPasswordHashes(Db& db);

}  // namespace bomvault::store
