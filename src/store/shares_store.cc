#include "store/shares_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::vector<ShareRow> ListShares(Db& db, const util::BomId& bom) {
  SQLite::Statement q(db,
                      "SELECT user_id, access, created_at FROM bom_shares WHERE bom_id = ? "
                      "ORDER BY created_at");
  q.bind(1, bom.str());
  std::vector<ShareRow> out;
  while (q.executeStep()) {
    out.push_back({util::UserId::FromTrusted(q.getColumn(0).getString()),
                   q.getColumn(1).getString(), q.getColumn(2).getInt64()});
  }
  return out;
}

void UpsertShare(Db& db, const util::BomId& bom, const util::UserId& user,
                 const std::string& access, int64_t now) {
  SQLite::Statement up(db,
                       "INSERT INTO bom_shares(bom_id, user_id, access, created_at) VALUES "
                       "(?,?,?,?) ON CONFLICT(bom_id, user_id) DO UPDATE SET access = "
                       "excluded.access");
  up.bind(1, bom.str());
  up.bind(2, user.str());
  up.bind(3, access);
  up.bind(4, now);
  up.exec();
}

bool DeleteShare(Db& db, const util::BomId& bom, const util::UserId& user) {
  SQLite::Statement d(db, "DELETE FROM bom_shares WHERE bom_id = ? AND user_id = ?");
  d.bind(1, bom.str());
  d.bind(2, user.str());
  return d.exec() != 0;
}

std::optional<ShareTarget> FindShareTarget(Db& db, const util::UserId& user) {
  SQLite::Statement q(db, "SELECT org_id, email_verified, disabled FROM users WHERE id = ?");
  q.bind(1, user.str());
  if (!q.executeStep()) return std::nullopt;
  return ShareTarget{util::OrgId::FromTrusted(q.getColumn(0).getString()),
                     q.getColumn(1).getInt() != 0, q.getColumn(2).getInt() != 0};
}

}  // namespace bomvault::store
