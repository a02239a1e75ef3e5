#include "codec/attachment_meta.h"

#include <nlohmann/json.hpp>

namespace bomvault::codec {

std::string EncodeAttachmentMeta(const AttachmentMeta& meta) {
  return nlohmann::json{{"name", meta.name}, {"sha256", meta.sha256}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<AttachmentMeta> DecodeAttachmentMeta(std::string_view text) {
  const nlohmann::json m = nlohmann::json::parse(text, nullptr, false);
  if (!m.is_object()) return std::nullopt;
  auto name = m.find("name");
  auto sha256 = m.find("sha256");
  if (name == m.end() || !name->is_string() || sha256 == m.end() || !sha256->is_string()) {
    return std::nullopt;
  }
  return AttachmentMeta{name->get<std::string>(), sha256->get<std::string>()};
}

}  // namespace bomvault::codec
