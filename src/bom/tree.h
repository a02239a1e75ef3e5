// BOM validation and structure: decides whether a std::vector<Item> is a BOM we may store, and
// answers structural questions (levels, depth-first order) about one.
//
// A valid BOM (ValidateItems returns Ok) satisfies: at most max_items items; every ref non-empty
// and unique; every parent "" or the ref of another item; no cycles; no item deeper than
// max_depth (roots are level 0); part_number non-empty unless a description, designators, an MPN or
// a "value" property identifies the item; at most max_manufacturers manufacturer entries, each with
// a name or an MPN, single-line and within max_manufacturer bytes; quantity already canonical
// (decimal.h); every text field valid UTF-8, within its byte limit, and free of control characters
// except tab (description, refdes and property values may also hold line breaks, since multi-line
// notes are ordinary and CSV carries them); at most max_properties properties with unique keys,
// non-empty values, and keys that are valid property names (ValidatePropertyKey).
//
// Status classes, so the HTTP layer can tell "fix this cell" from "fix your structure":
//   Invalid (400), per-field problems: "bom_too_many_items", "bom_empty_field",
//     "bom_field_too_long", "bom_invalid" (control character / bad UTF-8), "bom_bad_quantity",
//     "bom_bad_property", "bom_bad_manufacturer".
//   Unprocessable (422), relations between items: "bom_duplicate_ref", "bom_dangling_parent",
//     "bom_cycle" (including an item that is its own parent), "bom_too_deep".
// All walks are iterative: a 200,000-item chain must not overflow the stack. Pure functions:
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bom/item.h"
#include "util/status.h"

namespace bomvault::bom {

// One problem found by FindItemErrors. `field` names what is wrong so a caller (the CSV reader)
// can point at a cell: "ref", "parent", "find_number", "part_number", "description", "quantity",
// "unit", "refdes", "manufacturers", "properties" (the set as a whole) or "properties.<key>"; ""
// for the BOM as a whole. `status.message()` starts by naming the item.
struct ItemError {
  size_t index = 0;  // into the items vector
  std::string field;
  util::Status status;
};

// Every rule above, returning up to `max_errors` problems in a stable order (field problems in
// item order, then relational ones). Cycles and depth are only checked once refs and parents
// are sound, because until then "the parent" is ambiguous.
std::vector<ItemError> FindItemErrors(const std::vector<Item>& items, const Limits& limits,
                                      size_t max_errors);

// Ok, or the first problem FindItemErrors would report.
util::Status ValidateItems(const std::vector<Item>& items, const Limits& limits);

// Checks a property key on its own. Property keys share one namespace with CSV column names:
// a key must already be normalised (NormalizeColumnName(key) == key) and must not be a recognised
// column or alias (RecognizedColumn), otherwise exporting and re-importing the BOM would rename
// it or turn it into a different column.
util::Status ValidatePropertyKey(std::string_view key, const Limits& limits);

// Trims spaces and tabs, lowercases ASCII, turns ' ' and '-' into '_': "Part Number" →
// "part_number". Non-ASCII letters are kept as they are.
std::string NormalizeColumnName(std::string_view name);

// For a normalised name, the Item field it stands for ("ref", "parent", "level", "find_number",
// "part_number", "description", "quantity", "unit", "refdes"), resolving aliases ("qty" →
// "quantity"); "" when the name is not recognised and so would be a property.
std::string_view RecognizedColumn(std::string_view normalized_name);

// The built-in names RecognizedColumn resolves, each with its field: the one list, which the UI's
// web/columns.js is generated from (tools/gen_columns.cc).
struct ColumnAlias {
  std::string_view name;
  std::string_view field;
};
std::span<const ColumnAlias> ColumnAliases();

inline constexpr size_t kNoParent = SIZE_MAX;           // a root
inline constexpr size_t kMissingParent = SIZE_MAX - 1;  // parent names no item

// For each item, the index of its parent: the first item carrying that ref, kNoParent for roots,
// kMissingParent when the parent does not exist. Defined for any input, valid or not.
std::vector<size_t> ParentIndices(const std::vector<Item>& items);

// Level of each item (roots 0). Items not reachable from a root (in or below a cycle, or below a
// missing parent) get -1. Defined for any input.
std::vector<int> Levels(const std::vector<Item>& items);

// Item indices in depth-first pre-order: roots in input order, each followed by its subtree,
// children in input order. Unreachable items (see Levels) follow at the end in input order, so
// the result is always a permutation of all indices.
std::vector<size_t> TreeOrder(const std::vector<Item>& items);

}  // namespace bomvault::bom
