#include "service/boms.h"

#include <SQLiteCpp/Statement.h>

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
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Decision;
using access::Function;
using access::Principal;
using util::Status;

namespace {

constexpr int64_t kTouchGranularity = 3600;
constexpr size_t kPartIndexBytes = 16;
constexpr size_t kMaxName = 200;
constexpr size_t kMaxMetadata = 16 * 1024;

std::span<const uint8_t> Blob(const SQLite::Column& c) {
  return {static_cast<const uint8_t*>(c.getBlob()), static_cast<size_t>(c.size())};
}

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

Status CheckMetadata(const nlohmann::json& m) {
  if (!m.is_object()) return Status::Invalid("invalid_metadata", "metadata must be an object");
  if (m.dump().size() > kMaxMetadata) {
    return Status::Invalid("invalid_metadata", "metadata is limited to 16 KiB");
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

// Binary search of the BOM's sorted blind-index blob.
bool UsesPart(store::Db& db, const util::BomId& id,
              const std::array<uint8_t, kPartIndexBytes>& part) {
  SQLite::Statement q(db, "SELECT entries FROM bom_part_index WHERE bom_id = ?");
  q.bind(1, id.str());
  if (!q.executeStep()) return false;
  auto col = q.getColumn(0);
  const auto* data = static_cast<const std::array<uint8_t, kPartIndexBytes>*>(col.getBlob());
  size_t n = static_cast<size_t>(col.size()) / kPartIndexBytes;
  return std::binary_search(data, data + n, part);
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

util::Result<Boms::Loaded> Boms::Load(store::Db& db, const Principal& actor, const util::BomId& id,
                                      Function f) {
  // Function-level refusals (operator, anonymous) come before any lookup.
  Decision use = access::MayUse(actor, f);
  if (use != Decision::kAllow && use != Decision::kForbidden) return access::Refusal(actor, f, use);
  if (actor.kind != access::PrincipalKind::kUser) return access::Refusal(actor, f, use);
  SQLite::Statement& q =
      db_.Prepared(db,
                   "SELECT b.org_id, b.owner_id, b.name_sealed, b.meta_sealed, b.item_count, "
                   "b.chunk_count, b.created_at, b.updated_at, b.last_interacted_at, "
                   "(SELECT access FROM bom_shares s WHERE s.bom_id = b.id AND s.user_id = ?2), "
                   "coalesce(json_extract(o.settings, '$.sharing_enabled'), 1), "
                   "(SELECT count(*) FROM bom_attachments a WHERE a.bom_id = b.id), "
                   "(SELECT a.id FROM bom_attachments a WHERE a.bom_id = b.id AND "
                   "a.kind = 'thumbnail'), b.revision, b.version "
                   "FROM boms b JOIN orgs o ON o.id = b.org_id WHERE b.id = ?1 AND b.org_id = ?3");
  q.bind(1, id.str());
  q.bind(2, actor.user.str());
  q.bind(3, actor.org.str());
  if (!q.executeStep()) return Status::NotFound();
  Loaded l;
  l.facts.org = util::OrgId::FromTrusted(q.getColumn(0).getString());
  l.facts.owner = util::UserId::FromTrusted(q.getColumn(1).getString());
  if (!q.getColumn(9).isNull())
    l.facts.share = access::ParseShareAccess(q.getColumn(9).getString());
  l.facts.org_sharing_enabled = q.getColumn(10).getInt() != 0;
  Status allowed = access::Refusal(actor, f, access::MayOnBom(actor, f, l.facts));
  if (!allowed.ok()) return allowed;
  auto crypto = keys_.Get(db, l.facts.org);
  if (!crypto.ok()) return crypto.status();
  l.crypto = crypto.value();
  BomSummary& s = l.summary;
  s.id = id;
  s.org = l.facts.org;
  s.owner = l.facts.owner;
  auto name = l.crypto->OpenText("bom-name", id.str(), Blob(q.getColumn(2)));
  auto meta = l.crypto->OpenText("bom-meta", id.str(), Blob(q.getColumn(3)));
  if (!name || !meta) {
    util::log::Error("bom.unreadable").Ref("bom_id", id);
    return Status::Internal("this BOM could not be decrypted");
  }
  s.name = std::move(*name);
  s.metadata_json = std::move(*meta);
  s.items = q.getColumn(4).getInt64();
  l.chunks = q.getColumn(5).getInt64();
  s.created_at = q.getColumn(6).getInt64();
  s.updated_at = q.getColumn(7).getInt64();
  s.last_interacted_at = q.getColumn(8).getInt64();
  s.attachments = q.getColumn(11).getInt64();
  if (!q.getColumn(12).isNull()) s.thumbnail_id = q.getColumn(12).getString();
  l.revision = q.getColumn(13).getInt64();
  s.version = q.getColumn(14).getInt64();
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
    auto l = Load(db, actor, id, f);
    return l.ok() ? Status::Ok() : l.status();
  });
}

Status Boms::WriteItems(store::Db& db, const OrgCrypto& crypto, const util::BomId& id,
                        const std::vector<bom::Item>& items) {
  {
    SQLite::Statement d(db, "DELETE FROM bom_chunks WHERE bom_id = ?");
    d.bind(1, id.str());
    d.exec();
    SQLite::Statement p(db, "DELETE FROM bom_part_index WHERE bom_id = ?");
    p.bind(1, id.str());
    p.exec();
  }
  SQLite::Statement ins(db, "INSERT INTO bom_chunks(bom_id, seq, sealed) VALUES (?,?,?)");
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
    ins.bind(1, id.str());
    ins.bind(2, static_cast<int64_t>(seq));
    ins.bind(3, sealed.data(), static_cast<int>(sealed.size()));
    ins.exec();
    ins.reset();
  }
  // One sorted blob of 16-byte blind indexes per BOM (128 bits: ample for equality): one row
  // instead of one per distinct part keeps large imports near raw insert speed.
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
  std::vector<std::array<uint8_t, kPartIndexBytes>> entries;
  entries.reserve(distinct.size());
  for (std::string_view part : distinct) {
    crypto::Bytes b = crypto.BlindIndex("part", part);
    std::array<uint8_t, kPartIndexBytes> e;
    std::copy(b.begin(), b.begin() + kPartIndexBytes, e.begin());
    entries.push_back(e);
  }
  std::sort(entries.begin(), entries.end());
  SQLite::Statement pi(db, "INSERT INTO bom_part_index(bom_id, entries) VALUES (?,?)");
  pi.bind(1, id.str());
  // A non-null pointer even for an empty BOM: SQLite stores a null pointer as NULL, which the
  // column refuses (an empty BOM used to fail here with a 409).
  static const uint8_t kNoEntries = 0;
  pi.bind(2, entries.empty() ? static_cast<const void*>(&kNoEntries) : entries.data(),
          static_cast<int>(entries.size() * kPartIndexBytes));
  pi.exec();
  SQLite::Statement u(db, "UPDATE boms SET item_count = ?, chunk_count = ? WHERE id = ?");
  u.bind(1, static_cast<int64_t>(items.size()));
  u.bind(2, seq);
  u.bind(3, id.str());
  u.exec();
  return Status::Ok();
}

util::Result<std::vector<bom::Item>> Boms::ReadItems(store::Db& db, const OrgCrypto& crypto,
                                                     const util::BomId& id, size_t item_count) {
  std::vector<bom::Item> items;
  items.reserve(item_count);  // one allocation instead of ~17 regrowths for 100k items
  SQLite::Statement q(db, "SELECT seq, sealed FROM bom_chunks WHERE bom_id = ? ORDER BY seq");
  q.bind(1, id.str());
  int64_t expected = 0;
  while (q.executeStep()) {
    int64_t seq = q.getColumn(0).getInt64();
    auto plain = crypto.Open("bom-chunk", ChunkObject(id, seq), Blob(q.getColumn(1)));
    // A missing chunk (seq gap) or one that fails to open means tampering or damage: refuse.
    if (seq != expected++ || !plain || !bom::DecodeItems(*plain, items)) {
      util::log::Error("bom.chunk_unreadable").Ref("bom_id", id).Num("seq", seq);
      return Status::Internal("this BOM's items could not be decrypted");
    }
    crypto::Wipe(*plain);
  }
  return items;
}

util::Result<std::vector<bom::Item>> Boms::ReadArchived(store::Db& db, const OrgCrypto& crypto,
                                                        const util::BomId& id, int64_t revision,
                                                        size_t item_count) {
  std::vector<bom::Item> items;
  items.reserve(item_count);
  SQLite::Statement q(db,
                      "SELECT seq, sealed FROM bom_revision_chunks WHERE bom_id = ? AND "
                      "revision = ? ORDER BY seq");
  q.bind(1, id.str());
  q.bind(2, revision);
  int64_t expected = 0;
  while (q.executeStep()) {
    int64_t seq = q.getColumn(0).getInt64();
    auto plain =
        crypto.Open("bom-chunk", RevisionChunkObject(id, revision, seq), Blob(q.getColumn(1)));
    if (seq != expected++ || !plain || !bom::DecodeItems(*plain, items)) {
      util::log::Error("bom.revision_unreadable").Ref("bom_id", id).Num("revision", revision);
      return Status::Internal("this BOM revision could not be decrypted");
    }
    crypto::Wipe(*plain);
  }
  if (items.size() != item_count) {
    util::log::Error("bom.revision_unreadable").Ref("bom_id", id).Num("revision", revision);
    return Status::Internal("this BOM revision could not be decrypted");
  }
  return items;
}

int64_t Boms::CheckRevisions(store::Db& db, OrgKeys& keys, std::vector<std::string>* problems) {
  SQLite::Statement q(db,
                      "SELECT r.bom_id, r.revision, r.item_count, r.chunk_count, b.org_id, "
                      "b.revision FROM bom_revisions r LEFT JOIN boms b ON b.id = r.bom_id "
                      "ORDER BY r.bom_id, r.revision");
  int64_t archived = 0;
  while (q.executeStep()) {
    const auto id = util::BomId::FromTrusted(q.getColumn(0).getString());
    const int64_t revision = q.getColumn(1).getInt64();
    const std::string where = "bom " + id.str() + " revision " + std::to_string(revision) + ": ";
    if (q.getColumn(4).isNull()) {
      problems->push_back(where + "belongs to no BOM");
      continue;
    }
    const int64_t current = q.getColumn(5).getInt64();
    if (revision > current) problems->push_back(where + "is newer than the current revision");
    if (revision >= current) continue;  // the current items are checked with the BOM
    ++archived;
    auto crypto = keys.Get(db, util::OrgId::FromTrusted(q.getColumn(4).getString()));
    if (!crypto.ok()) {
      problems->push_back(where + "org key missing");
      continue;
    }
    SQLite::Statement cq(db,
                         "SELECT seq, sealed FROM bom_revision_chunks WHERE bom_id = ? AND "
                         "revision = ? ORDER BY seq");
    cq.bind(1, id.str());
    cq.bind(2, revision);
    std::vector<bom::Item> items;
    int64_t expected = 0;
    bool chunks_ok = true;
    while (cq.executeStep()) {
      const int64_t seq = cq.getColumn(0).getInt64();
      auto plain = crypto.value()->Open("bom-chunk", RevisionChunkObject(id, revision, seq),
                                        Blob(cq.getColumn(1)));
      if (seq != expected++ || !plain || !bom::DecodeItems(*plain, items)) chunks_ok = false;
      if (plain) crypto::Wipe(*plain);
    }
    if (!chunks_ok) problems->push_back(where + "items do not decrypt");
    if (expected != q.getColumn(3).getInt64()) problems->push_back(where + "chunk count mismatch");
    if (static_cast<int64_t>(items.size()) != q.getColumn(2).getInt64()) {
      problems->push_back(where + "item count mismatch");
    }
    if (chunks_ok && !bom::ValidateItems(items, bom::Limits{}).ok()) {
      problems->push_back(where + "item tree invalid");
    }
  }
  SQLite::Statement orphans(db,
                            "SELECT count(*) FROM bom_revision_chunks c WHERE NOT EXISTS (SELECT "
                            "1 FROM bom_revisions r WHERE r.bom_id = c.bom_id AND r.revision = "
                            "c.revision)");
  if (orphans.executeStep() && orphans.getColumn(0).getInt64() != 0) {
    problems->push_back(std::to_string(orphans.getColumn(0).getInt64()) +
                        " revision chunks belong to no revision");
  }
  return archived;
}

void Boms::InsertRevision(store::Db& db, const OrgCrypto& crypto, const util::BomId& id,
                          int64_t revision, const util::UserId& actor, int64_t at, int64_t items,
                          const RevisionNote& note) {
  nlohmann::json meta = {{"via", note.via}};
  if (!note.source.empty()) meta["source"] = note.source;
  if (!note.profile.empty()) meta["profile"] = note.profile;
  const std::string object = id.str() + "@" + std::to_string(revision);
  auto sealed = crypto.SealText(
      "bom-revision", object, meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  SQLite::Statement ins(db,
                        "INSERT INTO bom_revisions(bom_id, revision, created_at, actor_id, "
                        "item_count, chunk_count, meta_sealed) VALUES (?,?,?,?,?,0,?)");
  ins.bind(1, id.str());
  ins.bind(2, revision);
  ins.bind(3, at);
  ins.bind(4, actor.str());
  ins.bind(5, items);
  ins.bind(6, sealed.data(), static_cast<int>(sealed.size()));
  ins.exec();
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
    // Archive the current chunks under the revision's own associated data.
    SQLite::Statement q(db, "SELECT seq, sealed FROM bom_chunks WHERE bom_id = ? ORDER BY seq");
    q.bind(1, id.str());
    SQLite::Statement ins(db,
                          "INSERT INTO bom_revision_chunks(bom_id, revision, seq, sealed) "
                          "VALUES (?,?,?,?)");
    // Made when the BOM predates revisions' rows (cannot happen after 0005, which adds them; a
    // restored older backup could).
    SQLite::Statement ensure(db,
                             "INSERT OR IGNORE INTO bom_revisions(bom_id, revision, created_at, "
                             "actor_id, item_count, chunk_count, meta_sealed) VALUES "
                             "(?,?,?,?,?,0,NULL)");
    ensure.bind(1, id.str());
    ensure.bind(2, current);
    ensure.bind(3, l->summary.created_at);
    ensure.bind(4, l->summary.owner.str());
    ensure.bind(5, l->summary.items);
    ensure.exec();
    int64_t archived = 0;
    while (q.executeStep()) {
      const int64_t seq = q.getColumn(0).getInt64();
      auto plain = c.Open("bom-chunk", ChunkObject(id, seq), Blob(q.getColumn(1)));
      if (!plain) {
        util::log::Error("bom.chunk_unreadable").Ref("bom_id", id).Num("seq", seq);
        return Status::Internal("this BOM's items could not be decrypted");
      }
      crypto::Bytes sealed = c.Seal("bom-chunk", RevisionChunkObject(id, current, seq), *plain);
      crypto::Wipe(*plain);
      ins.bind(1, id.str());
      ins.bind(2, current);
      ins.bind(3, seq);
      ins.bind(4, sealed.data(), static_cast<int>(sealed.size()));
      ins.exec();
      ins.reset();
      ++archived;
    }
    SQLite::Statement done(db,
                           "UPDATE bom_revisions SET chunk_count = ?, item_count = ? WHERE "
                           "bom_id = ? AND revision = ?");
    done.bind(1, archived);
    done.bind(2, l->summary.items);
    done.bind(3, id.str());
    done.bind(4, current);
    done.exec();

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
    SQLite::Statement u(db,
                        "UPDATE boms SET revision = ?, updated_at = ?, last_interacted_at = ? "
                        "WHERE id = ?");
    u.bind(1, out.revision);
    u.bind(2, now);
    u.bind(3, now);
    u.bind(4, id.str());
    u.exec();
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
    SQLite::Statement q(db,
                        "SELECT revision, created_at, actor_id, item_count, meta_sealed FROM "
                        "bom_revisions WHERE bom_id = ? ORDER BY revision DESC");
    q.bind(1, id.str());
    while (q.executeStep()) {
      RevisionInfo r;
      r.revision = q.getColumn(0).getInt64();
      r.at = q.getColumn(1).getInt64();
      r.actor = util::UserId::FromTrusted(q.getColumn(2).getString());
      r.items = q.getColumn(3).getInt64();
      r.current = r.revision == l->revision;
      if (r.current) r.items = l->summary.items;  // PATCH edits the current revision in place
      if (!q.getColumn(4).isNull()) {
        auto meta = l->crypto->OpenText("bom-revision", id.str() + "@" + std::to_string(r.revision),
                                        Blob(q.getColumn(4)));
        if (!meta) return Status::Internal("a BOM revision could not be decrypted");
        nlohmann::json m = nlohmann::json::parse(*meta, nullptr, false);
        if (m.is_object()) {
          r.via = m.value("via", "");
          r.source = m.value("source", "");
          r.profile = m.value("profile", "");
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
    SQLite::Statement q(db,
                        "SELECT item_count FROM bom_revisions WHERE bom_id = ? AND revision = ? "
                        "AND revision < ?");
    q.bind(1, id.str());
    q.bind(2, revision);
    q.bind(3, l->revision);
    if (!q.executeStep()) {
      return Status(util::Code::kNotFound, "revision_not_found",
                    "this BOM has no revision " + std::to_string(revision));
    }
    out =
        ReadArchived(db, *l->crypto, id, revision, static_cast<size_t>(q.getColumn(0).getInt64()));
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
    SQLite::Statement u(db, "UPDATE boms SET last_interacted_at = ? WHERE id = ?");
    u.bind(1, static_cast<int64_t>(now));
    u.bind(2, id.str());
    u.exec();
    return Status::Ok();
  });
}

util::Result<BomSummary> Boms::Create(const Principal& actor, std::string_view name,
                                      const nlohmann::json& metadata, std::vector<bom::Item> items,
                                      std::string_view via, bool items_validated,
                                      std::string_view profile) {
  Status st =
      access::Refusal(actor, Function::kBomCreate, access::MayUse(actor, Function::kBomCreate));
  if (!st.ok()) return st;
  if (!(st = CheckName(name)).ok()) return st;
  if (!(st = CheckMetadata(metadata)).ok()) return st;
  if (!items_validated && !(st = bom::ValidateItems(items, bom::Limits{})).ok()) return st;
  BomSummary s;
  s.id = util::BomId::Generate();
  s.org = actor.org;
  s.owner = actor.user;
  s.name = std::string(name);
  s.metadata_json = metadata.dump();
  s.items = static_cast<int64_t>(items.size());
  s.created_at = s.updated_at = s.last_interacted_at = util::NowUnix();
  s.my_access = "owner";
  st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    auto name_sealed = c.SealText("bom-name", s.id.str(), name);
    auto name_bidx = c.BlindIndex("bom-name", Lower(name));
    auto meta_sealed = c.SealText("bom-meta", s.id.str(), metadata.dump());
    SQLite::Statement ins(db,
                          "INSERT INTO boms(id, org_id, owner_id, name_sealed, name_bidx, "
                          "meta_sealed, item_count, chunk_count, created_at, updated_at, "
                          "last_interacted_at) VALUES (?,?,?,?,?,?,0,0,?,?,?)");
    ins.bind(1, s.id.str());
    ins.bind(2, actor.org.str());
    ins.bind(3, actor.user.str());
    ins.bind(4, name_sealed.data(), static_cast<int>(name_sealed.size()));
    ins.bind(5, name_bidx.data(), static_cast<int>(name_bidx.size()));
    ins.bind(6, meta_sealed.data(), static_cast<int>(meta_sealed.size()));
    ins.bind(7, static_cast<int64_t>(s.created_at));
    ins.bind(8, static_cast<int64_t>(s.created_at));
    ins.bind(9, static_cast<int64_t>(s.created_at));
    ins.exec();
    Status w = WriteItems(db, c, s.id, items);
    if (!w.ok()) return w;
    RevisionNote note{std::string(via), "", std::string(profile)};
    if (auto src = metadata.find("source"); src != metadata.end() && src->is_string()) {
      note.source = src->get<std::string>();
    }
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
    bool admin = actor.role == access::Role::kAdministrator;
    std::string sql =
        "SELECT b.id, b.owner_id, b.name_sealed, b.meta_sealed, b.item_count, b.created_at, "
        "b.updated_at, b.last_interacted_at, s.access, "
        "(SELECT count(*) FROM bom_attachments a WHERE a.bom_id = b.id), "
        "(SELECT a.id FROM bom_attachments a WHERE a.bom_id = b.id AND a.kind = 'thumbnail') "
        "FROM boms b LEFT JOIN bom_shares s ON "
        "s.bom_id = b.id AND s.user_id = ?2 WHERE b.org_id = ?1";
    if (!admin) {
      sql += settings.sharing_enabled ? " AND (b.owner_id = ?2 OR s.access IS NOT NULL)"
                                      : " AND b.owner_id = ?2";
    }
    std::optional<std::array<uint8_t, kPartIndexBytes>> part;
    if (!query.part_number.empty()) {
      crypto::Bytes b = c.BlindIndex("part", query.part_number);
      part.emplace();
      std::copy(b.begin(), b.begin() + kPartIndexBytes, part->begin());
      sql += " AND EXISTS (SELECT 1 FROM bom_part_index p WHERE p.bom_id = b.id)";
    }
    if (query.after) sql += " AND (b.created_at < ?3 OR (b.created_at = ?3 AND b.id > ?4))";
    sql += " ORDER BY b.created_at DESC, b.id";
    SQLite::Statement q(db, sql);
    q.bind(1, actor.org.str());
    q.bind(2, actor.user.str());
    if (query.after) {
      q.bind(3, query.after->created_at);
      q.bind(4, query.after->id.str());
    }
    std::string needle = Lower(query.name_contains);
    size_t skipped = 0;
    while (q.executeStep() && out.size() < query.limit) {
      BomSummary s;
      s.id = util::BomId::FromTrusted(q.getColumn(0).getString());
      if (part && !UsesPart(db, s.id, *part)) continue;
      s.org = actor.org;
      s.owner = util::UserId::FromTrusted(q.getColumn(1).getString());
      auto name = c.OpenText("bom-name", s.id.str(), Blob(q.getColumn(2)));
      if (!name) return Status::Internal("a BOM could not be decrypted");
      if (!needle.empty() && Lower(*name).find(needle) == std::string::npos) continue;
      if (skipped < query.offset) {
        ++skipped;
        continue;
      }
      s.name = std::move(*name);
      auto meta = c.OpenText("bom-meta", s.id.str(), Blob(q.getColumn(3)));
      s.metadata_json = meta ? std::move(*meta) : "{}";
      s.items = q.getColumn(4).getInt64();
      s.created_at = q.getColumn(5).getInt64();
      s.updated_at = q.getColumn(6).getInt64();
      s.last_interacted_at = q.getColumn(7).getInt64();
      s.attachments = q.getColumn(9).getInt64();
      if (!q.getColumn(10).isNull()) s.thumbnail_id = q.getColumn(10).getString();
      std::optional<access::ShareAccess> share;
      if (!q.getColumn(8).isNull()) share = access::ParseShareAccess(q.getColumn(8).getString());
      s.my_access = access::MyAccessName(s.owner == actor.user, actor.role, share);
      out.push_back(std::move(s));
    }
    return Status::Ok();
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
    SQLite::Statement q(db, "SELECT seq, sealed FROM bom_chunks WHERE bom_id = ? ORDER BY seq");
    q.bind(1, id.str());
    int64_t expected = 0;
    while (q.executeStep()) {
      int64_t seq = q.getColumn(0).getInt64();
      auto plain = l->crypto->Open("bom-chunk", ChunkObject(id, seq), Blob(q.getColumn(1)));
      bool ok = seq == expected++ && plain && bom::VisitItems(*plain, fn);
      if (plain) crypto::Wipe(*plain);
      if (!ok) {
        util::log::Error("bom.chunk_unreadable").Ref("bom_id", id).Num("seq", seq);
        return Status::Internal("this BOM's items could not be decrypted");
      }
    }
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
                                      std::optional<nlohmann::json> metadata, bool merge_metadata,
                                      std::optional<std::vector<bom::Item>> items,
                                      const util::IfMatch& if_match) {
  Status st;
  if (name && !(st = CheckName(*name)).ok()) return st;
  if (metadata && !(st = CheckMetadata(*metadata)).ok()) return st;
  if (items && !(st = bom::ValidateItems(*items, bom::Limits{})).ok()) return st;
  util::Result<BomSummary> out = Status::NotFound();
  st = db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id, Function::kBomUpdate);
    if (!l.ok()) return l.status();
    if (!if_match.Holds(BomEtag(l->summary))) return Status::PreconditionFailed();
    BomSummary s = l->summary;
    const OrgCrypto& c = *l->crypto;
    nlohmann::json change = nlohmann::json::object();
    if (name && *name != s.name) {
      change["name"] = {{"before", s.name}, {"after", *name}};
      s.name = *name;
      auto sealed = c.SealText("bom-name", id.str(), s.name);
      auto bidx = c.BlindIndex("bom-name", Lower(s.name));
      SQLite::Statement u(db, "UPDATE boms SET name_sealed = ?, name_bidx = ? WHERE id = ?");
      u.bind(1, sealed.data(), static_cast<int>(sealed.size()));
      u.bind(2, bidx.data(), static_cast<int>(bidx.size()));
      u.bind(3, id.str());
      u.exec();
    }
    nlohmann::json before_meta = nlohmann::json::parse(s.metadata_json, nullptr, false);
    if (metadata && merge_metadata && before_meta.is_object()) {
      // Merged here, inside the transaction, so a concurrent change of other keys is not lost.
      nlohmann::json merged = before_meta;
      merged.update(*metadata);
      if (Status m = CheckMetadata(merged); !m.ok()) return m;
      metadata = std::move(merged);
    }
    if (metadata && *metadata != before_meta) {
      change["metadata"] = {{"before", before_meta}, {"after", *metadata}};
      s.metadata_json = metadata->dump();
      auto sealed = c.SealText("bom-meta", id.str(), s.metadata_json);
      SQLite::Statement u(db, "UPDATE boms SET meta_sealed = ? WHERE id = ?");
      u.bind(1, sealed.data(), static_cast<int>(sealed.size()));
      u.bind(2, id.str());
      u.exec();
    }
    if (items) {
      auto before = ReadItems(db, c, id, static_cast<size_t>(s.items));
      if (!before.ok()) return before.status();
      bom::Comparison cmp = bom::Compare(before.value(), *items);
      change["items"] = {{"before", s.items},
                         {"after", items->size()},
                         {"added", cmp.added.size()},
                         {"removed", cmp.removed.size()},
                         {"changed", cmp.changed.size()}};
      Status w = WriteItems(db, c, id, *items);
      if (!w.ok()) return w;
      s.items = static_cast<int64_t>(items->size());
    }
    s.updated_at = s.last_interacted_at = util::NowUnix();
    SQLite::Statement u(db, "UPDATE boms SET updated_at = ?, last_interacted_at = ? WHERE id = ?");
    u.bind(1, static_cast<int64_t>(s.updated_at));
    u.bind(2, static_cast<int64_t>(s.updated_at));
    u.bind(3, id.str());
    u.exec();
    if (!change.empty())
      RecordAudit(db, &c, {"bom:" + id.str(), actor.user.str(), "bom.update", change});
    SQLite::Statement v(db, "SELECT version FROM boms WHERE id = ?");
    v.bind(1, id.str());
    if (v.executeStep()) s.version = v.getColumn(0).getInt64();
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
    SQLite::Statement d(db, "DELETE FROM boms WHERE id = ?");
    d.bind(1, id.str());
    d.exec();
    // The BOM's detailed history goes with it (it names content); one tombstone remains.
    SQLite::Statement a(db, "DELETE FROM audit WHERE object = ?");
    a.bind(1, "bom:" + id.str());
    a.exec();
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
    SQLite::Statement q(db,
                        "SELECT user_id, access, created_at FROM bom_shares WHERE bom_id = ? "
                        "ORDER BY created_at");
    q.bind(1, id.str());
    while (q.executeStep()) {
      out.push_back({util::UserId::FromTrusted(q.getColumn(0).getString()),
                     q.getColumn(1).getString(), q.getColumn(2).getInt64()});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

namespace {

struct Target {
  util::OrgId org;
  bool verified = false;
  bool disabled = false;
};

std::optional<Target> LoadTarget(store::Db& db, const util::UserId& user) {
  SQLite::Statement q(db, "SELECT org_id, email_verified, disabled FROM users WHERE id = ?");
  q.bind(1, user.str());
  if (!q.executeStep()) return std::nullopt;
  return Target{util::OrgId::FromTrusted(q.getColumn(0).getString()), q.getColumn(1).getInt() != 0,
                q.getColumn(2).getInt() != 0};
}

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
    auto target = LoadTarget(db, with);
    if (!target) return UserNotFound();
    Decision d = access::MayShareWith(actor, target->org, target->verified, target->disabled,
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
    SQLite::Statement up(
        db,
        "INSERT INTO bom_shares(bom_id, user_id, access, created_at) VALUES "
        "(?,?,?,?) ON CONFLICT(bom_id, user_id) DO UPDATE SET access = excluded.access");
    up.bind(1, id.str());
    up.bind(2, with.str());
    up.bind(3, std::string(access::ShareAccessName(*access)));
    up.bind(4, static_cast<int64_t>(util::NowUnix()));
    up.exec();
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
    SQLite::Statement d(db, "DELETE FROM bom_shares WHERE bom_id = ? AND user_id = ?");
    d.bind(1, id.str());
    d.bind(2, with.str());
    if (d.exec() == 0)
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
    auto target = LoadTarget(db, to);
    if (!target) return UserNotFound();
    // Transfer is not sharing: the org's sharing switch does not apply, verification does.
    Decision d = access::MayShareWith(actor, target->org, target->verified, target->disabled, true);
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
    SQLite::Statement u(db, "UPDATE boms SET owner_id = ?, updated_at = ? WHERE id = ?");
    u.bind(1, to.str());
    u.bind(2, static_cast<int64_t>(util::NowUnix()));
    u.bind(3, id.str());
    u.exec();
    // The new owner no longer needs a share; the previous owner keeps nothing.
    SQLite::Statement d2(db, "DELETE FROM bom_shares WHERE bom_id = ? AND user_id = ?");
    d2.bind(1, id.str());
    d2.bind(2, to.str());
    d2.exec();
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
