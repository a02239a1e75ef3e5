// BOM attachments: the thumbnail and the derivative files (drawings, PDF and STEP exports) that
// travel with a BOM.
//
// Rules: reading follows the BOM (kBomRead: owner, shared-with, Administrator); adding and
// removing need the right to change it (kBomUpdate). Types are sniffed from the bytes
// (bom/sniff.h) and the client's claim is ignored. A BOM holds at most kMaxPerBom files and
// kMaxBytesPerBom bytes; it has at most one thumbnail, and a new one replaces the old in the same
// transaction. Bytes are sealed under the org data key in kChunkBytes chunks (schema 0004 says
// what the associated data binds); name and SHA-256 are sealed too. Sealing happens outside the
// write lock, and the right to change the BOM is checked again inside it, so a revocation that
// lands in between still wins. Every add and remove is audited on the BOM in the same
// transaction; the files die with their BOM (delete, stale-data purge, org deletion).
// Thread-safe: state lives in the store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "access/permissions.h"
#include "service/boms.h"
#include "store/database.h"
#include "util/ids.h"
#include "util/status.h"

namespace bomvault::service {

struct AttachmentView {
  util::AttachmentId id;
  util::BomId bom;
  std::string kind;  // "thumbnail" | "derivative"
  std::string name;
  std::string media_type;
  std::string sha256;  // hex, of the plaintext
  int64_t size = 0;
  int64_t width = 0, height = 0;  // images only
  util::UserId created_by;
  int64_t created_at = 0;
};

struct AttachmentContent {
  AttachmentView view;
  std::string bytes;
};

class Attachments {
 public:
  static constexpr size_t kChunkBytes = 1u << 20;
  static constexpr size_t kMaxPerBom = 32;
  static constexpr int64_t kMaxBytesPerBom = int64_t{256} << 20;

  Attachments(store::Database& db, Boms& boms, Monitor& monitor)
      : db_(db), boms_(boms), monitor_(monitor) {}

  util::Result<AttachmentView> Add(const access::Principal& actor, const util::BomId& bom,
                                   std::string_view kind, std::string_view name,
                                   std::string_view bytes);
  util::Result<std::vector<AttachmentView>> List(const access::Principal& actor,
                                                 const util::BomId& bom);
  util::Result<AttachmentContent> Read(const access::Principal& actor, const util::BomId& bom,
                                       const util::AttachmentId& id);
  util::Status Delete(const access::Principal& actor, const util::BomId& bom,
                      const util::AttachmentId& id);

  // For `bomvault check`: opens every attachment of every org (meta and all chunks) and compares
  // size and SHA-256 with what was recorded; appends one line per fault. Returns the count.
  static int64_t CheckAll(store::Db& db, OrgKeys& keys, std::vector<std::string>* problems);

 private:
  store::Database& db_;
  Boms& boms_;
  Monitor& monitor_;
};

}  // namespace bomvault::service
