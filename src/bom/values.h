// Normalise values: the fifth import stage's cell readers. Each turns one cell as a tool wrote it
// into what an Item stores, or says why it cannot.
//
// Quantities: plain decimals, exponents ("3.25e-05", exact: decimal.h), decimal commas ("1,5"
// where the file's delimiter is not ','; "1.234,5" with thousands dots), thousands commas
// ("1,000" in a ','-delimited file with exactly three digits after each comma), and a unit
// written onto the number ("10cm", "2 pcs", "0,5 m"), which is split off. Levels: integers,
// "1.0", outline numbers ("1.2.3" is depth 3) and SAP-style leading dots (".1", "..2": the dots
// count). Designator lists: "R1, R2", "R1 R2", "R1;R2" and ranges "R1-R4" (4) are counted.
// Do-not-place markers: DNP, DNF, NC-fit words in English and German.
// Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace bomvault::bom {

struct QuantityCell {
  std::string quantity;  // canonical (decimal.h)
  std::string unit;      // "" when the cell carried none
};

// Status::Invalid("bad_quantity", message) when the cell is not a quantity.
util::Result<QuantityCell> ParseQuantityCell(std::string_view text, bool decimal_comma);

// The depth a level cell names (not yet relative to the file's lowest level); -1 if it is none
// of the accepted forms.
int64_t ParseLevelCell(std::string_view text);

// a / b for canonical quantities, exact to 9 fraction digits (rounded half up beyond);
// Status::Invalid("bad_quantity") when b is zero or the result does not fit.
util::Result<std::string> DivideQuantity(std::string_view a, std::string_view b);

// How many designators a refdes cell lists (0 for an empty cell).
size_t CountDesignators(std::string_view text);

// Whether a cell says "do not place" (DNP, DNF, "do not place", "not fitted", "nicht bestückt",
// yes/true/x/1 in a DNP column: `in_dnp_column`). "Fitted", "no", "0", "" are false.
bool IsDnpMarker(std::string_view text, bool in_dnp_column);

}  // namespace bomvault::bom
