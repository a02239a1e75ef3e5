#include "service/scheduler.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "service/instance.h"
#include "util/log.h"

namespace bomvault::service {

using util::Status;

Scheduler::Scheduler(Instance& instance, Monitor& monitor, const util::Clock& clock,
                     SchedulerOptions options)
    : instance_(instance),
      monitor_(monitor),
      clock_(clock),
      options_(options),
      worker_("scheduler", 10, [this] {
        Tick();
        return std::chrono::milliseconds(1000);
      }) {
  monitor_.SetAlertListener([this] { worker_.Wake(); });
}

Scheduler::~Scheduler() {
  monitor_.SetAlertListener(nullptr);  // waits for a listener call in flight
  worker_.Stop();
}

void Scheduler::Tick() {
  HandleAlerts();
  int64_t now = clock_.Now();
  bool first = false;
  if (auto hold = instance_.Acquire()) first = (*hold)->retention->TakeFirstRun();
  // Log retention needs no key, so it also runs while sealed.
  if (first || now >= next_retention_) RunRetention(now);
  if (first || now >= next_purge_) RunPurge(now);
  if (!options_.backup_dir.empty() && (first || now >= next_backup_)) RunBackup(now, first);
  // A backup directory that missed a deletion or rekey (not mounted, full): once a minute.
  if (now >= next_key_refresh_) {
    if (auto hold = instance_.Acquire(); hold && (*hold)->backups->KeysPending()) {
      (*hold)->backups->RefreshKeyFiles();
      next_key_refresh_ = now + 60;
    }
  }
  if (now >= next_prune_) {
    monitor_.PruneReadWindows(now);
    next_prune_ = now + 60;
  }
}

void Scheduler::RunRetention(int64_t now) {
  next_retention_ = now + options_.retention_interval;
  int files = util::log::PurgeOlderThan(options_.log_retention_days);
  int64_t chain = 0;
  int idempotency_keys = 0;
  // Idempotency keys live 24 hours (service/idempotency.h); expired ones are ignored on lookup
  // and deleted here.
  if (auto hold = instance_.Acquire()) {
    auto r = (*hold)->idempotency->Expire(now);
    if (r.ok()) {
      idempotency_keys = r.value();
    } else {
      util::log::Error("job.idempotency_retention_failed");
    }
  }
  if (options_.audit_retention_days > 0) {
    if (auto hold = instance_.Acquire()) {
      auto r = (*hold)->retention->TrimChain(options_.audit_retention_days, now);
      if (r.ok()) {
        chain = r.value();
      } else {
        util::log::Error("job.audit_chain_retention_failed");
      }
    }
  }
  monitor_.CountRetention(files, chain);
  util::log::Info("job.retention")
      .Num("log_files_deleted", files)
      .Num("log_retention_days", options_.log_retention_days)
      .Num("audit_chain_deleted", chain)
      .Num("audit_retention_days", options_.audit_retention_days)
      .Num("idempotency_keys_deleted", idempotency_keys);
}

void Scheduler::RunPurge(int64_t now) {
  auto hold = instance_.Acquire();
  if (!hold) return;  // sealed: runs right after the next unseal
  next_purge_ = now + options_.purge_interval;
  auto started = std::chrono::steady_clock::now();
  auto r = (*hold)->retention->PurgeStale(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  if (!r.ok()) {
    util::log::Error("job.purge_failed").Num("ms", ms);
    return;
  }
  monitor_.CountPurge(r->boms);
  util::log::Info("job.purge")
      .Num("boms_deleted", r->boms)
      .Num("items_deleted", r->items)
      .Num("orgs", r->orgs)
      .Num("batches", r->batches)
      .Num("notices", r->notices)
      .Num("notices_failed", r->notices_failed)
      .Num("ms", ms);
}

void Scheduler::RunBackup(int64_t now, bool first) {
  auto hold = instance_.Acquire();
  if (!hold) return;  // sealed: runs right after the next unseal
  int64_t last = (*hold)->backups->LastSuccess();
  monitor_.SeedLastBackup(last);
  next_backup_ = now + options_.backup_interval;
  // Right after an unseal, a backup younger than the interval is recent enough.
  if (first && last > 0 && now - last < options_.backup_interval) {
    next_backup_ = last + options_.backup_interval;
    return;
  }
  auto r = (*hold)->backups->Run(nullptr, options_.backup_dir, "schedule");
  // A failure is audited and counted by Run; retry sooner than a full interval.
  if (!r.ok()) next_backup_ = now + std::min<int64_t>(options_.backup_interval, 300);
}

void Scheduler::HandleAlerts() {
  std::vector<ExfilAlert> alerts = monitor_.TakeAlerts();
  if (alerts.empty()) return;
  ExfilOptions options = monitor_.exfil();
  for (const ExfilAlert& a : alerts) {
    auto hold = instance_.Acquire();
    if (!hold) break;  // sealed already: nothing left to protect or record
    Status st = (*hold)->exfil->Respond(a, options);
    if (!st.ok()) util::log::Error("exfiltration.response_failed").Ref("user_id", a.user);
  }
  if (options.action == ExfilAction::kSeal && !instance_.sealed()) {
    util::log::Warn("exfiltration.sealing");
    instance_.Seal("exfiltration");
  }
}

}  // namespace bomvault::service
