// The rows the stale-BOM purge (service/retention.h) selects and removes.
//
// A BOM is stale when its owner has had no activity, or nobody interacted with it, since the
// cutoff; StaleBoms evaluates that inside the caller's write transaction, so a BOM read a moment
// ago (its touch committed) is not selected. DeleteBomAndHistory removes the BOM row (cascading to
// its item chunks, part index, shares and revisions) and its detailed audit entries. Every
// function runs on the caller's connection inside the caller's transaction (store/database.h).
// Thread-safety: that of the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct StaleBomRow {
  util::BomId id;
  int64_t items = 0;
  bool owner_inactive = false;  // else: not interacted with
  util::UserId owner;
  crypto::Bytes name_sealed;
};
// At most `limit` stale BOMs of `org` with ids above `after` (ascending, so a caller walking in
// batches always makes progress).
std::vector<StaleBomRow> StaleBoms(Db& db, const util::OrgId& org, const std::string& after,
                                   int64_t cutoff, size_t limit);
void DeleteBomAndHistory(Db& db, const util::BomId& bom);

}  // namespace bomvault::store
