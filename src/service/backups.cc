#include "service/backups.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "codec/backup_keys.h"
#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/instance.h"
#include "service/monitor.h"
#include "service/orgs.h"
#include "store/backups_store.h"
#include "store/org_keys_store.h"
#include "store/orgs_store.h"
#include "store/snapshot.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using util::Code;
using util::Status;

std::mutex Backups::mu_;

namespace {

constexpr const char* kSnapshotDir = "/snapshots";
constexpr const char* kPartialPrefix = ".partial-";

Status Unwritable() {
  return Status::Unprocessable("backup_dir_unwritable",
                               "the backup directory cannot be written by the server");
}

// A write, fsync or rename in the backup directory failed (full disk, I/O error) after the
// directory passed its checks. The vault is not at fault and stays open; the store itself is
// untouched. Never the store's "storage_fault", whose message says the vault sealed.
Status WriteFailed() {
  return Status(Code::kUnavailable, "backup_failed",
                "the backup could not be written to the backup directory (its disk is full or "
                "failing); the previous backups are untouched");
}

// The copy's own errors (open, check, detach) as a backup failure; a problem the check found
// keeps its own status.
Status CopyFault(const Status& st) {
  if (st.ok() || st.code() == Code::kUnavailable || st.code() == Code::kInternal) {
    return WriteFailed();
  }
  return st;
}

bool IsDir(const std::string& p) {
  struct stat sb {};
  return ::stat(p.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode);
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Canonical(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) != nullptr ? std::string(buf) : std::string();
}

// Writes `text` to `path` atomically: temp file (0600), fsync, rename, fsync of the directory.
bool WriteAtomically(const std::string& dir, const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok =
      ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return store::SyncPath(dir, true);
}

std::optional<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An org's keys as the key file keeps them (codec/backup_keys.h) and as the store does.
using OrgKeyRow = store::OrgKeyFileRow;

std::vector<codec::OrgKeyEntry> OrgKeyEntries(std::vector<OrgKeyRow> rows) {
  std::vector<codec::OrgKeyEntry> out;
  out.reserve(rows.size());
  for (OrgKeyRow& r : rows) {
    out.push_back({std::move(r.org), std::move(r.wrapped), r.created_at, std::move(r.wrapped_index),
                   std::move(r.retired)});
  }
  return out;
}

std::string KeyFileText(const vault::KeyringFile& kr, std::vector<OrgKeyRow> rows) {
  return codec::EncodeBackupKeyFile({kr, util::NowUnix(), OrgKeyEntries(std::move(rows))});
}

util::Result<codec::BackupKeyFile> ReadKeyFile(const std::string& dest) {
  auto text = ReadTextFile(KeyFilePath(dest));
  if (!text) {
    return Status::Invalid("backup_damaged",
                           "the backup directory's key file is missing or "
                           "damaged");
  }
  return codec::DecodeBackupKeyFile(*text);
}

// Copies a file with fsync; false (and nothing left at dst) on any failure.
bool CopyFile(const std::string& src, const std::string& dst, int64_t* bytes) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(in);
    return false;
  }
  std::vector<char> buf(1 << 20);
  bool ok = true;
  *bytes = 0;
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) ok = false;
    if (n <= 0) break;
    if (::write(out, buf.data(), static_cast<size_t>(n)) != n) {
      ok = false;
      break;
    }
    *bytes += n;
  }
  ok = ok && ::fsync(out) == 0;
  ::close(in);
  ::close(out);
  if (!ok) ::unlink(dst.c_str());
  return ok;
}

}  // namespace

std::string KeyFilePath(const std::string& dest) { return dest + "/keys.json"; }
std::string RestoreKeysPath(const std::string& data_dir) { return data_dir + "/restore-keys.json"; }

std::string SnapshotName(int64_t at_unix, const std::string& random_hex) {
  std::time_t t = static_cast<std::time_t>(at_unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return "bomvault-" + std::string(buf) + "-" + random_hex + ".db";
}

int64_t SnapshotTime(const std::string& name) {
  // bomvault-YYYYMMDDTHHMMSSZ-xxxxxxxx.db
  if (name.size() != 37 || name.rfind("bomvault-", 0) != 0 || name.compare(34, 3, ".db") != 0 ||
      name[17] != 'T' || name[24] != 'Z' || name[25] != '-') {
    return -1;
  }
  for (size_t i : {9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23}) {
    if (name[i] < '0' || name[i] > '9') return -1;
  }
  for (size_t i = 26; i < 34; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return -1;
  }
  auto num = [&](size_t at, size_t n) { return std::atoi(name.substr(at, n).c_str()); };
  std::tm tm{};
  tm.tm_year = num(9, 4) - 1900;
  tm.tm_mon = num(13, 2) - 1;
  tm.tm_mday = num(15, 2);
  tm.tm_hour = num(18, 2);
  tm.tm_min = num(20, 2);
  tm.tm_sec = num(22, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return -1;
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<std::string> ExpiredSnapshots(const std::vector<std::string>& names, int64_t now,
                                          int64_t retention_seconds) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    int64_t t = SnapshotTime(n);
    if (t >= 0 && now - t > retention_seconds) out.push_back(n);
  }
  return out;
}

Status Backups::WriteKeyFile(const std::string& dest) {
  auto kr = vault::ReadKeyringFile(data_dir_);
  if (!kr.ok()) return kr.status();
  std::vector<OrgKeyRow> rows;
  Status st = db_.Read([&](store::Db& conn) -> Status {
    rows = store::AllOrgKeyRows(conn);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!WriteAtomically(dest, KeyFilePath(dest), KeyFileText(kr.value(), std::move(rows)))) {
    return WriteFailed();
  }
  return Status::Ok();
}

std::vector<std::optional<int64_t>> Backups::OldestSnapshots() {
  std::vector<std::string> paths;
  (void)db_.Read([&](store::Db& conn) -> Status {
    paths = store::BackupTargetPaths(conn);
    return Status::Ok();
  });
  std::vector<std::optional<int64_t>> out;
  for (const auto& p : paths) {
    std::string snaps = p + kSnapshotDir;
    if (!IsDir(snaps)) {
      out.push_back(std::nullopt);
      continue;
    }
    int64_t oldest = std::numeric_limits<int64_t>::max();
    for (const auto& n : ListDir(snaps)) {
      if (n.rfind(kPartialPrefix, 0) == 0) oldest = 0;  // a copy in flight: unknown age
      int64_t t = SnapshotTime(n);
      if (t >= 0) oldest = std::min(oldest, t);
    }
    out.push_back(oldest);
  }
  return out;
}

int Backups::RefreshKeyFiles() {
  std::lock_guard lock(mu_);
  std::vector<std::string> paths;
  (void)db_.Read([&](store::Db& conn) -> Status {
    paths = store::BackupTargetPaths(conn);
    return Status::Ok();
  });
  int pending = 0;
  for (const auto& p : paths) {
    // A directory that is not there (an unmounted disk) is not created: it stays pending.
    bool ok = IsDir(p) && ::access(KeyFilePath(p).c_str(), F_OK) == 0 && WriteKeyFile(p).ok();
    if (!ok) ++pending;
    (void)db_.Write([&](store::Db& conn) -> Status {
      store::SetBackupKeysWritten(conn, p, ok, util::NowUnix());
      return Status::Ok();
    });
  }
  pending_.store(pending);
  util::log::Info("backup.key_files_refreshed")
      .Num("targets", static_cast<int64_t>(paths.size()))
      .Num("pending", pending);
  return pending;
}

util::Result<BackupReport> Backups::Run(const access::Principal* actor, const std::string& dest,
                                        const char* trigger) {
  if (actor != nullptr &&
      access::MayUse(*actor, access::Function::kBackup) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  std::lock_guard lock(mu_);
  auto r = RunLocked(dest);
  int64_t now = util::NowUnix();
  std::string who = actor != nullptr ? "operator" : "system";
  if (r.ok()) {
    if (monitor_ != nullptr) monitor_->NoteBackup(r->at, true);
    util::log::Info("backup.written")
        .Num("bytes", r->bytes)
        .Num("boms", r->boms)
        .Num("expired", r->expired)
        .Num("millis", r->millis);
  } else {
    if (monitor_ != nullptr) monitor_->NoteBackup(now, false);
    util::log::Error("backup.failed");
  }
  (void)db_.Write([&](store::Db& conn) -> Status {
    if (r.ok()) {
      RecordAudit(conn, nullptr,
                  {"instance",
                   who,
                   "backup.write",
                   {{"snapshot", r->snapshot},
                    {"bytes", r->bytes},
                    {"orgs", r->orgs},
                    {"boms", r->boms},
                    {"items", r->items},
                    {"attachments", r->attachments},
                    {"expired", r->expired},
                    {"trigger", trigger},
                    {"verified", true}}});
    } else {
      RecordAudit(conn, nullptr,
                  {"instance",
                   who,
                   "backup.failure",
                   {{"reason", r.status().machine_code()}, {"trigger", trigger}}});
    }
    return Status::Ok();
  });
  return r;
}

util::Result<BackupReport> Backups::RunLocked(const std::string& dest_in) {
  auto started = std::chrono::steady_clock::now();
  if (dest_in.empty() || dest_in[0] != '/' || dest_in.size() > 1024) {
    return Status::Invalid("invalid_backup_dir", "the backup directory must be an absolute path");
  }
  // The directory itself may not exist yet; its parent must.
  std::string dest = dest_in;
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  if (!IsDir(dest)) {
    size_t slash = dest.rfind('/');
    std::string parent = Canonical(slash == 0 ? "/" : dest.substr(0, slash));
    std::string base = dest.substr(slash + 1);
    if (parent.empty() || base.empty() || base == "." || base == "..") {
      return Status::Invalid("invalid_backup_dir", "the backup directory's parent does not exist");
    }
    if (::mkdir(dest.c_str(), 0700) != 0) return Unwritable();
  }
  dest = Canonical(dest);
  std::string data = Canonical(data_dir_);
  if (dest.empty() || data.empty()) return Unwritable();
  if (dest == data || dest.rfind(data + "/", 0) == 0 || data.rfind(dest + "/", 0) == 0 ||
      dest == "/") {
    return Status::Invalid("invalid_backup_dir",
                           "the backup directory must be outside the data directory");
  }
  // Only a directory that is empty or already holds this store's backups.
  for (const auto& e : ListDir(dest)) {
    if (e != "keys.json" && e != "keys.json.tmp" && e != "snapshots" && e != "lost+found") {
      return Status::Conflict("backup_dir_in_use",
                              "the backup directory holds other files; give an empty one");
    }
  }
  auto kr = vault::ReadKeyringFile(data_dir_);
  if (!kr.ok()) return kr.status();
  if (::access(KeyFilePath(dest).c_str(), F_OK) == 0) {
    auto existing = ReadKeyFile(dest);
    if (existing.ok() && existing->keyring.store_id != kr->store_id) {
      return Status::Conflict("backup_dir_in_use",
                              "the backup directory holds backups of another store");
    }
  }
  std::string snaps = dest + kSnapshotDir;
  if (!IsDir(snaps) && ::mkdir(snaps.c_str(), 0700) != 0) return Unwritable();
  for (const auto& e : ListDir(snaps)) {  // left by a crash during an earlier backup
    if (e.rfind(kPartialPrefix, 0) == 0) ::unlink((snaps + "/" + e).c_str());
  }
  BackupReport rep;
  rep.at = util::NowUnix();
  uint8_t rnd[4];
  crypto::FillRandom(rnd);
  std::string hex = crypto::ToHex(rnd);
  rep.snapshot = SnapshotName(rep.at, hex);
  std::string partial = snaps + "/" + kPartialPrefix + hex + ".db";
  auto discard = [&](Status why) {
    ::unlink(partial.c_str());
    ::unlink((partial + "-wal").c_str());
    ::unlink((partial + "-shm").c_str());
    ::unlink((partial + "-journal").c_str());
    return why;
  };
  Status st = store::CopyLive(DatabasePath(data_dir_), partial, db_key_);
  if (!st.ok()) return discard(WriteFailed());
  // Verify the copy the way `bomvault check` verifies a store, while it still has its keys.
  std::vector<std::string> problems;
  {
    auto copy = store::Database::Open(partial, db_key_, 1);
    if (!copy.ok()) return discard(CopyFault(copy.status()));
    CheckCounts counts;
    st = CheckOpenStore(*copy.value(), data_master_, &problems, &counts);
    if (!st.ok()) return discard(CopyFault(st));
    rep.orgs = counts.orgs;
    rep.users = counts.users;
    rep.boms = counts.boms;
    rep.items = counts.items;
    rep.attachments = counts.attachments;
  }
  if (problems.empty()) {
    st = store::Detach(partial, db_key_, &problems);
    if (!st.ok()) return discard(CopyFault(st));
  }
  if (!problems.empty()) {
    util::log::Error("backup.verify_failed").Num("problems", static_cast<int64_t>(problems.size()));
    return discard(Status(Code::kUnavailable, "backup_verify_failed",
                          "the copy failed its check; the previous backups are untouched"));
  }
  if (!store::SyncPath(partial)) return discard(WriteFailed());
  // The key file first: a crash before the rename leaves a key file that is only newer.
  st = WriteKeyFile(dest);
  if (!st.ok()) return discard(st);
  std::string final_path = snaps + "/" + rep.snapshot;
  if (::rename(partial.c_str(), final_path.c_str()) != 0) return discard(WriteFailed());
  if (!store::SyncPath(snaps, true)) {
    // The rename may or may not be on the disk: a backup that reports failure leaves no snapshot
    // behind that restore or retention would count, so the new name goes again.
    ::unlink(final_path.c_str());
    store::SyncPath(snaps, true);
    return discard(WriteFailed());
  }
  struct stat sb {};
  if (::stat(final_path.c_str(), &sb) == 0) rep.bytes = sb.st_size;

  // Retention: never longer than the shortest purge window of any org.
  int64_t days = retention_days_;
  (void)db_.Read([&](store::Db& conn) -> Status {
    for (const util::OrgId& org : store::OrgIds(conn)) {
      days = std::min<int64_t>(days, Orgs::LoadSettings(conn, org).purge_days);
    }
    return Status::Ok();
  });
  for (const auto& old : ExpiredSnapshots(ListDir(snaps), rep.at, days * 86400)) {
    if (old != rep.snapshot && ::unlink((snaps + "/" + old).c_str()) == 0) ++rep.expired;
  }
  if (rep.expired > 0) store::SyncPath(snaps, true);

  st = db_.Write([&](store::Db& conn) -> Status {
    store::RecordBackupSuccess(conn, dest, rep.at, rep.snapshot);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  rep.millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count();
  return rep;
}

util::Result<std::vector<BackupTarget>> Backups::Targets(const access::Principal& actor) {
  if (access::MayUse(actor, access::Function::kBackup) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  std::vector<BackupTarget> out;
  Status st = db_.Read([&](store::Db& conn) -> Status {
    for (store::BackupTargetRow& t : store::BackupTargets(conn)) {
      out.push_back(
          {std::move(t.path), t.last_success_at, std::move(t.last_snapshot), t.keys_pending});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

std::string Backups::StoreId() const {
  auto kr = vault::ReadKeyringFile(data_dir_);
  return kr.ok() ? vault::StoreIdHex(kr->store_id) : std::string();
}

int64_t Backups::LastSuccess() {
  int64_t last = 0;
  (void)db_.Read([&](store::Db& conn) -> Status {
    last = store::LastBackupSuccess(conn);
    pending_.store(store::BackupTargetsKeysPending(conn));
    return Status::Ok();
  });
  return last;
}

util::Result<RestoreReport> RestoreBackup(const std::string& from, const std::string& data_dir,
                                          const std::string& snapshot) {
  auto kf = ReadKeyFile(from);
  if (!kf.ok()) return kf.status();
  std::string snaps = from + kSnapshotDir;
  std::vector<std::string> names;
  for (const auto& n : ListDir(snaps)) {
    if (SnapshotTime(n) >= 0) names.push_back(n);
  }
  if (names.empty()) return Status::NotFound("the backup directory holds no snapshot");
  std::string chosen = names.back();  // names sort by time
  if (!snapshot.empty()) {
    if (std::find(names.begin(), names.end(), snapshot) == names.end()) {
      return Status::NotFound("no such snapshot in the backup directory");
    }
    chosen = snapshot;
  }
  if (IsDir(data_dir)) {
    if (!ListDir(data_dir).empty()) {
      return Status::Conflict("data_dir_not_empty", "restore only into an empty data directory");
    }
  } else if (::mkdir(data_dir.c_str(), 0700) != 0) {
    return Status::Invalid("data_dir", "the data directory could not be created");
  }
  ::chmod(data_dir.c_str(), 0700);
  RestoreReport rep;
  rep.snapshot = chosen;
  std::string db = DatabasePath(data_dir);
  if (!CopyFile(snaps + "/" + chosen, db + ".partial", &rep.bytes) ||
      ::rename((db + ".partial").c_str(), db.c_str()) != 0) {
    return Status::Invalid("restore_failed", "the snapshot could not be copied");
  }
  if (store::LooksLikePlainSqlite(db)) {
    ::unlink(db.c_str());
    return Status::Invalid("restore_failed", "the snapshot is not an encrypted bomvault store");
  }
  if (!WriteAtomically(data_dir, RestoreKeysPath(data_dir),
                       codec::EncodeRestoreKeyFile(kf->keyring.store_id, kf->org_keys))) {
    return Status::Invalid("restore_failed", "the data directory could not be written");
  }
  // The keyring last: until it exists the directory is not a store anyone would serve.
  Status st = vault::WriteKeyringFile(data_dir, kf->keyring);
  if (!st.ok()) return st;
  rep.org_keys = static_cast<int64_t>(kf->org_keys.size());
  return rep;
}

Status ApplyPendingRestore(store::Database& db, const std::string& data_dir) {
  std::string path = RestoreKeysPath(data_dir);
  if (::access(path.c_str(), F_OK) != 0) return Status::Ok();
  auto text = ReadTextFile(path);
  if (!text) return Status::Internal("the restored key file is damaged");
  auto rows = codec::DecodeRestoreKeyFile(*text);
  if (!rows.ok()) return rows.status();
  std::map<std::string, const codec::OrgKeyEntry*> by_org;
  for (const auto& r : *rows) by_org[r.org.str()] = &r;
  int64_t restored = 0, shredded = 0;
  Status st = db.Write([&](store::Db& conn) -> Status {
    for (const util::OrgId& org : store::OrgIds(conn)) {
      const std::string& id = org.str();
      auto it = by_org.find(id);
      if (it == by_org.end()) {
        // Deleted after this snapshot was taken: its key is gone, so are its rows.
        Orgs::DeleteRows(conn, org);
        RecordAudit(conn, nullptr,
                    {"org:" + id, "system", "restore.org_shredded", {{"org_id", id}}});
        ++shredded;
        continue;
      }
      const codec::OrgKeyEntry& row = *it->second;
      store::ReplaceOrgKey(conn, org, row.wrapped, row.created_at, row.wrapped_index);
      // The snapshot may hold rows sealed under retired keys: keep them and re-seal again.
      const int64_t now = util::NowUnix();
      for (auto k = row.retired.rbegin(); k != row.retired.rend(); ++k) {
        store::RetireOrgKey(conn, org, *k, now);
      }
      if (!row.retired.empty()) store::StartKeyRotation(conn, org, now);
      ++restored;
    }
    RecordAudit(
        conn, nullptr,
        {"instance", "system", "restore.keys", {{"restored", restored}, {"shredded", shredded}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  (void)db.CheckpointTruncate();
  ::unlink(path.c_str());
  store::SyncPath(data_dir, true);
  util::log::Info("backup.restore_keys_applied")
      .Num("restored", restored)
      .Num("shredded", shredded);
  return Status::Ok();
}

}  // namespace bomvault::service
