// Where a key rotation's re-sealing step stopped (service/key_rotation.h), as the store keeps it
// in key_rotations.position: the key of the last row done, a JSON array with one {"i": integer},
// {"s": text} or {"b": hex bytes} per key column. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/crypto.h"

namespace bomvault::codec {

// One key column's value (the same variant as store::KeyValue).
using PositionKey = std::variant<int64_t, std::string, crypto::Bytes>;

std::string EncodeRotationPosition(const std::vector<PositionKey>& keys);
// nullopt unless the text is such an array of exactly `columns` entries.
std::optional<std::vector<PositionKey>> DecodeRotationPosition(std::string_view text, int columns);

}  // namespace bomvault::codec
