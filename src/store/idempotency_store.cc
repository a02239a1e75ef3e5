#include "store/idempotency_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::optional<IdempotencyRow> FindIdempotencyKey(Db& db, const crypto::Bytes& key_hash) {
  SQLite::Statement q(db,
                      "SELECT request_hash, state, response_sealed, expires_at FROM "
                      "idempotency_keys WHERE key_hash = ?");
  q.bind(1, key_hash.data(), static_cast<int>(key_hash.size()));
  if (!q.executeStep()) return std::nullopt;
  IdempotencyRow row;
  row.request_hash = Copy(q.getColumn(0));
  row.done = q.getColumn(1).getString() == "done";
  if (!q.getColumn(2).isNull()) row.response = Copy(q.getColumn(2));
  row.expires_at = q.getColumn(3).getInt64();
  return row;
}

void InsertIdempotencyKey(Db& db, const crypto::Bytes& key_hash, const util::OrgId& org,
                          const util::UserId& user, const crypto::Bytes& request_hash, int64_t now,
                          int64_t expires_at) {
  SQLite::Statement q(db,
                      "INSERT INTO idempotency_keys(key_hash, org_id, user_id, request_hash, "
                      "state, created_at, expires_at) VALUES (?, ?, ?, ?, 'running', ?, ?)");
  q.bind(1, key_hash.data(), static_cast<int>(key_hash.size()));
  q.bind(2, org.str());
  q.bind(3, user.str());
  q.bind(4, request_hash.data(), static_cast<int>(request_hash.size()));
  q.bind(5, now);
  q.bind(6, expires_at);
  q.exec();
}

void FinishIdempotencyKey(Db& db, const crypto::Bytes& key_hash, const crypto::Bytes& response) {
  SQLite::Statement q(db,
                      "UPDATE idempotency_keys SET state = 'done', response_sealed = ? WHERE "
                      "key_hash = ?");
  q.bind(1, response.data(), static_cast<int>(response.size()));
  q.bind(2, key_hash.data(), static_cast<int>(key_hash.size()));
  q.exec();
}

void DeleteIdempotencyKey(Db& db, const crypto::Bytes& key_hash) {
  SQLite::Statement q(db, "DELETE FROM idempotency_keys WHERE key_hash = ?");
  q.bind(1, key_hash.data(), static_cast<int>(key_hash.size()));
  q.exec();
}

int DeleteExpiredIdempotencyKeys(Db& db, int64_t now) {
  SQLite::Statement q(db, "DELETE FROM idempotency_keys WHERE expires_at <= ?");
  q.bind(1, now);
  return q.exec();
}

}  // namespace bomvault::store
