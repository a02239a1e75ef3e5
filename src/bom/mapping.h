// Property mappings: how an organisation's exported column names map onto bomvault's columns.
//
// Every CAD, PLM and ERP tool names its columns its own way ("Mfr. Part No.", "Pos", "Menge").
// bomvault recognises common names itself (tree.h's RecognizedColumn); an organisation's
// Administrators add the rest once, as mappings, and every CSV or XLSX import in the org then
// applies them: a mapped column becomes a core field ("Pos" → find_number), a property under a
// chosen key ("Mfr. Part No." → manufacturer_part_number), or is ignored ("Internal cost").
// Mappings match header names after NormalizeColumnName, so "Mfr Part No" and "mfr part no" are
// one mapping. A mapping wins over the built-in aliases.
//
// Invariant: a ColumnMappings value that came out of ParseColumnMappings has unique, normalised,
// non-empty columns; each target is a canonical field name, a valid property key
// (ValidatePropertyKey) or empty for "ignore". Pure values and functions: thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bom/item.h"
#include "util/status.h"

namespace bomvault::bom {

struct ColumnMapping {
  enum class Target { kField, kProperty, kIgnore };
  std::string column;  // normalised header name
  Target target = Target::kProperty;
  std::string name;  // the field or property key; "" for kIgnore

  friend bool operator==(const ColumnMapping&, const ColumnMapping&) = default;
};

using ColumnMappings = std::vector<ColumnMapping>;

inline constexpr size_t kMaxColumnMappings = 256;

// The fields a column can be mapped to, with the label the UI shows, in the order the editors list
// them: the one list, which the UI's web/columns.js is generated from (tools/gen_columns.cc).
struct MappableField {
  std::string_view name;
  std::string_view label;
};
std::span<const MappableField> MappableFields();

// From the API's form: [{"column": str, "field": str} | {"column": str, "property": str} |
// {"column": str, "ignore": true}, ...]. Property names are normalised like column names.
// Problems are Status::Invalid("invalid_mapping", "mappings[i]: …").
util::Result<ColumnMappings> ParseColumnMappings(const nlohmann::json& list, const Limits& limits);

// The inverse of ParseColumnMappings, in the same order.
nlohmann::json ColumnMappingsJson(const ColumnMappings& mappings);

// The mapping for a normalised header name, or null.
const ColumnMapping* FindColumnMapping(const ColumnMappings& mappings, std::string_view column);

}  // namespace bomvault::bom
