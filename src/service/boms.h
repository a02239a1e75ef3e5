// BOMs: create, import, read, change, share, transfer and delete, with every rule of who may.
//
// Storage: name and metadata are sealed under the org data key (associated data names the org,
// the BOM and the field); items are encoded (bom/codec.h) in chunks of kChunkItems and each chunk
// is sealed with the chunk number in its associated data, so chunks cannot be reordered or moved
// between BOMs or tenants. Part numbers are searchable through keyed blind indexes only.
// Every decision goes through access::MayOnBom before data is touched; a BOM the caller may not
// see is NotFound, exactly like a missing one. Each change is audited in its own transaction.
// Reading a BOM marks it as interacted with (hour precision) for the stale-data purge.
// Thread-safe: state lives in the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "bom/codec.h"
#include "bom/item.h"
#include "bom/views.h"
#include "codec/bom_metadata.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/etag.h"

namespace bomvault::service {

class Monitor;  // service/monitor.h

constexpr size_t kChunkItems = 512;

struct BomSummary {
  util::BomId id;
  util::OrgId org;
  util::UserId owner;
  std::string name;
  // The metadata object as stored JSON text ("source" included if given). Kept as text: most
  // reads only pass it through, and parsing it per request measured ~17% of a small GET.
  std::string metadata_json = "{}";
  int64_t items = 0;
  int64_t created_at = 0, updated_at = 0, last_interacted_at = 0;
  std::string my_access;     // "owner" | "edit" | "view" | "administrator"
  int64_t attachments = 0;   // files attached (service/attachments.h), the thumbnail included
  std::string thumbnail_id;  // "" when the BOM has no thumbnail
  int64_t version = 0;       // the write counter (schema/0015): raised by every content write
};

// The summary's strong entity tag for this caller: its version and the caller's access (the one
// part of the summary that differs between callers).
inline std::string BomEtag(const BomSummary& s) { return util::EntityTag(s.version, s.my_access); }

// One revision of a BOM (schema/0005_revisions.sql): who made it, when, from what.
struct RevisionInfo {
  int64_t revision = 0;
  int64_t at = 0;
  util::UserId actor;
  int64_t items = 0;
  std::string via;      // "json", "csv", "import", … ("" for BOMs made before revisions existed)
  std::string source;   // the file name or source the caller gave; "" when none
  std::string profile;  // the import profile that read it; "" for JSON
  bool current = false;
};

// What a new revision records about where it came from (sealed with it).
using RevisionNote = codec::RevisionNoteText;

struct ShareView {
  util::UserId user;
  std::string access;
  int64_t created_at = 0;
};

struct BomListQuery {
  std::string name_contains;  // case-insensitive substring of the name
  std::string part_number;    // exact part number used in the BOM
  size_t limit = 100;
  size_t offset = 0;
  // Keyset paging: only BOMs after this one in the list's order (created_at DESC, id).
  struct After {
    int64_t created_at;
    util::BomId id;
  };
  std::optional<After> after;
};

class Boms {
 public:
  Boms(store::Database& db, OrgKeys& keys, Monitor& monitor)
      : db_(db), keys_(keys), monitor_(monitor) {}

  util::Result<BomSummary> Create(const access::Principal& actor, std::string_view name,
                                  std::string_view metadata_json, std::vector<bom::Item> items,
                                  std::string_view via,            // "json" | "csv" | "import"
                                  bool items_validated = false,    // the importer validated them
                                  std::string_view profile = {});  // the import profile used
  util::Result<std::vector<BomSummary>> List(const access::Principal& actor, const BomListQuery& q);
  util::Result<BomSummary> Get(const access::Principal& actor, const util::BomId& id);
  util::Result<std::vector<bom::Item>> Items(const access::Principal& actor, const util::BomId& id);
  // The same items, visited in place (no copies); `on_start` gets the item count first. For
  // streaming large BOMs out. Same access rules and accounting as Items().
  util::Status VisitItems(const access::Principal& actor, const util::BomId& id,
                          const std::function<void(int64_t items)>& on_start,
                          const std::function<void(const bom::ItemView&)>& fn);
  // name / metadata / items (a full replacement of the tree), any subset. `metadata_json` (a JSON
  // object's text, checked by codec/bom_metadata.h) replaces the stored object, or with
  // merge_metadata is merged into it key by key.
  util::Result<BomSummary> Update(const access::Principal& actor, const util::BomId& id,
                                  std::optional<std::string> name,
                                  std::optional<std::string> metadata_json, bool merge_metadata,
                                  std::optional<std::vector<bom::Item>> items,
                                  const util::IfMatch& if_match = {});
  // Update, Delete and Transfer refuse with PreconditionFailed, changing nothing, when `if_match`
  // does not name the BOM's current BomEtag (checked inside the write's transaction).
  util::Status Delete(const access::Principal& actor, const util::BomId& id,
                      const util::IfMatch& if_match = {});

  // Revisions. AddRevision keeps the current items as a read-only revision and makes `items` the
  // BOM's content (owner, edit-share, Administrator: Function::kBomUpdate); audited with the
  // added/removed/changed counts. Revisions lists every revision, newest first (who may read the
  // BOM). RevisionItems reads one (the current one too); NotFound for a revision that never was.
  util::Result<RevisionInfo> AddRevision(const access::Principal& actor, const util::BomId& id,
                                         std::vector<bom::Item> items, const RevisionNote& note,
                                         bool items_validated = false);
  util::Result<std::vector<RevisionInfo>> Revisions(const access::Principal& actor,
                                                    const util::BomId& id);
  util::Result<std::vector<bom::Item>> RevisionItems(const access::Principal& actor,
                                                     const util::BomId& id, int64_t revision);

  util::Result<std::vector<ShareView>> Shares(const access::Principal& actor,
                                              const util::BomId& id);
  util::Status Share(const access::Principal& actor, const util::BomId& id,
                     const util::UserId& with, std::string_view access);
  util::Status Unshare(const access::Principal& actor, const util::BomId& id,
                       const util::UserId& with);
  util::Status Transfer(const access::Principal& actor, const util::BomId& id,
                        const util::UserId& to, const util::IfMatch& if_match = {});

  // For services that hang off a BOM (attachments), inside the caller's transaction: the BOM and
  // its org's crypto once `actor` may apply `f` to it; the same NotFound/Forbidden as above.
  struct Access {
    BomSummary summary;
    std::shared_ptr<const OrgCrypto> crypto;
  };
  util::Result<Access> Authorize(store::Db& db, const access::Principal& actor,
                                 const util::BomId& id, access::Function f);
  // Whether `actor` may apply `f` to the BOM now: Ok, or the refusal every route gives (NotFound
  // for a BOM the actor may not see, exactly as for a missing one; then Forbidden, or the MFA
  // code). Reads only the BOM's owner and org and the actor's share (store::FindBomAccess), opens
  // nothing sealed: the HTTP dispatcher asks it before any handler on one BOM runs (http/api.h,
  // RouteSpec::permission). The same decision every other method here takes (Find).
  util::Status Check(const access::Principal& actor, const util::BomId& id, access::Function f);
  // Marks the BOM as used now for the stale-data purge (at most one write per hour per BOM). A
  // read whose mark cannot be written fails with the storage's status: a BOM in use must not be
  // purged as untouched.
  util::Status Touch(const util::BomId& id, int64_t last_interacted_at);

  // BOMs visible to the actor that use this part number, with the quantity per BOM.
  util::Result<std::vector<BomSummary>> WhereUsed(const access::Principal& actor,
                                                  std::string_view part_number);

  // For `bomvault check`: opens every earlier (archived) revision of every BOM, checks its chunk
  // and item counts and its tree, and that no revision row or chunk outlived its BOM; appends
  // one line per fault. Returns the number of archived revisions.
  static int64_t CheckRevisions(store::Db& db, OrgKeys& keys, std::vector<std::string>* problems);

 private:
  // Question 2 for `f` on BOM `id`: the refusals that need no lookup (the operator, anonymous),
  // the store's row with the actor's share, then access::MayOnBom. Nothing sealed is opened.
  struct Found;
  util::Result<Found> Find(store::Db& db, const access::Principal& actor, const util::BomId& id,
                           access::Function f);
  // Find, then the org's keys and the summary's sealed fields opened.
  struct Loaded;
  util::Result<Loaded> Load(store::Db& db, const access::Principal& actor, const util::BomId& id,
                            access::Function f);
  util::Status WriteItems(store::Db& db, const OrgCrypto& crypto, const util::BomId& id,
                          const std::vector<bom::Item>& items);
  util::Result<std::vector<bom::Item>> ReadItems(store::Db& db, const OrgCrypto& crypto,
                                                 const util::BomId& id, size_t expected);
  util::Result<std::vector<bom::Item>> ReadArchived(store::Db& db, const OrgCrypto& crypto,
                                                    const util::BomId& id, int64_t revision,
                                                    size_t expected);
  void InsertRevision(store::Db& db, const OrgCrypto& crypto, const util::BomId& id,
                      int64_t revision, const util::UserId& actor, int64_t at, int64_t items,
                      const RevisionNote& note);

  store::Database& db_;
  OrgKeys& keys_;
  Monitor& monitor_;
};

}  // namespace bomvault::service
