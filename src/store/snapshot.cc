#include "store/snapshot.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "store/database.h"
#include "util/log.h"

namespace bomvault::store {

using util::Status;

namespace {

// Pages per backup step: 1,024 pages of 4 KiB is 4 MiB of copying between checks for errors.
constexpr int kStepPages = 1024;

std::unique_ptr<Db> OpenKeyed(const std::string& path, int flags, const crypto::SecureBuffer& key,
                              Status* st) {
  auto db = std::make_unique<Db>(path, flags | SQLITE_OPEN_NOMUTEX);
  *st = KeyConnection(*db, key);
  return db;
}

}  // namespace

bool SyncPath(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

Status CopyLive(const std::string& src, const std::string& dst, const crypto::SecureBuffer& key) {
  if (::access(dst.c_str(), F_OK) == 0) return Status::Internal("the copy's file already exists");
  Status st;
  try {
    auto from = OpenKeyed(src, SQLite::OPEN_READONLY, key, &st);
    if (!st.ok()) return st;
    // One read transaction over the whole copy pins one committed state of the WAL.
    from->exec("BEGIN");
    from->exec("SELECT count(*) FROM sqlite_master");
    auto to = OpenKeyed(dst, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, key, &st);
    if (!st.ok()) return st;
    sqlite3_backup* b = sqlite3_backup_init(to->getHandle(), "main", from->getHandle(), "main");
    if (b == nullptr) {
      ::unlink(dst.c_str());
      return Status::Internal("the backup could not start");
    }
    int rc = SQLITE_OK;
    while ((rc = sqlite3_backup_step(b, kStepPages)) == SQLITE_OK) {
    }
    int finish = sqlite3_backup_finish(b);
    from->exec("COMMIT");
    if (rc != SQLITE_DONE || finish != SQLITE_OK) {
      util::log::Error("backup.copy_failed").Num("sqlite_code", rc);
      to.reset();
      ::unlink(dst.c_str());
      return Status::Internal("the store could not be copied");
    }
  } catch (const SQLite::Exception& e) {
    util::log::Error("backup.copy_failed").Num("sqlite_code", e.getExtendedErrorCode());
    ::unlink(dst.c_str());
    ::unlink((dst + "-journal").c_str());
    return Status::Internal("the store could not be copied");
  }
  return Status::Ok();
}

Status Detach(const std::string& path, const crypto::SecureBuffer& key,
              std::vector<std::string>* problems) {
  Status st;
  try {
    auto db = OpenKeyed(path, SQLite::OPEN_READWRITE, key, &st);
    if (!st.ok()) return st;
    db->exec("PRAGMA secure_delete = ON");
    db->exec("PRAGMA journal_mode = DELETE");
    db->exec("DELETE FROM org_keys");
    db->exec("DELETE FROM org_keys_retired");
    db->exec("VACUUM");
    {
      SQLite::Statement q(*db,
                          "SELECT (SELECT count(*) FROM org_keys) + "
                          "(SELECT count(*) FROM org_keys_retired)");
      if (q.executeStep() && q.getColumn(0).getInt64() != 0)
        problems->push_back("org keys remain in the snapshot");
    }
    {
      SQLite::Statement q(*db, "PRAGMA integrity_check");
      while (q.executeStep()) {
        std::string r = q.getColumn(0).getString();
        if (r != "ok") problems->push_back("integrity_check: " + r.substr(0, 200));
      }
    }
    {
      SQLite::Statement q(*db, "PRAGMA cipher_integrity_check");
      while (q.executeStep()) problems->push_back("cipher_integrity_check: page HMAC mismatch");
    }
    {
      SQLite::Statement q(*db, "PRAGMA foreign_key_check");
      while (q.executeStep()) problems->push_back("foreign_key_check: dangling reference");
    }
  } catch (const SQLite::Exception& e) {
    util::log::Error("backup.detach_failed").Num("sqlite_code", e.getExtendedErrorCode());
    return Status::Internal("the snapshot could not be finished");
  }
  if (!LooksLikePlainSqlite(path) && ::access((path + "-wal").c_str(), F_OK) != 0) {
    return Status::Ok();
  }
  problems->push_back("the snapshot is not a single encrypted file");
  return Status::Ok();
}

}  // namespace bomvault::store
