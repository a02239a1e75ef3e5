#include "store/users_store.h"

#include <string>

#include "store/rows.h"

namespace bomvault::store {

namespace {

// UserRow's columns, in ReadUser's order.
constexpr const char* kUserSelect =
    "SELECT id, email_sealed, display_name_sealed, role, email_verified, disabled, totp_enabled, "
    "created_at, last_active_at, (SELECT count(*) FROM recovery_codes r WHERE r.user_id = "
    "users.id), (SELECT count(*) FROM passkeys p WHERE p.user_id = users.id), version FROM users ";

UserRow ReadUser(const SQLite::Statement& q) {
  UserRow u;
  u.id = util::UserId::FromTrusted(q.getColumn(0).getString());
  u.email_sealed = Copy(q.getColumn(1));
  u.display_name_sealed = CopyOrNull(q.getColumn(2));
  u.role = q.getColumn(3).getString();
  u.email_verified = q.getColumn(4).getInt() != 0;
  u.disabled = q.getColumn(5).getInt() != 0;
  u.totp_enabled = q.getColumn(6).getInt() != 0;
  u.created_at = q.getColumn(7).getInt64();
  u.last_active_at = q.getColumn(8).getInt64();
  u.recovery_codes = q.getColumn(9).getInt();
  u.passkeys = q.getColumn(10).getInt();
  u.version = q.getColumn(11).getInt64();
  return u;
}

}  // namespace

std::optional<crypto::Bytes> UserEmailSealed(Db& db, const util::OrgId& org,
                                             const util::UserId& user) {
  SQLite::Statement q(db, "SELECT email_sealed FROM users WHERE id = ? AND org_id = ?");
  q.bind(1, user.str());
  q.bind(2, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

std::optional<crypto::Bytes> EnabledUserEmailSealed(Db& db, const util::OrgId& org,
                                                    const util::UserId& user) {
  SQLite::Statement q(
      db, "SELECT email_sealed FROM users WHERE id = ? AND org_id = ? AND disabled = 0");
  q.bind(1, user.str());
  q.bind(2, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

std::vector<UserRow> ListUsers(Db& db, const util::OrgId& org, int limit) {
  SQLite::Statement q(
      db, std::string(kUserSelect) + "WHERE org_id = ? ORDER BY created_at, id LIMIT ?");
  q.bind(1, org.str());
  q.bind(2, limit);
  std::vector<UserRow> out;
  while (q.executeStep()) out.push_back(ReadUser(q));
  return out;
}

std::optional<UserRow> FindUser(Db& db, const util::OrgId& org, const util::UserId& user) {
  SQLite::Statement q(db, std::string(kUserSelect) + "WHERE id = ? AND org_id = ?");
  q.bind(1, user.str());
  q.bind(2, org.str());
  if (!q.executeStep()) return std::nullopt;
  return ReadUser(q);
}

std::vector<EmailIndexHit> FindEmailIndex(Db& db, const crypto::Bytes& instance_index,
                                          const crypto::Bytes& org_local_index) {
  SQLite::Statement q(db, "SELECT org_id, email_bidx = ? FROM users WHERE email_bidx IN (?, ?)");
  BindBlob(q, 1, org_local_index);
  BindBlob(q, 2, instance_index);
  BindBlob(q, 3, org_local_index);
  std::vector<EmailIndexHit> out;
  while (q.executeStep()) {
    out.push_back(
        {util::OrgId::FromTrusted(q.getColumn(0).getString()), q.getColumn(1).getInt() != 0});
  }
  return out;
}

void InsertUser(Db& db, const NewUserRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO users(id, org_id, email_bidx, email_sealed, password_hash, "
                        "role, email_verified, last_active_at, created_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?)");
  ins.bind(1, row.id.str());
  ins.bind(2, row.org.str());
  BindBlob(ins, 3, row.email_index);
  BindBlob(ins, 4, row.email_sealed);
  if (row.password_hash.empty()) {
    ins.bind(5);
  } else {
    ins.bind(5, row.password_hash);
  }
  ins.bind(6, row.role);
  ins.bind(7, row.email_verified ? 1 : 0);
  ins.bind(8, row.now);
  ins.bind(9, row.now);
  ins.exec();
}

std::optional<SignInAccountRow> FindSignInAccount(Db& db, const crypto::Bytes& email_index) {
  SQLite::Statement q(db,
                      "SELECT u.id, u.org_id, u.password_hash, u.role, u.disabled, "
                      "u.totp_enabled, u.totp_secret_sealed, u.totp_last_step, "
                      "coalesce(json_extract(o.settings, '$.mfa_policy'), 'optional'), "
                      "(SELECT count(*) FROM passkeys p WHERE p.user_id = u.id) "
                      "FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.email_bidx = ?");
  BindBlob(q, 1, email_index);
  if (!q.executeStep()) return std::nullopt;
  SignInAccountRow a;
  a.id = util::UserId::FromTrusted(q.getColumn(0).getString());
  a.org = util::OrgId::FromTrusted(q.getColumn(1).getString());
  a.password_hash = q.getColumn(2).getString();
  a.role = q.getColumn(3).getString();
  a.disabled = q.getColumn(4).getInt() != 0;
  a.totp_enabled = q.getColumn(5).getInt() != 0;
  a.totp_sealed = Copy(q.getColumn(6));
  a.totp_last_step = q.getColumn(7).getInt64();
  a.mfa_policy = q.getColumn(8).getString();
  a.passkeys = q.getColumn(9).getInt();
  return a;
}

std::optional<std::string> PasswordHash(Db& db, const util::UserId& user) {
  SQLite::Statement q(db, "SELECT coalesce(password_hash, '') FROM users WHERE id = ?");
  q.bind(1, user.str());
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getString();
}

bool ReplacePasswordHash(Db& db, const util::UserId& user, const std::string& hash) {
  SQLite::Statement u(
      db, "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NOT NULL");
  u.bind(1, hash);
  u.bind(2, user.str());
  return u.exec() != 0;
}

void SetUserRole(Db& db, const util::UserId& user, const std::string& role, bool clear_verified) {
  SQLite::Statement u(db,
                      "UPDATE users SET role = ?, email_verified = CASE WHEN ? THEN 0 "
                      "ELSE email_verified END WHERE id = ?");
  u.bind(1, role);
  u.bind(2, clear_verified ? 1 : 0);
  u.bind(3, user.str());
  u.exec();
}

void SetUserDisabled(Db& db, const util::UserId& user, bool disabled) {
  SQLite::Statement u(db, "UPDATE users SET disabled = ? WHERE id = ?");
  u.bind(1, disabled ? 1 : 0);
  u.bind(2, user.str());
  u.exec();
}

bool SetDisplayNameSealed(Db& db, const util::UserId& user,
                          const std::optional<crypto::Bytes>& sealed) {
  SQLite::Statement u(db, "UPDATE users SET display_name_sealed = ? WHERE id = ?");
  BindBlobOrNull(u, 1, sealed);
  u.bind(2, user.str());
  return u.exec() != 0;
}

void MarkUserActive(Db& db, const util::UserId& user, int64_t now) {
  SQLite::Statement u(db, "UPDATE users SET last_active_at = ? WHERE id = ?");
  u.bind(1, now);
  u.bind(2, user.str());
  u.exec();
}

}  // namespace bomvault::store
