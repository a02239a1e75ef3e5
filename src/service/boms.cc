#include "service/boms.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>

#include "bom/codec.h"
#include "bom/tree.h"
#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/invitations.h"
#include "service/monitor.h"
#include "service/orgs.h"
#include "store/boms_store.h"
#include "store/retention_store.h"
#include "store/shares_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Decision;
using access::Function;
using access::Principal;
using util::Status;

namespace {

constexpr int64_t kTouchGranularity = 3600;
using store::kPartIndexBytes;
using store::PartIndexEntry;
constexpr size_t kMaxName = 200;

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) {
    return Status::Invalid("invalid_name", "a BOM needs a name of 1 to 200 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Invalid("invalid_name", "a BOM name cannot hold control characters");
    }
  }
  return Status::Ok();
}

std::string ChunkObject(const util::BomId& id, int64_t seq) {
  return id.str() + "/" + std::to_string(seq);
}

// An archived revision's chunk: the revision is part of the associated data, so archived chunks
// cannot stand in for current ones or for another revision's.
std::string RevisionChunkObject(const util::BomId& id, int64_t revision, int64_t seq) {
  return id.str() + "@" + std::to_string(revision) + "/" + std::to_string(seq);
}

// The part index entry of a part number (the first kPartIndexBytes of its blind index).
PartIndexEntry PartEntry(const OrgCrypto& crypto, std::string_view part) {
  crypto::Bytes b = crypto.BlindIndex("part", part);
  PartIndexEntry e;
  std::copy(b.begin(), b.begin() + kPartIndexBytes, e.begin());
  return e;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

struct Boms::Loaded {
  BomSummary summary;
  std::shared_ptr<const OrgCrypto> crypto;
  access::BomFacts facts;
  int64_t chunks = 0;
  int64_t revision = 1;
};

namespace {

// Question 2 for `f` on one BOM, whichever row `lookup` reads (store::BomAccessRow, or the BomRow
// that extends it): the refusals that need no lookup (the operator, anonymous), the lookup
// (NotFound when it finds nothing), the facts, access::MayOnBom.
template <class Row, class Lookup>
util::Result<std::pair<Row, access::BomFacts>> Decide(const Principal& actor, Function f,
                                                      Lookup lookup) {
  Decision use = access::MayUse(actor, f);
  if (use != Decision::kAllow && use != Decision::kForbidden) return access::Refusal(actor, f, use);
  if (actor.kind != access::PrincipalKind::kUser) return access::Refusal(actor, f, use);
  std::optional<Row> row = lookup();
  if (!row) return Status::NotFound();
  access::BomFacts facts;
  facts.org = row->org;
  facts.owner = row->owner;
  if (row->share) facts.share = access::ParseShareAccess(*row->share);
  facts.org_sharing_enabled = row->org_sharing_enabled;
  Status allowed = access::Refusal(actor, f, access::MayOnBom(actor, f, facts));
  if (!allowed.ok()) return allowed;
  return std::pair<Row, access::BomFacts>(std::move(*row), facts);
}

}  // namespace

struct Boms::Found {
  store::BomRow row;
  access::BomFacts facts;
};

util::Result<Boms::Found> Boms::Find(store::Db& db, const Principal& actor, const util::BomId& id,
                                     Function f) {
  auto decided = Decide<store::BomRow>(
      actor, f, [&] { return store::FindBomForMember(db_, db, id, actor.org, actor.user); });
  if (!decided.ok()) return decided.status();
  return Found{std::move(decided->first), decided->second};
}

util::Result<Boms::Loaded> Boms::Load(store::Db& db, const Principal& actor, const util::BomId& id,
                                      Function f) {
  auto found = Find(db, actor, id, f);
  if (!found.ok()) return found.status();
  const store::BomRow& row = found->row;
  Loaded l;
  l.facts = found->facts;
  auto crypto = keys_.Get(db, l.facts.org);
  if (!crypto.ok()) return crypto.status();
  l.crypto = crypto.value();
  BomSummary& s = l.summary;
  s.id = id;
  s.org = l.facts.org;
  s.owner = l.facts.owner;
  auto name = l.crypto->OpenText("bom-name", id.str(), row.name_sealed);
  auto meta = l.crypto->OpenText("bom-meta", id.str(), row.meta_sealed);
  if (!name || !meta) {
    util::log::Error("bom.unreadable").Ref("bom_id", id);
    return Status::Internal("this BOM could not be decrypted");
  }
  s.name = std::move(*name);
  s.metadata_json = std::move(*meta);
  s.items = row.item_count;
  l.chunks = row.chunk_count;
  s.created_at = row.created_at;
  s.updated_at = row.updated_at;
  s.last_interacted_at = row.last_interacted_at;
  s.attachments = row.attachments;
  if (row.thumbnail_id) s.thumbnail_id = *row.thumbnail_id;
  l.revision = row.revision;
  s.version = row.version;
  s.my_access = access::MyAccessName(actor.user == s.owner, actor.role, l.facts.share);
  return l;
}

util::Result<Boms::Access> Boms::Authorize(store::Db& db, const Principal& actor,
                                           const util::BomId& id, Function f) {
  auto l = Load(db, actor, id, f);
  if (!l.ok()) return l.status();
  return Access{std::move(l->summary), std::move(l->crypto)};
}

Status Boms::Check(const Principal& actor, const util::BomId& id, Function f) {
  return db_.Read([&](store::Db& db) -> Status {
    auto decided = Decide<store::BomAccessRow>(
        actor, f, [&] { return store::FindBomAccess(db_, db, id, actor.org, actor.user); });
    return decided.ok() ? Status::Ok() : decided.status();
  });
}

Status Boms::WriteItems(store::Db& db, const OrgCrypto& crypto, const util::BomId& id,
                        const std::vector<bom::Item>& items) {
  store::BomItemsWriter writer(db, id);
  std::vector<uint8_t> plain;
  crypto::Bytes sealed;
  int64_t seq = 0;
  for (size_t start = 0; start < items.size(); start += kChunkItems, ++seq) {
    size_t n = std::min(kChunkItems, items.size() - start);
    plain.clear();
    bom::EncodeItems(std::span(items).subspan(start, n), plain);
    std::string object = ChunkObject(id, seq);
    sealed = crypto.Seal("bom-chunk", object, plain);
    crypto::Wipe(plain);
    writer.Add(seq, sealed);
  }
  // One sorted blob of 16-byte blind indexes per BOM: one row instead of one per distinct part
  // keeps large imports near raw insert speed.
  // MPNs share the index with part numbers: a search for a number finds BOMs that use it as
  // either (docs/import.md).
  std::unordered_set<std::string_view> distinct;
  distinct.reserve(items.size());
  for (const auto& it : items) {
    if (!it.part_number.empty()) distinct.insert(it.part_number);
    for (const auto& m : it.manufacturers) {
      if (!m.mpn.empty()) distinct.insert(m.mpn);
    }
  }
  std::vector<PartIndexEntry> entries;
  entries.reserve(distinct.size());
  for (std::string_view part : distinct) entries.push_back(PartEntry(crypto, part));
  std::sort(entries.begin(), entries.end());
  writer.Finish(entries, static_cast<int64_t>(items.size()), seq);
  return Status::Ok();
}

util::Result<std::vector<bom::Item>> Boms::ReadItems(store::Db& db, const OrgCrypto& crypto,
                                                     const util::BomId& id, size_t item_count) {
  std::vector<bom::Item> items;
  items.reserve(item_count);  // one allocation instead of ~17 regrowths for 100k items
  int64_t expected = 0;
  bool readable = true;
  store::ForEachBomChunk(db, id, [&](int64_t seq, std::span<const uint8_t> sealed) {
    auto plain = crypto.Open("bom-chunk", ChunkObject(id, seq), sealed);
    // A missing chunk (seq gap) or one that fails to open means tampering or damage: refuse.
    if (seq != expected++ || !plain || !bom::DecodeItems(*plain, items)) {
      util::log::Error("bom.chunk_unreadable").Ref("bom_id", id).Num("seq", seq);
      readable = false;
      return false;
    }
    crypto::Wipe(*plain);
    return true;
  });
  if (!readable) return Status::Internal("this BOM's items could not be decrypted");
  return items;
}

util::Result<std::vector<bom::Item>> Boms::ReadArchived(store::Db& db, const OrgCrypto& crypto,
                                                        const util::BomId& id, int64_t revision,
                                                        size_t item_count) {
  std::vector<bom::Item> items;
  items.reserve(item_count);
  int64_t expected = 0;
  bool readable = true;
  store::ForEachRevisionChunk(db, id, revision, [&](int64_t seq, std::span<const uint8_t> sealed) {
    auto plain = crypto.Open("bom-chunk", RevisionChunkObject(id, revision, seq), sealed);
    readable = seq == expected++ && plain && bom::DecodeItems(*plain, items);
    if (plain) crypto::Wipe(*plain);
    return readable;
  });
  if (!readable || items.size() != item_count) {
    util::log::Error("bom.revision_unreadable").Ref("bom_id", id).Num("revision", revision);
    return Status::Internal("this BOM revision could not be decrypted");
  }
  return items;
}

int64_t Boms::CheckRevisions(store::Db& db, OrgKeys& keys, std::vector<std::string>* problems) {
  int64_t archived = 0;
  for (const store::RevisionCheckRow& row : store::ListRevisionsForCheck(db)) {
    const util::BomId& id = row.bom;
    const int64_t revision = row.revision;
    const std::string where = "bom " + id.str() + " revision " + std::to_string(revision) + ": ";
    if (!row.org) {
      problems->push_back(where + "belongs to no BOM");
      continue;
    }
    const int64_t current = row.current_revision;
    if (revision > current) problems->push_back(where + "is newer than the current revision");
    if (revision >= current) continue;  // the current items are checked with the BOM
    ++archived;
    auto crypto = keys.Get(db, *row.org);
    if (!crypto.ok()) {
      problems->push_back(where + "org key missing");
      continue;
    }
    std::vector<bom::Item> items;
    int64_t expected = 0;
    bool chunks_ok = true;
    store::ForEachRevisionChunk(
        db, id, revision, [&](int64_t seq, std::span<const uint8_t> sealed) {
          auto plain =
              crypto.value()->Open("bom-chunk", RevisionChunkObject(id, revision, seq), sealed);
          if (seq != expected++ || !plain || !bom::DecodeItems(*plain, items)) chunks_ok = false;
          if (plain) crypto::Wipe(*plain);
          return true;
        });
    if (!chunks_ok) problems->push_back(where + "items do not decrypt");
    if (expected != row.chunk_count) problems->push_back(where + "chunk count mismatch");
    if (static_cast<int64_t>(items.size()) != row.item_count) {
      problems->push_back(where + "item count mismatch");
    }
    if (chunks_ok && !bom::ValidateItems(items, bom::Limits{}).ok()) {
      problems->push_back(where + "item tree invalid");
    }
  }
  if (int64_t orphans = store::CountOrphanRevisionChunks(db); orphans != 0) {
    problems->push_back(std::to_string(orphans) + " revision chunks belong to no revision");
  }
  return archived;
}

void Boms::InsertRevision(store::Db& db, const OrgCrypto& crypto, const util::BomId& id,
                          int64_t revision, const util::UserId& actor, int64_t at, int64_t items,
                          const RevisionNote& note) {
  const std::string object = id.str() + "@" + std::to_string(revision);
  auto sealed = crypto.SealText("bom-revision", object, codec::EncodeRevisionNote(note));
  store::InsertRevision(db, id, {revision, at, actor, items, std::move(sealed)});
}

util::Result<RevisionInfo> Boms::AddRevision(const Principal& actor, const util::BomId& id,
                                             std::vector<bom::Item> items, const RevisionNote& note,
                                             bool items_validated) {
  Status st;
  if (!items_validated && !(st = bom::ValidateItems(items, bom::Limits{})).ok()) return st;
  RevisionInfo out;
  st = db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomUpdate);
    if (!l.ok()) return l.status();
    const OrgCrypto& c = *l->crypto;
    const int64_t current = l->revision;
    auto before = ReadItems(db, c, id, static_cast<size_t>(l->summary.items));
    if (!before.ok()) return before.status();
    // Made when the BOM predates revisions' rows (cannot happen after 0005, which adds them; a
    // restored older backup could).
    store::EnsureRevision(
        db, id, {current, l->summary.created_at, l->summary.owner, l->summary.items, std::nullopt});
    // Archive the current chunks under the revision's own associated data.
    int64_t archived = 0;
    bool readable = true;
    store::ForEachBomChunk(db, id, [&](int64_t seq, std::span<const uint8_t> sealed) {
      auto plain = c.Open("bom-chunk", ChunkObject(id, seq), sealed);
      if (!plain) {
        util::log::Error("bom.chunk_unreadable").Ref("bom_id", id).Num("seq", seq);
        readable = false;
        return false;
      }
      crypto::Bytes archived_chunk =
          c.Seal("bom-chunk", RevisionChunkObject(id, current, seq), *plain);
      crypto::Wipe(*plain);
      store::InsertRevisionChunk(db, id, current, seq, archived_chunk);
      ++archived;
      return true;
    });
    if (!readable) return Status::Internal("this BOM's items could not be decrypted");
    store::SetRevisionCounts(db, id, current, archived, l->summary.items);

    Status w = WriteItems(db, c, id, items);
    if (!w.ok()) return w;
    const int64_t now = util::NowUnix();
    out.revision = current + 1;
    out.at = now;
    out.actor = actor.user;
    out.items = static_cast<int64_t>(items.size());
    out.via = note.via;
    out.source = note.source;
    out.profile = note.profile;
    out.current = true;
    InsertRevision(db, c, id, out.revision, actor.user, now, out.items, note);
    store::SetBomRevision(db, id, out.revision, now);
    bom::Comparison cmp = bom::Compare(before.value(), items);
    RecordAudit(db, &c,
                {"bom:" + id.str(),
                 actor.user.str(),
                 "bom.revision",
                 {{"revision", {{"before", current}, {"after", out.revision}}},
                  {"items", {{"before", l->summary.items}, {"after", out.items}}},
                  {"added", cmp.added.size()},
                  {"removed", cmp.removed.size()},
                  {"changed", cmp.changed.size()},
                  {"via", note.via}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("bom.revised")
      .Ref("bom_id", id)
      .Ref("user_id", actor.user)
      .Num("revision", out.revision)
      .Num("items", out.items);
  return out;
}

util::Result<std::vector<RevisionInfo>> Boms::Revisions(const Principal& actor,
                                                        const util::BomId& id) {
  std::vector<RevisionInfo> out;
  int64_t last = 0;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomRead);
    if (!l.ok()) return l.status();
    last = l->summary.last_interacted_at;
    for (const store::RevisionRow& row : store::ListRevisions(db, id)) {
      RevisionInfo r;
      r.revision = row.revision;
      r.at = row.created_at;
      r.actor = row.actor;
      r.items = row.item_count;
      r.current = r.revision == l->revision;
      if (r.current) r.items = l->summary.items;  // PATCH edits the current revision in place
      if (row.meta_sealed) {
        auto meta = l->crypto->OpenText("bom-revision", id.str() + "@" + std::to_string(r.revision),
                                        *row.meta_sealed);
        if (!meta) return Status::Internal("a BOM revision could not be decrypted");
        if (auto m = codec::DecodeRevisionNote(*meta)) {
          r.via = std::move(m->via);
          r.source = std::move(m->source);
          r.profile = std::move(m->profile);
        }
      }
      out.push_back(std::move(r));
    }
    if (out.empty() || out.front().revision != l->revision) {
      // A BOM from before revisions had rows (see AddRevision): its one revision.
      RevisionInfo r;
      r.revision = l->revision;
      r.at = l->summary.created_at;
      r.actor = l->summary.owner;
      r.items = l->summary.items;
      r.current = true;
      out.insert(out.begin(), r);
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  st = Touch(id, last);
  if (!st.ok()) return st;
  return out;
}

util::Result<std::vector<bom::Item>> Boms::RevisionItems(const Principal& actor,
                                                         const util::BomId& id, int64_t revision) {
  util::Result<std::vector<bom::Item>> out = Status::NotFound();
  int64_t last = 0;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomRead);
    if (!l.ok()) return l.status();
    last = l->summary.last_interacted_at;
    if (revision == l->revision) {
      out = ReadItems(db, *l->crypto, id, static_cast<size_t>(l->summary.items));
      return out.status();
    }
    auto archived_items = store::ArchivedRevisionItems(db, id, revision, l->revision);
    if (!archived_items) {
      return Status(util::Code::kNotFound, "revision_not_found",
                    "this BOM has no revision " + std::to_string(revision));
    }
    out = ReadArchived(db, *l->crypto, id, revision, static_cast<size_t>(*archived_items));
    return out.status();
  });
  if (!st.ok()) return st;
  st = Touch(id, last);
  if (!st.ok()) return st;
  monitor_.NoteBomRead(actor, id, static_cast<int64_t>(out->size()));
  return out;
}

Status Boms::Touch(const util::BomId& id, int64_t last) {
  int64_t now = util::NowUnix();
  if (now - last < kTouchGranularity) return Status::Ok();
  return db_.Write([&](store::Db& db) -> Status {
    store::SetBomLastInteracted(db, id, now);
    return Status::Ok();
  });
}

util::Result<BomSummary> Boms::Create(const Principal& actor, std::string_view name,
                                      std::string_view metadata_json, std::vector<bom::Item> items,
                                      std::string_view via, bool items_validated,
                                      std::string_view profile) {
  Status st =
      access::Refusal(actor, Function::kBomCreate, access::MayUse(actor, Function::kBomCreate));
  if (!st.ok()) return st;
  if (!(st = CheckName(name)).ok()) return st;
  auto metadata = codec::CanonicalBomMetadata(metadata_json);
  if (!metadata.ok()) return metadata.status();
  if (!items_validated && !(st = bom::ValidateItems(items, bom::Limits{})).ok()) return st;
  BomSummary s;
  s.id = util::BomId::Generate();
  s.org = actor.org;
  s.owner = actor.user;
  s.name = std::string(name);
  s.metadata_json = metadata.value();
  s.items = static_cast<int64_t>(items.size());
  s.created_at = s.updated_at = s.last_interacted_at = util::NowUnix();
  s.my_access = "owner";
  st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    store::InsertBom(db, {s.id, actor.org, actor.user, c.SealText("bom-name", s.id.str(), name),
                          c.BlindIndex("bom-name", Lower(name)),
                          c.SealText("bom-meta", s.id.str(), s.metadata_json), s.created_at});
    Status w = WriteItems(db, c, s.id, items);
    if (!w.ok()) return w;
    RevisionNote note{std::string(via), codec::BomMetadataSource(s.metadata_json),
                      std::string(profile)};
    InsertRevision(db, c, s.id, 1, actor.user, s.created_at, s.items, note);
    RecordAudit(db, &c,
                {"bom:" + s.id.str(),
                 actor.user.str(),
                 "bom.create",
                 {{"name", {{"after", s.name}}}, {"items", {{"after", s.items}}}, {"via", via}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("bom.created")
      .Ref("bom_id", s.id)
      .Ref("user_id", actor.user)
      .Num("items", s.items);
  return s;
}

util::Result<std::vector<BomSummary>> Boms::List(const Principal& actor,
                                                 const BomListQuery& query) {
  Status st = access::Refusal(actor, Function::kBomList, access::MayUse(actor, Function::kBomList));
  if (!st.ok()) return st;
  std::vector<BomSummary> out;
  st = db_.Read([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    OrgSettings settings = Orgs::LoadSettings(db, actor.org);
    store::BomListFilter filter;
    filter.org = actor.org;
    filter.member = actor.user;
    if (actor.role == access::Role::kAdministrator) {
      filter.scope = store::BomListScope::kAll;
    } else {
      filter.scope = settings.sharing_enabled ? store::BomListScope::kOwnedOrShared
                                              : store::BomListScope::kOwned;
    }
    std::optional<PartIndexEntry> part;
    if (!query.part_number.empty()) {
      part = PartEntry(c, query.part_number);
      filter.with_part_index_only = true;
    }
    if (query.after) filter.after.emplace(query.after->created_at, query.after->id);
    std::string needle = Lower(query.name_contains);
    size_t skipped = 0;
    Status opened = Status::Ok();
    store::ForEachListedBom(db, filter, [&](const store::BomListRow& row) {
      if (out.size() >= query.limit) return false;
      if (part && !store::BomUsesPart(db, row.id, *part)) return true;
      BomSummary s;
      s.id = row.id;
      s.org = actor.org;
      s.owner = row.owner;
      auto name = c.OpenText("bom-name", s.id.str(), row.name_sealed);
      if (!name) {
        opened = Status::Internal("a BOM could not be decrypted");
        return false;
      }
      if (!needle.empty() && Lower(*name).find(needle) == std::string::npos) return true;
      if (skipped < query.offset) {
        ++skipped;
        return true;
      }
      s.name = std::move(*name);
      auto meta = c.OpenText("bom-meta", s.id.str(), row.meta_sealed);
      s.metadata_json = meta ? std::move(*meta) : "{}";
      s.items = row.item_count;
      s.created_at = row.created_at;
      s.updated_at = row.updated_at;
      s.last_interacted_at = row.last_interacted_at;
      s.attachments = row.attachments;
      if (row.thumbnail_id) s.thumbnail_id = *row.thumbnail_id;
      std::optional<access::ShareAccess> share;
      if (row.share) share = access::ParseShareAccess(*row.share);
      s.my_access = access::MyAccessName(s.owner == actor.user, actor.role, share);
      out.push_back(std::move(s));
      return true;
    });
    return opened;
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<BomSummary> Boms::Get(const Principal& actor, const util::BomId& id) {
  util::Result<BomSummary> out = Status::NotFound();
  // One statement (the org key comes from the cache, or one more single-row read).
  Status st = db_.ReadOne([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomRead);
    if (!l.ok()) return l.status();
    out = std::move(l.value().summary);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  st = Touch(id, out->last_interacted_at);
  if (!st.ok()) return st;
  monitor_.NoteBomRead(actor, id, 0);
  return out;
}

util::Result<std::vector<bom::Item>> Boms::Items(const Principal& actor, const util::BomId& id) {
  util::Result<std::vector<bom::Item>> out = Status::NotFound();
  int64_t last = 0;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomRead);
    if (!l.ok()) return l.status();
    last = l->summary.last_interacted_at;
    out = ReadItems(db, *l->crypto, id, static_cast<size_t>(l->summary.items));
    return out.status();
  });
  if (!st.ok()) return st;
  st = Touch(id, last);
  if (!st.ok()) return st;
  monitor_.NoteBomRead(actor, id, static_cast<int64_t>(out->size()));
  return out;
}

Status Boms::VisitItems(const Principal& actor, const util::BomId& id,
                        const std::function<void(int64_t items)>& on_start,
                        const std::function<void(const bom::ItemView&)>& fn) {
  int64_t last = 0, count = 0;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomRead);
    if (!l.ok()) return l.status();
    last = l->summary.last_interacted_at;
    count = l->summary.items;
    on_start(count);
    int64_t expected = 0;
    bool readable = true;
    store::ForEachBomChunk(db, id, [&](int64_t seq, std::span<const uint8_t> sealed) {
      auto plain = l->crypto->Open("bom-chunk", ChunkObject(id, seq), sealed);
      readable = seq == expected++ && plain && bom::VisitItems(*plain, fn);
      if (plain) crypto::Wipe(*plain);
      if (!readable) util::log::Error("bom.chunk_unreadable").Ref("bom_id", id).Num("seq", seq);
      return readable;
    });
    if (!readable) return Status::Internal("this BOM's items could not be decrypted");
    return Status::Ok();
  });
  if (!st.ok()) return st;
  st = Touch(id, last);
  if (!st.ok()) return st;
  monitor_.NoteBomRead(actor, id, count);
  return Status::Ok();
}

util::Result<BomSummary> Boms::Update(const Principal& actor, const util::BomId& id,
                                      std::optional<std::string> name,
                                      std::optional<std::string> metadata_json, bool merge_metadata,
                                      std::optional<std::vector<bom::Item>> items,
                                      const util::IfMatch& if_match) {
  Status st;
  if (name && !(st = CheckName(*name)).ok()) return st;
  std::optional<std::string> metadata;
  if (metadata_json) {
    auto canonical = codec::CanonicalBomMetadata(*metadata_json);
    if (!canonical.ok()) return canonical.status();
    metadata = std::move(canonical.value());
  }
  if (items && !(st = bom::ValidateItems(*items, bom::Limits{})).ok()) return st;
  util::Result<BomSummary> out = Status::NotFound();
  st = db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomUpdate);
    if (!l.ok()) return l.status();
    if (!if_match.Holds(BomEtag(l->summary))) return Status::PreconditionFailed();
    BomSummary s = l->summary;
    const OrgCrypto& c = *l->crypto;
    AuditChange change;
    if (name && *name != s.name) {
      change.Set("name", {{"before", s.name}, {"after", *name}});
      s.name = *name;
      store::SetBomName(db, id, c.SealText("bom-name", id.str(), s.name),
                        c.BlindIndex("bom-name", Lower(s.name)));
    }
    if (metadata && merge_metadata) {
      // Merged here, inside the transaction, so a concurrent change of other keys is not lost.
      auto merged = codec::MergeBomMetadata(s.metadata_json, *metadata);
      if (!merged.ok()) return merged.status();
      metadata = std::move(merged.value());
    }
    // Both texts are canonical (codec/bom_metadata.h): equal objects have equal texts.
    if (metadata && *metadata != s.metadata_json) {
      change.Set("metadata", {{"before", codec::JsonText{s.metadata_json}},
                              {"after", codec::JsonText{*metadata}}});
      s.metadata_json = *metadata;
      store::SetBomMeta(db, id, c.SealText("bom-meta", id.str(), s.metadata_json));
    }
    if (items) {
      auto before = ReadItems(db, c, id, static_cast<size_t>(s.items));
      if (!before.ok()) return before.status();
      bom::Comparison cmp = bom::Compare(before.value(), *items);
      change.Set("items", {{"before", s.items},
                           {"after", items->size()},
                           {"added", cmp.added.size()},
                           {"removed", cmp.removed.size()},
                           {"changed", cmp.changed.size()}});
      Status w = WriteItems(db, c, id, *items);
      if (!w.ok()) return w;
      s.items = static_cast<int64_t>(items->size());
    }
    s.updated_at = s.last_interacted_at = util::NowUnix();
    store::SetBomUpdated(db, id, s.updated_at);
    if (!change.empty())
      RecordAudit(db, &c, {"bom:" + id.str(), actor.user.str(), "bom.update", change});
    if (auto version = store::BomVersion(db, id)) s.version = *version;
    out = std::move(s);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status Boms::Delete(const Principal& actor, const util::BomId& id, const util::IfMatch& if_match) {
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomDelete);
    if (!l.ok()) return l.status();
    if (!if_match.Holds(BomEtag(l->summary))) return Status::PreconditionFailed();
    // The BOM's detailed history goes with it (it names content); one tombstone remains.
    store::DeleteBomAndHistory(db, id);
    RecordAudit(db, l->crypto.get(),
                {"bom:" + id.str(), actor.user.str(), "bom.delete", {{"items", l->summary.items}}});
    return Status::Ok();
  });
  if (st.ok()) util::log::Info("bom.deleted").Ref("bom_id", id).Ref("user_id", actor.user);
  return st;
}

util::Result<std::vector<ShareView>> Boms::Shares(const Principal& actor, const util::BomId& id) {
  std::vector<ShareView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomRead);
    if (!l.ok()) return l.status();
    for (auto& r : store::ListShares(db, id)) {
      out.push_back({std::move(r.user), std::move(r.access), r.created_at});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

namespace {

Status UserNotFound() {
  return Status(util::Code::kNotFound, "user_not_found", "no such user in your organisation");
}

}  // namespace

Status Boms::Share(const Principal& actor, const util::BomId& id, const util::UserId& with,
                   std::string_view access_text) {
  auto access = access::ParseShareAccess(access_text);
  if (!access) return Status::Invalid("invalid_access", "access must be view or edit");
  return db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomShare);
    if (!l.ok()) return l.status();
    auto target = store::FindShareTarget(db, with);
    if (!target) return UserNotFound();
    Decision d = access::MayShareWith(actor, target->org, target->email_verified, target->disabled,
                                      l->facts.org_sharing_enabled);
    if (d == Decision::kNotFound) return UserNotFound();
    if (d != Decision::kAllow) {
      return Status(util::Code::kForbidden, "sharing_not_allowed",
                    !l->facts.org_sharing_enabled
                        ? "sharing is turned off for this organisation"
                        : "both addresses must be verified before sharing");
    }
    if (IsUserBlocked(db, *l->crypto, with)) {
      return Status(util::Code::kForbidden, "address_blocked",
                    "this user's address or domain is blocked by your organisation");
    }
    if (with == l->facts.owner) {
      return Status::Conflict("share_with_owner", "the owner already has access");
    }
    store::UpsertShare(db, id, with, std::string(access::ShareAccessName(*access)),
                       util::NowUnix());
    RecordAudit(db, l->crypto.get(),
                {"bom:" + id.str(),
                 actor.user.str(),
                 "bom.share",
                 {{"user_id", with.str()}, {"access", access::ShareAccessName(*access)}}});
    return Status::Ok();
  });
}

Status Boms::Unshare(const Principal& actor, const util::BomId& id, const util::UserId& with) {
  return db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomShare);
    if (!l.ok()) return l.status();
    if (!store::DeleteShare(db, id, with))
      return Status(util::Code::kNotFound, "share_not_found",
                    "this BOM is not shared with that user");
    RecordAudit(db, l->crypto.get(),
                {"bom:" + id.str(), actor.user.str(), "bom.unshare", {{"user_id", with.str()}}});
    return Status::Ok();
  });
}

Status Boms::Transfer(const Principal& actor, const util::BomId& id, const util::UserId& to,
                      const util::IfMatch& if_match) {
  return db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomTransfer);
    if (!l.ok()) return l.status();
    if (!if_match.Holds(BomEtag(l->summary))) return Status::PreconditionFailed();
    auto target = store::FindShareTarget(db, to);
    if (!target) return UserNotFound();
    // Transfer is not sharing: the org's sharing switch does not apply, verification does.
    Decision d =
        access::MayShareWith(actor, target->org, target->email_verified, target->disabled, true);
    if (d == Decision::kNotFound) return UserNotFound();
    if (d != Decision::kAllow) {
      return Status(util::Code::kForbidden, "transfer_not_allowed",
                    "both addresses must be verified before a transfer");
    }
    if (IsUserBlocked(db, *l->crypto, to)) {
      return Status(util::Code::kForbidden, "address_blocked",
                    "this user's address or domain is blocked by your organisation");
    }
    if (to == l->facts.owner) return Status::Ok();
    store::SetBomOwner(db, id, to, util::NowUnix());
    // The new owner no longer needs a share; the previous owner keeps nothing.
    store::DeleteShare(db, id, to);
    RecordAudit(db, l->crypto.get(),
                {"bom:" + id.str(),
                 actor.user.str(),
                 "bom.transfer",
                 {{"owner_id", {{"before", l->facts.owner.str()}, {"after", to.str()}}}}});
    return Status::Ok();
  });
}

util::Result<std::vector<BomSummary>> Boms::WhereUsed(const Principal& actor,
                                                      std::string_view part_number) {
  if (part_number.empty() || part_number.size() > 128) {
    return Status::Invalid("invalid_part_number", "give a part number of 1 to 128 characters");
  }
  BomListQuery q;
  q.part_number = std::string(part_number);
  q.limit = 1000;
  return List(actor, q);
}

}  // namespace bomvault::service
