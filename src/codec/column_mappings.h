// The JSON form of an organisation's column mappings (bom/mapping.h), as the API takes and shows
// it and as the store keeps it (sealed under the org key, purpose "column-mappings", and inside
// each saved import profile): [{"column": str, "field": str} | {"column": str, "property": str} |
// {"column": str, "ignore": true}, ...]. Reading checks the shape here and the values with
// bom::CheckColumnMappings, so every list that comes out holds bom/mapping.h's invariant.
// Problems are Status::Invalid("invalid_mapping", "mappings[i]: …"); no input throws.
// Pure functions: thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bom/item.h"
#include "bom/mapping.h"
#include "util/status.h"

namespace bomvault::codec {

// From the parsed list (a request body's "mappings", a query parameter, a stored document).
util::Result<bom::ColumnMappings> ParseColumnMappings(const nlohmann::json& list,
                                                      const bom::Limits& limits);
// The inverse of ParseColumnMappings, in the same order.
nlohmann::json ColumnMappingsJson(const bom::ColumnMappings& mappings);

// The stored text: ColumnMappingsJson compact. Decoding a text that is not JSON is Invalid too.
std::string EncodeColumnMappings(const bom::ColumnMappings& mappings);
util::Result<bom::ColumnMappings> DecodeColumnMappings(std::string_view text,
                                                       const bom::Limits& limits);

}  // namespace bomvault::codec
