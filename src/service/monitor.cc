#include "service/monitor.h"

#include <algorithm>

#include "util/log.h"

namespace bomvault::service {

namespace {

int StatusClass(int status) { return std::clamp(status / 100, 1, 5) - 1; }

std::string PromLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void PromHeader(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void PromValue(std::string& out, const char* name, const char* type, const char* help,
               uint64_t value) {
  PromHeader(out, name, type, help);
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

void Monitor::CountRequest(const char* route, int status) {
  std::lock_guard lock(mu_);
  requests_[route][StatusClass(status)]++;
}

void Monitor::NoteBomRead(const access::Principal& reader, const util::BomId& bom, int64_t items) {
  if (reader.kind != access::PrincipalKind::kUser) return;
  bom_reads_++;
  items_read_ += static_cast<uint64_t>(std::max<int64_t>(items, 0));
  auto alert = watch_.Note(reader.user, reader.org, bom, items, clock_.Now());
  if (!alert) return;
  alerts_total_++;
  {
    util::log::Line line(util::log::Level::kWarn, "exfiltration.alert");
    line.Ref("user_id", alert->user).Ref("org_id", alert->org);
    if (alert->items) {
      line.Text("threshold", "items");
    } else {
      line.Text("threshold", "boms");
    }
    line.Num("count", alert->count).Num("limit", alert->limit);
  }
  {
    std::lock_guard lock(mu_);
    if (alerts_.size() < 1000) alerts_.push_back(*alert);
  }
  std::lock_guard lock(listener_mu_);
  if (listener_) listener_();
}

std::vector<ExfilAlert> Monitor::TakeAlerts() {
  std::lock_guard lock(mu_);
  std::vector<ExfilAlert> out;
  out.swap(alerts_);
  return out;
}

void Monitor::SetAlertListener(std::function<void()> listener) {
  std::lock_guard lock(listener_mu_);
  listener_ = std::move(listener);
}

std::string Monitor::Prometheus(bool sealed) const {
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  std::string out;
  out.reserve(4096);
  PromHeader(out, "bomvault_build_info", "gauge", "Build version (always 1).");
  out += "bomvault_build_info{version=\"" + PromLabel(BOMVAULT_VERSION) + "\"} 1\n";
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  PromValue(out, "bomvault_uptime_seconds", "gauge", "Seconds since the process started.",
            static_cast<uint64_t>(std::max<int64_t>(uptime, 0)));
  PromValue(out, "bomvault_sealed", "gauge", "1 while the vault is sealed.", sealed ? 1 : 0);
  PromHeader(out, "bomvault_http_requests_total", "counter",
             "API requests by route name and status class.");
  {
    std::lock_guard lock(mu_);
    for (const auto& [route, counts] : requests_) {
      for (size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] == 0) continue;
        out += "bomvault_http_requests_total{route=\"" + PromLabel(route) + "\",class=\"" +
               kClasses[i] + "\"} " + std::to_string(counts[i]) + "\n";
      }
    }
  }
  PromValue(out, "bomvault_bom_reads_total", "counter",
            "Successful BOM reads (summary or items) by users.", bom_reads_.load());
  PromValue(out, "bomvault_bom_items_read_total", "counter", "BOM items returned to users.",
            items_read_.load());
  PromValue(out, "bomvault_purge_runs_total", "counter", "Stale-data purge runs.",
            purge_runs_.load());
  PromValue(out, "bomvault_boms_purged_total", "counter", "BOMs removed by the stale-data purge.",
            boms_purged_.load());
  PromValue(out, "bomvault_log_files_deleted_total", "counter",
            "Diagnostic log files deleted by retention.", log_files_deleted_.load());
  PromValue(out, "bomvault_audit_chain_trimmed_total", "counter",
            "Long-term audit rows deleted by retention.", chain_rows_trimmed_.load());
  PromValue(out, "bomvault_exfiltration_alerts_total", "counter",
            "Users who crossed a read threshold.", alerts_total_.load());
  PromValue(out, "bomvault_backups_total", "counter", "Verified backups written.",
            backups_total_.load());
  PromValue(out, "bomvault_backup_failures_total", "counter", "Backups that failed.",
            backup_failures_.load());
  int64_t last = backup_last_success_.load();
  PromValue(out, "bomvault_backup_last_success_timestamp_seconds", "gauge",
            "Unix time of the newest verified backup (0: none yet).",
            static_cast<uint64_t>(std::max<int64_t>(last, 0)));
  if (last > 0) {
    PromValue(out, "bomvault_backup_age_seconds", "gauge",
              "Seconds since the newest verified backup was written.",
              static_cast<uint64_t>(std::max<int64_t>(clock_.Now() - last, 0)));
  }
  return out;
}

void Monitor::NoteBackup(int64_t at, bool ok) {
  if (!ok) {
    backup_failures_++;
    return;
  }
  backups_total_++;
  SeedLastBackup(at);
}

void Monitor::SeedLastBackup(int64_t at) {
  int64_t prev = backup_last_success_.load();
  while (at > prev && !backup_last_success_.compare_exchange_weak(prev, at)) {
  }
}

}  // namespace bomvault::service
