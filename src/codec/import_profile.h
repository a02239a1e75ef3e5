// The document of a saved import profile (service/import_profiles.h): what the API takes as a
// profile's body and what the store keeps, sealed, for each profile:
//   {"name": str, "base"?: built-in profile name, "mappings"?: [column mappings],
//    "options"?: {"charset"?: str, "sheet"?: str, "on_error"?: "skip" | "strict"}}
// The stored text is ImportProfileJson compact (sorted keys, "options" always with "on_error"),
// byte for byte what bomvault has stored since profiles came. Reading checks every value as the
// API always has; problems are Status::Invalid("invalid_profile", message) and no input throws.
// Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bom/mapping.h"
#include "util/status.h"

namespace bomvault::codec {

inline constexpr size_t kMaxImportProfileName = 100;
inline constexpr size_t kMaxImportProfileOption = 100;  // charset and sheet, bytes

// A profile's settings: what a person chose, without the id and times the store adds.
struct ImportProfileSettings {
  std::string name;
  std::string base;  // a built-in profile name (bom/profile.h), "" = recognise
  bom::ColumnMappings mappings;
  std::string charset;
  std::string sheet;
  bool skip_bad_rows = false;
};

// From a request body or a stored document (parsed).
util::Result<ImportProfileSettings> ParseImportProfile(const nlohmann::json& body);
// {"name", "base", "mappings", "options"}: the stored document and the API's view without id and
// times.
nlohmann::json ImportProfileJson(const ImportProfileSettings& settings);

// The stored text, and back; text that is not JSON is Invalid like a bad document.
std::string EncodeImportProfile(const ImportProfileSettings& settings);
util::Result<ImportProfileSettings> DecodeImportProfile(std::string_view text);

// The checks ParseImportProfile makes, for settings built in code: the same messages, and the
// mappings normalised (bom::CheckColumnMappings).
util::Result<ImportProfileSettings> CheckImportProfile(ImportProfileSettings settings);

}  // namespace bomvault::codec
