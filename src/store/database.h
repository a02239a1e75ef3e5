// The encrypted store: one SQLCipher 4 file (DIR/bomvault.db) behind one writer connection and a
// small pool of reader connections.
//
// Open() keys every connection with the raw 256-bit database key (sqlite3_key with the x'..'
// form, so no passphrase KDF runs) before any other statement, refuses to continue unless
// `PRAGMA cipher_version` answers (a build linked against plain SQLite would silently write
// plaintext), then sets WAL, synchronous=NORMAL, foreign_keys, secure_delete, and applies the
// embedded migrations in one transaction.
//
// Write() serialises writers on a mutex and runs the callback in BEGIN IMMEDIATE ... COMMIT;
// the callback's non-ok Status (or an exception) rolls back. Read() borrows a reader and runs the
// callback in a read transaction, so it sees one snapshot. A storage fault that means the file
// is damaged or the disk is gone (corrupt, not-a-db, I/O error, full) calls the fatal handler,
// which the app uses to seal. Thread-safe.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/secure_buffer.h"
#include "util/status.h"

namespace bomvault::store {

using Db = SQLite::Database;

class Database {
 public:
  static util::Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                      const crypto::SecureBuffer& key, int readers);
  ~Database();

  util::Status Write(const std::function<util::Status(Db&)>& fn);
  util::Status Read(const std::function<util::Status(Db&)>& fn);
  // For a callback that runs a single statement: the statement is its own snapshot, so the
  // BEGIN/COMMIT pair (two more round trips through SQLite per request) is skipped.
  util::Status ReadOne(const std::function<util::Status(Db&)>& fn);

  // A prepared statement kept for the life of `conn` (hot paths: preparing is ~13% of a small
  // GET). `sql` must be a string literal: the cache is keyed by its address. The statement comes
  // back reset with its bindings cleared. Only inside Read/Write on the connection given there.
  SQLite::Statement& Prepared(Db& conn, const char* sql);

  // Folds the WAL into the main file and truncates it, so deleted content does not linger there.
  util::Status CheckpointTruncate();
  // One trivial statement on a reader: ok when the store answers (the readiness probe).
  util::Status Ping();
  void SetFatalHandler(std::function<void()> handler) { on_fatal_ = std::move(handler); }
  int schema_version() const { return schema_version_; }

  // Full offline check: SQLite integrity, SQLCipher page HMACs, foreign keys.
  util::Status IntegrityCheck(std::vector<std::string>* problems);

 private:
  Database() = default;
  util::Status ReadImpl(const std::function<util::Status(Db&)>& fn, bool snapshot);
  util::Status Guard(const std::function<util::Status()>& body);

  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Db*> idle_readers_;  // borrowed from all_readers_
  std::vector<std::unique_ptr<Db>> all_readers_;
  std::function<void()> on_fatal_;
  int schema_version_ = 0;
  // Per-connection statement caches; the outer map is filled at Open and never changes, and each
  // inner map is touched only by the thread that holds that connection.
  using StatementCache = std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>>;
  std::unordered_map<const Db*, StatementCache> statements_;
};

// Keys a fresh connection with the raw 256-bit key (the x'..' form: no KDF). First statement.
util::Status KeyConnection(Db& db, const crypto::SecureBuffer& key);

// True if `path` starts with the plaintext SQLite header (it must never, for our files).
bool LooksLikePlainSqlite(const std::string& path);

}  // namespace bomvault::store
