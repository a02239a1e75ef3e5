// Routes for the operator's view of the instance: its own audit events, Prometheus metrics,
// backups, data-key rotation, and readiness.
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Result;
using util::Status;

namespace {

struct BackupIn {
  std::string to, store_id;
};
const BodySpec<BackupIn> kBackup{"BackupRequest",
                                 4096,
                                 {Text("to", &BackupIn::to, Need::kRequired),
                                  Text("store_id", &BackupIn::store_id, Need::kOptional)}};

struct KeyRotateIn {
  std::string org_id;  // "": every organisation
};
const BodySpec<KeyRotateIn> kKeyRotate{
    "KeyRotate", 4096, {Text("org_id", &KeyRotateIn::org_id, Need::kOptional)}};

}  // namespace

void RegisterLifecycleRoutes(Api& api) {
  api.Route({"GET",
             "/api/v1/instance/audit",
             "instance.audit",
             Auth::kSignedIn,
             false,
             "Operator: instance events (seal, unseal.share, unseal.success, unseal.failure, "
             "org.delete), newest first; filters action, from, to (unix seconds), before "
             "(cursor), limit",
             {.responses = {{200, "AuditEntries"}}, .query = AuditQueryDoc(), .list_max = 500}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto q, AuditQueryParams(c.req));
              BV_ASSIGN_OR_RETURN(auto entries,
                                  c.s().operator_audit->InstanceEvents(c.principal, q));
              return AuditEntriesReply(c.req, entries, q.limit);
            });

  api.Route({"GET",
             "/api/v1/metrics",
             "metrics",
             Auth::kSignedIn,
             false,
             "Operator: Prometheus metrics (text format 0.0.4): requests by route and status "
             "class, BOM reads, purges, exfiltration alerts, seal state, uptime",
             {.responses = {{200, nullptr, "text/plain"}}},
             access::Function::kMetrics},
            [](Ctx& c) -> Result<Reply> {
              return Reply::Bytes(200, c.instance.monitor().Prometheus(c.instance.sealed()),
                                  "text/plain; version=0.0.4; charset=utf-8");
            });

  api.Route({"POST",
             "/api/v1/backups",
             "backups.create",
             Auth::kSignedIn,
             false,
             "Operator: write one verified, encrypted backup now to {\"to\": absolute directory} "
             "(created 0700 if missing; empty or holding this store's backups); optional "
             "\"store_id\" must match this store. 201 with the snapshot's name and counts",
             {.responses = {{201, "Backup"}}, .errors = {409, 422}},
             access::Function::kBackup},
            kBackup, [](Ctx& c, BackupIn& in) -> Result<Reply> {
              if (!in.store_id.empty() && in.store_id != c.s().backups->StoreId()) {
                return Status::Conflict("wrong_store", "this server does not serve that store");
              }
              BV_ASSIGN_OR_RETURN(service::BackupReport b,
                                  c.s().backups->Run(&c.principal, in.to, "operator"));
              return Reply::Created("/api/v1/backups", {{"snapshot", b.snapshot},
                                                        {"at", util::FormatUtc(b.at)},
                                                        {"bytes", b.bytes},
                                                        {"orgs", b.orgs},
                                                        {"users", b.users},
                                                        {"boms", b.boms},
                                                        {"items", b.items},
                                                        {"attachments", b.attachments},
                                                        {"expired", b.expired},
                                                        {"millis", b.millis},
                                                        {"verified", true}});
            });

  api.Route({"GET",
             "/api/v1/backups",
             "backups.list",
             Auth::kSignedIn,
             false,
             "Operator: every backup directory this store has written to, its newest verified "
             "snapshot, and whether its key file still waits for a deletion or rekey; by path",
             {.responses = {{200, "BackupTargets"}}, .list_max = 1000}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              BV_ASSIGN_OR_RETURN(auto targets, c.s().backups->Targets(c.principal));
              return ListPage<service::BackupTarget>(
                  c.req, "targets", std::move(targets),
                  [](const service::BackupTarget& t) { return t.path; }, false, page,
                  [](const service::BackupTarget& t) -> nlohmann::json {
                    return {{"path", t.path},
                            {"last_success_at", t.last_success_at},
                            {"last_snapshot", t.last_snapshot},
                            {"keys_pending", t.keys_pending}};
                  });
            });

  api.Route({"POST",
             "/api/v1/keys/rotate",
             "keys.rotate",
             Auth::kSignedIn,
             false,
             "Operator: rotate the data key of {\"org_id\": id}, or of every organisation if "
             "org_id is absent. New writes use the new key at once; everything sealed under the "
             "old one is re-sealed in the background (resumed after a restart), then the old key "
             "is destroyed once no backup snapshot or audit-chain entry needs it. 202 "
             "{\"rotated\": [org ids]}; follow GET /api/v1/keys/rotation",
             {.responses = {{202, "KeysRotated"}}, .errors = {404, 409}},
             access::Function::kKeyRotate},
            kKeyRotate, [](Ctx& c, KeyRotateIn& in) -> Result<Reply> {
              const std::string& org = in.org_id;
              if (!org.empty() && !util::OrgId::Parse(org)) {
                return Status::NotFound("no such organisation");
              }
              BV_ASSIGN_OR_RETURN(auto rotated, c.s().key_rotation->Start(c.principal, org));
              return Reply::Json(202, {{"rotated", rotated}});
            });

  api.Route({"GET",
             "/api/v1/keys/rotation",
             "keys.rotation",
             Auth::kSignedIn,
             false,
             "Operator: the re-seal in progress per organisation (pass 1 re-seals, pass 2 "
             "verifies; step of steps sealed columns; ciphertexts re-sealed so far) and every "
             "retired key still kept, with what keeps it: reseal, backups (a snapshot older than "
             "the end of the re-seal), audit_chain",
             {.responses = {{200, "KeyRotation"}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto report, c.s().key_rotation->Report(c.principal));
              nlohmann::json rot = nlohmann::json::array(), ret = nlohmann::json::array();
              for (const auto& p : report.rotations) {
                rot.push_back({{"org_id", p.org_id},
                               {"pass", p.pass},
                               {"step", p.step},
                               {"steps", p.steps},
                               {"resealed", p.resealed},
                               {"started_at", util::FormatUtc(p.started_at)}});
              }
              for (const auto& k : report.retired) {
                nlohmann::json e = {{"org_id", k.org_id},
                                    {"retired_at", util::FormatUtc(k.retired_at)},
                                    {"kept_for", k.kept_for}};
                if (k.resealed_at > 0) e["resealed_at"] = util::FormatUtc(k.resealed_at);
                ret.push_back(std::move(e));
              }
              return Reply::Json(200, {{"in_progress", !report.rotations.empty()},
                                       {"rotations", rot},
                                       {"retired_keys", ret},
                                       {"unreadable", report.unreadable}});
            });

  api.Route({"GET",
             "/api/v1/ready",
             "ready",
             Auth::kNone,
             true,
             "Readiness: 200 once unsealed and the store answers; 503 while sealed. "
             "/api/v1/health is the liveness probe",
             {.responses = {{200, "Ready"}}, .errors = {503}}},
            [](Ctx& c) -> Result<Reply> {
              if (!c.services) return Status(util::Code::kSealed, "sealed", "the vault is sealed");
              if (!c.s().db->Ping().ok()) {
                return Status(util::Code::kUnavailable, "store_unavailable",
                              "the store does not answer");
              }
              return Reply::Json(200, {{"status", "ready"}});
            });
}

}  // namespace bomvault::http
