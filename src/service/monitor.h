// The process monitor: request counts, BOM reads and the exfiltration watch over them, purge,
// retention and backup counters, and their Prometheus text (GET /api/v1/metrics).
//
// One Monitor lives as long as the process: the app owns it and hands it to the Instance (which
// passes it to the services that count: Boms, Attachments, Backups) and to the Scheduler. Its
// counters and read windows must survive seal/unseal cycles, which destroy the services. It holds
// ids and counts only; its Prometheus text names no person and no organisation. Time comes from the
// Clock it is given. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "service/exfil.h"
#include "util/clock.h"

namespace bomvault::service {

class Monitor {
 public:
  explicit Monitor(const util::Clock& clock) : clock_(clock) {}
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

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
  const util::Clock& clock_;
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

}  // namespace bomvault::service
