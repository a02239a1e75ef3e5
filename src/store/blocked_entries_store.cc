#include "store/blocked_entries_store.h"

#include "store/rows.h"

namespace bomvault::store {

bool BlockedEntryExists(Db& db, const util::OrgId& org, const crypto::Bytes& entry_bidx) {
  SQLite::Statement q(db, "SELECT 1 FROM blocked_entries WHERE org_id = ? AND entry_bidx = ?");
  q.bind(1, org.str());
  BindBlob(q, 2, entry_bidx);
  return q.executeStep();
}

std::vector<BlockedRow> ListBlocked(Db& db, const util::OrgId& org, int limit) {
  SQLite::Statement q(db,
                      "SELECT kind, entry_bidx, entry_sealed, created_by, created_at FROM "
                      "blocked_entries WHERE org_id = ? ORDER BY created_at, entry_bidx LIMIT ?");
  q.bind(1, org.str());
  q.bind(2, limit);
  std::vector<BlockedRow> out;
  while (q.executeStep()) {
    BlockedRow r;
    r.kind = q.getColumn(0).getString();
    r.entry_bidx = Copy(q.getColumn(1));
    r.entry_sealed = Copy(q.getColumn(2));
    r.created_by = q.getColumn(3).getString();
    r.created_at = q.getColumn(4).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

int64_t CountBlocked(Db& db, const util::OrgId& org) {
  SQLite::Statement n(db, "SELECT count(*) FROM blocked_entries WHERE org_id = ?");
  n.bind(1, org.str());
  n.executeStep();
  return n.getColumn(0).getInt64();
}

void InsertBlocked(Db& db, const util::OrgId& org, const BlockedRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO blocked_entries(org_id, entry_bidx, kind, entry_sealed, "
                        "created_by, created_at) VALUES (?,?,?,?,?,?)");
  ins.bind(1, org.str());
  BindBlob(ins, 2, row.entry_bidx);
  ins.bind(3, row.kind);
  BindBlob(ins, 4, row.entry_sealed);
  ins.bind(5, row.created_by);
  ins.bind(6, row.created_at);
  ins.exec();
}

bool DeleteBlocked(Db& db, const util::OrgId& org, const crypto::Bytes& entry_bidx) {
  SQLite::Statement d(db, "DELETE FROM blocked_entries WHERE org_id = ? AND entry_bidx = ?");
  d.bind(1, org.str());
  BindBlob(d, 2, entry_bidx);
  return d.exec() != 0;
}

}  // namespace bomvault::store
