// The instance row (one per store: its id and the operator token's hash) and the whole-store
// counts `check` reports. Every function runs on the caller's connection inside the caller's
// transaction (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/crypto.h"
#include "store/database.h"

namespace bomvault::store {

void InsertInstance(Db& db, const std::string& store_id_hex, const crypto::Bytes& operator_hash,
                    int64_t now);
// nullopt before Initialise wrote the row.
std::optional<crypto::Bytes> OperatorTokenHash(Db& db);

struct StoreCounts {
  int64_t users = 0;
  int64_t key_rotations = 0;     // orgs with a reseal under way
  int64_t retired_org_keys = 0;  // kept until their reseal finishes
};
StoreCounts CountStore(Db& db);

}  // namespace bomvault::store
