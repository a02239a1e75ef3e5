#include "store/retention_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::vector<StaleBomRow> StaleBoms(Db& db, const util::OrgId& org, const std::string& after,
                                   int64_t cutoff, size_t limit) {
  SQLite::Statement q(db,
                      "SELECT b.id, b.item_count, u.last_active_at <= ?3, b.owner_id, "
                      "b.name_sealed FROM boms b "
                      "JOIN users u ON u.id = b.owner_id WHERE b.org_id = ?1 AND b.id > ?2 "
                      "AND (b.last_interacted_at <= ?3 OR u.last_active_at <= ?3) "
                      "ORDER BY b.id LIMIT ?4");
  q.bind(1, org.str());
  q.bind(2, after);
  q.bind(3, cutoff);
  q.bind(4, static_cast<int64_t>(limit));
  std::vector<StaleBomRow> out;
  while (q.executeStep()) {
    out.push_back({util::BomId::FromTrusted(q.getColumn(0).getString()), q.getColumn(1).getInt64(),
                   q.getColumn(2).getInt() != 0,
                   util::UserId::FromTrusted(q.getColumn(3).getString()), Copy(q.getColumn(4))});
  }
  return out;
}

void DeleteBomAndHistory(Db& db, const util::BomId& bom) {
  SQLite::Statement history(db, "DELETE FROM audit WHERE object = ?");
  history.bind(1, "bom:" + bom.str());
  history.exec();
  SQLite::Statement row(db, "DELETE FROM boms WHERE id = ?");  // cascades
  row.bind(1, bom.str());
  row.exec();
}

}  // namespace bomvault::store
