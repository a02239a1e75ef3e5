// The documents a data source writes besides its settings (codec/source_config.h): the sealed
// record of a file a folder source pulled, and the metadata a pull gives the BOM it makes
// ({"source_ref": {"source_id", "remote_id"}}, with "source" for a folder's file). Persisted:
// key names must not change. Reading never throws.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace bomvault::codec {

// What a folder source's file was when it was last pulled or refreshed.
struct PulledFileRecord {
  std::string name;
  int64_t size = -1, mtime = -1;  // -1 when the record lacks them
  std::string sha256;
  std::string bom_id;
  int64_t revision = 0;
  std::string user_id;
};
std::string EncodePulledFileRecord(const PulledFileRecord& r);
// nullopt when the text is not a JSON object or a member has the wrong type.
std::optional<PulledFileRecord> DecodePulledFileRecord(std::string_view text);

// The new BOM's metadata text for a pull of `remote_id` from a source; `file` (a folder source's
// file name) adds "source".
std::string PulledBomMetadata(std::string_view source_id, std::string_view remote_id,
                              std::optional<std::string_view> file);

}  // namespace bomvault::codec
