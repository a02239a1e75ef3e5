// Retention: the stale-BOM purge and the trimming of the long-term audit chain (the Scheduler
// runs both, and deletes old diagnostic log files itself).
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
// Retention is one of the Services (built per unseal); the Scheduler calls it with the time to
// act on. Thread-safe (each call is its own set of transactions).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "service/mail.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/status.h"

namespace bomvault::service {

struct PurgeReport {
  int64_t boms = 0;
  int64_t items = 0;
  int64_t orgs = 0;  // organisations that lost at least one BOM
  int64_t batches = 0;
  int64_t notices = 0;         // owner notices delivered
  int64_t notices_failed = 0;  // owner notices the mailer refused
};

class Retention {
 public:
  static constexpr size_t kPurgeBatch = 50;

  // mailer may be null (no owner notices), e.g. in unit tests.
  Retention(store::Database& db, OrgKeys& keys, Mailer* mailer = nullptr)
      : db_(db), keys_(keys), mailer_(mailer) {}

  // True exactly once for this unsealed period: the scheduler's cue to run every job now.
  bool TakeFirstRun() { return !first_run_taken_.exchange(true); }

  util::Result<PurgeReport> PurgeStale(int64_t now);
  // Deletes chain rows older than retention_days (with a checkpoint); returns rows deleted.
  util::Result<int64_t> TrimChain(int retention_days, int64_t now);

 private:
  store::Database& db_;
  OrgKeys& keys_;
  Mailer* mailer_;
  std::atomic<bool> first_run_taken_{false};
};

}  // namespace bomvault::service
