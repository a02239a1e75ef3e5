// The boms and bom_chunks rows. So far: what the offline check walks (every BOM's sealed name,
// metadata and item chunks); service/boms.cc's own statements move here next. Sealed bytes are
// moved, never opened. Every function runs on the caller's connection inside the caller's
// transaction (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct BomCheckRow {
  util::BomId id;
  util::OrgId org;
  crypto::Bytes name_sealed, meta_sealed;
  int64_t item_count = 0, chunk_count = 0;
};
// Every BOM, in no particular order.
void ForEachBomForCheck(Db& db, const std::function<void(const BomCheckRow&)>& fn);
// Calls `fn` with each sealed item chunk of `bom` in seq order (the bytes valid during the call
// only).
void ForEachBomChunk(Db& db, const util::BomId& bom,
                     const std::function<void(int64_t seq, std::span<const uint8_t> sealed)>& fn);

}  // namespace bomvault::store
