#include "bom/mapping.h"

#include <unordered_set>

#include "bom/tree.h"

namespace bomvault::bom {
namespace {

// In the order the mapping editors list them.
constexpr MappableField kFields[] = {
    {"part_number", "Part number"},
    {"quantity", "Quantity"},
    {"level", "Level"},
    {"parent", "Parent ref"},
    {"ref", "Ref"},
    {"find_number", "Find number"},
    {"description", "Description"},
    {"unit", "Unit"},
    {"refdes", "Reference designators"},
    {"manufacturer", "Manufacturer"},
    {"mpn", "Manufacturer part number"},
    {"dnp", "Do not place"},
};

bool IsField(std::string_view name) {
  for (const MappableField& f : kFields) {
    if (f.name == name) return true;
  }
  return false;
}

}  // namespace

std::span<const MappableField> MappableFields() { return kFields; }

util::Status CheckColumnMappingCount(size_t count) {
  if (count > kMaxColumnMappings) {
    return util::Status::Invalid(
        "invalid_mapping",
        "an organisation may have at most " + std::to_string(kMaxColumnMappings) + " mappings");
  }
  return util::Status::Ok();
}

util::Result<ColumnMappings> CheckColumnMappings(ColumnMappings given, const Limits& limits) {
  if (util::Status st = CheckColumnMappingCount(given.size()); !st.ok()) return st;
  std::unordered_set<std::string> columns;
  for (size_t i = 0; i < given.size(); ++i) {
    auto fail = [&](std::string message) {
      return util::Status::Invalid("invalid_mapping",
                                   "mappings[" + std::to_string(i) + "]: " + message);
    };
    ColumnMapping& mapping = given[i];
    mapping.column = NormalizeColumnName(mapping.column);
    if (mapping.column.empty() || mapping.column.size() > limits.max_property_key ||
        Utf8ErrorOffset(mapping.column) != std::string_view::npos) {
      return fail("\"column\" needs 1 to " + std::to_string(limits.max_property_key) +
                  " bytes of text");
    }
    if (!columns.insert(mapping.column).second) {
      return fail("column " + QuoteForMessage(mapping.column) + " is mapped twice");
    }
    switch (mapping.target) {
      case ColumnMapping::Target::kIgnore:
        mapping.name.clear();
        break;
      case ColumnMapping::Target::kField:
        if (!IsField(mapping.name)) {
          std::string names;
          for (const MappableField& f : kFields)
            names += (names.empty() ? "" : ", ") + std::string(f.name);
          return fail("\"field\" must be one of " + names);
        }
        break;
      case ColumnMapping::Target::kProperty:
        mapping.name = NormalizeColumnName(mapping.name);
        // Mappings saved before manufacturer, mpn and dnp became fields named them as properties;
        // they now mean the field.
        if (mapping.name == "manufacturer" || mapping.name == "mpn" || mapping.name == "dnp") {
          mapping.target = ColumnMapping::Target::kField;
          break;
        }
        if (util::Status st = ValidatePropertyKey(mapping.name, limits); !st.ok()) {
          return fail(st.message());
        }
        break;
    }
  }
  return given;
}

const ColumnMapping* FindColumnMapping(const ColumnMappings& mappings, std::string_view column) {
  for (const ColumnMapping& m : mappings) {
    if (m.column == column) return &m;
  }
  return nullptr;
}

}  // namespace bomvault::bom
