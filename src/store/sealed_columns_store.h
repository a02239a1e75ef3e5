// Every column sealed under an organisation's data key, as one table the key re-seal
// (service/key_rotation.h) and `bomvault check` walk.
//
// Step i of a walk is the i-th sealed column; the index is persisted (key_rotations.step), so
// columns are only ever appended. A column's rows are read in batches ordered by their key, a
// key being one to three values (an id, a sequence number, a blind index); the walk resumes after
// the last key of the previous batch. Each row comes back with its object: the last part of the
// associated data it was sealed with, as the service that wrote it builds it. This module moves
// sealed bytes only; opening and re-sealing stay with the caller. Every function runs on the
// caller's connection inside the caller's transaction (store/database.h). Thread-safety: that of
// the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

// One value of a row's key, as SQLite typed it.
using KeyValue = std::variant<int64_t, std::string, crypto::Bytes>;

struct SealedRow {
  std::vector<KeyValue> keys;
  std::string object;
  crypto::Bytes sealed;
};

// How many sealed columns there are (the steps of a walk).
int SealedColumnCount();
// The purpose column `step` is sealed for (part of its associated data).
std::string_view SealedColumnPurpose(int step);
// How many values make up a row's key in column `step`.
int SealedColumnKeyCount(int step);

// Up to `limit` rows of column `step` that belong to `org`, in key order, after the key `after`
// (from the first row when absent; `after` must hold SealedColumnKeyCount(step) values).
std::vector<SealedRow> SealedBatch(Db& db, int step, const util::OrgId& org,
                                   const std::optional<std::vector<KeyValue>>& after, int limit);
// Replaces the ciphertext of the row of column `step` whose key is `keys`.
void UpdateSealed(Db& db, int step, const std::vector<KeyValue>& keys,
                  std::span<const uint8_t> sealed);
// Calls fn(purpose, object, sealed) for every ciphertext of `org` in every sealed column (the
// bytes valid during the call only).
void ForEachSealedColumn(Db& db, const util::OrgId& org,
                         const std::function<void(std::string_view purpose, std::string_view object,
                                                  std::span<const uint8_t> sealed)>& fn);

}  // namespace bomvault::store
