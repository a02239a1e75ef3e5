#include "store/mfa_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::optional<TotpRow> FindTotp(Db& db, const util::UserId& user) {
  SQLite::Statement q(
      db, "SELECT totp_enabled, totp_secret_sealed, totp_last_step FROM users WHERE id = ?");
  q.bind(1, user.str());
  if (!q.executeStep()) return std::nullopt;
  TotpRow r;
  r.enabled = q.getColumn(0).getInt() != 0;
  r.secret_sealed = CopyOrNull(q.getColumn(1));
  r.last_step = q.getColumn(2).getInt64();
  return r;
}

void StoreTotpSecret(Db& db, const util::UserId& user, const crypto::Bytes& sealed) {
  SQLite::Statement u(db,
                      "UPDATE users SET totp_secret_sealed = ?, totp_last_step = 0 WHERE id = ?");
  BindBlob(u, 1, sealed);
  u.bind(2, user.str());
  u.exec();
}

void EnableTotp(Db& db, const util::UserId& user, int64_t step) {
  SQLite::Statement u(db, "UPDATE users SET totp_enabled = 1, totp_last_step = ? WHERE id = ?");
  u.bind(1, step);
  u.bind(2, user.str());
  u.exec();
}

bool AdvanceTotpStep(Db& db, const util::UserId& user, int64_t step) {
  SQLite::Statement u(db,
                      "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?");
  u.bind(1, step);
  u.bind(2, user.str());
  u.bind(3, step);
  return u.exec() == 1;
}

bool DisableTotp(Db& db, const util::UserId& user) {
  SQLite::Statement u(db,
                      "UPDATE users SET totp_enabled = 0, totp_secret_sealed = NULL, "
                      "totp_last_step = 0 WHERE id = ? AND totp_enabled = 1");
  u.bind(1, user.str());
  return u.exec() != 0;
}

void ClearTotp(Db& db, const util::UserId& user) {
  SQLite::Statement u(db,
                      "UPDATE users SET totp_enabled = 0, totp_secret_sealed = NULL, "
                      "totp_last_step = 0 WHERE id = ?");
  u.bind(1, user.str());
  u.exec();
}

bool InsertRecoveryCode(Db& db, const util::UserId& user, std::span<const uint8_t> code_hash,
                        int64_t now) {
  SQLite::Statement ins(db,
                        "INSERT OR IGNORE INTO recovery_codes(user_id, code_hash, created_at) "
                        "VALUES (?,?,?)");
  ins.bind(1, user.str());
  BindBlob(ins, 2, code_hash);
  ins.bind(3, now);
  return ins.exec() == 1;
}

bool UseRecoveryCode(Db& db, const util::UserId& user, std::span<const uint8_t> code_hash) {
  SQLite::Statement d(db, "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?");
  d.bind(1, user.str());
  BindBlob(d, 2, code_hash);
  return d.exec() != 0;
}

int CountRecoveryCodes(Db& db, const util::UserId& user) {
  SQLite::Statement q(db, "SELECT count(*) FROM recovery_codes WHERE user_id = ?");
  q.bind(1, user.str());
  q.executeStep();
  return q.getColumn(0).getInt();
}

int DeleteRecoveryCodes(Db& db, const util::UserId& user) {
  SQLite::Statement d(db, "DELETE FROM recovery_codes WHERE user_id = ?");
  d.bind(1, user.str());
  return d.exec();
}

}  // namespace bomvault::store
