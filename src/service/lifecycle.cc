#include "service/lifecycle.h"

#include <SQLiteCpp/Statement.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "crypto/crypto.h"
#include "service/instance.h"
#include "service/orgs.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using util::Status;

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

std::span<const uint8_t> BlobOf(const SQLite::Column& c) {
  return {static_cast<const uint8_t*>(c.getBlob()), static_cast<size_t>(c.size())};
}

std::string OneLine(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  return out;
}

// What one owner lost in one purge run (names are sealed content: only ever in the mail).
struct OwnerLoss {
  std::vector<std::string> names;
  int64_t items = 0;
  ~OwnerLoss() {
    for (auto& n : names) crypto::Wipe(n);
  }
};

}  // namespace

// --- Exfiltration watch -----------------------------------------------------------------------

std::optional<ExfilAction> ParseExfilAction(std::string_view s) {
  if (s == "log") return ExfilAction::kLog;
  if (s == "revoke") return ExfilAction::kRevoke;
  if (s == "seal") return ExfilAction::kSeal;
  return std::nullopt;
}

const char* ExfilActionName(ExfilAction a) {
  switch (a) {
    case ExfilAction::kLog:
      return "log";
    case ExfilAction::kRevoke:
      return "revoke";
    case ExfilAction::kSeal:
      return "seal";
  }
  return "log";
}

void ReadWatch::Configure(const ExfilOptions& options) {
  std::lock_guard lock(mu_);
  options_ = options;
  users_.clear();
}

ExfilOptions ReadWatch::options() const {
  std::lock_guard lock(mu_);
  return options_;
}

int64_t ReadWatch::Bucket() const { return std::max<int64_t>(1, options_.window_seconds / 60); }

void ReadWatch::Expire(Window& w, int64_t now) const {
  int64_t horizon = now - options_.window_seconds;
  while (!w.order.empty() && w.order.front().first <= horizon) {
    auto it = w.boms.find(w.order.front().second);
    // A BOM read again later has a newer entry further back; only its last read expires it.
    if (it != w.boms.end() && it->second == w.order.front().first) w.boms.erase(it);
    w.order.pop_front();
  }
  while (!w.item_buckets.empty() && w.item_buckets.front().first + Bucket() <= horizon) {
    w.items -= w.item_buckets.front().second;
    w.item_buckets.pop_front();
  }
}

std::optional<ExfilAlert> ReadWatch::Note(const util::UserId& user, const util::OrgId& org,
                                          const util::BomId& bom, int64_t items, int64_t now) {
  std::lock_guard lock(mu_);
  Window& w = users_[user.str()];
  Expire(w, now);
  auto it = w.boms.find(bom.str());
  if (it == w.boms.end()) {
    // Past the threshold the exact count no longer matters: memory stays bounded.
    if (static_cast<int64_t>(w.boms.size()) <= options_.max_boms) {
      w.boms.emplace(bom.str(), now);
      w.order.emplace_back(now, bom.str());
    }
  } else if (now - it->second >= Bucket()) {
    it->second = now;
    w.order.emplace_back(now, bom.str());
  }
  if (items > 0) {
    int64_t start = now - now % Bucket();
    if (!w.item_buckets.empty() && w.item_buckets.back().first == start) {
      w.item_buckets.back().second += items;
    } else {
      w.item_buckets.emplace_back(start, items);
    }
    w.items += items;
  }
  if (now < w.quiet_until) return std::nullopt;
  std::optional<ExfilAlert> alert;
  if (static_cast<int64_t>(w.boms.size()) > options_.max_boms) {
    alert = ExfilAlert{user, org, false, static_cast<int64_t>(w.boms.size()), options_.max_boms};
  } else if (w.items > options_.max_items) {
    alert = ExfilAlert{user, org, true, w.items, options_.max_items};
  }
  if (alert) w.quiet_until = now + options_.window_seconds;
  return alert;
}

void ReadWatch::Prune(int64_t now) {
  std::lock_guard lock(mu_);
  for (auto it = users_.begin(); it != users_.end();) {
    Expire(it->second, now);
    if (it->second.boms.empty() && it->second.item_buckets.empty() &&
        now >= it->second.quiet_until) {
      it = users_.erase(it);
    } else {
      ++it;
    }
  }
}

// --- Monitor ----------------------------------------------------------------------------------

Monitor& Monitor::Get() {
  static Monitor* monitor = new Monitor();  // never destroyed: counted from any thread until exit
  return *monitor;
}

void Monitor::CountRequest(const char* route, int status) {
  std::lock_guard lock(mu_);
  requests_[route][StatusClass(status)]++;
}

void Monitor::NoteBomRead(const access::Principal& reader, const util::BomId& bom, int64_t items) {
  if (reader.kind != access::PrincipalKind::kUser) return;
  bom_reads_++;
  items_read_ += static_cast<uint64_t>(std::max<int64_t>(items, 0));
  auto alert = watch_.Note(reader.user, reader.org, bom, items, util::NowUnix());
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
              static_cast<uint64_t>(std::max<int64_t>(util::NowUnix() - last, 0)));
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

// --- Lifecycle --------------------------------------------------------------------------------

namespace {

// One mail per owner per run, after the org's deletions committed (a failed mail never keeps a
// BOM). Addresses are opened in one read transaction; the mail goes out with no transaction open.
// Disabled accounts get nothing. Logs: ids and counts only.
void NotifyOwners(store::Database& db_, OrgKeys& keys_, Mailer& mailer, const util::OrgId& org,
                  int days, const std::map<std::string, OwnerLoss>& losses, PurgeReport& report) {
  std::vector<std::pair<std::string, std::string>> to;  // owner id, address
  std::string org_name;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    SQLite::Statement name(db, "SELECT name_sealed FROM orgs WHERE id = ?");
    name.bind(1, org.str());
    if (name.executeStep()) {
      org_name =
          crypto.value()->OpenText("org-name", org.str(), BlobOf(name.getColumn(0))).value_or("");
    }
    SQLite::Statement q(
        db, "SELECT email_sealed FROM users WHERE id = ? AND org_id = ? AND disabled = 0");
    for (const auto& [owner, loss] : losses) {
      q.bind(1, owner);
      q.bind(2, org.str());
      if (q.executeStep()) {
        auto email = crypto.value()->OpenText("email", owner, BlobOf(q.getColumn(0)));
        if (email) to.emplace_back(owner, *email);
      }
      q.reset();
    }
    return Status::Ok();
  });
  if (!st.ok()) {
    util::log::Warn("purge.notice_failed")
        .Ref("org_id", org)
        .Num("owners", static_cast<int64_t>(losses.size()));
    report.notices_failed += static_cast<int64_t>(losses.size());
    return;
  }
  for (auto& [owner, address] : to) {
    const OwnerLoss& loss = losses.at(owner);
    MailMessage m;
    m.to = address;
    m.subject = "bomvault: " + std::to_string(loss.names.size()) + " of your BOMs were removed";
    m.body = "Hello,\n\nThe stale-data purge of the organisation \"" + OneLine(org_name) +
             "\" on bomvault removed " + std::to_string(loss.names.size()) +
             " BOM(s) that you owned (" + std::to_string(loss.items) +
             " items in total).\n\nPolicy: a BOM is removed when its owner has not been active, or "
             "nobody has opened it, for " +
             std::to_string(days) + " days. Removal is permanent.\n\nRemoved BOMs:\n";
    for (const std::string& n : loss.names) m.body += "  - " + n + "\n";
    m.body +=
        "\nYou receive this message because your organisation has purge notices turned on."
        " An administrator can change the policy or turn the notices off in the "
        "organisation settings.\n";
    Status sent = mailer.Send(m);
    crypto::Wipe(m.body);
    crypto::Wipe(address);
    if (sent.ok()) {
      ++report.notices;
      util::log::Info("purge.notice_sent")
          .Ref("org_id", org)
          .Ref("user_id", util::UserId::FromTrusted(owner))
          .Num("boms", static_cast<int64_t>(loss.names.size()));
    } else {
      ++report.notices_failed;
      util::log::Warn("purge.notice_failed")
          .Ref("org_id", org)
          .Ref("user_id", util::UserId::FromTrusted(owner));
    }
  }
}

}  // namespace

util::Result<PurgeReport> Lifecycle::PurgeStale(int64_t now) {
  struct OrgPolicy {
    util::OrgId id;
    int days;
    bool notice;
  };
  std::vector<OrgPolicy> orgs;
  Status st = db_.Read([&](store::Db& db) -> Status {
    SQLite::Statement q(db, "SELECT id FROM orgs ORDER BY id");
    while (q.executeStep()) {
      auto id = util::OrgId::FromTrusted(q.getColumn(0).getString());
      OrgSettings settings = Orgs::LoadSettings(db, id);
      orgs.push_back({id, settings.purge_days, settings.purge_notice});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  PurgeReport report;
  for (const OrgPolicy& policy : orgs) {
    // Named references, not a structured binding: the write lambda below captures them, which
    // clang before 16 refuses for bindings (the fuzz build, `make fuzz`, uses Debian's clang 14).
    const util::OrgId& org = policy.id;
    const int days = policy.days;
    const bool notice = policy.notice;
    bool notify = notice && mailer_ != nullptr;
    std::map<std::string, OwnerLoss> losses;  // owner id -> what they lost in this run
    int64_t cutoff = now - int64_t{days} * util::kSecondsPerDay;
    std::string cursor;  // ids ascend, so every batch makes progress
    bool org_counted = false;
    for (;;) {
      struct Stale {
        util::BomId id;
        int64_t items;
        bool owner_inactive;
        std::string owner;
      };
      std::vector<Stale> batch;
      auto batch_started = std::chrono::steady_clock::now();
      st = db_.Write([&](store::Db& db) -> Status {
        auto crypto = keys_.Get(db, org);
        if (!crypto.ok()) return crypto.status();
        // The condition is evaluated inside the write transaction: a BOM read a moment ago
        // (its touch committed) is no longer selected.
        SQLite::Statement q(db,
                            "SELECT b.id, b.item_count, u.last_active_at <= ?3, b.owner_id, "
                            "b.name_sealed FROM boms b "
                            "JOIN users u ON u.id = b.owner_id WHERE b.org_id = ?1 AND b.id > ?2 "
                            "AND (b.last_interacted_at <= ?3 OR u.last_active_at <= ?3) "
                            "ORDER BY b.id LIMIT ?4");
        q.bind(1, org.str());
        q.bind(2, cursor);
        q.bind(3, static_cast<int64_t>(cutoff));
        q.bind(4, static_cast<int64_t>(kPurgeBatch));
        while (q.executeStep()) {
          batch.push_back({util::BomId::FromTrusted(q.getColumn(0).getString()),
                           q.getColumn(1).getInt64(), q.getColumn(2).getInt() != 0,
                           q.getColumn(3).getString()});
          if (notify) {
            OwnerLoss& loss = losses[batch.back().owner];
            auto name =
                crypto.value()->OpenText("bom-name", batch.back().id.str(), BlobOf(q.getColumn(4)));
            loss.names.push_back(name ? OneLine(*name) : "(name unreadable)");
            if (name) crypto::Wipe(*name);
            loss.items += batch.back().items;
          }
        }
        SQLite::Statement history(db, "DELETE FROM audit WHERE object = ?");
        SQLite::Statement bom(db,
                              "DELETE FROM boms WHERE id = ?");  // cascades: chunks, parts, shares
        for (const Stale& s : batch) {
          std::string object = "bom:" + s.id.str();
          history.bind(1, object);
          history.exec();
          history.reset();
          bom.bind(1, s.id.str());
          bom.exec();
          bom.reset();
          RecordAudit(db, crypto.value().get(),
                      {object,
                       "system",
                       "bom.purge",
                       {{"items", s.items},
                        {"policy_days", days},
                        {"reason", s.owner_inactive ? "owner_inactive" : "not_interacted"}}});
        }
        return Status::Ok();
      });
      if (st.code() == util::Code::kNotFound) break;  // the org was deleted meanwhile
      if (!st.ok()) return st;
      if (batch.empty()) break;
      ++report.batches;
      if (!org_counted) {
        ++report.orgs;
        org_counted = true;
      }
      for (const auto& s : batch) {
        ++report.boms;
        report.items += s.items;
        util::log::Line line(util::log::Level::kInfo, "bom.purged");
        line.Ref("bom_id", s.id).Ref("org_id", org).Num("items", s.items).Num("policy_days", days);
        if (s.owner_inactive) {
          line.Text("reason", "owner_inactive");
        } else {
          line.Text("reason", "not_interacted");
        }
      }
      cursor = batch.back().id.str();
      if (batch.size() < kPurgeBatch) break;
      // Duty cycle of one half: rest as long as the batch took (at most 250 ms), so request
      // threads get the cores between batches (bench/purge.sh measures read latency meanwhile).
      auto took = std::chrono::steady_clock::now() - batch_started;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(took, std::chrono::milliseconds(250)));
    }
    if (!losses.empty()) NotifyOwners(db_, keys_, *mailer_, org, days, losses, report);
  }
  // Deleted pages were zeroed (secure_delete); fold and truncate the WAL so no copy remains.
  if (report.boms > 0 && !db_.CheckpointTruncate().ok())
    util::log::Error("purge.checkpoint_failed");
  return report;
}

util::Result<int64_t> Lifecycle::TrimChain(int retention_days, int64_t now) {
  int64_t deleted = 0;
  Status st = db_.Write([&](store::Db& db) -> Status {
    deleted =
        TrimAuditChain(db, now - int64_t{retention_days} * util::kSecondsPerDay, retention_days);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (deleted > 0 && !db_.CheckpointTruncate().ok())
    util::log::Error("retention.checkpoint_failed");
  return deleted;
}

Status Lifecycle::RespondToAlert(const ExfilAlert& alert, const ExfilOptions& options) {
  bool revoke = options.action == ExfilAction::kRevoke;
  int64_t ended = 0;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, alert.org);
    if (!crypto.ok()) return crypto.status();
    if (revoke) {
      // Sessions and API tokens alike: a script pulling data most likely holds a token.
      SQLite::Statement d(db, "DELETE FROM sessions WHERE user_id = ?");
      d.bind(1, alert.user.str());
      ended = d.exec();
    }
    RecordAudit(db, crypto.value().get(),
                {"user:" + alert.user.str(),
                 "system",
                 "exfiltration.alert",
                 {{"threshold", alert.items ? "items" : "boms"},
                  {"count", alert.count},
                  {"limit", alert.limit},
                  {"window_seconds", options.window_seconds},
                  {"action", ExfilActionName(options.action)},
                  {"sessions_ended", ended}}});
    return Status::Ok();
  });
  if (revoke) accounts_.ForgetCachedPrincipals();
  if (!st.ok()) return st;
  if (revoke) {
    util::log::Warn("exfiltration.sessions_revoked")
        .Ref("user_id", alert.user)
        .Num("sessions", ended);
  }
  return Status::Ok();
}

util::Result<std::vector<AuditEntry>> Lifecycle::InstanceAudit(const access::Principal& actor,
                                                               const AuditQuery& query) {
  // Instance events are the operator's monitoring view: the permission table's operator-only
  // monitoring function (kMetrics) decides, so no role check lives here.
  access::Decision d = access::MayUse(actor, access::Function::kMetrics);
  if (d == access::Decision::kUnauthenticated) return Status::Unauthenticated();
  if (d != access::Decision::kAllow) return Status::Forbidden();
  util::Result<std::vector<AuditEntry>> out = std::vector<AuditEntry>{};
  Status st = db_.Read([&](store::Db& db) -> Status {
    out = QueryInstanceAudit(db, query);
    return out.status();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<ChainReport> VerifyStoredAuditChain(
    const std::string& data_dir, const std::vector<std::string>& shares,
    std::optional<std::pair<int64_t, crypto::Bytes>> expect) {
  auto keys = vault::KeysFromShares(data_dir, shares);
  if (!keys.ok()) return keys.status();
  auto db = store::Database::Open(DatabasePath(data_dir), keys->db_key, 1);
  if (!db.ok()) return db.status();
  ChainReport report;
  Status st = db.value()->Read([&](store::Db& conn) -> Status {
    report = VerifyAuditChain(conn, std::move(expect));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return report;
}

// --- Scheduler --------------------------------------------------------------------------------

Scheduler::Scheduler(Instance& instance, SchedulerOptions options)
    : instance_(instance), options_(options) {
  Monitor::Get().SetAlertListener([this] { Wake(); });
  thread_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  Monitor::Get().SetAlertListener(nullptr);  // waits for a listener call in flight
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Scheduler::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void Scheduler::Loop() {
  // Background work yields the CPU to requests: this thread alone runs at nice 10 (Linux nice is
  // per thread). Best effort; failure changes nothing else.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  for (;;) {
    Tick();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || wake_; });
    if (stop_) return;
    wake_ = false;
  }
}

void Scheduler::Tick() {
  HandleAlerts();
  int64_t now = util::NowUnix();
  bool first = false;
  if (auto hold = instance_.Acquire()) first = (*hold)->lifecycle->TakeFirstRun();
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
    Monitor::Get().PruneReadWindows(now);
    next_prune_ = now + 60;
  }
}

void Scheduler::RunRetention(int64_t now) {
  next_retention_ = now + options_.retention_interval;
  int files = util::log::PurgeOlderThan(options_.log_retention_days);
  int64_t chain = 0;
  if (options_.audit_retention_days > 0) {
    if (auto hold = instance_.Acquire()) {
      auto r = (*hold)->lifecycle->TrimChain(options_.audit_retention_days, now);
      if (r.ok()) {
        chain = r.value();
      } else {
        util::log::Error("job.audit_chain_retention_failed");
      }
    }
  }
  Monitor::Get().CountRetention(files, chain);
  util::log::Info("job.retention")
      .Num("log_files_deleted", files)
      .Num("log_retention_days", options_.log_retention_days)
      .Num("audit_chain_deleted", chain)
      .Num("audit_retention_days", options_.audit_retention_days);
}

void Scheduler::RunPurge(int64_t now) {
  auto hold = instance_.Acquire();
  if (!hold) return;  // sealed: runs right after the next unseal
  next_purge_ = now + options_.purge_interval;
  auto started = std::chrono::steady_clock::now();
  auto r = (*hold)->lifecycle->PurgeStale(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  if (!r.ok()) {
    util::log::Error("job.purge_failed").Num("ms", ms);
    return;
  }
  Monitor::Get().CountPurge(r->boms);
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
  Monitor::Get().SeedLastBackup(last);
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
  std::vector<ExfilAlert> alerts = Monitor::Get().TakeAlerts();
  if (alerts.empty()) return;
  ExfilOptions options = Monitor::Get().exfil();
  for (const ExfilAlert& a : alerts) {
    auto hold = instance_.Acquire();
    if (!hold) break;  // sealed already: nothing left to protect or record
    Status st = (*hold)->lifecycle->RespondToAlert(a, options);
    if (!st.ok()) util::log::Error("exfiltration.response_failed").Ref("user_id", a.user);
  }
  if (options.action == ExfilAction::kSeal && !instance_.sealed()) {
    util::log::Warn("exfiltration.sealing");
    instance_.Seal("exfiltration");
  }
}

}  // namespace bomvault::service
