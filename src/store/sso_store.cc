#include "store/sso_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::optional<crypto::Bytes> ProviderConfigSealed(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT config_sealed FROM oidc_providers WHERE org_id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

bool ProviderExists(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT 1 FROM oidc_providers WHERE org_id = ?");
  q.bind(1, org.str());
  return q.executeStep();
}

void SaveProvider(Db& db, const util::OrgId& org, const crypto::Bytes& config_sealed, int64_t now) {
  SQLite::Statement up(db,
                       "INSERT INTO oidc_providers(org_id, config_sealed, created_at, updated_at) "
                       "VALUES (?,?,?,?) ON CONFLICT(org_id) DO UPDATE SET "
                       "config_sealed = excluded.config_sealed, updated_at = excluded.updated_at");
  up.bind(1, org.str());
  BindBlob(up, 2, config_sealed);
  up.bind(3, now);
  up.bind(4, now);
  up.exec();
}

bool DeleteProvider(Db& db, const util::OrgId& org) {
  SQLite::Statement d(db, "DELETE FROM oidc_providers WHERE org_id = ?");
  d.bind(1, org.str());
  return d.exec() != 0;
}

std::vector<ProviderRow> ListProviders(Db& db) {
  SQLite::Statement q(db, "SELECT org_id, config_sealed FROM oidc_providers");
  std::vector<ProviderRow> out;
  while (q.executeStep()) {
    out.push_back({util::OrgId::FromTrusted(q.getColumn(0).getString()), Copy(q.getColumn(1))});
  }
  return out;
}

std::optional<util::UserId> FindIdentity(Db& db, const crypto::Bytes& subject_bidx,
                                         const util::OrgId& org) {
  SQLite::Statement q(db,
                      "SELECT user_id FROM oidc_identities WHERE subject_bidx = ? AND org_id = ?");
  BindBlob(q, 1, subject_bidx);
  q.bind(2, org.str());
  if (!q.executeStep()) return std::nullopt;
  return util::UserId::FromTrusted(q.getColumn(0).getString());
}

bool LinkIdentityIfEnabled(Db& db, const crypto::Bytes& subject_bidx, const util::UserId& user,
                           const util::OrgId& org, int64_t now) {
  SQLite::Statement ins(db,
                        "INSERT INTO oidc_identities(subject_bidx, user_id, org_id, created_at) "
                        "SELECT ?, id, org_id, ? FROM users WHERE id = ? AND org_id = ? AND "
                        "disabled = 0");
  BindBlob(ins, 1, subject_bidx);
  ins.bind(2, now);
  ins.bind(3, user.str());
  ins.bind(4, org.str());
  return ins.exec() != 0;
}

void InsertIdentity(Db& db, const crypto::Bytes& subject_bidx, const util::UserId& user,
                    const util::OrgId& org, int64_t now) {
  SQLite::Statement ins(db,
                        "INSERT INTO oidc_identities(subject_bidx, user_id, org_id, created_at) "
                        "VALUES (?,?,?,?)");
  BindBlob(ins, 1, subject_bidx);
  ins.bind(2, user.str());
  ins.bind(3, org.str());
  ins.bind(4, now);
  ins.exec();
}

bool UserHasIdentity(Db& db, const util::UserId& user) {
  SQLite::Statement q(db, "SELECT 1 FROM oidc_identities WHERE user_id = ?");
  q.bind(1, user.str());
  return q.executeStep();
}

int DeleteOrgIdentities(Db& db, const util::OrgId& org) {
  SQLite::Statement d(db, "DELETE FROM oidc_identities WHERE org_id = ?");
  d.bind(1, org.str());
  return d.exec();
}

void PurgeExpiredLogins(Db& db, int64_t now) {
  SQLite::Statement d(db, "DELETE FROM oidc_logins WHERE expires_at <= ?");
  d.bind(1, now);
  d.exec();
}

int64_t CountLogins(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT count(*) FROM oidc_logins WHERE org_id = ?");
  q.bind(1, org.str());
  q.executeStep();
  return q.getColumn(0).getInt64();
}

void InsertLogin(Db& db, const crypto::Bytes& state_hash, const LoginRow& row, int64_t now) {
  SQLite::Statement ins(db,
                        "INSERT INTO oidc_logins(state_hash, org_id, binding_hash, "
                        "request_sealed, created_at, expires_at) VALUES (?,?,?,?,?,?)");
  BindBlob(ins, 1, state_hash);
  ins.bind(2, row.org.str());
  BindBlob(ins, 3, row.binding_hash);
  BindBlob(ins, 4, row.request_sealed);
  ins.bind(5, now);
  ins.bind(6, row.expires_at);
  ins.exec();
}

bool DeleteLogin(Db& db, const crypto::Bytes& state_hash) {
  SQLite::Statement d(db, "DELETE FROM oidc_logins WHERE state_hash = ?");
  BindBlob(d, 1, state_hash);
  return d.exec() != 0;
}

std::optional<LoginRow> TakeLogin(Db& db, const crypto::Bytes& state_hash) {
  SQLite::Statement q(db,
                      "DELETE FROM oidc_logins WHERE state_hash = ? "
                      "RETURNING org_id, binding_hash, request_sealed, expires_at");
  BindBlob(q, 1, state_hash);
  if (!q.executeStep()) return std::nullopt;
  LoginRow r{util::OrgId::FromTrusted(q.getColumn(0).getString()), Copy(q.getColumn(1)),
             Copy(q.getColumn(2)), q.getColumn(3).getInt64()};
  while (q.executeStep()) {
  }
  return r;
}

void InsertSsoSession(Db& db, const util::SessionId& session, const util::OrgId& org,
                      const crypto::Bytes& id_token_sealed) {
  SQLite::Statement ins(db,
                        "INSERT INTO oidc_sessions(session_id, org_id, id_token_sealed) "
                        "VALUES (?,?,?)");
  ins.bind(1, session.str());
  ins.bind(2, org.str());
  BindBlob(ins, 3, id_token_sealed);
  ins.exec();
}

std::optional<SsoSessionRow> FindSsoSessionByToken(Db& db, const crypto::Bytes& token_hash) {
  SQLite::Statement q(db,
                      "SELECT o.session_id, o.id_token_sealed FROM oidc_sessions o JOIN "
                      "sessions s ON s.id = o.session_id WHERE s.token_hash = ?");
  BindBlob(q, 1, token_hash);
  if (!q.executeStep()) return std::nullopt;
  return SsoSessionRow{util::SessionId::FromTrusted(q.getColumn(0).getString()),
                       Copy(q.getColumn(1))};
}

std::optional<MemberState> FindMemberState(Db& db, const util::UserId& user,
                                           const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT role, disabled FROM users WHERE id = ? AND org_id = ?");
  q.bind(1, user.str());
  q.bind(2, org.str());
  if (!q.executeStep()) return std::nullopt;
  return MemberState{q.getColumn(0).getString(), q.getColumn(1).getInt() != 0};
}

void SetUserRole(Db& db, const util::UserId& user, const std::string& role) {
  SQLite::Statement u(db, "UPDATE users SET role = ? WHERE id = ?");
  u.bind(1, role);
  u.bind(2, user.str());
  u.exec();
}

int WipeOrgPasswordHashes(Db& db, const util::OrgId& org) {
  SQLite::Statement w(db,
                      "UPDATE users SET password_hash = NULL WHERE org_id = ? AND "
                      "password_hash IS NOT NULL");
  w.bind(1, org.str());
  return w.exec();
}

int64_t CountOrgPasswordHashes(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db,
                      "SELECT count(*) FROM users WHERE org_id = ? AND password_hash IS NOT NULL");
  q.bind(1, org.str());
  q.executeStep();
  return q.getColumn(0).getInt64();
}

int64_t CountPasswordHashes(Db& db) {
  SQLite::Statement q(db, "SELECT count(*) FROM users WHERE password_hash IS NOT NULL");
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

}  // namespace bomvault::store
