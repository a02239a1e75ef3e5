#include "store/database.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "crypto/crypto.h"
#include "util/embedded.h"
#include "util/log.h"

namespace bomvault::store {
namespace {

using util::Status;

bool IsFatal(int code) {
  int primary = code & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_IOERR ||
         primary == SQLITE_FULL || primary == SQLITE_CANTOPEN;
}

}  // namespace

Status KeyConnection(Db& db, const crypto::SecureBuffer& key) {
  // "x'<64 hex>'" selects a raw key: no PBKDF2 per connection. The text lives in locked memory.
  const crypto::SecureBuffer hex = crypto::ToHexSecret(key.span());
  crypto::SecureBuffer text(3 + hex.size());
  char* p = reinterpret_cast<char*>(text.data());
  p[0] = 'x';
  p[1] = '\'';
  std::memcpy(p + 2, hex.data(), hex.size());
  p[2 + hex.size()] = '\'';
  int rc = sqlite3_key(db.getHandle(), p, static_cast<int>(text.size()));
  if (rc != SQLITE_OK) return Status::Internal("the database could not be keyed");
  return Status::Ok();
}

namespace {

Status ConfigureConnection(Db& db, const crypto::SecureBuffer& key) {
  Status st = KeyConnection(db, key);
  if (!st.ok()) return st;
  std::string cipher;
  {
    SQLite::Statement q(db, "PRAGMA cipher_version");
    if (q.executeStep()) cipher = q.getColumn(0).getString();
  }
  if (cipher.empty()) {
    return Status(util::Code::kInternal, "no_cipher",
                  "this build's SQLite has no encryption (PRAGMA cipher_version is empty); "
                  "refusing to store data in plaintext");
  }
  // Reading the schema proves the key is right (a wrong key fails with SQLITE_NOTADB here).
  db.exec("SELECT count(*) FROM sqlite_master");
  db.exec("PRAGMA journal_mode = WAL");
  // NORMAL in WAL mode: a commit survives a process crash; an OS crash or power cut may lose
  // the last transactions but never corrupts the file. FULL fsyncs every commit and measured
  // several times slower for small writes (bench/README.md).
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA secure_delete = ON");
  db.exec("PRAGMA busy_timeout = 10000");
  db.exec("PRAGMA temp_store = MEMORY");
  return Status::Ok();
}

Status Migrate(Db& db, int* version_out) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  // Every migration not yet recorded runs, not only those above the highest: numbers are
  // reserved ahead and may land out of order, and a store made in between must still get the
  // lower ones.
  std::set<int> applied;
  {
    SQLite::Statement q(db, "SELECT version FROM schema_version");
    while (q.executeStep()) applied.insert(q.getColumn(0).getInt());
  }
  int current = applied.empty() ? 0 : *applied.rbegin();
  std::vector<const util::EmbeddedFile*> files;
  for (const util::EmbeddedFile* f = util::kSchemaFiles; f->path != nullptr; ++f) {
    files.push_back(f);
  }
  std::sort(files.begin(), files.end(),
            [](auto* a, auto* b) { return std::strcmp(a->path, b->path) < 0; });
  int latest = current;
  int ran = 0;
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  for (const util::EmbeddedFile* f : files) {
    int number = std::atoi(f->path + 1);  // "/0001_init.sql"
    if (applied.count(number) != 0) continue;
    db.exec(std::string(f->view()));
    SQLite::Statement ins(db, "INSERT INTO schema_version(version) VALUES (?)");
    ins.bind(1, number);
    ins.exec();
    latest = std::max(latest, number);
    ++ran;
  }
  tx.commit();
  if (ran > 0) {
    util::log::Info("store.migrated").Num("from", current).Num("to", latest).Num("ran", ran);
  }
  *version_out = latest;
  return Status::Ok();
}

}  // namespace

bool LooksLikePlainSqlite(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char head[16] = {};
  size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  return n == 16 && std::memcmp(head, "SQLite format 3", 16) == 0;
}

util::Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                       const crypto::SecureBuffer& key,
                                                       int readers) {
  std::unique_ptr<Database> d(new Database());
  try {
    const int flags = SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    d->writer_ = std::make_unique<Db>(path, flags);
    Status st = ConfigureConnection(*d->writer_, key);
    if (!st.ok()) return st;
    st = Migrate(*d->writer_, &d->schema_version_);
    if (!st.ok()) return st;
    d->statements_[d->writer_.get()];
    for (int i = 0; i < readers; ++i) {
      auto r = std::make_unique<Db>(path, SQLite::OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
      st = ConfigureConnection(*r, key);
      if (!st.ok()) return st;
      d->idle_readers_.push_back(r.get());
      d->statements_[r.get()];
      d->all_readers_.push_back(std::move(r));
    }
  } catch (const SQLite::Exception& e) {
    util::log::Error("store.open_failed").Num("sqlite_code", e.getExtendedErrorCode());
    int primary = e.getErrorCode() & 0xff;
    if (primary == SQLITE_NOTADB) {
      return Status(util::Code::kInternal, "store_key",
                    "the database could not be opened with this key");
    }
    if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
      // The disk is full or failing (opening writes: WAL recovery, migrations). The vault stays
      // sealed and takes the shares again once the fault is gone.
      return Status(util::Code::kUnavailable, "storage_fault",
                    "the store could not be read or written; the vault stays sealed");
    }
    return Status(util::Code::kInternal, "store_open", "the database could not be opened");
  }
  return d;
}

Database::~Database() {
  statements_.clear();  // statements finalize before their connections close
}

SQLite::Statement& Database::Prepared(Db& conn, const char* sql) {
  StatementCache& cache = statements_.at(&conn);
  auto it = cache.find(sql);
  if (it == cache.end()) {
    it = cache.emplace(sql, std::make_unique<SQLite::Statement>(conn, sql)).first;
  } else {
    it->second->reset();
    it->second->clearBindings();
  }
  return *it->second;
}

Status Database::Guard(const std::function<Status()>& body) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    int code = e.getExtendedErrorCode();
    util::log::Error("store.error").Num("sqlite_code", code);
    if (IsFatal(code)) {
      if (on_fatal_) on_fatal_();
      // The disk, not the request, is at fault: 503 with a JSON error, never a 500. The vault
      // has sealed itself (the fatal handler), so a retry needs the key holders first.
      return Status(util::Code::kUnavailable, "storage_fault",
                    "the store could not be read or written; the vault sealed itself to protect "
                    "the data");
    }
    if ((code & 0xff) == SQLITE_CONSTRAINT) {
      return Status::Conflict("conflict", "this conflicts with existing data");
    }
    return Status::Internal("a storage error occurred");
  }
}

Status Database::Write(const std::function<Status(Db&)>& fn) {
  std::lock_guard lock(write_mu_);
  return Guard([&]() -> Status {
    SQLite::Transaction tx(*writer_, SQLite::TransactionBehavior::IMMEDIATE);
    Status st = fn(*writer_);
    for (auto& [sql, stmt] : statements_.at(writer_.get())) stmt->reset();
    if (st.ok()) tx.commit();  // otherwise ~Transaction rolls back
    return st;
  });
}

Status Database::Read(const std::function<Status(Db&)>& fn) { return ReadImpl(fn, true); }
Status Database::ReadOne(const std::function<Status(Db&)>& fn) { return ReadImpl(fn, false); }

Status Database::ReadImpl(const std::function<Status(Db&)>& fn, bool snapshot) {
  Db* conn = nullptr;
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !idle_readers_.empty(); });
    conn = idle_readers_.back();
    idle_readers_.pop_back();
  }
  Status st = Guard([&]() -> Status {
    if (snapshot) Prepared(*conn, "BEGIN").exec();
    Status inner;
    try {
      inner = fn(*conn);
    } catch (...) {
      if (snapshot) conn->exec("ROLLBACK");
      throw;
    }
    // A cached statement left mid-step would keep the read transaction open.
    for (auto& [sql, stmt] : statements_.at(conn)) stmt->reset();
    if (snapshot) Prepared(*conn, "COMMIT").exec();
    return inner;
  });
  {
    std::lock_guard lock(pool_mu_);
    idle_readers_.push_back(conn);
  }
  pool_cv_.notify_one();
  return st;
}

Status Database::Ping() {
  return ReadOne([](Db& conn) -> Status {
    conn.exec("SELECT 1");
    return Status::Ok();
  });
}

Status Database::CheckpointTruncate() {
  std::lock_guard lock(write_mu_);
  return Guard([&]() -> Status {
    writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return Status::Ok();
  });
}

Status Database::IntegrityCheck(std::vector<std::string>* problems) {
  std::lock_guard lock(write_mu_);
  return Guard([&]() -> Status {
    {
      SQLite::Statement q(*writer_, "PRAGMA integrity_check");
      while (q.executeStep()) {
        std::string r = q.getColumn(0).getString();
        if (r != "ok") problems->push_back("integrity_check: " + r.substr(0, 200));
      }
    }
    {
      SQLite::Statement q(*writer_, "PRAGMA cipher_integrity_check");
      while (q.executeStep()) problems->push_back("cipher_integrity_check: page HMAC mismatch");
    }
    {
      SQLite::Statement q(*writer_, "PRAGMA foreign_key_check");
      while (q.executeStep()) {
        problems->push_back("foreign_key_check: dangling reference in " +
                            q.getColumn(0).getString());
      }
    }
    return Status::Ok();
  });
}

}  // namespace bomvault::store
