// Routes for the operator's view of the instance: its own audit events and Prometheus metrics.
#include "http/api.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Status;

namespace {

std::optional<int64_t> IntParam(Ctx& c, const char* name, int64_t lo, int64_t hi, int64_t dflt) {
  if (!c.req.has_param(name)) return dflt;
  std::string v = c.req.get_param_value(name);
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used == v.size() && n >= lo && n <= hi) return n;
  } catch (...) {
  }
  SendError(c, Status::Invalid("invalid_parameter",
                               std::string("\"") + name + "\" must be a whole number from " +
                                   std::to_string(lo) + " to " + std::to_string(hi)));
  return std::nullopt;
}

}  // namespace

void RegisterLifecycleRoutes(Api& api) {
  api.Route({"GET", "/api/v1/instance/audit", "instance.audit", Auth::kSignedIn, false,
             "Operator: instance events (seal, unseal.share, unseal.success, unseal.failure, "
             "org.delete), newest first; filters action, from, to (unix seconds), before "
             "(cursor), limit"},
            [](Ctx& c) {
              service::AuditQuery q;
              q.action = c.req.get_param_value("action");
              if (q.action.size() > 100) {
                return SendError(c, Status::Invalid("invalid_parameter", "filter too long"));
              }
              auto from = IntParam(c, "from", 0, INT64_MAX / 2, 0);
              if (!from) return;
              auto to = IntParam(c, "to", 0, INT64_MAX / 2, 0);
              if (!to) return;
              auto before = IntParam(c, "before", 0, INT64_MAX / 2, 0);
              if (!before) return;
              auto limit = IntParam(c, "limit", 1, 500, 100);
              if (!limit) return;
              q.from = *from;
              q.to = *to;
              q.before_id = *before;
              q.limit = static_cast<int>(*limit);
              auto r = c.s().lifecycle->InstanceAudit(c.principal, q);
              if (!r.ok()) return SendError(c, r.status());
              nlohmann::json out = nlohmann::json::array();
              int64_t last = 0;
              for (const auto& e : r.value()) {
                out.push_back({{"id", e.id},
                               {"at", util::FormatUtc(e.at)},
                               {"object", e.object},
                               {"actor_id", e.actor_id},
                               {"action", e.action},
                               {"change", e.change}});
                last = e.id;
              }
              nlohmann::json body = {{"entries", out}};
              if (static_cast<int64_t>(out.size()) == *limit) body["next_before"] = last;
              SendJson(c, 200, body);
            });

  api.Route({"GET", "/api/v1/metrics", "metrics", Auth::kSignedIn, false,
             "Operator: Prometheus metrics (text format 0.0.4): requests by route and status "
             "class, BOM reads, purges, exfiltration alerts, seal state, uptime"},
            [](Ctx& c) {
              access::Decision d = access::MayUse(c.principal, access::Function::kMetrics);
              if (d != access::Decision::kAllow) {
                return SendError(c, d == access::Decision::kUnauthenticated
                                        ? Status::Unauthenticated()
                                        : Status::Forbidden());
              }
              c.res.status = 200;
              c.res.set_content(service::Monitor::Get().Prometheus(c.instance.sealed()),
                                "text/plain; version=0.0.4; charset=utf-8");
            });
}

}  // namespace bomvault::http
