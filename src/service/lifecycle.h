// Data lifecycle: the stale-BOM purge, retention of the diagnostic log and of the long-term audit
// chain, the exfiltration watch, the process metrics, and the Scheduler that runs the jobs.
//
// Purge rule (per organisation, org setting purge_days, default 5): a BOM is removed when its
// owner has had no activity (users.last_active_at) for purge_days, or nobody interacted with it
// (boms.last_interacted_at) for purge_days. Removal takes the BOM row and, by cascade, its item
// chunks, part index and shares, plus its detailed audit entries; one "bom.purge" tombstone (actor
// "system") remains. Organisations, users, sessions and keys are never purged. BOMs go in write
// transactions of kPurgeBatch so readers are not starved; the WAL is then truncated so the zeroed
// pages (secure_delete) leave no copy behind. When the org setting purge_notice is on, each owner
// who lost BOMs in a run gets one mail (through Mailer: the site's relay or DIR/outbox) with the
// count, the policy and the names of the removed BOMs; logs carry ids and counts only
// (docs/lifecycle.md).
//
// Monitor is process-wide on purpose, like the diagnostic log: its counters and read windows must
// survive seal/unseal cycles (which destroy Services), and the request path (http::Api::Dispatch)
// and the BOM reads (Boms::Get/Items) reach it through one call each without new wiring. It holds
// ids and counts only; its Prometheus text names no person and no organisation.
//
// Lifecycle is one of the Services (built per unseal). Scheduler owns one thread: right after each
// unseal, and then every period, it runs the jobs, each holding the instance's shared hold only
// while it works; it also answers exfiltration alerts (audit, session revocation, sealing).
// Everything here is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "access/permissions.h"
#include "service/accounts.h"
#include "service/audit.h"
#include "service/mail.h"
#include "service/org_keys.h"
#include "store/database.h"

namespace bomvault::service {

class Instance;

// --- Exfiltration watch -----------------------------------------------------------------------

// What happens when a user crosses a threshold (always: an audit entry and a log line).
enum class ExfilAction { kLog, kRevoke, kSeal };
std::optional<ExfilAction> ParseExfilAction(std::string_view s);
const char* ExfilActionName(ExfilAction a);

struct ExfilOptions {
  int64_t window_seconds = 3600;
  int64_t max_boms = 500;       // distinct BOMs read (summary or items) in the window
  int64_t max_items = 1000000;  // items returned in the window
  ExfilAction action = ExfilAction::kLog;
};

struct ExfilAlert {
  util::UserId user;
  util::OrgId org;
  bool items = false;  // crossed max_items (else max_boms)
  int64_t count = 0, limit = 0;
};

// Sliding-window read counts per user. Distinct BOMs: the last read time of each BOM (at most
// max_boms + 1 kept); items: per-bucket sums, a bucket being 1/60 of the window. One alert per
// user per window. Thread-safe (one mutex).
class ReadWatch {
 public:
  explicit ReadWatch(ExfilOptions options = {}) : options_(options) {}
  // Replaces the thresholds and forgets every window.
  void Configure(const ExfilOptions& options);
  ExfilOptions options() const;
  std::optional<ExfilAlert> Note(const util::UserId& user, const util::OrgId& org,
                                 const util::BomId& bom, int64_t items, int64_t now);
  // Forgets users with nothing left in their window.
  void Prune(int64_t now);

 private:
  struct Window {
    std::unordered_map<std::string, int64_t> boms;         // bom id -> last counted read
    std::deque<std::pair<int64_t, std::string>> order;     // (time, bom id), oldest first
    std::deque<std::pair<int64_t, int64_t>> item_buckets;  // (bucket start, items)
    int64_t items = 0;
    int64_t quiet_until = 0;  // no second alert before this
  };
  void Expire(Window& w, int64_t now) const;  // mu_ held
  int64_t Bucket() const;                     // mu_ held

  mutable std::mutex mu_;
  ExfilOptions options_;                           // guarded by mu_
  std::unordered_map<std::string, Window> users_;  // guarded by mu_
};

// --- Process-wide monitor ---------------------------------------------------------------------

class Monitor {
 public:
  static Monitor& Get();

  // Once, before serving.
  void ConfigureExfil(const ExfilOptions& options) { watch_.Configure(options); }
  ExfilOptions exfil() const { return watch_.options(); }

  void CountRequest(const char* route, int status);
  // Called by Boms after each successful read; users only (the operator cannot read BOMs).
  void NoteBomRead(const access::Principal& reader, const util::BomId& bom, int64_t items);
  void CountPurge(int64_t boms) {
    purge_runs_++;
    boms_purged_ += boms;
  }
  void CountRetention(int64_t log_files, int64_t chain_rows) {
    log_files_deleted_ += log_files;
    chain_rows_trimmed_ += chain_rows;
  }

  // A backup finished at `at` (ok) or failed.
  void NoteBackup(int64_t at, bool ok);
  // The newest backup known from the store (after an unseal); never moves backwards.
  void SeedLastBackup(int64_t at);

  std::vector<ExfilAlert> TakeAlerts();
  // The listener is woken (from a request thread) when an alert is queued; nullptr to remove.
  void SetAlertListener(std::function<void()> listener);
  void PruneReadWindows(int64_t now) { watch_.Prune(now); }

  // Prometheus text exposition format 0.0.4.
  std::string Prometheus(bool sealed) const;

 private:
  Monitor() = default;

  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  ReadWatch watch_;
  mutable std::mutex mu_;
  std::map<std::string, std::array<uint64_t, 5>> requests_;  // route -> by status class; mu_
  std::vector<ExfilAlert> alerts_;                           // guarded by mu_
  std::mutex listener_mu_;
  std::function<void()> listener_;  // guarded by listener_mu_
  std::atomic<uint64_t> bom_reads_{0}, items_read_{0}, alerts_total_{0};
  std::atomic<uint64_t> purge_runs_{0}, boms_purged_{0};
  std::atomic<uint64_t> log_files_deleted_{0}, chain_rows_trimmed_{0};
  std::atomic<int64_t> backup_last_success_{0};
  std::atomic<uint64_t> backups_total_{0}, backup_failures_{0};
};

// The one call Boms makes per read.
inline void NoteBomRead(const access::Principal& reader, const util::BomId& bom, int64_t items) {
  Monitor::Get().NoteBomRead(reader, bom, items);
}

// --- The lifecycle service (one per unsealed period) ------------------------------------------

struct PurgeReport {
  int64_t boms = 0;
  int64_t items = 0;
  int64_t orgs = 0;  // organisations that lost at least one BOM
  int64_t batches = 0;
  int64_t notices = 0;         // owner notices delivered
  int64_t notices_failed = 0;  // owner notices the mailer refused
};

class Lifecycle {
 public:
  static constexpr size_t kPurgeBatch = 50;

  // mailer may be null (no owner notices), e.g. in unit tests.
  Lifecycle(store::Database& db, OrgKeys& keys, Accounts& accounts, Mailer* mailer = nullptr)
      : db_(db), keys_(keys), accounts_(accounts), mailer_(mailer) {}

  // True exactly once for this unsealed period: the scheduler's cue to run every job now.
  bool TakeFirstRun() { return !first_run_taken_.exchange(true); }

  util::Result<PurgeReport> PurgeStale(int64_t now);
  // Deletes chain rows older than retention_days (with a checkpoint); returns rows deleted.
  util::Result<int64_t> TrimChain(int retention_days, int64_t now);
  // Audits the alert, and with kRevoke ends every session and API token of the user.
  util::Status RespondToAlert(const ExfilAlert& alert, const ExfilOptions& options);

  // Operator: instance events (seal, unseal.*, org.delete), newest first.
  util::Result<std::vector<AuditEntry>> InstanceAudit(const access::Principal& actor,
                                                      const AuditQuery& query);

 private:
  store::Database& db_;
  OrgKeys& keys_;
  Accounts& accounts_;
  Mailer* mailer_;
  std::atomic<bool> first_run_taken_{false};
};

// `bomvault audit verify`: opens the store offline with the shares and verifies the chain.
util::Result<ChainReport> VerifyStoredAuditChain(
    const std::string& data_dir, const std::vector<std::string>& shares,
    std::optional<std::pair<int64_t, crypto::Bytes>> expect);

// --- Scheduler --------------------------------------------------------------------------------

struct SchedulerOptions {
  int64_t purge_interval = 3600;      // seconds between stale-BOM purges
  int64_t retention_interval = 3600;  // seconds between log and audit-chain retention runs
  int log_retention_days = 7;
  int audit_retention_days = 0;  // 0: long-term audit off
  std::string backup_dir;        // empty: no scheduled backups
  int64_t backup_interval = 86400;
};

class Scheduler {
 public:
  Scheduler(Instance& instance, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

 private:
  void Loop();
  void Tick();
  void RunRetention(int64_t now);
  void RunPurge(int64_t now);
  void RunBackup(int64_t now, bool first);
  void HandleAlerts();
  void Wake();

  Instance& instance_;
  const SchedulerOptions options_;
  int64_t next_purge_ = 0, next_retention_ = 0, next_prune_ = 0;  // scheduler thread only
  int64_t next_backup_ = 0, next_key_refresh_ = 0;                // scheduler thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  bool wake_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace bomvault::service
