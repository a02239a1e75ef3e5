#include "service/attachments.h"

#include "bom/sniff.h"
#include "codec/attachment_meta.h"
#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/monitor.h"
#include "store/attachments_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Function;
using access::Principal;
using util::Status;

namespace {

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

// The row's view, its name and hash opened; chunk_count comes back through *chunks.
util::Result<AttachmentView> FromRow(const store::AttachmentRow& row, const OrgCrypto& crypto,
                                     int64_t* chunks) {
  AttachmentView v;
  v.id = row.id;
  v.bom = row.bom;
  v.kind = row.kind;
  v.media_type = row.media_type;
  v.size = row.size;
  v.width = row.width;
  v.height = row.height;
  const int64_t count = row.chunk_count;
  if (chunks != nullptr) *chunks = count;
  auto meta = crypto.OpenText("bom-attachment-meta", MetaObject(v, count), row.meta_sealed);
  std::optional<codec::AttachmentMeta> m;
  if (meta) m = codec::DecodeAttachmentMeta(*meta);
  if (!m) {
    util::log::Error("attachment.unreadable").Ref("bom_id", v.bom).Ref("attachment_id", v.id);
    return Status::Internal("an attachment could not be decrypted");
  }
  v.name = std::move(m->name);
  v.sha256 = std::move(m->sha256);
  v.created_by = row.created_by;
  v.created_at = row.created_at;
  return v;
}

AuditChange AuditView(const AttachmentView& v) {
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
  int64_t expected = 0;
  bool unreadable = false;
  store::ForEachAttachmentChunk(db, v.id, [&](int64_t seq, std::span<const uint8_t> sealed) {
    auto plain = crypto.Open("bom-attachment", ChunkObject(v.bom, v.id, seq, count), sealed);
    if (seq != expected++ || !plain) {
      util::log::Error("attachment.chunk_unreadable").Ref("attachment_id", v.id).Num("seq", seq);
      unreadable = true;
      return false;
    }
    out->append(reinterpret_cast<const char*>(plain->data()), plain->size());
    crypto::Wipe(*plain);
    return true;
  });
  if (unreadable) return Status::Internal("this attachment could not be decrypted");
  if (expected != count || static_cast<int64_t>(out->size()) != v.size) {
    util::log::Error("attachment.incomplete").Ref("attachment_id", v.id).Num("chunks", expected);
    return Status::Internal("this attachment could not be decrypted");
  }
  return Status::Ok();
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
  const crypto::Bytes meta = crypto->SealText("bom-attachment-meta", MetaObject(v, count),
                                              codec::EncodeAttachmentMeta({v.name, v.sha256}));

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
    for (const store::AttachmentRow& row : store::ListAttachments(db, bom)) {
      if (v.kind == "thumbnail" && row.kind == "thumbnail") {
        replaced = row.id;
        continue;  // replaced, so it counts toward neither limit
      }
      ++files;
      total += row.size;
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
    if (replaced) store::DeleteAttachment(db, *replaced);
    store::AttachmentRow row;
    row.id = v.id;
    row.bom = bom;
    row.kind = v.kind;
    row.media_type = v.media_type;
    row.size = v.size;
    row.width = v.width;
    row.height = v.height;
    row.chunk_count = count;
    row.meta_sealed = meta;
    row.created_by = actor.user;
    row.created_at = v.created_at;
    store::InsertAttachment(db, row, sealed);
    store::MarkBomChanged(db, bom, v.created_at);
    AuditChange change = {{"attachment", {{"after", AuditView(v)}}}};
    if (replaced) change.Set("replaced", replaced->str());
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
    for (const store::AttachmentRow& row : store::ListAttachments(db, bom)) {
      auto v = FromRow(row, *a->crypto, nullptr);
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
    auto row = store::FindAttachment(db, bom, id);
    if (!row) return Status::NotFound();
    int64_t count = 0;
    auto v = FromRow(*row, *a->crypto, &count);
    if (!v.ok()) return v.status();
    out.view = std::move(v.value());
    return OpenContent(db, *a->crypto, out.view, count, &out.bytes);
  });
  if (!st.ok()) return st;
  st = boms_.Touch(bom, last_interacted);
  if (!st.ok()) return st;
  // Downloads count toward the exfiltration watch like reads of the BOM itself: drawings and
  // models are often the most sensitive thing a BOM carries.
  monitor_.NoteBomRead(actor, bom, 0);
  return out;
}

Status Attachments::Delete(const Principal& actor, const util::BomId& bom,
                           const util::AttachmentId& id) {
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto a = boms_.Authorize(db, actor, bom, Function::kBomUpdate);
    if (!a.ok()) return a.status();
    auto row = store::FindAttachment(db, bom, id);
    if (!row) return Status::NotFound();
    auto v = FromRow(*row, *a->crypto, nullptr);
    if (!v.ok()) return v.status();
    store::DeleteAttachment(db, id);
    store::MarkBomChanged(db, bom, util::NowUnix());
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
  int64_t n = 0;
  std::string bytes;
  store::ForEachAttachment(
      db, [&](const store::AttachmentRow& row, const std::optional<util::OrgId>& org) {
        ++n;
        const std::string where = "attachment " + row.id.str() + ": ";
        if (!org) {
          problems->push_back(where + "belongs to no BOM");
          return;
        }
        auto crypto = keys.Get(db, *org);
        if (!crypto.ok()) {
          problems->push_back(where + "org key missing");
          return;
        }
        int64_t count = 0;
        auto v = FromRow(row, *crypto.value(), &count);
        if (!v.ok()) {
          problems->push_back(where + "name does not decrypt");
          return;
        }
        if (!OpenContent(db, *crypto.value(), v.value(), count, &bytes).ok()) {
          problems->push_back(where + "content does not decrypt");
        } else if (crypto::ToHex(crypto::Sha256(crypto::AsBytes(bytes))) != v->sha256) {
          problems->push_back(where + "content does not match its SHA-256");
        }
        crypto::Wipe(bytes);
      });
  return n;
}

}  // namespace bomvault::service
