// Routes for the operator's view of the instance: its own audit events and Prometheus metrics.
#include "http/api.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Status;

void RegisterLifecycleRoutes(Api& api) {
  api.Route({"GET", "/api/v1/instance/audit", "instance.audit", Auth::kSignedIn, false,
             "Operator: instance events (seal, unseal.share, unseal.success, unseal.failure, "
             "org.delete), newest first; filters action, from, to (unix seconds), before "
             "(cursor), limit"},
            [](Ctx& c) {
              auto q = AuditQueryParams(c);
              if (!q) return;
              auto r = c.s().lifecycle->InstanceAudit(c.principal, *q);
              if (!r.ok()) return SendError(c, r.status());
              SendAuditEntries(c, r.value(), q->limit);
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
