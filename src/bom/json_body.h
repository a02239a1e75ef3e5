// JSON bodies of the BOM create and change requests ({name?, metadata?, source?, items?}), read
// in one streaming pass straight into Items.
//
// Bodies reach 64 MB (100,000+ items). Building an nlohmann DOM first cost about ten times the
// body in memory and most of the request's time, so ParseBomBody drives nlohmann's SAX parser
// with its own handler: each item's fields land directly in a bom::Item, unknown keys are skipped
// without being built, and only "metadata" (small and bounded) becomes a DOM. The result is the
// same as the former DOM conversion (same Status codes, machine codes and messages, same items,
// properties in the DOM's key order), with these deliberate differences: a numeric quantity is
// read from its exact JSON text, so exponents are exact ("1.5e-3" is "0.0015") and nothing passes
// through binary floating point; and the new bounds (too many items, nesting, metadata size,
// more than twice Limits::max_properties entries in one item's properties) are reported as soon
// as they are hit, without reading the rest of the body.
// Precedence otherwise follows the old path: malformed JSON, then a non-object body, then
// "name", "metadata", "source", and last "items". Duplicate keys: the last one wins, as in the
// DOM. The items are NOT validated as a tree (ValidateItems is the service's job); only their
// JSON shape and quantities are checked here. Pure function, no I/O: thread-safe; it never
// throws.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bom/item.h"
#include "util/status.h"

namespace bomvault::bom {

// Deepest nesting accepted anywhere in a body (the top-level object is level 1); deeper is
// "invalid_json". An item with properties only needs 4.
inline constexpr size_t kMaxBodyDepth = 64;
// "metadata" is free-form but stored with every BOM: its own nesting (the object itself is level
// 1) and its serialised size (dump(), with "source" merged in) are bounded; beyond is
// "invalid_metadata". The service applies its own, tighter size limit afterwards.
inline constexpr size_t kMaxMetadataDepth = 32;
inline constexpr size_t kMaxMetadataBytes = 64 * 1024;

struct BomBody {
  std::optional<std::string> name;  // "name" given as a string (null counts as absent)
  // The "metadata" object ({} for "metadata": null), with a string "source" merged in as
  // metadata["source"]; absent when neither "metadata" nor a non-null "source" is given.
  std::optional<nlohmann::json> metadata;
  bool metadata_given = false;             // "metadata" itself was in the body (not only "source")
  std::optional<std::vector<Item>> items;  // "items" given (as an array); absent otherwise
};

// Parses a create/change body. An empty body is an empty BomBody. Failures, all Code::kInvalid:
//   "invalid_json"       not JSON (including invalid UTF-8 or trailing text), not an object, or
//                        nested deeper than kMaxBodyDepth;
//   "invalid_field"      "name" or "source" neither a string nor null;
//   "invalid_metadata"   "metadata" neither an object nor null, or beyond the metadata bounds;
//   "missing_field"      "items" present but not an array (null included);
//   "bom_too_many_items" more than limits.max_items items (parsing stops right there);
//   "invalid_item"       an item that is not an object, lacks ref/part_number/quantity, has a
//                        text field that is neither a string nor an integer, or properties that
//                        are not an object of strings, numbers, booleans and nulls;
//   "bom_bad_quantity"   a quantity that is not a valid quantity (decimal.h).
// Item messages start with "items[i]". Text fields take strings or integers (kept as their
// decimal text: tools often write refs and find numbers as numbers). Property keys are
// normalised with NormalizeColumnName; string values are kept unless empty, numbers and booleans
// become their JSON text, nulls are dropped. A quantity is a JSON number or a decimal string.
// "manufacturers" is an array of {"name": str, "mpn": str} (null entries' fields count as empty;
// more than twice Limits::max_manufacturers entries stop the parse) and "dnp" a boolean; other
// shapes are "invalid_item".
util::Result<BomBody> ParseBomBody(std::string_view body, const Limits& limits);

}  // namespace bomvault::bom
