// The idempotency_keys rows (schema/0015_http_conventions.sql) that service/idempotency.h keeps.
//
// Keys and request digests arrive already hashed, answers already sealed: this module only moves
// bytes. Every function runs on the caller's connection inside the caller's transaction
// (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct IdempotencyRow {
  crypto::Bytes request_hash;
  bool done = false;                      // false: the first request is still running
  std::optional<crypto::Bytes> response;  // sealed; set once done
  int64_t expires_at = 0;
};

std::optional<IdempotencyRow> FindIdempotencyKey(Db& db, const crypto::Bytes& key_hash);
void InsertIdempotencyKey(Db& db, const crypto::Bytes& key_hash, const util::OrgId& org,
                          const util::UserId& user, const crypto::Bytes& request_hash, int64_t now,
                          int64_t expires_at);
void FinishIdempotencyKey(Db& db, const crypto::Bytes& key_hash, const crypto::Bytes& response);
void DeleteIdempotencyKey(Db& db, const crypto::Bytes& key_hash);
// Removes every row that expired at or before `now`; returns how many.
int DeleteExpiredIdempotencyKeys(Db& db, int64_t now);

}  // namespace bomvault::store
