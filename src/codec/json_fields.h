// Reading one field of a decoded JSON object without throwing: the codecs' shared helpers.
// nlohmann's value(key, default) throws when the field is there with another type; these answer
// the default instead, so a damaged document is refused by the codec's checks, never by an
// exception. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace bomvault::codec {

// The field's integer value, or `absent` when it is missing, not an integer or out of range.
inline int64_t IntField(const nlohmann::json& object, std::string_view key, int64_t absent = 0) {
  auto it = object.find(key);
  if (it == object.end()) return absent;
  if (it->is_number_integer() && !it->is_number_unsigned()) return it->get<int64_t>();
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  return absent;
}

// The field's text, or nullopt when it is missing or not a string (absent and wrong alike).
inline std::optional<std::string> OptionalText(const nlohmann::json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The field's text, or "" when it is missing or not a string.
inline std::string StringField(const nlohmann::json& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace bomvault::codec
