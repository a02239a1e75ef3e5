// The backup_targets rows (every directory this store has written a backup to) and the org key
// rows a backup's key file copies and a restore puts back.
//
// Keys are moved as the wrapped bytes the store holds (service/backups.h writes them to the key
// file, still wrapped under the data master). Every function runs on the caller's connection
// inside the caller's transaction (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct BackupTargetRow {
  std::string path;
  int64_t last_success_at = 0;
  std::string last_snapshot;
  bool keys_pending = false;
};

// Every target, by path.
std::vector<BackupTargetRow> BackupTargets(Db& db);
std::vector<std::string> BackupTargetPaths(Db& db);
// A verified snapshot was written to `path` at `at`, with its key file.
void RecordBackupSuccess(Db& db, const std::string& path, int64_t at, const std::string& snapshot);
// The key file of `path` was rewritten at `now` (written), or could not be (still pending).
void SetBackupKeysWritten(Db& db, const std::string& path, bool written, int64_t now);
// The newest success over all targets (0: none), and how many targets wait for their key file.
int64_t LastBackupSuccess(Db& db);
int BackupTargetsKeysPending(Db& db);

// An org's key row with its retired keys (newest first), as a key file holds it.
struct OrgKeyFileRow {
  util::OrgId org;
  crypto::Bytes wrapped;
  int64_t created_at = 0;
  std::optional<crypto::Bytes> wrapped_index;
  std::vector<crypto::Bytes> retired;
};
// Every org's key row, by org id.
std::vector<OrgKeyFileRow> AllOrgKeyRows(Db& db);
// Puts back an org's key row as a key file holds it (replacing the one there).
void ReplaceOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t created_at,
                   const std::optional<crypto::Bytes>& wrapped_index);

}  // namespace bomvault::store
