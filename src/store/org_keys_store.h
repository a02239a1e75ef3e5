// The org_keys, org_keys_retired and key_rotations rows that service/org_keys.h reads and writes.
//
// Keys are stored wrapped (sealed under the keyring's data master by service/); this module only
// moves the wrapped bytes. Every function runs on the caller's connection inside the caller's
// transaction (store/database.h) and returns plain rows. Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// An unfinished background reseal: where it stands in store/sealed_columns_store.h's walk.
struct KeyRotationRow {
  util::OrgId org;
  int pass = 1, step = 0;
  std::string position;  // the service's encoding of the last key done in `step`; "" = none
  int64_t resealed = 0;  // ciphertexts rewritten so far
  int64_t started_at = 0;
};
// Every unfinished reseal, oldest first.
std::vector<KeyRotationRow> ListKeyRotations(Db& db);
// The oldest unfinished reseal, the one the worker continues.
std::optional<KeyRotationRow> NextKeyRotation(Db& db);
std::optional<KeyRotationRow> FindKeyRotation(Db& db, const util::OrgId& org);
// Records a finished batch: the step to continue at, the position in it, and how many
// ciphertexts the batch rewrote.
void AdvanceKeyRotation(Db& db, const util::OrgId& org, int step, const std::string& position,
                        int64_t resealed);
// Moves the reseal to its second pass, from the first step.
void StartKeyRotationSecondPass(Db& db, const util::OrgId& org);
void DeleteKeyRotation(Db& db, const util::OrgId& org);

struct RetiredKeyRow {
  int64_t id = 0;
  util::OrgId org;
  int64_t retired_at = 0;
  int64_t resealed_at = 0;  // 0: the live store may still hold data under it
};
// Every retired key (without its bytes), oldest first; only those already resealed when
// `resealed_only`.
std::vector<RetiredKeyRow> ListRetiredKeys(Db& db, bool resealed_only);
// Marks the org's retired keys not yet marked as resealed at `now`.
void MarkRetiredKeysResealed(Db& db, const util::OrgId& org, int64_t now);
void DeleteRetiredKey(Db& db, int64_t id);

}  // namespace bomvault::store
