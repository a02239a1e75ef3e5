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

util::Result<ColumnMappings> ParseColumnMappings(const nlohmann::json& list, const Limits& limits) {
  if (!list.is_array()) {
    return util::Status::Invalid("invalid_mapping", "\"mappings\" must be an array");
  }
  if (list.size() > kMaxColumnMappings) {
    return util::Status::Invalid(
        "invalid_mapping",
        "an organisation may have at most " + std::to_string(kMaxColumnMappings) + " mappings");
  }
  ColumnMappings out;
  out.reserve(list.size());
  std::unordered_set<std::string> columns;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "mappings[" + std::to_string(i) + "]: ";
    auto fail = [&](std::string message) {
      return util::Status::Invalid("invalid_mapping", where + message);
    };
    const nlohmann::json& m = list[i];
    if (!m.is_object()) return fail("each mapping must be an object");
    auto column = m.find("column");
    if (column == m.end() || !column->is_string()) return fail("\"column\" must be a string");
    ColumnMapping mapping;
    mapping.column = NormalizeColumnName(column->get<std::string>());
    if (mapping.column.empty() || mapping.column.size() > limits.max_property_key ||
        Utf8ErrorOffset(mapping.column) != std::string_view::npos) {
      return fail("\"column\" needs 1 to " + std::to_string(limits.max_property_key) +
                  " bytes of text");
    }
    if (!columns.insert(mapping.column).second) {
      return fail("column " + QuoteForMessage(mapping.column) + " is mapped twice");
    }
    const bool has_field = m.contains("field"), has_property = m.contains("property");
    const bool ignore = m.contains("ignore") && m["ignore"] == true;
    if (static_cast<int>(has_field) + static_cast<int>(has_property) + static_cast<int>(ignore) !=
        1) {
      return fail("give exactly one of \"field\", \"property\" or \"ignore\": true");
    }
    if (ignore) {
      mapping.target = ColumnMapping::Target::kIgnore;
    } else if (has_field) {
      if (!m["field"].is_string() || !IsField(m["field"].get<std::string>())) {
        std::string names;
        for (const MappableField& f : kFields)
          names += (names.empty() ? "" : ", ") + std::string(f.name);
        return fail("\"field\" must be one of " + names);
      }
      mapping.target = ColumnMapping::Target::kField;
      mapping.name = m["field"].get<std::string>();
    } else {
      if (!m["property"].is_string()) return fail("\"property\" must be a string");
      mapping.name = NormalizeColumnName(m["property"].get<std::string>());
      // Mappings saved before manufacturer, mpn and dnp became fields named them as properties;
      // they now mean the field.
      if (mapping.name == "manufacturer" || mapping.name == "mpn" || mapping.name == "dnp") {
        mapping.target = ColumnMapping::Target::kField;
        out.push_back(std::move(mapping));
        continue;
      }
      if (util::Status st = ValidatePropertyKey(mapping.name, limits); !st.ok()) {
        return fail(st.message());
      }
    }
    out.push_back(std::move(mapping));
  }
  return out;
}

nlohmann::json ColumnMappingsJson(const ColumnMappings& mappings) {
  nlohmann::json out = nlohmann::json::array();
  for (const ColumnMapping& m : mappings) {
    switch (m.target) {
      case ColumnMapping::Target::kField:
        out.push_back({{"column", m.column}, {"field", m.name}});
        break;
      case ColumnMapping::Target::kProperty:
        out.push_back({{"column", m.column}, {"property", m.name}});
        break;
      case ColumnMapping::Target::kIgnore:
        out.push_back({{"column", m.column}, {"ignore", true}});
        break;
    }
  }
  return out;
}

const ColumnMapping* FindColumnMapping(const ColumnMappings& mappings, std::string_view column) {
  for (const ColumnMapping& m : mappings) {
    if (m.column == column) return &m;
  }
  return nullptr;
}

}  // namespace bomvault::bom
