// The Scheduler: the in-process timers. Right after each unseal, and then every period, it runs the
// stale-BOM purge, log and audit-chain retention, and the scheduled backup; it answers the
// Monitor's exfiltration alerts (audit, session revocation, sealing) as soon as they are queued.
//
// One Worker thread (util/worker.h) at nice 10 ticks once a second or when the Monitor wakes it.
// Each job holds the instance's shared hold only while it works, so a seal waits at most for the
// job's current transaction; while sealed only log retention runs (it needs no key). Time comes
// from the Clock it is given. The destructor lets the running job finish (a backup completes) and
// joins the thread. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "service/monitor.h"
#include "util/clock.h"
#include "util/worker.h"

namespace bomvault::service {

class Instance;

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
  Scheduler(Instance& instance, Monitor& monitor, const util::Clock& clock,
            SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

 private:
  void Tick();
  void RunRetention(int64_t now);
  void RunPurge(int64_t now);
  void RunBackup(int64_t now, bool first);
  void HandleAlerts();

  Instance& instance_;
  Monitor& monitor_;
  const util::Clock& clock_;
  const SchedulerOptions options_;
  int64_t next_purge_ = 0, next_retention_ = 0, next_prune_ = 0;  // worker thread only
  int64_t next_backup_ = 0, next_key_refresh_ = 0;                // worker thread only
  util::Worker worker_;  // last: built after, and stopped before, what Tick uses
};

}  // namespace bomvault::service
