#include "store/audit_store.h"

#include "store/rows.h"

namespace bomvault::store {

void InsertAudit(Db& db, const AuditRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO audit(org_id, object, actor_id, action, change_sealed, "
                        "change_plain, at) VALUES (?,?,?,?,?,?,?)");
  if (row.org) {
    ins.bind(1, row.org->str());
  } else {
    ins.bind(1);
  }
  ins.bind(2, row.object);
  ins.bind(3, row.actor_id);
  ins.bind(4, row.action);
  BindBlobOrNull(ins, 5, row.change_sealed);
  if (row.change_plain) {
    ins.bind(6, *row.change_plain);
  } else {
    ins.bind(6);
  }
  ins.bind(7, row.at);
  ins.exec();
}

void PruneAudit(Db& db, std::string_view object, int depth,
                const std::vector<std::string>& noise_actions, bool noise) {
  // Two noise actions today; the statement names both.
  SQLite::Statement prune(db,
                          "DELETE FROM audit WHERE object = ?1 AND (action IN (?3, ?4)) = ?5 AND "
                          "id <= (SELECT id FROM audit WHERE object = ?1 AND "
                          "(action IN (?3, ?4)) = ?5 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
  prune.bind(1, std::string(object));
  prune.bind(2, depth);
  prune.bind(3, noise_actions.size() > 0 ? noise_actions[0] : std::string());
  prune.bind(4, noise_actions.size() > 1 ? noise_actions[1] : std::string());
  prune.bind(5, noise ? 1 : 0);
  prune.exec();
}

std::vector<AuditRow> SearchAudit(Db& db, const std::optional<util::OrgId>& org,
                                  const AuditFilter& f) {
  std::string sql = org ? "SELECT id, at, object, actor_id, action, change_sealed FROM audit "
                          "WHERE org_id = ?1"
                        : "SELECT id, at, object, actor_id, action, change_plain FROM audit "
                          "WHERE org_id IS NULL";
  if (!f.object.empty()) sql += " AND object = ?2";
  if (!f.actor_id.empty()) sql += " AND actor_id = ?3";
  if (!f.action.empty()) sql += " AND action = ?4";
  if (f.from > 0) sql += " AND at >= ?5";
  if (f.to > 0) sql += " AND at <= ?6";
  if (f.before_id > 0) sql += " AND id < ?7";
  sql += " ORDER BY id DESC LIMIT ?8";
  SQLite::Statement s(db, sql);
  if (org) s.bind(1, org->str());
  if (!f.object.empty()) s.bind(2, f.object);
  if (!f.actor_id.empty()) s.bind(3, f.actor_id);
  if (!f.action.empty()) s.bind(4, f.action);
  if (f.from > 0) s.bind(5, f.from);
  if (f.to > 0) s.bind(6, f.to);
  if (f.before_id > 0) s.bind(7, f.before_id);
  s.bind(8, f.limit);
  std::vector<AuditRow> out;
  while (s.executeStep()) {
    AuditRow r;
    r.id = s.getColumn(0).getInt64();
    r.at = s.getColumn(1).getInt64();
    r.org = org;
    r.object = s.getColumn(2).getString();
    r.actor_id = s.getColumn(3).getString();
    r.action = s.getColumn(4).getString();
    if (org) {
      r.change_sealed = Copy(s.getColumn(5));
    } else {
      r.change_plain = TextOrNull(s.getColumn(5));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<std::pair<int64_t, crypto::Bytes>> ChainHeadRow(Db& db) {
  SQLite::Statement q(db, "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1");
  if (!q.executeStep()) return std::nullopt;
  return std::make_pair(q.getColumn(0).getInt64(), Copy(q.getColumn(1)));
}

void InsertChainRow(Db& db, const ChainRow& row) {
  SQLite::Statement ins(
      db,
      "INSERT INTO audit_chain(seq, at, org_id, object, actor_id, action, "
      "change_sealed, change_plain, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, row.seq);
  ins.bind(2, row.at);
  if (row.org_id) {
    ins.bind(3, *row.org_id);
  } else {
    ins.bind(3);
  }
  ins.bind(4, row.object);
  ins.bind(5, row.actor_id);
  ins.bind(6, row.action);
  if (row.sealed) {
    BindBlob(ins, 7, row.change);
    ins.bind(8);
  } else {
    ins.bind(7);
    ins.bind(8, std::string(row.change.begin(), row.change.end()));
  }
  BindBlob(ins, 9, row.prev_hash);
  BindBlob(ins, 10, row.hash);
  ins.exec();
}

void ForEachChainRow(Db& db, const std::function<void(const ChainRow&)>& fn) {
  SQLite::Statement q(db,
                      "SELECT seq, at, org_id, object, actor_id, action, change_sealed, "
                      "change_plain, prev_hash, hash FROM audit_chain ORDER BY seq");
  while (q.executeStep()) {
    ChainRow row;
    row.seq = q.getColumn(0).getInt64();
    row.at = q.getColumn(1).getInt64();
    row.org_id = TextOrNull(q.getColumn(2));
    row.object = q.getColumn(3).getString();
    row.actor_id = q.getColumn(4).getString();
    row.action = q.getColumn(5).getString();
    row.sealed = !q.getColumn(6).isNull();
    if (row.sealed) {
      row.change = Copy(q.getColumn(6));
    } else {
      std::string plain = q.getColumn(7).getString();
      row.change.assign(plain.begin(), plain.end());
    }
    row.prev_hash = Copy(q.getColumn(8));
    row.hash = Copy(q.getColumn(9));
    fn(row);
  }
}

std::optional<int64_t> ChainTrimThrough(Db& db, int64_t cutoff) {
  // Only a prefix may go: the newest row older than the cutoff that has no newer-dated row
  // before it. A clock that stepped back can leave an old row after a newer one; it waits.
  SQLite::Statement q(db,
                      "SELECT coalesce((SELECT min(seq) FROM audit_chain WHERE at >= ?1) - 1, "
                      "(SELECT max(seq) FROM audit_chain)), (SELECT min(seq) FROM audit_chain)");
  q.bind(1, cutoff);
  if (!q.executeStep() || q.getColumn(0).isNull() || q.getColumn(1).isNull()) return std::nullopt;
  const int64_t through = q.getColumn(0).getInt64();
  if (through < q.getColumn(1).getInt64()) return std::nullopt;
  return through;
}

std::optional<crypto::Bytes> ChainHashAt(Db& db, int64_t seq) {
  SQLite::Statement q(db, "SELECT hash FROM audit_chain WHERE seq = ?");
  q.bind(1, seq);
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

bool ChainHasOrgRowAtOrBefore(Db& db, const util::OrgId& org, int64_t at) {
  SQLite::Statement q(db, "SELECT 1 FROM audit_chain WHERE org_id = ? AND at <= ? LIMIT 1");
  q.bind(1, org.str());
  q.bind(2, at);
  return q.executeStep();
}

int64_t DeleteChainThrough(Db& db, int64_t seq) {
  SQLite::Statement d(db, "DELETE FROM audit_chain WHERE seq <= ?");
  d.bind(1, seq);
  return d.exec();
}

}  // namespace bomvault::store
