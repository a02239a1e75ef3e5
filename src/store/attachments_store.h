// The bom_attachments and bom_attachment_chunks rows behind service/attachments.h.
//
// A row's name and hash are sealed (meta_sealed) and so is every chunk; the clear columns are
// what the service binds into the sealed data's associated data. This module moves the sealed
// bytes only. Every function runs on the caller's connection inside the caller's transaction
// (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct AttachmentRow {
  util::AttachmentId id;
  util::BomId bom;
  std::string kind, media_type;
  int64_t size = 0, width = 0, height = 0;
  int64_t chunk_count = 0;
  crypto::Bytes meta_sealed;
  util::UserId created_by;
  int64_t created_at = 0;
};

// Every attachment of `bom`, oldest first.
std::vector<AttachmentRow> ListAttachments(Db& db, const util::BomId& bom);
std::optional<AttachmentRow> FindAttachment(Db& db, const util::BomId& bom,
                                            const util::AttachmentId& id);
// Every attachment with its BOM's org (nullopt: the BOM is gone), in id order.
void ForEachAttachment(
    Db& db, const std::function<void(const AttachmentRow&, const std::optional<util::OrgId>&)>& fn);
// The row and its chunks, in order.
void InsertAttachment(Db& db, const AttachmentRow& row, const std::vector<crypto::Bytes>& chunks);
// The row and (by cascade) its chunks.
void DeleteAttachment(Db& db, const util::AttachmentId& id);
// Calls `fn` with each sealed chunk in seq order (the seq as stored, the bytes valid during the
// call only: a file is not copied whole) until it returns false.
void ForEachAttachmentChunk(
    Db& db, const util::AttachmentId& id,
    const std::function<bool(int64_t seq, std::span<const uint8_t> sealed)>& fn);
// A file added or removed changes the BOM: updated and interacted with at `now`.
void MarkBomChanged(Db& db, const util::BomId& bom, int64_t now);

}  // namespace bomvault::store
