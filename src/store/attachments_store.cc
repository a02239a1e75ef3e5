#include "store/attachments_store.h"

#include "store/rows.h"

namespace bomvault::store {

namespace {

#define BV_ATTACHMENT_COLUMNS                                                                 \
  "id, bom_id, kind, media_type, size, width, height, chunk_count, meta_sealed, created_by, " \
  "created_at"

AttachmentRow FromRow(SQLite::Statement& q) {
  AttachmentRow r;
  r.id = util::AttachmentId::FromTrusted(q.getColumn(0).getString());
  r.bom = util::BomId::FromTrusted(q.getColumn(1).getString());
  r.kind = q.getColumn(2).getString();
  r.media_type = q.getColumn(3).getString();
  r.size = q.getColumn(4).getInt64();
  r.width = q.getColumn(5).getInt64();
  r.height = q.getColumn(6).getInt64();
  r.chunk_count = q.getColumn(7).getInt64();
  r.meta_sealed = Copy(q.getColumn(8));
  r.created_by = util::UserId::FromTrusted(q.getColumn(9).getString());
  r.created_at = q.getColumn(10).getInt64();
  return r;
}

}  // namespace

std::vector<AttachmentRow> ListAttachments(Db& db, const util::BomId& bom) {
  SQLite::Statement q(db, "SELECT " BV_ATTACHMENT_COLUMNS
                          " FROM bom_attachments WHERE bom_id = ? ORDER BY created_at, id");
  q.bind(1, bom.str());
  std::vector<AttachmentRow> out;
  while (q.executeStep()) out.push_back(FromRow(q));
  return out;
}

std::optional<AttachmentRow> FindAttachment(Db& db, const util::BomId& bom,
                                            const util::AttachmentId& id) {
  SQLite::Statement q(
      db, "SELECT " BV_ATTACHMENT_COLUMNS " FROM bom_attachments WHERE id = ? AND bom_id = ?");
  q.bind(1, id.str());
  q.bind(2, bom.str());
  if (!q.executeStep()) return std::nullopt;
  return FromRow(q);
}

void ForEachAttachment(
    Db& db,
    const std::function<void(const AttachmentRow&, const std::optional<util::OrgId>&)>& fn) {
  SQLite::Statement q(db, "SELECT " BV_ATTACHMENT_COLUMNS
                          ", (SELECT org_id FROM boms b WHERE b.id = bom_id) "
                          "FROM bom_attachments ORDER BY id");
  while (q.executeStep()) {
    std::optional<util::OrgId> org;
    if (!q.getColumn(11).isNull()) org = util::OrgId::FromTrusted(q.getColumn(11).getString());
    fn(FromRow(q), org);
  }
}

void InsertAttachment(Db& db, const AttachmentRow& row, const std::vector<crypto::Bytes>& chunks) {
  SQLite::Statement ins(db,
                        "INSERT INTO bom_attachments(id, bom_id, kind, media_type, size, width, "
                        "height, chunk_count, meta_sealed, created_by, created_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, row.id.str());
  ins.bind(2, row.bom.str());
  ins.bind(3, row.kind);
  ins.bind(4, row.media_type);
  ins.bind(5, row.size);
  ins.bind(6, row.width);
  ins.bind(7, row.height);
  ins.bind(8, row.chunk_count);
  BindBlob(ins, 9, row.meta_sealed);
  ins.bind(10, row.created_by.str());
  ins.bind(11, row.created_at);
  ins.exec();
  SQLite::Statement chunk(
      db, "INSERT INTO bom_attachment_chunks(attachment_id, seq, sealed) VALUES (?,?,?)");
  for (size_t seq = 0; seq < chunks.size(); ++seq) {
    chunk.bind(1, row.id.str());
    chunk.bind(2, static_cast<int64_t>(seq));
    BindBlob(chunk, 3, chunks[seq]);
    chunk.exec();
    chunk.reset();
  }
}

void DeleteAttachment(Db& db, const util::AttachmentId& id) {
  SQLite::Statement d(db, "DELETE FROM bom_attachments WHERE id = ?");  // cascades to chunks
  d.bind(1, id.str());
  d.exec();
}

void ForEachAttachmentChunk(
    Db& db, const util::AttachmentId& id,
    const std::function<bool(int64_t seq, std::span<const uint8_t> sealed)>& fn) {
  SQLite::Statement c(db,
                      "SELECT seq, sealed FROM bom_attachment_chunks WHERE attachment_id = ? "
                      "ORDER BY seq");
  c.bind(1, id.str());
  while (c.executeStep()) {
    if (!fn(c.getColumn(0).getInt64(), Blob(c.getColumn(1)))) return;
  }
}

void MarkBomChanged(Db& db, const util::BomId& bom, int64_t now) {
  SQLite::Statement u(db, "UPDATE boms SET updated_at = ?1, last_interacted_at = ?1 WHERE id = ?2");
  u.bind(1, now);
  u.bind(2, bom.str());
  u.exec();
}

}  // namespace bomvault::store
