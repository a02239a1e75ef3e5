#include "codec/rotation_position.h"

#include <nlohmann/json.hpp>

namespace bomvault::codec {

std::string EncodeRotationPosition(const std::vector<PositionKey>& keys) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& v : keys) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      a.push_back({{"i", *i}});
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      a.push_back({{"s", *t}});
    } else {
      a.push_back({{"b", crypto::ToHex(std::get<crypto::Bytes>(v))}});
    }
  }
  return a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::vector<PositionKey>> DecodeRotationPosition(std::string_view text, int columns) {
  const nlohmann::json a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array() || static_cast<int>(a.size()) != columns) return std::nullopt;
  std::vector<PositionKey> out;
  for (const auto& e : a) {
    if (!e.is_object()) return std::nullopt;
    if (auto i = e.find("i"); i != e.end() && i->is_number_integer()) {
      out.emplace_back(i->get<int64_t>());
    } else if (auto s = e.find("s"); s != e.end() && s->is_string()) {
      out.emplace_back(s->get<std::string>());
    } else if (auto b = e.find("b"); b != e.end() && b->is_string()) {
      auto bytes = crypto::FromHex(b->get<std::string>());
      if (!bytes) return std::nullopt;
      out.emplace_back(std::move(*bytes));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace bomvault::codec
