#include "store/boms_store.h"

#include "store/rows.h"

namespace bomvault::store {

void ForEachBomForCheck(Db& db, const std::function<void(const BomCheckRow&)>& fn) {
  SQLite::Statement q(
      db, "SELECT id, org_id, name_sealed, meta_sealed, item_count, chunk_count FROM boms");
  while (q.executeStep()) {
    BomCheckRow r;
    r.id = util::BomId::FromTrusted(q.getColumn(0).getString());
    r.org = util::OrgId::FromTrusted(q.getColumn(1).getString());
    r.name_sealed = Copy(q.getColumn(2));
    r.meta_sealed = Copy(q.getColumn(3));
    r.item_count = q.getColumn(4).getInt64();
    r.chunk_count = q.getColumn(5).getInt64();
    fn(r);
  }
}

void ForEachBomChunk(Db& db, const util::BomId& bom,
                     const std::function<void(int64_t seq, std::span<const uint8_t> sealed)>& fn) {
  SQLite::Statement q(db, "SELECT seq, sealed FROM bom_chunks WHERE bom_id = ? ORDER BY seq");
  q.bind(1, bom.str());
  while (q.executeStep()) fn(q.getColumn(0).getInt64(), Blob(q.getColumn(1)));
}

}  // namespace bomvault::store
