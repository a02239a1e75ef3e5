#include "service/operator_audit.h"

#include "service/instance.h"
#include "vault/keyring.h"

namespace bomvault::service {

using util::Status;

util::Result<std::vector<AuditEntry>> OperatorAudit::InstanceEvents(const access::Principal& actor,
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

}  // namespace bomvault::service
