// Backups that keep the deletion promise: consistent encrypted snapshots of the store in a backup
// directory, plus one small key file there that deleting an organisation rewrites.
//
// A backup directory DEST holds
//   DEST/snapshots/bomvault-<UTC time>-<random>.db   one SQLCipher file per backup, same db key,
//                                                   WITHOUT the org_keys rows (store/snapshot.h)
//   DEST/keys.json                                  the keyring (sealed under the root key) and
//                                                   every live org's wrapped data key
// A snapshot alone opens at the SQLite level with the shares, but every BOM, name, e-mail address
// and audit change in it is sealed under an org data key that only keys.json carries. keys.json is
// rewritten (temp file, fsync, rename) from the live store after every backup, after every org
// deletion and after every rekey, always from the org_keys rows alive at that moment, so an org
// deleted after a snapshot was taken is unreadable from that snapshot and from every other one in
// the directory, while every other org restores intact. Every directory the server ever wrote to
// is remembered (table backup_targets); one it cannot reach when an org is deleted is marked
// keys_pending and retried every minute (docs/design.md "How deletion reaches backups").
//
// A backup: copy (online backup API, one read snapshot), full `check` of the copy while it still
// has its org keys, Detach (drop org_keys, VACUUM, integrity checks), fsync, keys.json, rename to
// its final name, fsync of the directory, retention, audit entry. A crash at any point leaves the
// previous snapshots and keys.json as they were plus at most one ".partial-*" file, removed by the
// next run. A write, fsync or rename that fails in the backup directory (full or failing disk)
// answers 503 backup_failed, leaves no new snapshot, no partial file and no temporary key file,
// and never seals the vault: only a fault of the store itself does (tests/integration/
// test_faults.py). Retention: snapshots older than min(retention_days, the shortest purge window of
// any org) are deleted, so purged BOMs do not outlive the policy in a backup.
//
// Restore (offline, no key needed): copies a snapshot into an empty data directory, writes the
// keyring from keys.json and the wrapped org keys to DIR/restore-keys.json. At the first unseal
// (or `check`) ApplyPendingRestore puts those keys back into org_keys and deletes every org whose
// key is gone (its rows are unreadable anyway), then removes the file.
//
// Thread-safety: Backups is one of the Services; Run and RefreshKeyFiles serialise on one
// process-wide mutex, so a deletion never races a backup's key file.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "crypto/secure_buffer.h"
#include "store/database.h"
#include "util/status.h"
#include "vault/keyring.h"

namespace bomvault::service {

class Monitor;  // service/monitor.h

struct BackupReport {
  std::string snapshot;  // file name inside DEST/snapshots
  int64_t bytes = 0;
  int64_t orgs = 0, users = 0, boms = 0, items = 0, attachments = 0;
  int64_t expired = 0;  // old snapshots removed by retention
  int64_t millis = 0;
  int64_t at = 0;
};

struct BackupTarget {
  std::string path;
  int64_t last_success_at = 0;
  std::string last_snapshot;
  bool keys_pending = false;
};

// Snapshot file names are "bomvault-YYYYMMDDTHHMMSSZ-xxxxxxxx.db"; these parse and make them.
std::string SnapshotName(int64_t at_unix, const std::string& random_hex);
// Seconds since the epoch, or -1 if `name` is not a snapshot name.
int64_t SnapshotTime(const std::string& name);
// Which of `names` retention removes at `now`: those older than retention_seconds. Pure.
std::vector<std::string> ExpiredSnapshots(const std::vector<std::string>& names, int64_t now,
                                          int64_t retention_seconds);

class Backups {
 public:
  Backups(store::Database& db, std::string data_dir, const crypto::SecureBuffer& db_key,
          const crypto::SecureBuffer& data_master, int retention_days, Monitor* monitor = nullptr)
      : db_(db),
        data_dir_(std::move(data_dir)),
        db_key_(db_key.Clone()),
        data_master_(data_master.Clone()),
        retention_days_(retention_days),
        monitor_(monitor) {}

  // Operator (or the scheduler with a system principal): writes one verified snapshot to `dest`
  // (an absolute path outside the data directory; created 0700 if its parent exists).
  // actor nullptr = the scheduler.
  util::Result<BackupReport> Run(const access::Principal* actor, const std::string& dest,
                                 const char* trigger);
  // Rewrites keys.json in every known backup directory from the live org keys; directories it
  // cannot write stay keys_pending. Returns how many are still pending.
  int RefreshKeyFiles();
  // For each backup directory: the time of its oldest snapshot (INT64_MAX if it holds none), or
  // nullopt if the directory cannot be read (an unmounted disk may hold old snapshots).
  std::vector<std::optional<int64_t>> OldestSnapshots();
  util::Result<std::vector<BackupTarget>> Targets(const access::Principal& actor);
  // Unix time of the newest verified snapshot in any directory, 0 if none.
  int64_t LastSuccess();
  // This store's id (hex), as in the keyring file.
  std::string StoreId() const;
  // True while some directory's key file still holds a deleted org's key (retried each tick).
  bool KeysPending() const { return pending_.load() > 0; }

 private:
  util::Status WriteKeyFile(const std::string& dest);  // mu_ held
  util::Result<BackupReport> RunLocked(const std::string& dest);

  store::Database& db_;
  std::string data_dir_;
  crypto::SecureBuffer db_key_;
  crypto::SecureBuffer data_master_;
  int retention_days_;
  Monitor* monitor_;  // may be null (offline use)
  std::atomic<int> pending_{0};
  static std::mutex mu_;
};

struct RestoreReport {
  std::string snapshot;
  int64_t bytes = 0;
  int64_t org_keys = 0;
};

// `bomvault restore`: from a backup directory into an empty (or missing) data directory.
// `snapshot` empty = the newest one.
util::Result<RestoreReport> RestoreBackup(const std::string& from, const std::string& data_dir,
                                          const std::string& snapshot);

// If DIR/restore-keys.json exists: puts its org keys into org_keys, deletes the orgs whose key is
// gone, audits it and removes the file. Called right after the store opens with the keys.
util::Status ApplyPendingRestore(store::Database& db, const std::string& data_dir);

std::string KeyFilePath(const std::string& dest);
std::string RestoreKeysPath(const std::string& data_dir);

}  // namespace bomvault::service
