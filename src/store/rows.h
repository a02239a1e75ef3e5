// What every <aggregate>_store shares: reading and binding the column types bomvault keeps.
//
// Sealed values are stored as BLOBs and come back as spans into the statement's current row:
// a span is valid only until the statement steps, resets or is destroyed, so a row struct copies
// it into crypto::Bytes (Copy). Pure helpers over SQLiteCpp; no state; any thread that holds the
// statement.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "crypto/crypto.h"

namespace bomvault::store {

// The bytes of a BLOB column, valid until the statement moves on.
inline std::span<const uint8_t> Blob(const SQLite::Column& c) {
  return {static_cast<const uint8_t*>(c.getBlob()), static_cast<size_t>(c.size())};
}

// A BLOB column copied out of the row.
inline crypto::Bytes Copy(const SQLite::Column& c) {
  auto b = Blob(c);
  return crypto::Bytes(b.begin(), b.end());
}

// A nullable BLOB column copied out of the row.
inline std::optional<crypto::Bytes> CopyOrNull(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return Copy(c);
}

// A nullable TEXT column.
inline std::optional<std::string> TextOrNull(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

// Binds bytes as a BLOB (SQLiteCpp copies them).
inline void BindBlob(SQLite::Statement& q, int index, std::span<const uint8_t> b) {
  q.bind(index, b.data(), static_cast<int>(b.size()));
}

// Binds bytes as a BLOB, or NULL when absent.
inline void BindBlobOrNull(SQLite::Statement& q, int index, const std::optional<crypto::Bytes>& b) {
  if (b) {
    BindBlob(q, index, *b);
  } else {
    q.bind(index);
  }
}

}  // namespace bomvault::store
