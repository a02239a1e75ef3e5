#include "store/backups_store.h"

#include "store/org_keys_store.h"
#include "store/rows.h"

namespace bomvault::store {

std::vector<BackupTargetRow> BackupTargets(Db& db) {
  std::vector<BackupTargetRow> out;
  SQLite::Statement q(db,
                      "SELECT path, last_success_at, last_snapshot, keys_pending FROM "
                      "backup_targets ORDER BY path");
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                   q.getColumn(2).getString(), q.getColumn(3).getInt() != 0});
  }
  return out;
}

std::vector<std::string> BackupTargetPaths(Db& db) {
  std::vector<std::string> out;
  SQLite::Statement q(db, "SELECT path FROM backup_targets ORDER BY path");
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

void RecordBackupSuccess(Db& db, const std::string& path, int64_t at, const std::string& snapshot) {
  SQLite::Statement u(db,
                      "INSERT INTO backup_targets(path, added_at, last_success_at, "
                      "last_snapshot, keys_written_at, keys_pending) VALUES (?1, ?2, ?2, ?3, ?2, "
                      "0) ON CONFLICT(path) DO UPDATE SET last_success_at = ?2, "
                      "last_snapshot = ?3, keys_written_at = ?2, keys_pending = 0");
  u.bind(1, path);
  u.bind(2, at);
  u.bind(3, snapshot);
  u.exec();
}

void SetBackupKeysWritten(Db& db, const std::string& path, bool written, int64_t now) {
  SQLite::Statement u(db, written ? "UPDATE backup_targets SET keys_pending = 0, "
                                    "keys_written_at = ?1 WHERE path = ?2"
                                  : "UPDATE backup_targets SET keys_pending = 1 WHERE path = ?2");
  if (written) u.bind(1, now);
  u.bind(2, path);
  u.exec();
}

int64_t LastBackupSuccess(Db& db) {
  SQLite::Statement q(db, "SELECT coalesce(max(last_success_at), 0) FROM backup_targets");
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

int BackupTargetsKeysPending(Db& db) {
  SQLite::Statement q(db, "SELECT count(*) FROM backup_targets WHERE keys_pending = 1");
  return q.executeStep() ? q.getColumn(0).getInt() : 0;
}

std::vector<OrgKeyFileRow> AllOrgKeyRows(Db& db) {
  std::vector<OrgKeyFileRow> rows;
  SQLite::Statement q(db,
                      "SELECT org_id, wrapped_key, created_at, wrapped_index_key FROM org_keys "
                      "ORDER BY org_id");
  while (q.executeStep()) {
    auto org = util::OrgId::FromTrusted(q.getColumn(0).getString());
    rows.push_back({org, Copy(q.getColumn(1)), q.getColumn(2).getInt64(),
                    CopyOrNull(q.getColumn(3)), RetiredOrgKeys(db, org)});
  }
  return rows;
}

void ReplaceOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t created_at,
                   const std::optional<crypto::Bytes>& wrapped_index) {
  SQLite::Statement ins(db,
                        "INSERT OR REPLACE INTO org_keys(org_id, wrapped_key, created_at, "
                        "wrapped_index_key) VALUES (?, ?, ?, ?)");
  ins.bind(1, org.str());
  BindBlob(ins, 2, wrapped);
  ins.bind(3, created_at);
  BindBlobOrNull(ins, 4, wrapped_index);
  ins.exec();
}

}  // namespace bomvault::store
