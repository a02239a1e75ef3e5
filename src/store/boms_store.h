// The boms rows and what belongs to each BOM: its item chunks (bom_chunks), the blind index of
// the part numbers it uses (bom_part_index) and its revisions with their archived chunks
// (bom_revisions, bom_revision_chunks). Shares are in store/shares_store.h.
//
// Names, metadata, item chunks and revision notes are stored sealed under the org's key; this
// module moves the sealed bytes and blind indexes, never opens them, and decides nothing:
// access, limits and audit stay with service/boms.h. Every function runs on the caller's
// connection inside the caller's transaction (store/database.h). Thread-safety: that of the
// connection.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <array>
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

// One entry of a BOM's part index: the first 16 bytes of a part number's blind index (128 bits:
// ample for equality). A BOM's entries are stored as one sorted blob.
inline constexpr size_t kPartIndexBytes = 16;
using PartIndexEntry = std::array<uint8_t, kPartIndexBytes>;

// A BOM as a member sees it: the row, the member's share of it and the counts shown with it.
// What deciding a member's access to a BOM needs and nothing more (access::BomFacts): the first
// columns of every lookup of one BOM for a member.
struct BomAccessRow {
  util::OrgId org;
  util::UserId owner;
  std::optional<std::string> share;  // the member's share access, if shared with them
  bool org_sharing_enabled = true;
};
struct BomRow : BomAccessRow {
  crypto::Bytes name_sealed, meta_sealed;
  int64_t item_count = 0, chunk_count = 0;
  int64_t created_at = 0, updated_at = 0, last_interacted_at = 0;
  int64_t attachments = 0;
  std::optional<std::string> thumbnail_id;
  int64_t revision = 1, version = 0;
};
// The BOM `id` of `org`, with `member`'s share. The statement is kept prepared on the connection
// (`statements`: the database that owns `db`): this is every BOM request's first read.
std::optional<BomRow> FindBomForMember(Database& statements, Db& db, const util::BomId& id,
                                       const util::OrgId& org, const util::UserId& member);

// FindBomForMember without the sealed fields and the counts, for the check the dispatcher makes
// before a write on one BOM (service::Boms::Check).
std::optional<BomAccessRow> FindBomAccess(Database& statements, Db& db, const util::BomId& id,
                                          const util::OrgId& org, const util::UserId& member);

// Which BOMs of an org a list shows the member.
enum class BomListScope { kAll, kOwnedOrShared, kOwned };
struct BomListFilter {
  util::OrgId org;
  util::UserId member;
  BomListScope scope = BomListScope::kOwned;
  bool with_part_index_only = false;  // only BOMs that have a part index row
  // Continue after this (created_at, id): the list runs newest first, ids ascending in a second.
  std::optional<std::pair<int64_t, util::BomId>> after;
};
struct BomListRow {
  util::BomId id;
  util::UserId owner;
  crypto::Bytes name_sealed, meta_sealed;
  int64_t item_count = 0;
  int64_t created_at = 0, updated_at = 0, last_interacted_at = 0;
  std::optional<std::string> share;
  int64_t attachments = 0;
  std::optional<std::string> thumbnail_id;
};
// Calls fn with each BOM the filter admits, newest first, until fn returns false.
void ForEachListedBom(Db& db, const BomListFilter& filter,
                      const std::function<bool(const BomListRow&)>& fn);
// True if the BOM's part index holds `part`.
bool BomUsesPart(Db& db, const util::BomId& id, const PartIndexEntry& part);

struct NewBomRow {
  util::BomId id;
  util::OrgId org;
  util::UserId owner;
  crypto::Bytes name_sealed, name_bidx, meta_sealed;
  int64_t created_at = 0;
};
// A BOM with no items yet (WriteBomItems follows).
void InsertBom(Db& db, const NewBomRow& row);
void SetBomName(Db& db, const util::BomId& id, const crypto::Bytes& name_sealed,
                const crypto::Bytes& name_bidx);
void SetBomMeta(Db& db, const util::BomId& id, const crypto::Bytes& meta_sealed);
// Sets updated_at and last_interacted_at.
void SetBomUpdated(Db& db, const util::BomId& id, int64_t at);
void SetBomLastInteracted(Db& db, const util::BomId& id, int64_t at);
// Sets the current revision, updated_at and last_interacted_at.
void SetBomRevision(Db& db, const util::BomId& id, int64_t revision, int64_t at);
void SetBomOwner(Db& db, const util::BomId& id, const util::UserId& owner, int64_t at);
// The write counter (a trigger raises it on every write of the row); nullopt if no such BOM.
std::optional<int64_t> BomVersion(Db& db, const util::BomId& id);

// Replacing a BOM's items: construct (deletes the current chunks and part index), Add each
// sealed chunk in seq order, then Finish with the sorted part index and the counts.
class BomItemsWriter {
 public:
  BomItemsWriter(Db& db, const util::BomId& id);
  void Add(int64_t seq, std::span<const uint8_t> sealed);
  void Finish(std::span<const PartIndexEntry> sorted_parts, int64_t items, int64_t chunks);

 private:
  Db& db_;
  util::BomId id_;
  SQLite::Statement insert_;
};

// Calls `fn` with each sealed item chunk of `bom` in seq order (the bytes valid during the call
// only), until fn returns false.
void ForEachBomChunk(Db& db, const util::BomId& bom,
                     const std::function<bool(int64_t seq, std::span<const uint8_t> sealed)>& fn);

struct BomCheckRow {
  util::BomId id;
  util::OrgId org;
  crypto::Bytes name_sealed, meta_sealed;
  int64_t item_count = 0, chunk_count = 0;
};
// Every BOM, in no particular order.
void ForEachBomForCheck(Db& db, const std::function<void(const BomCheckRow&)>& fn);

// A revision as listed (newest first).
struct RevisionRow {
  int64_t revision = 0;
  int64_t created_at = 0;
  util::UserId actor;
  int64_t item_count = 0;
  std::optional<crypto::Bytes> meta_sealed;  // NULL for a revision made before revisions had notes
};
std::vector<RevisionRow> ListRevisions(Db& db, const util::BomId& id);
// A revision row with no archived chunks yet (chunk_count 0).
void InsertRevision(Db& db, const util::BomId& id, const RevisionRow& row);
// Inserts the revision without a note unless it exists (a BOM restored from before revisions had
// rows).
void EnsureRevision(Db& db, const util::BomId& id, const RevisionRow& row);
void SetRevisionCounts(Db& db, const util::BomId& id, int64_t revision, int64_t chunks,
                       int64_t items);
void InsertRevisionChunk(Db& db, const util::BomId& id, int64_t revision, int64_t seq,
                         std::span<const uint8_t> sealed);
// The item count of an archived revision (one older than `current`); nullopt if there is none.
std::optional<int64_t> ArchivedRevisionItems(Db& db, const util::BomId& id, int64_t revision,
                                             int64_t current);
// Calls `fn` with each archived chunk of the revision in seq order, until fn returns false.
void ForEachRevisionChunk(
    Db& db, const util::BomId& id, int64_t revision,
    const std::function<bool(int64_t seq, std::span<const uint8_t> sealed)>& fn);

// A revision with what `bomvault check` compares it against.
struct RevisionCheckRow {
  util::BomId bom;
  int64_t revision = 0, item_count = 0, chunk_count = 0;
  std::optional<util::OrgId> org;  // nullopt: the BOM is gone
  int64_t current_revision = 0;
};
// Every revision, by BOM and revision.
std::vector<RevisionCheckRow> ListRevisionsForCheck(Db& db);
// Archived chunks that belong to no revision row.
int64_t CountOrphanRevisionChunks(Db& db);

}  // namespace bomvault::store
