// Recognise the profile and map columns: the third and fourth import stages. Given a table's
// header (bom/table.h), decides what each column means.
//
// Every CAD, EDA, PLM and ERP tool names its columns its own way, and the same word means
// different things in different tools: KiBoM's "Part" is the schematic symbol (R, C), Eagle's
// "Part" is a designator (R1), OrCAD's "Part" is the value (10k); KiCad's "Ref" is a designator
// list, not an item id; Altium's and JLCPCB's "Comment" is the value; EasyEDA's "Name" is the
// value; Odoo's "Product"/"Quantity" are the parent's while "BoM Lines/…" are the component's.
// So a profile is a set of column meanings that override the generic synonyms (English and
// German) for one tool, recognised by a signature: header words that must all be present. The
// first built-in profile whose signature matches wins; "generic" is the fallback. An
// organisation's column mappings (bom/mapping.h) act as one more profile, "org-mappings", and win
// over every built-in one for the columns they name.
//
// Header words are compared in HeaderKey form: ASCII and Latin-1 letters lowercased, every other
// ASCII character a space, spaces collapsed ("QTY." → "qty", "Manufacturer Part Number 1" →
// "manufacturer part number 1", "Stückzahl" → "stückzahl"). A trailing number after a
// manufacturer or MPN word picks the approved-manufacturer slot ("Manufacturer 2").
// Columns that mean nothing known become properties under their NormalizeColumnName form (made
// unique and valid). Pure functions over constant tables: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bom/mapping.h"
#include "util/status.h"

namespace bomvault::bom {

enum class Role {
  kProperty,  // kept under ColumnRole::property
  kIgnore,
  kRef,
  kParent,          // names the parent row (by ref, part number or name)
  kParentQuantity,  // the parent's own quantity (Odoo); used for a parent that has no row
  kLevel,
  kFindNumber,
  kPartNumber,
  kDescription,
  kQuantity,
  kUnit,
  kRefdes,
  kManufacturer,
  kMpn,
  kDnp,
};

struct ColumnRole {
  Role role = Role::kProperty;
  std::string property;  // kProperty: the key
  size_t slot = 0;       // kManufacturer / kMpn: 0-based approved-manufacturer slot
};

struct Profile {
  std::string name;                   // "kicad", "kibom", …, "generic", "org-mappings"
  std::vector<ColumnRole> columns;    // one per header cell
  bool parent_on_first_line = false;  // Odoo: the parent cell is filled only where it changes
};

std::string HeaderKey(std::string_view name);
// Whether a header cell is a word some profile knows: what FindTable scores header rows by.
bool IsHeaderWord(std::string_view cell);
// The built-in profile names, for messages and the OpenAPI text.
std::vector<std::string> BuiltinProfileNames();
// A short name for a role ("part_number", "mpn", "property:value"…), for preview answers.
std::string RoleName(const ColumnRole& role);

// `wanted` empty = recognise by signature; otherwise a built-in name (Status::Invalid
// "unknown_profile" if not one). `org` may be null. Never fails for an auto-detected profile.
util::Result<Profile> RecognizeProfile(const std::vector<std::string>& header,
                                       std::string_view wanted, const ColumnMappings* org);

}  // namespace bomvault::bom
