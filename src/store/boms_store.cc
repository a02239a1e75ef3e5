#include "store/boms_store.h"

#include <algorithm>

#include "store/rows.h"

namespace bomvault::store {

namespace {

// The BomAccessRow columns (?1 the BOM, ?2 the member, ?3 the org), first in every lookup of one
// BOM for a member, and the tables they read.
#define BV_BOM_ACCESS_COLUMNS                                                    \
  "b.org_id, b.owner_id, "                                                       \
  "(SELECT access FROM bom_shares s WHERE s.bom_id = b.id AND s.user_id = ?2), " \
  "coalesce(json_extract(o.settings, '$.sharing_enabled'), 1)"
#define BV_BOM_OF_MEMBER \
  " FROM boms b JOIN orgs o ON o.id = b.org_id WHERE b.id = ?1 AND b.org_id = ?3"

void BindBomOfMember(SQLite::Statement& q, const util::BomId& id, const util::OrgId& org,
                     const util::UserId& member) {
  q.bind(1, id.str());
  q.bind(2, member.str());
  q.bind(3, org.str());
}

// Columns 0-3: BV_BOM_ACCESS_COLUMNS.
void ReadAccessColumns(SQLite::Statement& q, BomAccessRow& r) {
  r.org = util::OrgId::FromTrusted(q.getColumn(0).getString());
  r.owner = util::UserId::FromTrusted(q.getColumn(1).getString());
  r.share = TextOrNull(q.getColumn(2));
  r.org_sharing_enabled = q.getColumn(3).getInt() != 0;
}

}  // namespace

std::optional<BomRow> FindBomForMember(Database& statements, Db& db, const util::BomId& id,
                                       const util::OrgId& org, const util::UserId& member) {
  SQLite::Statement& q = statements.Prepared(
      db,
      "SELECT " BV_BOM_ACCESS_COLUMNS
      ", b.name_sealed, b.meta_sealed, b.item_count, b.chunk_count, b.created_at, b.updated_at, "
      "b.last_interacted_at, (SELECT count(*) FROM bom_attachments a WHERE a.bom_id = b.id), "
      "(SELECT a.id FROM bom_attachments a WHERE a.bom_id = b.id AND a.kind = 'thumbnail'), "
      "b.revision, b.version" BV_BOM_OF_MEMBER);
  BindBomOfMember(q, id, org, member);
  if (!q.executeStep()) return std::nullopt;
  BomRow r;
  ReadAccessColumns(q, r);
  r.name_sealed = Copy(q.getColumn(4));
  r.meta_sealed = Copy(q.getColumn(5));
  r.item_count = q.getColumn(6).getInt64();
  r.chunk_count = q.getColumn(7).getInt64();
  r.created_at = q.getColumn(8).getInt64();
  r.updated_at = q.getColumn(9).getInt64();
  r.last_interacted_at = q.getColumn(10).getInt64();
  r.attachments = q.getColumn(11).getInt64();
  r.thumbnail_id = TextOrNull(q.getColumn(12));
  r.revision = q.getColumn(13).getInt64();
  r.version = q.getColumn(14).getInt64();
  return r;
}

std::optional<BomAccessRow> FindBomAccess(Database& statements, Db& db, const util::BomId& id,
                                          const util::OrgId& org, const util::UserId& member) {
  SQLite::Statement& q = statements.Prepared(db, "SELECT " BV_BOM_ACCESS_COLUMNS BV_BOM_OF_MEMBER);
  BindBomOfMember(q, id, org, member);
  if (!q.executeStep()) return std::nullopt;
  BomAccessRow r;
  ReadAccessColumns(q, r);
  return r;
}

void ForEachListedBom(Db& db, const BomListFilter& filter,
                      const std::function<bool(const BomListRow&)>& fn) {
  std::string sql =
      "SELECT b.id, b.owner_id, b.name_sealed, b.meta_sealed, b.item_count, b.created_at, "
      "b.updated_at, b.last_interacted_at, s.access, "
      "(SELECT count(*) FROM bom_attachments a WHERE a.bom_id = b.id), "
      "(SELECT a.id FROM bom_attachments a WHERE a.bom_id = b.id AND a.kind = 'thumbnail') "
      "FROM boms b LEFT JOIN bom_shares s ON "
      "s.bom_id = b.id AND s.user_id = ?2 WHERE b.org_id = ?1";
  switch (filter.scope) {
    case BomListScope::kAll:
      break;
    case BomListScope::kOwnedOrShared:
      sql += " AND (b.owner_id = ?2 OR s.access IS NOT NULL)";
      break;
    case BomListScope::kOwned:
      sql += " AND b.owner_id = ?2";
      break;
  }
  if (filter.with_part_index_only) {
    sql += " AND EXISTS (SELECT 1 FROM bom_part_index p WHERE p.bom_id = b.id)";
  }
  if (filter.after) sql += " AND (b.created_at < ?3 OR (b.created_at = ?3 AND b.id > ?4))";
  sql += " ORDER BY b.created_at DESC, b.id";
  SQLite::Statement q(db, sql);
  q.bind(1, filter.org.str());
  q.bind(2, filter.member.str());
  if (filter.after) {
    q.bind(3, filter.after->first);
    q.bind(4, filter.after->second.str());
  }
  while (q.executeStep()) {
    BomListRow r;
    r.id = util::BomId::FromTrusted(q.getColumn(0).getString());
    r.owner = util::UserId::FromTrusted(q.getColumn(1).getString());
    r.name_sealed = Copy(q.getColumn(2));
    r.meta_sealed = Copy(q.getColumn(3));
    r.item_count = q.getColumn(4).getInt64();
    r.created_at = q.getColumn(5).getInt64();
    r.updated_at = q.getColumn(6).getInt64();
    r.last_interacted_at = q.getColumn(7).getInt64();
    r.share = TextOrNull(q.getColumn(8));
    r.attachments = q.getColumn(9).getInt64();
    r.thumbnail_id = TextOrNull(q.getColumn(10));
    if (!fn(r)) return;
  }
}

bool BomUsesPart(Db& db, const util::BomId& id, const PartIndexEntry& part) {
  SQLite::Statement q(db, "SELECT entries FROM bom_part_index WHERE bom_id = ?");
  q.bind(1, id.str());
  if (!q.executeStep()) return false;
  // Binary search of the sorted blob, in place.
  auto col = q.getColumn(0);
  const auto* data = static_cast<const PartIndexEntry*>(col.getBlob());
  size_t n = static_cast<size_t>(col.size()) / kPartIndexBytes;
  return std::binary_search(data, data + n, part);
}

void InsertBom(Db& db, const NewBomRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO boms(id, org_id, owner_id, name_sealed, name_bidx, "
                        "meta_sealed, item_count, chunk_count, created_at, updated_at, "
                        "last_interacted_at) VALUES (?,?,?,?,?,?,0,0,?,?,?)");
  ins.bind(1, row.id.str());
  ins.bind(2, row.org.str());
  ins.bind(3, row.owner.str());
  BindBlob(ins, 4, row.name_sealed);
  BindBlob(ins, 5, row.name_bidx);
  BindBlob(ins, 6, row.meta_sealed);
  ins.bind(7, row.created_at);
  ins.bind(8, row.created_at);
  ins.bind(9, row.created_at);
  ins.exec();
}

void SetBomName(Db& db, const util::BomId& id, const crypto::Bytes& name_sealed,
                const crypto::Bytes& name_bidx) {
  SQLite::Statement u(db, "UPDATE boms SET name_sealed = ?, name_bidx = ? WHERE id = ?");
  BindBlob(u, 1, name_sealed);
  BindBlob(u, 2, name_bidx);
  u.bind(3, id.str());
  u.exec();
}

void SetBomMeta(Db& db, const util::BomId& id, const crypto::Bytes& meta_sealed) {
  SQLite::Statement u(db, "UPDATE boms SET meta_sealed = ? WHERE id = ?");
  BindBlob(u, 1, meta_sealed);
  u.bind(2, id.str());
  u.exec();
}

void SetBomUpdated(Db& db, const util::BomId& id, int64_t at) {
  SQLite::Statement u(db, "UPDATE boms SET updated_at = ?, last_interacted_at = ? WHERE id = ?");
  u.bind(1, at);
  u.bind(2, at);
  u.bind(3, id.str());
  u.exec();
}

void SetBomLastInteracted(Db& db, const util::BomId& id, int64_t at) {
  SQLite::Statement u(db, "UPDATE boms SET last_interacted_at = ? WHERE id = ?");
  u.bind(1, at);
  u.bind(2, id.str());
  u.exec();
}

void SetBomRevision(Db& db, const util::BomId& id, int64_t revision, int64_t at) {
  SQLite::Statement u(db,
                      "UPDATE boms SET revision = ?, updated_at = ?, last_interacted_at = ? "
                      "WHERE id = ?");
  u.bind(1, revision);
  u.bind(2, at);
  u.bind(3, at);
  u.bind(4, id.str());
  u.exec();
}

void SetBomOwner(Db& db, const util::BomId& id, const util::UserId& owner, int64_t at) {
  SQLite::Statement u(db, "UPDATE boms SET owner_id = ?, updated_at = ? WHERE id = ?");
  u.bind(1, owner.str());
  u.bind(2, at);
  u.bind(3, id.str());
  u.exec();
}

std::optional<int64_t> BomVersion(Db& db, const util::BomId& id) {
  SQLite::Statement v(db, "SELECT version FROM boms WHERE id = ?");
  v.bind(1, id.str());
  if (!v.executeStep()) return std::nullopt;
  return v.getColumn(0).getInt64();
}

BomItemsWriter::BomItemsWriter(Db& db, const util::BomId& id)
    : db_(db), id_(id), insert_(db, "INSERT INTO bom_chunks(bom_id, seq, sealed) VALUES (?,?,?)") {
  SQLite::Statement d(db, "DELETE FROM bom_chunks WHERE bom_id = ?");
  d.bind(1, id.str());
  d.exec();
  SQLite::Statement p(db, "DELETE FROM bom_part_index WHERE bom_id = ?");
  p.bind(1, id.str());
  p.exec();
}

void BomItemsWriter::Add(int64_t seq, std::span<const uint8_t> sealed) {
  insert_.bind(1, id_.str());
  insert_.bind(2, seq);
  BindBlob(insert_, 3, sealed);
  insert_.exec();
  insert_.reset();
}

void BomItemsWriter::Finish(std::span<const PartIndexEntry> sorted_parts, int64_t items,
                            int64_t chunks) {
  SQLite::Statement pi(db_, "INSERT INTO bom_part_index(bom_id, entries) VALUES (?,?)");
  pi.bind(1, id_.str());
  // A non-null pointer even for an empty BOM: SQLite stores a null pointer as NULL, which the
  // column refuses (an empty BOM used to fail here with a 409).
  static const uint8_t kNoEntries = 0;
  pi.bind(2, sorted_parts.empty() ? static_cast<const void*>(&kNoEntries) : sorted_parts.data(),
          static_cast<int>(sorted_parts.size() * kPartIndexBytes));
  pi.exec();
  SQLite::Statement u(db_, "UPDATE boms SET item_count = ?, chunk_count = ? WHERE id = ?");
  u.bind(1, items);
  u.bind(2, chunks);
  u.bind(3, id_.str());
  u.exec();
}

void ForEachBomChunk(Db& db, const util::BomId& bom,
                     const std::function<bool(int64_t seq, std::span<const uint8_t> sealed)>& fn) {
  SQLite::Statement q(db, "SELECT seq, sealed FROM bom_chunks WHERE bom_id = ? ORDER BY seq");
  q.bind(1, bom.str());
  while (q.executeStep()) {
    if (!fn(q.getColumn(0).getInt64(), Blob(q.getColumn(1)))) return;
  }
}

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

std::vector<RevisionRow> ListRevisions(Db& db, const util::BomId& id) {
  SQLite::Statement q(db,
                      "SELECT revision, created_at, actor_id, item_count, meta_sealed FROM "
                      "bom_revisions WHERE bom_id = ? ORDER BY revision DESC");
  q.bind(1, id.str());
  std::vector<RevisionRow> out;
  while (q.executeStep()) {
    RevisionRow r;
    r.revision = q.getColumn(0).getInt64();
    r.created_at = q.getColumn(1).getInt64();
    r.actor = util::UserId::FromTrusted(q.getColumn(2).getString());
    r.item_count = q.getColumn(3).getInt64();
    r.meta_sealed = CopyOrNull(q.getColumn(4));
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

void BindRevision(SQLite::Statement& ins, const util::BomId& id, const RevisionRow& row) {
  ins.bind(1, id.str());
  ins.bind(2, row.revision);
  ins.bind(3, row.created_at);
  ins.bind(4, row.actor.str());
  ins.bind(5, row.item_count);
  BindBlobOrNull(ins, 6, row.meta_sealed);
}

}  // namespace

void InsertRevision(Db& db, const util::BomId& id, const RevisionRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO bom_revisions(bom_id, revision, created_at, actor_id, "
                        "item_count, chunk_count, meta_sealed) VALUES (?,?,?,?,?,0,?)");
  BindRevision(ins, id, row);
  ins.exec();
}

void EnsureRevision(Db& db, const util::BomId& id, const RevisionRow& row) {
  SQLite::Statement ins(db,
                        "INSERT OR IGNORE INTO bom_revisions(bom_id, revision, created_at, "
                        "actor_id, item_count, chunk_count, meta_sealed) VALUES "
                        "(?,?,?,?,?,0,?)");
  BindRevision(ins, id, row);
  ins.exec();
}

void SetRevisionCounts(Db& db, const util::BomId& id, int64_t revision, int64_t chunks,
                       int64_t items) {
  SQLite::Statement u(db,
                      "UPDATE bom_revisions SET chunk_count = ?, item_count = ? WHERE "
                      "bom_id = ? AND revision = ?");
  u.bind(1, chunks);
  u.bind(2, items);
  u.bind(3, id.str());
  u.bind(4, revision);
  u.exec();
}

void InsertRevisionChunk(Db& db, const util::BomId& id, int64_t revision, int64_t seq,
                         std::span<const uint8_t> sealed) {
  SQLite::Statement ins(db,
                        "INSERT INTO bom_revision_chunks(bom_id, revision, seq, sealed) "
                        "VALUES (?,?,?,?)");
  ins.bind(1, id.str());
  ins.bind(2, revision);
  ins.bind(3, seq);
  BindBlob(ins, 4, sealed);
  ins.exec();
}

std::optional<int64_t> ArchivedRevisionItems(Db& db, const util::BomId& id, int64_t revision,
                                             int64_t current) {
  SQLite::Statement q(db,
                      "SELECT item_count FROM bom_revisions WHERE bom_id = ? AND revision = ? "
                      "AND revision < ?");
  q.bind(1, id.str());
  q.bind(2, revision);
  q.bind(3, current);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

void ForEachRevisionChunk(
    Db& db, const util::BomId& id, int64_t revision,
    const std::function<bool(int64_t seq, std::span<const uint8_t> sealed)>& fn) {
  SQLite::Statement q(db,
                      "SELECT seq, sealed FROM bom_revision_chunks WHERE bom_id = ? AND "
                      "revision = ? ORDER BY seq");
  q.bind(1, id.str());
  q.bind(2, revision);
  while (q.executeStep()) {
    if (!fn(q.getColumn(0).getInt64(), Blob(q.getColumn(1)))) return;
  }
}

std::vector<RevisionCheckRow> ListRevisionsForCheck(Db& db) {
  SQLite::Statement q(db,
                      "SELECT r.bom_id, r.revision, r.item_count, r.chunk_count, b.org_id, "
                      "b.revision FROM bom_revisions r LEFT JOIN boms b ON b.id = r.bom_id "
                      "ORDER BY r.bom_id, r.revision");
  std::vector<RevisionCheckRow> out;
  while (q.executeStep()) {
    RevisionCheckRow r;
    r.bom = util::BomId::FromTrusted(q.getColumn(0).getString());
    r.revision = q.getColumn(1).getInt64();
    r.item_count = q.getColumn(2).getInt64();
    r.chunk_count = q.getColumn(3).getInt64();
    if (!q.getColumn(4).isNull()) r.org = util::OrgId::FromTrusted(q.getColumn(4).getString());
    r.current_revision = q.getColumn(5).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

int64_t CountOrphanRevisionChunks(Db& db) {
  SQLite::Statement q(db,
                      "SELECT count(*) FROM bom_revision_chunks c WHERE NOT EXISTS (SELECT "
                      "1 FROM bom_revisions r WHERE r.bom_id = c.bom_id AND r.revision = "
                      "c.revision)");
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

}  // namespace bomvault::store
