// Derived views of a BOM: the flattened parts list (what to buy) and the comparison of two
// revisions (what changed).
//
// Flatten multiplies quantities down each path, so it needs a sound tree; it refuses BOMs that
// FindItemErrors (tree.h) faults for anything other than size limits. Compare never fails: it
// accepts any input, though its answer is only meaningful for valid BOMs.
//
// Matching rule for Compare. Items are matched by their position in the product structure, not
// by ref (refs are per-revision bookkeeping and often renumbered): an item's key is its parent's
// key, "/", and its part number, e.g. "TOP-1/SCR-M4". When several siblings share a part number
// they are told apart by occurrence, counted from 1 in input order among those siblings, and the
// second and later get "#n": "TOP-1/SCR-M4#2". Disambiguating per level (instead of numbering
// equal full paths across the whole BOM) keeps a change in one sub-assembly from shifting the
// numbering inside another. In keys, '\', '/' and '#' inside part numbers are escaped with '\'
// so distinct positions never share a key. A key longer than 100 levels shows only its last 100,
// behind "…/". Consequence worth knowing: changing an assembly's part number re-keys its whole
// subtree, which then shows as removed and added.
// Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bom/item.h"
#include "util/status.h"

namespace bomvault::bom {

// One line of the flattened BOM. Rows are per (part_number, unit): the same part counted in two
// units cannot honestly be summed, so it gets two rows.
struct FlatRow {
  std::string part_number;
  std::string description;  // from the first occurrence in TreeOrder
  std::string unit;
  std::string total_quantity;  // canonical decimal text, may exceed 15 integer digits
  size_t occurrences = 0;      // how many items carry this part number and unit
};

// Total per part = sum over its occurrences of the product of quantities on the path from the
// root down to and including the occurrence (the root's own quantity counts). Every item is an
// occurrence, assemblies included. Sorted by part_number, then unit (bytewise). Products are
// rounded to 9 decimal places (see Decimal::Mul). Errors: the tree problems described above, or
// "bom_quantity_overflow" (Unprocessable).
util::Result<std::vector<FlatRow>> Flatten(const std::vector<Item>& items);

struct Change {
  std::string key;     // matching key, see above
  std::string field;   // "quantity", "description", "unit", "refdes", "find_number",
                       // "manufacturers" ("name mpn; …"), "dnp" ("DNP" or ""), or
                       // "properties.<key>"
  std::string before;  // "" when a property was absent
  std::string after;
};

struct Comparison {
  std::vector<Item> added;      // in b, not in a; in b's TreeOrder
  std::vector<Item> removed;    // in a, not in b; in a's TreeOrder
  std::vector<Change> changed;  // b's TreeOrder, fields in the order listed in Change::field,
                                // properties in a's order then b's new keys
};

// What turns revision a into revision b. Quantities compare by value ("8" equals "8.0").
Comparison Compare(const std::vector<Item>& a, const std::vector<Item>& b);

// The Compare key of every item, e.g. to label Comparison::added / removed in a UI.
std::vector<std::string> MatchKeys(const std::vector<Item>& items);

}  // namespace bomvault::bom
