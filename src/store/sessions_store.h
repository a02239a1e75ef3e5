// The sessions rows: browser sessions (kind "session") and personal API tokens (kind "api").
//
// A token is stored only as its hash (service/accounts.h derives it) and a token's name sealed
// under the org's key; this module moves hashes and sealed bytes only, and the services decide
// what a row allows (expiry, idle time, MFA policy). Every function runs on the caller's
// connection inside the caller's transaction (store/database.h). Thread-safety: that of the
// connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

// A new session or API token. kind and scope are persisted text ("session" | "api", "read" |
// "write").
struct NewSessionRow {
  util::SessionId id;
  crypto::Bytes token_hash;
  util::UserId user;
  std::string kind, scope;
  std::optional<crypto::Bytes> name_sealed;  // API tokens only
  bool mfa_pending = false;                  // may only enrol a second factor
  bool mfa_by_provider = false;              // single sign-on asserted a second factor
  int64_t created_at = 0, expires_at = 0;    // last seen = created
};
void InsertSession(Db& db, const NewSessionRow& row);

// One of a user's live sessions or tokens, as their owner lists them.
struct SessionRow {
  util::SessionId id;
  std::string kind, scope;
  std::optional<crypto::Bytes> name_sealed;
  crypto::Bytes token_hash;
  int64_t created_at = 0, last_seen_at = 0, expires_at = 0;
};
// The user's sessions and tokens that expire after `now`, newest first (at most `limit`).
std::vector<SessionRow> ListLiveSessions(Db& db, const util::UserId& user, int64_t now, int limit);

// The user's browser sessions (API tokens aside) in creation order, for the per-user cap.
struct BrowserSessionRow {
  util::SessionId id;
  crypto::Bytes token_hash;
  int64_t last_seen_at = 0;
};
std::vector<BrowserSessionRow> ListBrowserSessions(Db& db, const util::UserId& user);

// What a bearer token stands for: the row with its user's standing, second factors and org's MFA
// policy (read like store/orgs_store.h's, "optional" when unset). Taken through the connection's
// prepared-statement cache: every request runs it.
struct TokenHolderRow {
  util::UserId user;
  util::OrgId org;
  std::string kind, scope, role, mfa_policy;
  int64_t expires_at = 0, last_seen_at = 0;
  int64_t authenticated_at = 0;  // the last proof of identity; created_at until a re-auth
  bool email_verified = false, disabled = false;
  bool mfa_pending = false, mfa_by_provider = false, totp_enabled = false, has_passkey = false;
};
std::optional<TokenHolderRow> FindTokenHolder(Database& database, Db& db,
                                              std::span<const uint8_t> token_hash);

// The activity mark of the token's row.
void TouchSession(Db& db, std::span<const uint8_t> token_hash, int64_t now);
// Re-authentication: the browser session's proof time moves to `now`. False when `user` holds
// no browser session with that token (it ended meanwhile).
bool MarkSessionAuthenticated(Db& db, const util::UserId& user, std::span<const uint8_t> token_hash,
                              int64_t now);

// Clears mfa_pending on every session of `user` (after a TOTP or passkey enrolment).
void ClearMfaPending(Db& db, const util::UserId& user);

// Each returns how many rows it deleted.
int DeleteSessionByToken(Db& db, std::span<const uint8_t> token_hash);
int DeleteSession(Db& db, const util::SessionId& id);
// Only if it is one of `user`'s.
int DeleteUserSession(Db& db, const util::UserId& user, const util::SessionId& id);
// Every session and API token of `user`.
int DeleteUserSessions(Db& db, const util::UserId& user);
// The user's browser sessions except the one holding `kept_token_hash`; API tokens stay.
int DeleteOtherBrowserSessions(Db& db, const util::UserId& user,
                               std::span<const uint8_t> kept_token_hash);

}  // namespace bomvault::store
