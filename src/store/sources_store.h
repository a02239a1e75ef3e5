// The sources, source_connections, bom_source_links and source_files rows behind
// service/sources.h. A source's configuration, each member's connection secret, a BOM's remote id
// and a folder file's record are stored sealed under the org's key; a file is found by a blind
// index of its name. This module moves the sealed bytes only. Every function runs on the
// caller's connection inside the caller's transaction (store/database.h). Thread-safety: that of
// the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct SourceRow {
  std::string kind;
  crypto::Bytes sealed;
  int64_t created_at = 0, updated_at = 0;
  bool connected = false;  // the asking user holds a connection to it
};
// The org's source `id` as `user` sees it; nullopt if the org has no such source.
std::optional<SourceRow> FindSource(Db& db, const util::OrgId& org, const util::SourceId& id,
                                    const util::UserId& user);
// The org's sources, oldest first.
std::vector<util::SourceId> SourceIds(Db& db, const util::OrgId& org);
void InsertSource(Db& db, const util::OrgId& org, const util::SourceId& id, const std::string& kind,
                  const crypto::Bytes& sealed, const util::UserId& created_by, int64_t now);
void UpdateSource(Db& db, const util::SourceId& id, const crypto::Bytes& sealed, int64_t now);
void DeleteSource(Db& db, const util::OrgId& org, const util::SourceId& id);

std::optional<crypto::Bytes> SourceConnection(Db& db, const util::OrgId& org,
                                              const util::SourceId& id, const util::UserId& user);
void SaveSourceConnection(Db& db, const util::OrgId& org, const util::SourceId& id,
                          const util::UserId& user, const crypto::Bytes& sealed, int64_t now);
// Replaces an existing connection only.
void UpdateSourceConnection(Db& db, const util::OrgId& org, const util::SourceId& id,
                            const util::UserId& user, const crypto::Bytes& sealed, int64_t now);
// One member's connection, or (user nullptr) everyone's; how many were deleted.
int DeleteSourceConnections(Db& db, const util::SourceId& id, const util::UserId* user);
// Every connection `user` holds, to any source (the account was disabled); how many.
int DeleteUserSourceConnections(Db& db, const util::UserId& user);

std::optional<crypto::Bytes> BomSourceLink(Db& db, const util::BomId& bom,
                                           const util::SourceId& id);
void SaveBomSourceLink(Db& db, const util::BomId& bom, const util::SourceId& id,
                       const crypto::Bytes& sealed, int64_t now);

std::optional<crypto::Bytes> SourceFile(Db& db, const util::SourceId& id,
                                        const crypto::Bytes& name_key);
void SaveSourceFile(Db& db, const util::SourceId& id, const crypto::Bytes& name_key,
                    const crypto::Bytes& sealed, int64_t now);

}  // namespace bomvault::store
