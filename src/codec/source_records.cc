#include "codec/source_records.h"

namespace bomvault::codec {

using nlohmann::json;

std::string EncodePulledFileRecord(const PulledFileRecord& r) {
  const json rec = {{"name", r.name},      {"size", r.size},     {"mtime", r.mtime},
                    {"sha256", r.sha256},  {"bom_id", r.bom_id}, {"revision", r.revision},
                    {"user_id", r.user_id}};
  return rec.dump();
}

std::optional<PulledFileRecord> DecodePulledFileRecord(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    PulledFileRecord r;
    r.name = j.value("name", "");
    r.size = j.value("size", int64_t{-1});
    r.mtime = j.value("mtime", int64_t{-1});
    r.sha256 = j.value("sha256", "");
    r.bom_id = j.value("bom_id", "");
    r.revision = j.value("revision", int64_t{0});
    r.user_id = j.value("user_id", "");
    return r;
  } catch (const json::exception&) {
    return std::nullopt;  // a member of the wrong type: not a record this server wrote
  }
}

std::string PulledBomMetadata(std::string_view source_id, std::string_view remote_id,
                              std::optional<std::string_view> file) {
  json meta = {{"source_ref", {{"source_id", source_id}, {"remote_id", remote_id}}}};
  if (file) meta["source"] = *file;
  return meta.dump();
}

}  // namespace bomvault::codec
