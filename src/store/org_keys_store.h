// The org_keys, org_keys_retired and key_rotations rows that service/org_keys.h reads and writes.
//
// Keys are stored wrapped (sealed under the keyring's data master by service/); this module only
// moves the wrapped bytes. Every function runs on the caller's connection inside the caller's
// transaction (store/database.h) and returns plain rows. Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct OrgKeyRow {
  crypto::Bytes wrapped_key;
  std::optional<crypto::Bytes> wrapped_index_key;  // NULL: derived from the key (older orgs)
};

std::optional<OrgKeyRow> FindOrgKey(Db& db, const util::OrgId& org);
void InsertOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t now);
void SetOrgIndexKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped_index);
void SetOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t now);
// The retired wrapped keys, newest first.
std::vector<crypto::Bytes> RetiredOrgKeys(Db& db, const util::OrgId& org);
void RetireOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t now);
// Every org that has a key row, in id order.
std::vector<util::OrgId> OrgIdsWithKeys(Db& db);
// Starts (or restarts) the background reseal of `org` at its first pass.
void StartKeyRotation(Db& db, const util::OrgId& org, int64_t now);

}  // namespace bomvault::store
