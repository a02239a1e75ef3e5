#include "store/instance_store.h"

#include "store/rows.h"

namespace bomvault::store {

void InsertInstance(Db& db, const std::string& store_id_hex, const crypto::Bytes& operator_hash,
                    int64_t now) {
  SQLite::Statement ins(db,
                        "INSERT INTO instance(id, store_id, operator_token_hash, created_at) "
                        "VALUES (1, ?, ?, ?)");
  ins.bind(1, store_id_hex);
  BindBlob(ins, 2, operator_hash);
  ins.bind(3, now);
  ins.exec();
}

std::optional<crypto::Bytes> OperatorTokenHash(Db& db) {
  SQLite::Statement q(db, "SELECT operator_token_hash FROM instance WHERE id = 1");
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

StoreCounts CountStore(Db& db) {
  SQLite::Statement q(db,
                      "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM key_rotations), "
                      "(SELECT count(*) FROM org_keys_retired)");
  StoreCounts c;
  if (q.executeStep()) {
    c.users = q.getColumn(0).getInt64();
    c.key_rotations = q.getColumn(1).getInt64();
    c.retired_org_keys = q.getColumn(2).getInt64();
  }
  return c;
}

}  // namespace bomvault::store
