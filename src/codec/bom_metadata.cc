#include "codec/bom_metadata.h"

#include <nlohmann/json.hpp>

namespace bomvault::codec {

namespace {

util::Result<std::string> Checked(const nlohmann::json& m) {
  if (!m.is_object()) {
    return util::Status::Invalid("invalid_metadata", "metadata must be an object");
  }
  std::string text = m.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMaxBomMetadata) {
    return util::Status::Invalid("invalid_metadata", "metadata is limited to 16 KiB");
  }
  return text;
}

std::string StringMember(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

util::Result<std::string> CanonicalBomMetadata(std::string_view text) {
  return Checked(nlohmann::json::parse(text, nullptr, false));
}

util::Result<std::string> MergeBomMetadata(std::string_view stored, std::string_view patch) {
  nlohmann::json merged = nlohmann::json::parse(stored, nullptr, false);
  const nlohmann::json update = nlohmann::json::parse(patch, nullptr, false);
  if (!merged.is_object() || !update.is_object()) return Checked(update);
  merged.update(update);
  return Checked(merged);
}

std::string BomMetadataSource(std::string_view text) {
  const nlohmann::json m = nlohmann::json::parse(text, nullptr, false);
  return m.is_object() ? StringMember(m, "source") : std::string();
}

std::string EncodeRevisionNote(const RevisionNoteText& note) {
  nlohmann::json meta = {{"via", note.via}};
  if (!note.source.empty()) meta["source"] = note.source;
  if (!note.profile.empty()) meta["profile"] = note.profile;
  return meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<RevisionNoteText> DecodeRevisionNote(std::string_view text) {
  const nlohmann::json m = nlohmann::json::parse(text, nullptr, false);
  if (!m.is_object()) return std::nullopt;
  return RevisionNoteText{StringMember(m, "via"), StringMember(m, "source"),
                          StringMember(m, "profile")};
}

}  // namespace bomvault::codec
