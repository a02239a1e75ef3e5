#include "service/attachments.h"

#include <SQLiteCpp/Statement.h>

#include "bom/sniff.h"
#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/lifecycle.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Function;
using access::Principal;
using util::Status;

namespace {

constexpr const char* kColumns =
    "id, bom_id, kind, media_type, size, width, height, chunk_count, meta_sealed, created_by, "
    "created_at";

std::span<const uint8_t> Blob(const SQLite::Column& c) {
  return {static_cast<const uint8_t*>(c.getBlob()), static_cast<size_t>(c.size())};
}

// Chunk i of n: the count is bound too, so dropping the last chunks is as detectable as
// reordering them.
std::string ChunkObject(const util::BomId& bom, const util::AttachmentId& id, int64_t seq,
                        int64_t count) {
  return bom.str() + "/" + id.str() + "/" + std::to_string(seq) + "/" + std::to_string(count);
}

// The sealed name and hash also vouch for the columns kept in clear: a changed kind, type, size,
// pixel size or chunk count makes the row fail to open, so nobody with only the database key can
// turn a stored file into, say, an inline image or HTML page.
std::string MetaObject(const AttachmentView& v, int64_t chunks) {
  return v.bom.str() + "/" + v.id.str() + "/" + v.kind + "/" + v.media_type + "/" +
         std::to_string(v.size) + "/" + std::to_string(v.width) + "x" + std::to_string(v.height) +
         "/" + std::to_string(chunks);
}

// A row in kColumns order; chunk_count comes back through *chunks.
util::Result<AttachmentView> FromRow(SQLite::Statement& q, const OrgCrypto& crypto,
                                     int64_t* chunks) {
  AttachmentView v;
  v.id = util::AttachmentId::FromTrusted(q.getColumn(0).getString());
  v.bom = util::BomId::FromTrusted(q.getColumn(1).getString());
  v.kind = q.getColumn(2).getString();
  v.media_type = q.getColumn(3).getString();
  v.size = q.getColumn(4).getInt64();
  v.width = q.getColumn(5).getInt64();
  v.height = q.getColumn(6).getInt64();
  const int64_t count = q.getColumn(7).getInt64();
  if (chunks != nullptr) *chunks = count;
  auto meta = crypto.OpenText("bom-attachment-meta", MetaObject(v, count), Blob(q.getColumn(8)));
  nlohmann::json m = meta ? nlohmann::json::parse(*meta, nullptr, false) : nlohmann::json();
  if (!m.is_object() || !m.contains("name") || !m.contains("sha256")) {
    util::log::Error("attachment.unreadable").Ref("bom_id", v.bom).Ref("attachment_id", v.id);
    return Status::Internal("an attachment could not be decrypted");
  }
  v.name = m["name"].get<std::string>();
  v.sha256 = m["sha256"].get<std::string>();
  v.created_by = util::UserId::FromTrusted(q.getColumn(9).getString());
  v.created_at = q.getColumn(10).getInt64();
  return v;
}

nlohmann::json AuditView(const AttachmentView& v) {
  return {{"id", v.id.str()},
          {"kind", v.kind},
          {"name", v.name},
          {"media_type", v.media_type},
          {"size", v.size}};
}

// All of an attachment's bytes, or an error if any chunk is missing, extra, moved or altered.
Status OpenContent(store::Db& db, const OrgCrypto& crypto, const AttachmentView& v, int64_t count,
                   std::string* out) {
  out->clear();
  out->reserve(static_cast<size_t>(v.size));
  SQLite::Statement c(db,
                      "SELECT seq, sealed FROM bom_attachment_chunks WHERE attachment_id = ? "
                      "ORDER BY seq");
  c.bind(1, v.id.str());
  int64_t expected = 0;
  while (c.executeStep()) {
    const int64_t seq = c.getColumn(0).getInt64();
    auto plain =
        crypto.Open("bom-attachment", ChunkObject(v.bom, v.id, seq, count), Blob(c.getColumn(1)));
    if (seq != expected++ || !plain) {
      util::log::Error("attachment.chunk_unreadable").Ref("attachment_id", v.id).Num("seq", seq);
      return Status::Internal("this attachment could not be decrypted");
    }
    out->append(reinterpret_cast<const char*>(plain->data()), plain->size());
    crypto::Wipe(*plain);
  }
  if (expected != count || static_cast<int64_t>(out->size()) != v.size) {
    util::log::Error("attachment.incomplete").Ref("attachment_id", v.id).Num("chunks", expected);
    return Status::Internal("this attachment could not be decrypted");
  }
  return Status::Ok();
}

// Adding or removing a file changes the BOM: it is updated and interacted with now.
void MarkChanged(store::Db& db, const util::BomId& bom, int64_t now) {
  SQLite::Statement u(db, "UPDATE boms SET updated_at = ?1, last_interacted_at = ?1 WHERE id = ?2");
  u.bind(1, now);
  u.bind(2, bom.str());
  u.exec();
}

void DeleteRow(store::Db& db, const util::AttachmentId& id) {
  SQLite::Statement d(db, "DELETE FROM bom_attachments WHERE id = ?");  // cascades to chunks
  d.bind(1, id.str());
  d.exec();
}

}  // namespace

util::Result<AttachmentView> Attachments::Add(const Principal& actor, const util::BomId& bom,
                                              std::string_view kind_text, std::string_view name,
                                              std::string_view bytes) {
  // Who may, before looking at the bytes: a refusal must not depend on what was uploaded.
  std::shared_ptr<const OrgCrypto> crypto;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto a = boms_.Authorize(db, actor, bom, Function::kBomUpdate);
    if (!a.ok()) return a.status();
    crypto = a->crypto;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  auto kind = bom::ParseAttachmentKind(kind_text);
  if (!kind.ok()) return kind.status();
  if (!(st = bom::ValidateAttachmentName(name)).ok()) return st;
  auto type = bom::SniffAttachment(bytes, *kind);
  if (!type.ok()) return type.status();
  if (!(st = bom::CheckNameMatchesType(name, *type)).ok()) return st;

  AttachmentView v;
  v.id = util::AttachmentId::Generate();
  v.bom = bom;
  v.kind = std::string(bom::AttachmentKindName(*kind));
  v.name = std::string(name);
  v.media_type = type->media_type;
  v.size = static_cast<int64_t>(bytes.size());
  v.width = type->width;
  v.height = type->height;
  v.sha256 = crypto::ToHex(crypto::Sha256(crypto::AsBytes(bytes)));
  v.created_by = actor.user;
  v.created_at = util::NowUnix();

  // Seal outside the write lock: a 64 MiB file takes a while and should not stall other writers.
  const auto count = static_cast<int64_t>((bytes.size() + kChunkBytes - 1) / kChunkBytes);
  std::vector<crypto::Bytes> sealed;
  sealed.reserve(static_cast<size_t>(count));
  for (int64_t seq = 0; seq < count; ++seq) {
    std::string_view piece = bytes.substr(static_cast<size_t>(seq) * kChunkBytes, kChunkBytes);
    sealed.push_back(
        crypto->Seal("bom-attachment", ChunkObject(bom, v.id, seq, count), crypto::AsBytes(piece)));
  }
  const crypto::Bytes meta =
      crypto->SealText("bom-attachment-meta", MetaObject(v, count),
                       nlohmann::json{{"name", v.name}, {"sha256", v.sha256}}.dump());

  st = db_.Write([&](store::Db& db) -> Status {
    // Again, inside the transaction: the share may have been revoked meanwhile.
    auto a = boms_.Authorize(db, actor, bom, Function::kBomUpdate);
    if (!a.ok()) return a.status();
    // The org's keys were reloaded (a seal and unseal) while sealing: ask for a retry.
    if (a->crypto.get() != crypto.get()) {
      return Status(util::Code::kConflict, "retry", "the server was resealed; send the file again");
    }
    std::optional<util::AttachmentId> replaced;
    int64_t files = 0, total = 0;
    {
      SQLite::Statement q(db, "SELECT id, kind, size FROM bom_attachments WHERE bom_id = ?");
      q.bind(1, bom.str());
      while (q.executeStep()) {
        if (v.kind == "thumbnail" && q.getColumn(1).getString() == "thumbnail") {
          replaced = util::AttachmentId::FromTrusted(q.getColumn(0).getString());
          continue;  // replaced, so it counts toward neither limit
        }
        ++files;
        total += q.getColumn(2).getInt64();
      }
    }
    if (files + 1 > static_cast<int64_t>(kMaxPerBom)) {
      return Status::Unprocessable(
          "attachment_limit", "a BOM may have at most " + std::to_string(kMaxPerBom) + " files");
    }
    if (total + v.size > kMaxBytesPerBom) {
      return Status::Unprocessable(
          "attachment_limit",
          "a BOM's files may hold at most " + std::to_string(kMaxBytesPerBom >> 20) + " MiB");
    }
    if (replaced) DeleteRow(db, *replaced);
    SQLite::Statement ins(db,
                          "INSERT INTO bom_attachments(id, bom_id, kind, media_type, size, width, "
                          "height, chunk_count, meta_sealed, created_by, created_at) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    ins.bind(1, v.id.str());
    ins.bind(2, bom.str());
    ins.bind(3, v.kind);
    ins.bind(4, v.media_type);
    ins.bind(5, v.size);
    ins.bind(6, v.width);
    ins.bind(7, v.height);
    ins.bind(8, count);
    ins.bind(9, meta.data(), static_cast<int>(meta.size()));
    ins.bind(10, actor.user.str());
    ins.bind(11, v.created_at);
    ins.exec();
    SQLite::Statement chunk(
        db, "INSERT INTO bom_attachment_chunks(attachment_id, seq, sealed) VALUES (?,?,?)");
    for (int64_t seq = 0; seq < count; ++seq) {
      const crypto::Bytes& c = sealed[static_cast<size_t>(seq)];
      chunk.bind(1, v.id.str());
      chunk.bind(2, seq);
      chunk.bind(3, c.data(), static_cast<int>(c.size()));
      chunk.exec();
      chunk.reset();
    }
    MarkChanged(db, bom, v.created_at);
    nlohmann::json change = {{"attachment", {{"after", AuditView(v)}}}};
    if (replaced) change["replaced"] = replaced->str();
    RecordAudit(db, crypto.get(),
                {"bom:" + bom.str(), actor.user.str(), "bom.attachment.add", change});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("attachment.added")
      .Ref("bom_id", bom)
      .Ref("attachment_id", v.id)
      .Ref("user_id", actor.user)
      .Num("bytes", v.size);
  return v;
}

util::Result<std::vector<AttachmentView>> Attachments::List(const Principal& actor,
                                                            const util::BomId& bom) {
  std::vector<AttachmentView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto a = boms_.Authorize(db, actor, bom, Function::kBomRead);
    if (!a.ok()) return a.status();
    SQLite::Statement q(db, std::string("SELECT ") + kColumns +
                                " FROM bom_attachments WHERE bom_id = ? ORDER BY created_at, id");
    q.bind(1, bom.str());
    while (q.executeStep()) {
      auto v = FromRow(q, *a->crypto, nullptr);
      if (!v.ok()) return v.status();
      out.push_back(std::move(v.value()));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<AttachmentContent> Attachments::Read(const Principal& actor, const util::BomId& bom,
                                                  const util::AttachmentId& id) {
  AttachmentContent out;
  int64_t last_interacted = 0;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto a = boms_.Authorize(db, actor, bom, Function::kBomRead);
    if (!a.ok()) return a.status();
    last_interacted = a->summary.last_interacted_at;
    SQLite::Statement q(db, std::string("SELECT ") + kColumns +
                                " FROM bom_attachments WHERE id = ? AND bom_id = ?");
    q.bind(1, id.str());
    q.bind(2, bom.str());
    if (!q.executeStep()) return Status::NotFound();
    int64_t count = 0;
    auto v = FromRow(q, *a->crypto, &count);
    if (!v.ok()) return v.status();
    out.view = std::move(v.value());
    return OpenContent(db, *a->crypto, out.view, count, &out.bytes);
  });
  if (!st.ok()) return st;
  st = boms_.Touch(bom, last_interacted);
  if (!st.ok()) return st;
  // Downloads count toward the exfiltration watch like reads of the BOM itself: drawings and
  // models are often the most sensitive thing a BOM carries.
  NoteBomRead(actor, bom, 0);
  return out;
}

Status Attachments::Delete(const Principal& actor, const util::BomId& bom,
                           const util::AttachmentId& id) {
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto a = boms_.Authorize(db, actor, bom, Function::kBomUpdate);
    if (!a.ok()) return a.status();
    SQLite::Statement q(db, std::string("SELECT ") + kColumns +
                                " FROM bom_attachments WHERE id = ? AND bom_id = ?");
    q.bind(1, id.str());
    q.bind(2, bom.str());
    if (!q.executeStep()) return Status::NotFound();
    auto v = FromRow(q, *a->crypto, nullptr);
    if (!v.ok()) return v.status();
    q.reset();
    DeleteRow(db, id);
    MarkChanged(db, bom, util::NowUnix());
    RecordAudit(db, a->crypto.get(),
                {"bom:" + bom.str(),
                 actor.user.str(),
                 "bom.attachment.delete",
                 {{"attachment", {{"before", AuditView(v.value())}}}}});
    return Status::Ok();
  });
  if (st.ok()) {
    util::log::Info("attachment.deleted")
        .Ref("bom_id", bom)
        .Ref("attachment_id", id)
        .Ref("user_id", actor.user);
  }
  return st;
}

int64_t Attachments::CheckAll(store::Db& db, OrgKeys& keys, std::vector<std::string>* problems) {
  SQLite::Statement q(db, std::string("SELECT ") + kColumns +
                              ", (SELECT org_id FROM boms b WHERE b.id = bom_id) "
                              "FROM bom_attachments ORDER BY id");
  int64_t n = 0;
  std::string bytes;
  while (q.executeStep()) {
    ++n;
    const std::string where = "attachment " + q.getColumn(0).getString() + ": ";
    if (q.getColumn(11).isNull()) {
      problems->push_back(where + "belongs to no BOM");
      continue;
    }
    auto crypto = keys.Get(db, util::OrgId::FromTrusted(q.getColumn(11).getString()));
    if (!crypto.ok()) {
      problems->push_back(where + "org key missing");
      continue;
    }
    int64_t count = 0;
    auto v = FromRow(q, *crypto.value(), &count);
    if (!v.ok()) {
      problems->push_back(where + "name does not decrypt");
      continue;
    }
    if (!OpenContent(db, *crypto.value(), v.value(), count, &bytes).ok()) {
      problems->push_back(where + "content does not decrypt");
    } else if (crypto::ToHex(crypto::Sha256(crypto::AsBytes(bytes))) != v->sha256) {
      problems->push_back(where + "content does not match its SHA-256");
    }
    crypto::Wipe(bytes);
  }
  return n;
}

}  // namespace bomvault::service
