#include "store/sessions_store.h"

#include "store/rows.h"

namespace bomvault::store {

void InsertSession(Db& db, const NewSessionRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO sessions(id, token_hash, user_id, kind, scope, name_sealed, "
                        "mfa_pending, mfa_by_provider, created_at, last_seen_at, expires_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, row.id.str());
  BindBlob(ins, 2, row.token_hash);
  ins.bind(3, row.user.str());
  ins.bind(4, row.kind);
  ins.bind(5, row.scope);
  BindBlobOrNull(ins, 6, row.name_sealed);
  ins.bind(7, row.mfa_pending ? 1 : 0);
  ins.bind(8, row.mfa_by_provider ? 1 : 0);
  ins.bind(9, row.created_at);
  ins.bind(10, row.created_at);
  ins.bind(11, row.expires_at);
  ins.exec();
}

std::vector<SessionRow> ListLiveSessions(Db& db, const util::UserId& user, int64_t now, int limit) {
  SQLite::Statement q(db,
                      "SELECT id, kind, scope, name_sealed, token_hash, created_at, last_seen_at, "
                      "expires_at FROM sessions WHERE user_id = ? AND expires_at > ? "
                      "ORDER BY created_at DESC LIMIT ?");
  q.bind(1, user.str());
  q.bind(2, now);
  q.bind(3, limit);
  std::vector<SessionRow> out;
  while (q.executeStep()) {
    SessionRow r;
    r.id = util::SessionId::FromTrusted(q.getColumn(0).getString());
    r.kind = q.getColumn(1).getString();
    r.scope = q.getColumn(2).getString();
    r.name_sealed = CopyOrNull(q.getColumn(3));
    r.token_hash = Copy(q.getColumn(4));
    r.created_at = q.getColumn(5).getInt64();
    r.last_seen_at = q.getColumn(6).getInt64();
    r.expires_at = q.getColumn(7).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<BrowserSessionRow> ListBrowserSessions(Db& db, const util::UserId& user) {
  SQLite::Statement q(db,
                      "SELECT id, token_hash, last_seen_at FROM sessions WHERE user_id = ? AND "
                      "kind = 'session' ORDER BY rowid");
  q.bind(1, user.str());
  std::vector<BrowserSessionRow> out;
  while (q.executeStep()) {
    out.push_back({util::SessionId::FromTrusted(q.getColumn(0).getString()), Copy(q.getColumn(1)),
                   q.getColumn(2).getInt64()});
  }
  return out;
}

std::optional<TokenHolderRow> FindTokenHolder(Database& database, Db& db,
                                              std::span<const uint8_t> token_hash) {
  SQLite::Statement& q =
      database.Prepared(db,
                        "SELECT s.user_id, s.kind, s.scope, s.expires_at, s.last_seen_at, "
                        "u.org_id, u.role, u.email_verified, u.disabled, s.mfa_pending, "
                        "u.totp_enabled, coalesce(json_extract(o.settings, '$.mfa_policy'), "
                        "'optional'), s.mfa_by_provider, EXISTS (SELECT 1 FROM passkeys p WHERE "
                        "p.user_id = u.id), coalesce(s.authenticated_at, s.created_at) "
                        "FROM sessions s JOIN users u ON u.id = s.user_id JOIN "
                        "orgs o ON o.id = u.org_id WHERE s.token_hash = ?");
  BindBlob(q, 1, token_hash);
  if (!q.executeStep()) return std::nullopt;
  TokenHolderRow r;
  r.user = util::UserId::FromTrusted(q.getColumn(0).getString());
  r.kind = q.getColumn(1).getString();
  r.scope = q.getColumn(2).getString();
  r.expires_at = q.getColumn(3).getInt64();
  r.last_seen_at = q.getColumn(4).getInt64();
  r.org = util::OrgId::FromTrusted(q.getColumn(5).getString());
  r.role = q.getColumn(6).getString();
  r.email_verified = q.getColumn(7).getInt() != 0;
  r.disabled = q.getColumn(8).getInt() != 0;
  r.mfa_pending = q.getColumn(9).getInt() != 0;
  r.totp_enabled = q.getColumn(10).getInt() != 0;
  r.mfa_policy = q.getColumn(11).getString();
  r.mfa_by_provider = q.getColumn(12).getInt() != 0;
  r.has_passkey = q.getColumn(13).getInt() != 0;
  r.authenticated_at = q.getColumn(14).getInt64();
  return r;
}

void TouchSession(Db& db, std::span<const uint8_t> token_hash, int64_t now) {
  SQLite::Statement u(db, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?");
  u.bind(1, now);
  BindBlob(u, 2, token_hash);
  u.exec();
}

bool MarkSessionAuthenticated(Db& db, const util::UserId& user, std::span<const uint8_t> token_hash,
                              int64_t now) {
  SQLite::Statement u(db,
                      "UPDATE sessions SET authenticated_at = ? WHERE token_hash = ? AND "
                      "user_id = ? AND kind = 'session'");
  u.bind(1, now);
  BindBlob(u, 2, token_hash);
  u.bind(3, user.str());
  return u.exec() == 1;
}

void ClearMfaPending(Db& db, const util::UserId& user) {
  SQLite::Statement s(db, "UPDATE sessions SET mfa_pending = 0 WHERE user_id = ?");
  s.bind(1, user.str());
  s.exec();
}

int DeleteSessionByToken(Db& db, std::span<const uint8_t> token_hash) {
  SQLite::Statement d(db, "DELETE FROM sessions WHERE token_hash = ?");
  BindBlob(d, 1, token_hash);
  return d.exec();
}

int DeleteSession(Db& db, const util::SessionId& id) {
  SQLite::Statement d(db, "DELETE FROM sessions WHERE id = ?");
  d.bind(1, id.str());
  return d.exec();
}

int DeleteUserSession(Db& db, const util::UserId& user, const util::SessionId& id) {
  SQLite::Statement d(db, "DELETE FROM sessions WHERE id = ? AND user_id = ?");
  d.bind(1, id.str());
  d.bind(2, user.str());
  return d.exec();
}

int DeleteUserSessions(Db& db, const util::UserId& user) {
  SQLite::Statement d(db, "DELETE FROM sessions WHERE user_id = ?");
  d.bind(1, user.str());
  return d.exec();
}

int DeleteOtherBrowserSessions(Db& db, const util::UserId& user,
                               std::span<const uint8_t> kept_token_hash) {
  SQLite::Statement d(db,
                      "DELETE FROM sessions WHERE user_id = ? AND kind = 'session' AND "
                      "token_hash != ?");
  d.bind(1, user.str());
  BindBlob(d, 2, kept_token_hash);
  return d.exec();
}

}  // namespace bomvault::store
