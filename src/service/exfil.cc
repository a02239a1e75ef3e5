#include "service/exfil.h"

#include <algorithm>

#include "service/audit.h"
#include "store/sessions_store.h"
#include "util/log.h"

namespace bomvault::service {

using util::Status;

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

Status ExfilResponse::Respond(const ExfilAlert& alert, const ExfilOptions& options) {
  bool revoke = options.action == ExfilAction::kRevoke;
  int64_t ended = 0;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, alert.org);
    if (!crypto.ok()) return crypto.status();
    if (revoke) {
      // Sessions and API tokens alike: a script pulling data most likely holds a token.
      ended = store::DeleteUserSessions(db, alert.user);
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

}  // namespace bomvault::service
