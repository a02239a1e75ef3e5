#include "codec/column_mappings.h"

#include <utility>

namespace bomvault::codec {

using bom::ColumnMapping;
using util::Status;

util::Result<bom::ColumnMappings> ParseColumnMappings(const nlohmann::json& list,
                                                      const bom::Limits& limits) {
  if (!list.is_array()) {
    return Status::Invalid("invalid_mapping", "\"mappings\" must be an array");
  }
  if (Status st = bom::CheckColumnMappingCount(list.size()); !st.ok()) return st;
  // The shape of every entry first; bom::CheckColumnMappings then checks the values.
  bom::ColumnMappings given;
  given.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    auto fail = [&](std::string message) {
      return Status::Invalid("invalid_mapping", "mappings[" + std::to_string(i) + "]: " + message);
    };
    const nlohmann::json& m = list[i];
    if (!m.is_object()) return fail("each mapping must be an object");
    auto column = m.find("column");
    if (column == m.end() || !column->is_string()) return fail("\"column\" must be a string");
    auto field = m.find("field");
    auto property = m.find("property");
    auto ignore = m.find("ignore");
    const bool has_field = field != m.end(), has_property = property != m.end();
    const bool ignored = ignore != m.end() && *ignore == true;
    if (static_cast<int>(has_field) + static_cast<int>(has_property) + static_cast<int>(ignored) !=
        1) {
      return fail("give exactly one of \"field\", \"property\" or \"ignore\": true");
    }
    ColumnMapping mapping;
    mapping.column = column->get<std::string>();
    if (ignored) {
      mapping.target = ColumnMapping::Target::kIgnore;
    } else if (has_field) {
      mapping.target = ColumnMapping::Target::kField;
      // A field that is not a string is no field's name: the check names the choices.
      if (field->is_string()) mapping.name = field->get<std::string>();
    } else {
      if (!property->is_string()) return fail("\"property\" must be a string");
      mapping.target = ColumnMapping::Target::kProperty;
      mapping.name = property->get<std::string>();
    }
    given.push_back(std::move(mapping));
  }
  return bom::CheckColumnMappings(std::move(given), limits);
}

nlohmann::json ColumnMappingsJson(const bom::ColumnMappings& mappings) {
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

std::string EncodeColumnMappings(const bom::ColumnMappings& mappings) {
  return ColumnMappingsJson(mappings).dump();
}

util::Result<bom::ColumnMappings> DecodeColumnMappings(std::string_view text,
                                                       const bom::Limits& limits) {
  return ParseColumnMappings(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false),
                             limits);
}

}  // namespace bomvault::codec
