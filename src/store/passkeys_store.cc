#include "store/passkeys_store.h"

#include "store/rows.h"

namespace bomvault::store {

void PurgeExpiredChallenges(Db& db, int64_t now) {
  SQLite::Statement purge(db, "DELETE FROM passkey_challenges WHERE expires_at <= ?");
  purge.bind(1, now);
  purge.exec();
}

void InsertChallenge(Db& db, const crypto::Bytes& hash, const std::string& purpose,
                     const util::UserId* user, const crypto::Bytes* session_hash, int64_t now,
                     int64_t expires_at) {
  SQLite::Statement ins(db,
                        "INSERT INTO passkey_challenges(challenge_hash, purpose, user_id, "
                        "session_hash, created_at, expires_at) VALUES (?,?,?,?,?,?)");
  BindBlob(ins, 1, hash);
  ins.bind(2, purpose);
  if (user != nullptr) {
    ins.bind(3, user->str());
  } else {
    ins.bind(3);
  }
  if (session_hash != nullptr) {
    BindBlob(ins, 4, *session_hash);
  } else {
    ins.bind(4);
  }
  ins.bind(5, now);
  ins.bind(6, expires_at);
  ins.exec();
}

std::optional<ChallengeRow> FindChallenge(Db& db, const crypto::Bytes& hash) {
  SQLite::Statement q(db,
                      "SELECT purpose, user_id, session_hash, expires_at FROM "
                      "passkey_challenges WHERE challenge_hash = ?");
  BindBlob(q, 1, hash);
  if (!q.executeStep()) return std::nullopt;
  ChallengeRow c;
  c.purpose = q.getColumn(0).getString();
  if (!q.getColumn(1).isNull()) c.user = util::UserId::FromTrusted(q.getColumn(1).getString());
  c.session_hash = Copy(q.getColumn(2));
  c.expires_at = q.getColumn(3).getInt64();
  return c;
}

bool DeleteChallenge(Db& db, const crypto::Bytes& hash) {
  SQLite::Statement d(db, "DELETE FROM passkey_challenges WHERE challenge_hash = ?");
  BindBlob(d, 1, hash);
  return d.exec() == 1;
}

int64_t CountLiveChallenges(Db& db, const std::string& purpose, int64_t now) {
  SQLite::Statement n(db,
                      "SELECT count(*) FROM passkey_challenges WHERE purpose = ? AND "
                      "expires_at > ?");
  n.bind(1, purpose);
  n.bind(2, now);
  n.executeStep();
  return n.getColumn(0).getInt64();
}

std::vector<PasskeyRow> ListPasskeys(Db& db, const util::UserId& user) {
  SQLite::Statement q(db,
                      "SELECT id, credential_sealed, name_sealed, alg, sign_count, created_at, "
                      "last_used_at FROM passkeys WHERE user_id = ? ORDER BY created_at, rowid");
  q.bind(1, user.str());
  std::vector<PasskeyRow> out;
  while (q.executeStep()) {
    PasskeyRow r;
    r.id = util::PasskeyId::FromTrusted(q.getColumn(0).getString());
    r.credential_sealed = Copy(q.getColumn(1));
    r.name_sealed = Copy(q.getColumn(2));
    r.alg = q.getColumn(3).getInt();
    r.sign_count = q.getColumn(4).getInt64();
    r.created_at = q.getColumn(5).getInt64();
    r.last_used_at = q.getColumn(6).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

bool PasskeyExists(Db& db, const crypto::Bytes& credential_hash) {
  SQLite::Statement dup(db, "SELECT 1 FROM passkeys WHERE credential_hash = ?");
  BindBlob(dup, 1, credential_hash);
  return dup.executeStep();
}

int64_t CountPasskeys(Db& db, const util::UserId& user) {
  SQLite::Statement count(db, "SELECT count(*) FROM passkeys WHERE user_id = ?");
  count.bind(1, user.str());
  count.executeStep();
  return count.getColumn(0).getInt64();
}

void InsertPasskey(Db& db, const util::UserId& user, const util::OrgId& org,
                   const crypto::Bytes& credential_hash, const PasskeyRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO passkeys(id, user_id, org_id, credential_hash, "
                        "credential_sealed, name_sealed, alg, sign_count, created_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?)");
  ins.bind(1, row.id.str());
  ins.bind(2, user.str());
  ins.bind(3, org.str());
  BindBlob(ins, 4, credential_hash);
  BindBlob(ins, 5, row.credential_sealed);
  BindBlob(ins, 6, row.name_sealed);
  ins.bind(7, row.alg);
  ins.bind(8, row.sign_count);
  ins.bind(9, row.created_at);
  ins.exec();
}

bool RenamePasskey(Db& db, const util::UserId& user, const util::PasskeyId& id,
                   const crypto::Bytes& name_sealed) {
  SQLite::Statement u(db, "UPDATE passkeys SET name_sealed = ? WHERE id = ? AND user_id = ?");
  BindBlob(u, 1, name_sealed);
  u.bind(2, id.str());
  u.bind(3, user.str());
  return u.exec() != 0;
}

void DeletePasskey(Db& db, const util::UserId& user, const util::PasskeyId& id) {
  SQLite::Statement d(db, "DELETE FROM passkeys WHERE id = ? AND user_id = ?");
  d.bind(1, id.str());
  d.bind(2, user.str());
  d.exec();
}

int DeleteUserPasskeys(Db& db, const util::UserId& user) {
  SQLite::Statement d(db, "DELETE FROM passkeys WHERE user_id = ?");
  d.bind(1, user.str());
  return d.exec();
}

bool AdvanceSignCount(Db& db, const util::PasskeyId& id, int64_t from, int64_t to, int64_t now) {
  SQLite::Statement u(db,
                      "UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE id = ? AND "
                      "sign_count = ?");
  u.bind(1, to);
  u.bind(2, now);
  u.bind(3, id.str());
  u.bind(4, from);
  return u.exec() == 1;
}

std::optional<PasskeyEnrolee> FindEnrolee(Db& db, const util::UserId& user) {
  SQLite::Statement q(db,
                      "SELECT email_sealed, display_name_sealed, password_hash IS NOT NULL, "
                      "(SELECT count(*) FROM passkeys p WHERE p.user_id = users.id), totp_enabled "
                      "FROM users WHERE id = ?");
  q.bind(1, user.str());
  if (!q.executeStep()) return std::nullopt;
  PasskeyEnrolee e;
  e.email_sealed = Copy(q.getColumn(0));
  e.display_name_sealed = CopyOrNull(q.getColumn(1));
  e.has_password = q.getColumn(2).getInt() != 0;
  e.passkeys = q.getColumn(3).getInt64();
  e.totp_enabled = q.getColumn(4).getInt() != 0;
  return e;
}

std::optional<PasskeySignInRow> FindPasskeyForSignIn(Db& db, const crypto::Bytes& credential_hash) {
  SQLite::Statement q(db,
                      "SELECT p.id, p.user_id, p.org_id, u.role, u.disabled, u.password_hash "
                      "IS NOT NULL, p.sign_count, p.credential_sealed, u.email_bidx FROM "
                      "passkeys p JOIN users u ON u.id = p.user_id WHERE p.credential_hash = ?");
  BindBlob(q, 1, credential_hash);
  if (!q.executeStep()) return std::nullopt;
  PasskeySignInRow r;
  r.id = util::PasskeyId::FromTrusted(q.getColumn(0).getString());
  r.user = util::UserId::FromTrusted(q.getColumn(1).getString());
  r.org = util::OrgId::FromTrusted(q.getColumn(2).getString());
  r.role = q.getColumn(3).getString();
  r.disabled = q.getColumn(4).getInt() != 0;
  r.has_password = q.getColumn(5).getInt() != 0;
  r.sign_count = q.getColumn(6).getInt64();
  r.credential_sealed = Copy(q.getColumn(7));
  r.email_bidx = Copy(q.getColumn(8));
  return r;
}

}  // namespace bomvault::store
