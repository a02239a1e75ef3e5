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
// Invariant: a ColumnMappings value that came out of CheckColumnMappings has unique, normalised,
// non-empty columns; each target is a canonical field name, a valid property key
// (ValidatePropertyKey) or empty for "ignore". Their JSON form (the API's and the stored one) is
// read and written by codec/column_mappings.h. Pure values and functions: thread-safe.
#pragma once

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

// Refuses a list longer than kMaxColumnMappings: Status::Invalid("invalid_mapping", …).
util::Status CheckColumnMappingCount(size_t count);

// Mappings as someone gave them (columns and property names as typed), normalised and checked:
// each column non-empty, at most limits.max_property_key bytes of UTF-8 and mapped once; each
// field one of MappableFields; each property a valid key once normalised like a column name.
// Properties named manufacturer, mpn or dnp (saved before those became fields) become the fields.
// Problems are Status::Invalid("invalid_mapping", "mappings[i]: …"), naming the first bad entry.
util::Result<ColumnMappings> CheckColumnMappings(ColumnMappings given, const Limits& limits);

// The mapping for a normalised header name, or null.
const ColumnMapping* FindColumnMapping(const ColumnMappings& mappings, std::string_view column);

}  // namespace bomvault::bom
