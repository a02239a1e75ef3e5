// The exfiltration watch: per-user sliding windows of BOM reads, and the response to a user who
// crosses a threshold.
//
// ReadWatch is pure (no store): the Monitor feeds it every BOM read and queues the alerts it
// returns. ExfilResponse is one of the Services (built per unseal): the Scheduler hands it each
// queued alert; it audits the alert and, with the "revoke" action, ends every session and API
// token of the user (the "seal" action is the Scheduler's, once the alerts are answered).
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "service/accounts.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/ids.h"
#include "util/status.h"

namespace bomvault::service {

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

class ExfilResponse {
 public:
  ExfilResponse(store::Database& db, OrgKeys& keys, Accounts& accounts)
      : db_(db), keys_(keys), accounts_(accounts) {}

  // Audits the alert, and with kRevoke ends every session and API token of the user.
  util::Status Respond(const ExfilAlert& alert, const ExfilOptions& options);

 private:
  store::Database& db_;
  OrgKeys& keys_;
  Accounts& accounts_;
};

}  // namespace bomvault::service
