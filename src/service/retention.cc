#include "service/retention.h"

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/orgs.h"
#include "store/orgs_store.h"
#include "store/retention_store.h"
#include "store/users_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using util::Status;

namespace {

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
    if (auto name = store::OrgNameSealed(db, org)) {
      org_name = crypto.value()->OpenText("org-name", org.str(), *name).value_or("");
    }
    for (const auto& [owner, loss] : losses) {
      auto sealed = store::EnabledUserEmailSealed(db, org, util::UserId::FromTrusted(owner));
      if (!sealed) continue;
      auto email = crypto.value()->OpenText("email", owner, *sealed);
      if (email) to.emplace_back(owner, *email);
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

util::Result<PurgeReport> Retention::PurgeStale(int64_t now) {
  struct OrgPolicy {
    util::OrgId id;
    int days;
    bool notice;
  };
  std::vector<OrgPolicy> orgs;
  Status st = db_.Read([&](store::Db& db) -> Status {
    for (const util::OrgId& id : store::OrgIds(db)) {
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
      std::vector<store::StaleBomRow> batch;
      auto batch_started = std::chrono::steady_clock::now();
      st = db_.Write([&](store::Db& db) -> Status {
        auto crypto = keys_.Get(db, org);
        if (!crypto.ok()) return crypto.status();
        // Selected inside the write transaction: a BOM read a moment ago is not.
        batch = store::StaleBoms(db, org, cursor, cutoff, kPurgeBatch);
        for (const store::StaleBomRow& s : batch) {
          if (notify) {
            OwnerLoss& loss = losses[s.owner.str()];
            auto name = crypto.value()->OpenText("bom-name", s.id.str(), s.name_sealed);
            loss.names.push_back(name ? OneLine(*name) : "(name unreadable)");
            if (name) crypto::Wipe(*name);
            loss.items += s.items;
          }
          store::DeleteBomAndHistory(db, s.id);
          RecordAudit(db, crypto.value().get(),
                      {"bom:" + s.id.str(),
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

util::Result<int64_t> Retention::TrimChain(int retention_days, int64_t now) {
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

}  // namespace bomvault::service
