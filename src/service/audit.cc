#include "service/audit.h"

#include <SQLiteCpp/Statement.h>

#include "util/clock.h"

namespace bomvault::service {

int AuditDepth(store::Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT json_extract(settings, '$.audit_depth') FROM orgs WHERE id = ?");
  q.bind(1, org.str());
  if (q.executeStep() && !q.getColumn(0).isNull()) {
    int d = q.getColumn(0).getInt();
    if (d >= 1 && d <= 1000) return d;
  }
  return kDefaultAuditDepth;
}

void RecordAudit(store::Db& db, const OrgCrypto* org, const AuditEvent& e) {
  SQLite::Statement ins(db,
                        "INSERT INTO audit(org_id, object, actor_id, action, change_sealed, "
                        "change_plain, at) VALUES (?,?,?,?,?,?,?)");
  std::string change = e.change.dump();
  if (org != nullptr) {
    ins.bind(1, org->org().str());
    auto sealed = org->SealText("audit", e.object, change);
    ins.bind(5, sealed.data(), static_cast<int>(sealed.size()));
    ins.bind(6);
  } else {
    ins.bind(1);
    ins.bind(5);
    ins.bind(6, change);
  }
  ins.bind(2, e.object);
  ins.bind(3, e.actor_id);
  ins.bind(4, e.action);
  ins.bind(7, static_cast<int64_t>(util::NowUnix()));
  ins.exec();
  int depth = org != nullptr ? AuditDepth(db, org->org()) : kDefaultAuditDepth * 100;
  SQLite::Statement prune(db,
                          "DELETE FROM audit WHERE object = ?1 AND id <= (SELECT id FROM audit "
                          "WHERE object = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
  prune.bind(1, e.object);
  prune.bind(2, depth);
  prune.exec();
}

util::Result<std::vector<AuditEntry>> QueryAudit(store::Db& db, const OrgCrypto& org,
                                                 const AuditQuery& q) {
  std::string sql =
      "SELECT id, at, object, actor_id, action, change_sealed FROM audit WHERE org_id = ?1";
  if (!q.object.empty()) sql += " AND object = ?2";
  if (!q.actor_id.empty()) sql += " AND actor_id = ?3";
  if (!q.action.empty()) sql += " AND action = ?4";
  if (q.from > 0) sql += " AND at >= ?5";
  if (q.to > 0) sql += " AND at <= ?6";
  if (q.before_id > 0) sql += " AND id < ?7";
  sql += " ORDER BY id DESC LIMIT ?8";
  SQLite::Statement s(db, sql);
  s.bind(1, org.org().str());
  if (!q.object.empty()) s.bind(2, q.object);
  if (!q.actor_id.empty()) s.bind(3, q.actor_id);
  if (!q.action.empty()) s.bind(4, q.action);
  if (q.from > 0) s.bind(5, static_cast<int64_t>(q.from));
  if (q.to > 0) s.bind(6, static_cast<int64_t>(q.to));
  if (q.before_id > 0) s.bind(7, static_cast<int64_t>(q.before_id));
  s.bind(8, q.limit);
  std::vector<AuditEntry> out;
  while (s.executeStep()) {
    AuditEntry e;
    e.id = s.getColumn(0).getInt64();
    e.at = s.getColumn(1).getInt64();
    e.object = s.getColumn(2).getString();
    e.actor_id = s.getColumn(3).getString();
    e.action = s.getColumn(4).getString();
    auto col = s.getColumn(5);
    auto plain = org.OpenText(
        "audit", e.object,
        {static_cast<const uint8_t*>(col.getBlob()), static_cast<size_t>(col.size())});
    if (!plain) return util::Status::Internal("an audit entry could not be opened");
    e.change = nlohmann::json::parse(*plain, nullptr, false);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace bomvault::service
