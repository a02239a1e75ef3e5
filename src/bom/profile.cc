#include "bom/profile.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "bom/tree.h"

namespace bomvault::bom {
namespace {

struct Word {
  std::string_view key;  // HeaderKey form
  Role role;
  std::string_view property = {};  // kProperty: the key to store under
};

// The generic synonyms, English and German. Order does not matter; keys are unique.
constexpr auto kGeneric = std::to_array<Word>({
    // designators
    {"ref", Role::kRefdes},
    {"refs", Role::kRefdes},
    {"reference", Role::kRefdes},
    {"references", Role::kRefdes},
    {"reference s", Role::kRefdes},
    {"refdes", Role::kRefdes},
    {"ref des", Role::kRefdes},
    {"designator", Role::kRefdes},
    {"designators", Role::kRefdes},
    {"reference designator", Role::kRefdes},
    {"reference designators", Role::kRefdes},
    {"reference designator s", Role::kRefdes},
    {"schematic reference", Role::kRefdes},
    {"schematic references", Role::kRefdes},
    {"customer reference", Role::kRefdes},
    {"bauteilbezeichnung", Role::kRefdes},
    {"referenz", Role::kRefdes},
    // structure
    {"parent", Role::kParent},
    {"parent part", Role::kParent},
    {"parent part number", Role::kParent},
    {"parent pn", Role::kParent},
    {"parent ipn", Role::kParent},
    {"parent name", Role::kParent},
    {"parent item", Role::kParent},
    {"assembly", Role::kParent},
    {"level", Role::kLevel},
    {"bom level", Role::kLevel},
    {"lvl", Role::kLevel},
    {"indenture level", Role::kLevel},
    {"stufe", Role::kLevel},
    {"ebene", Role::kLevel},
    {"strukturstufe", Role::kLevel},
    {"struktur stufe", Role::kLevel},
    // find numbers
    {"find number", Role::kFindNumber},
    {"find", Role::kFindNumber},
    {"find no", Role::kFindNumber},
    {"item", Role::kFindNumber},
    {"item no", Role::kFindNumber},
    {"item number", Role::kFindNumber},
    {"pos", Role::kFindNumber},
    {"position", Role::kFindNumber},
    {"pos nr", Role::kFindNumber},
    {"line", Role::kFindNumber},
    {"line no", Role::kFindNumber},
    {"no", Role::kFindNumber},
    {"nr", Role::kFindNumber},
    {"index", Role::kFindNumber},
    {"lfd nr", Role::kFindNumber},
    {"bom id", Role::kFindNumber},
    // part numbers
    {"part number", Role::kPartNumber},
    {"part no", Role::kPartNumber},
    {"part num", Role::kPartNumber},
    {"part", Role::kPartNumber},
    {"pn", Role::kPartNumber},
    {"p n", Role::kPartNumber},
    {"number", Role::kPartNumber},
    {"internal part number", Role::kPartNumber},
    {"ipn", Role::kPartNumber},
    {"part ipn", Role::kPartNumber},
    {"item code", Role::kPartNumber},
    {"article number", Role::kPartNumber},
    {"component", Role::kPartNumber},
    {"product", Role::kPartNumber},
    {"sachnummer", Role::kPartNumber},
    {"artikelnummer", Role::kPartNumber},
    {"materialnummer", Role::kPartNumber},
    {"partnumber", Role::kPartNumber},
    {"artikel", Role::kPartNumber},
    {"artikelnr", Role::kPartNumber},
    {"art nr", Role::kPartNumber},
    {"material", Role::kPartNumber},
    // descriptions
    {"description", Role::kDescription},
    {"desc", Role::kDescription},
    {"name", Role::kDescription},
    {"part name", Role::kDescription},
    {"item name", Role::kDescription},
    {"part description", Role::kDescription},
    {"bom", Role::kDescription},
    {"title", Role::kDescription},
    {"benennung", Role::kDescription},
    {"bezeichnung", Role::kDescription},
    {"beschreibung", Role::kDescription},
    // quantities
    {"quantity", Role::kQuantity},
    {"qty", Role::kQuantity},
    {"qnty", Role::kQuantity},
    {"qty per", Role::kQuantity},
    {"quantity per", Role::kQuantity},
    {"quantity per pcb", Role::kQuantity},
    {"quantity per board", Role::kQuantity},
    {"qty per board", Role::kQuantity},
    {"qty per pcb", Role::kQuantity},
    {"amount", Role::kQuantity},
    {"count", Role::kQuantity},
    {"bom qty", Role::kQuantity},
    {"order qty", Role::kQuantity},
    {"quantity 1", Role::kQuantity},
    {"menge", Role::kQuantity},
    {"stückzahl", Role::kQuantity},
    {"stück", Role::kQuantity},
    {"anzahl", Role::kQuantity},
    // units
    {"unit", Role::kUnit},
    {"uom", Role::kUnit},
    {"unit of measure", Role::kUnit},
    {"product unit of measure", Role::kUnit},
    {"units", Role::kUnit},
    {"einheit", Role::kUnit},
    {"mengeneinheit", Role::kUnit},
    {"me", Role::kUnit},
    // manufacturers and MPNs
    {"manufacturer", Role::kManufacturer},
    {"manufacturer name", Role::kManufacturer},
    {"mfr", Role::kManufacturer},
    {"mfg", Role::kManufacturer},
    {"manuf", Role::kManufacturer},
    {"mf", Role::kManufacturer},
    {"hersteller", Role::kManufacturer},
    {"mpn", Role::kMpn},
    {"manufacturer part", Role::kMpn},
    {"manufacturer part number", Role::kMpn},
    {"manufacturer part no", Role::kMpn},
    {"manufacturer pn", Role::kMpn},
    {"mfr part", Role::kMpn},
    {"mfr part number", Role::kMpn},
    {"mfr part no", Role::kMpn},
    {"mfr pn", Role::kMpn},
    {"mfg part", Role::kMpn},
    {"mfg part number", Role::kMpn},
    {"mfg part no", Role::kMpn},
    {"mfg pn", Role::kMpn},
    {"mfr no", Role::kMpn},
    {"mpn seeed sku", Role::kMpn},
    {"teilenummer", Role::kMpn},
    {"manf", Role::kMpn},
    {"manf part", Role::kMpn},
    {"herstellerteilenummer", Role::kMpn},
    {"hersteller teilenummer", Role::kMpn},
    {"hersteller artikelnummer", Role::kMpn},
    {"herstellernummer", Role::kMpn},
    // do not place
    {"dnp", Role::kDnp},
    {"dnf", Role::kDnp},
    {"do not place", Role::kDnp},
    {"do not populate", Role::kDnp},
    {"not fitted", Role::kDnp},
    {"nicht bestückt", Role::kDnp},
    // Russian (ГОСТ-style specifications exported from Excel)
    {"наименование", Role::kDescription},
    {"обозначение", Role::kPartNumber},
    {"количество", Role::kQuantity},
    {"кол во", Role::kQuantity},
    {"кол", Role::kQuantity},
    {"поз", Role::kFindNumber},
    {"позиция", Role::kFindNumber},
    {"поз обозначение", Role::kRefdes},
    {"производитель", Role::kManufacturer},
    {"примечание", Role::kProperty, "notes"},
    // well-known properties, stored under a fixed key
    {"value", Role::kProperty, "value"},
    {"val", Role::kProperty, "value"},
    {"wert", Role::kProperty, "value"},
    {"comp value", Role::kProperty, "value"},
    {"footprint", Role::kProperty, "footprint"},
    {"package", Role::kProperty, "footprint"},
    {"pcb footprint", Role::kProperty, "footprint"},
    {"pattern", Role::kProperty, "footprint"},
    {"gehäuse", Role::kProperty, "footprint"},
    {"datasheet", Role::kProperty, "datasheet"},
    {"lcsc", Role::kProperty, "lcsc"},
    {"lcsc part", Role::kProperty, "lcsc"},
    {"lcsc part number", Role::kProperty, "lcsc"},
    {"jlcpcb part", Role::kProperty, "lcsc"},
    {"supplier part", Role::kProperty, "supplier_part"},
    {"supplier part number", Role::kProperty, "supplier_part"},
    {"supplier", Role::kProperty, "supplier"},
    {"distributor", Role::kProperty, "supplier"},
    {"notes", Role::kProperty, "notes"},
    {"note", Role::kProperty, "notes"},
    {"comment", Role::kProperty, "value"},
    {"bemerkung", Role::kProperty, "notes"},
});

// Words that mark a header row without a meaning of their own (they become properties).
constexpr auto kOtherHeaderWords = std::to_array<std::string_view>({
    "cmp name",
    "libref",
    "lib ref",
    "libpart",
    "lib part",
    "device",
    "symbol",
    "status",
    "price",
    "unit price",
    "sku",
    "stock",
    "vendor",
    "populate",
    "fitted",
    "remark",
    "remarks",
    "optional",
    "category",
    "type",
    "revision",
    "rev",
    "id",
    "bom type",
    "reference designator",
    "manufacturer 1",
    "lcsc assembly",
    "lcsc part #",
});

struct Override {
  std::string_view key;
  Role role;
  std::string_view property = {};
};

struct BuiltinProfile {
  std::string_view name;
  std::vector<std::string_view> signature;  // HeaderKey forms, all required
  std::vector<Override> overrides;
};

const std::vector<BuiltinProfile>& Builtins() {
  static const std::vector<BuiltinProfile> kProfiles = {
      {"kicad-grouped",  // KiCad's bom_csv_grouped_by_value*.py scripts
       {"ref", "qnty", "value", "cmp name"},
       {{"cmp name", Role::kProperty, "symbol"}, {"vendor", Role::kManufacturer}}},
      {"kibom",
       {"component", "part", "references", "value"},
       {{"component", Role::kFindNumber},
        {"part", Role::kProperty, "symbol"},
        {"status", Role::kDnp}}},
      {"eagle",  // bom.ulp, one row per part
       {"part", "value", "device", "package"},
       {{"part", Role::kRefdes}, {"device", Role::kProperty, "symbol"}}},
      {"eagle-values",  // bom.ulp, grouped by value
       {"qty", "value", "device", "parts"},
       {{"parts", Role::kRefdes}, {"device", Role::kProperty, "symbol"}}},
      {"orcad",  // OrCAD Capture / Cadence Allegro BOM reports
       {"item", "quantity", "reference", "part"},
       {{"part", Role::kProperty, "value"}}},
      {"easyeda",
       {"name", "designator", "footprint", "quantity"},
       {{"id", Role::kFindNumber}, {"name", Role::kProperty, "value"}}},
      {"altium", {"comment", "designator", "libref"}, {{"libref", Role::kProperty, "symbol"}}},
      {"jlcpcb", {"comment", "designator", "footprint"}, {}},
      {"kibot", {"row", "references", "value", "quantity per pcb"}, {{"row", Role::kFindNumber}}},
      {"diptrace", {"refdes", "pattern", "value"}, {{"name", Role::kProperty, "symbol"}}},
      {"octopart", {"mpn", "manufacturer", "schematic reference"}, {}},
      {"mouser",  // a Mouser cart or order export used as the BOM
       {"mouser", "mfr", "customer part"},
       {{"customer part", Role::kRefdes},
        {"mfr", Role::kMpn},
        {"mouser", Role::kProperty, "mouser_part"}}},
      {"kicad-pcbnew",  // pcbnew's File > Fabrication Outputs > BOM
       {"id", "designator", "footprint", "quantity", "designation"},
       {{"id", Role::kFindNumber}, {"designation", Role::kProperty, "value"}}},
      {"solidworks", {"item no", "part number", "qty"}, {}},
      {"inventree", {"assembly", "component"}, {}},
      {"inventree-export",
       {"parent ipn", "part ipn"},
       {{"parent name", Role::kIgnore},
        {"part name", Role::kProperty, "name"},
        {"assembly", Role::kProperty, "assembly"}}},
  };
  return kProfiles;
}

const Word* FindGeneric(std::string_view key) {
  static const auto* index = [] {
    auto* m = new std::vector<const Word*>();
    for (const Word& w : kGeneric) m->push_back(&w);
    std::sort(m->begin(), m->end(), [](const Word* a, const Word* b) { return a->key < b->key; });
    return m;
  }();
  auto it = std::lower_bound(index->begin(), index->end(), key,
                             [](const Word* w, std::string_view k) { return w->key < k; });
  return it != index->end() && (*it)->key == key ? *it : nullptr;
}

// "manufacturer part number 2" → ("manufacturer part number", 1); no trailing number → slot 0.
std::pair<std::string, size_t> SplitSlot(const std::string& key) {
  const size_t space = key.rfind(' ');
  if (space == std::string::npos || space + 1 >= key.size() || key.size() - space > 3) {
    return {key, 0};
  }
  size_t n = 0;
  for (size_t i = space + 1; i < key.size(); ++i) {
    if (key[i] < '0' || key[i] > '9') return {key, 0};
    n = n * 10 + static_cast<size_t>(key[i] - '0');
  }
  return {key.substr(0, space), n == 0 ? 0 : n - 1};
}

// The Odoo form "BoM Lines/Component": the parts before and after the last '/'.
bool SplitOdoo(std::string_view cell, std::string* prefix, std::string* rest) {
  const size_t slash = cell.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  *prefix = HeaderKey(cell.substr(0, slash));
  *rest = HeaderKey(cell.substr(slash + 1));
  return *prefix == "bom lines" || *prefix == "bom line ids" || *prefix == "components" ||
         *prefix == "component lines" || *prefix == "bom line";
}

ColumnRole FromWord(Role role, std::string_view property, size_t slot) {
  ColumnRole r;
  r.role = role;
  r.property = std::string(property);
  r.slot = slot;
  return r;
}

}  // namespace

std::string HeaderKey(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool space = false;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x80) {
      // Latin-1 capitals À..Þ (except ×) are U+00C0..U+00DE: C3 80..C3 9E in UTF-8.
      if (c == 0xC3 && i + 1 < name.size()) {
        auto d = static_cast<unsigned char>(name[i + 1]);
        if (d >= 0x80 && d <= 0x9E && d != 0x97) d = static_cast<unsigned char>(d + 0x20);
        if (space && !out.empty()) out += ' ';
        space = false;
        out += static_cast<char>(c);
        out += static_cast<char>(d);
        ++i;
        continue;
      }
      // Cyrillic capitals А..Я (U+0410..U+042F: D0 90..D0 AF) → а..я (D0 B0..D0 BF, D1 80..D1 8F).
      if (c == 0xD0 && i + 1 < name.size()) {
        const auto d = static_cast<unsigned char>(name[i + 1]);
        if (space && !out.empty()) out += ' ';
        space = false;
        if (d >= 0x90 && d <= 0x9F) {
          out += static_cast<char>(0xD0);
          out += static_cast<char>(d + 0x20);
        } else if (d >= 0xA0 && d <= 0xAF) {
          out += static_cast<char>(0xD1);
          out += static_cast<char>(d - 0x20);
        } else {
          out += static_cast<char>(c);
          out += static_cast<char>(d);
        }
        ++i;
        continue;
      }
      if (space && !out.empty()) out += ' ';
      space = false;
      out += static_cast<char>(c);
      continue;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += static_cast<char>(c);
    } else {
      space = true;
    }
  }
  return out;
}

bool IsHeaderWord(std::string_view cell) {
  if (cell == "#") return true;
  std::string prefix, rest;
  if (SplitOdoo(cell, &prefix, &rest)) return true;
  const std::string key = HeaderKey(cell);
  if (key.empty()) return false;
  if (FindGeneric(key) != nullptr) return true;
  if (std::find(kOtherHeaderWords.begin(), kOtherHeaderWords.end(), key) !=
      kOtherHeaderWords.end()) {
    return true;
  }
  const auto [base, slot] = SplitSlot(key);
  if (slot > 0 || base != key) {
    const Word* w = FindGeneric(base);
    if (w != nullptr && (w->role == Role::kManufacturer || w->role == Role::kMpn)) return true;
  }
  for (const BuiltinProfile& p : Builtins()) {
    for (const Override& o : p.overrides) {
      if (o.key == key) return true;
    }
  }
  return false;
}

std::vector<std::string> BuiltinProfileNames() {
  std::vector<std::string> out;
  for (const BuiltinProfile& p : Builtins()) out.emplace_back(p.name);
  out.emplace_back("odoo");
  out.emplace_back("generic");
  return out;
}

std::string RoleName(const ColumnRole& r) {
  switch (r.role) {
    case Role::kProperty:
      return "property:" + r.property;
    case Role::kIgnore:
      return "ignore";
    case Role::kRef:
      return "ref";
    case Role::kParent:
      return "parent";
    case Role::kParentQuantity:
      return "parent_quantity";
    case Role::kLevel:
      return "level";
    case Role::kFindNumber:
      return "find_number";
    case Role::kPartNumber:
      return "part_number";
    case Role::kDescription:
      return "description";
    case Role::kQuantity:
      return "quantity";
    case Role::kUnit:
      return "unit";
    case Role::kRefdes:
      return "refdes";
    case Role::kManufacturer:
      return r.slot == 0 ? "manufacturer" : "manufacturer_" + std::to_string(r.slot + 1);
    case Role::kMpn:
      return r.slot == 0 ? "mpn" : "mpn_" + std::to_string(r.slot + 1);
    case Role::kDnp:
      return "dnp";
  }
  return "property";
}

util::Result<Profile> RecognizeProfile(const std::vector<std::string>& header,
                                       std::string_view wanted, const ColumnMappings* org) {
  std::vector<std::string> keys;
  keys.reserve(header.size());
  bool odoo = false;
  for (const std::string& cell : header) {
    std::string prefix, rest;
    if (SplitOdoo(cell, &prefix, &rest)) odoo = true;
    keys.push_back(HeaderKey(cell));
  }
  auto has = [&](std::string_view k) {
    return std::find(keys.begin(), keys.end(), k) != keys.end();
  };

  const BuiltinProfile* chosen = nullptr;
  Profile profile;
  if (!wanted.empty()) {
    profile.name = std::string(wanted);
    if (wanted == "odoo") {
      odoo = true;
    } else if (wanted != "generic") {
      for (const BuiltinProfile& p : Builtins()) {
        if (p.name == wanted) chosen = &p;
      }
      if (chosen == nullptr) {
        std::string names;
        for (const std::string& n : BuiltinProfileNames()) names += (names.empty() ? "" : ", ") + n;
        return util::Status::Invalid(
            "unknown_profile",
            "profile " + QuoteForMessage(wanted) + " is not known; built-in profiles: " + names);
      }
      odoo = false;
    } else {
      odoo = false;
    }
  } else if (odoo) {
    profile.name = "odoo";
  } else {
    for (const BuiltinProfile& p : Builtins()) {
      if (std::all_of(p.signature.begin(), p.signature.end(), has)) {
        chosen = &p;
        break;
      }
    }
    profile.name = chosen == nullptr ? "generic" : std::string(chosen->name);
  }
  profile.parent_on_first_line = odoo;

  // A native-style parent column refers to refs, so "ref" is then the item's own id.
  const bool native_refs = has("parent") && has("ref") && !has("refdes") && chosen == nullptr;
  bool org_used = false;
  std::unordered_set<std::string> used_properties;
  profile.columns.resize(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    ColumnRole& role = profile.columns[c];
    const std::string& key = keys[c];
    if (org != nullptr) {
      if (const ColumnMapping* m = FindColumnMapping(*org, NormalizeColumnName(header[c]))) {
        org_used = true;
        if (m->target == ColumnMapping::Target::kIgnore) {
          role.role = Role::kIgnore;
        } else if (m->target == ColumnMapping::Target::kProperty) {
          role = FromWord(Role::kProperty, m->name, 0);
        } else {
          static constexpr std::pair<std::string_view, Role> kFields[] = {
              {"ref", Role::kRef},
              {"parent", Role::kParent},
              {"level", Role::kLevel},
              {"find_number", Role::kFindNumber},
              {"part_number", Role::kPartNumber},
              {"description", Role::kDescription},
              {"quantity", Role::kQuantity},
              {"unit", Role::kUnit},
              {"refdes", Role::kRefdes},
              {"manufacturer", Role::kManufacturer},
              {"mpn", Role::kMpn},
              {"dnp", Role::kDnp}};
          for (const auto& [name, r] : kFields) {
            if (name == m->name) role.role = r;
          }
        }
        continue;
      }
    }
    if (key.empty()) {
      if (header[c] == "#") {
        role.role = Role::kFindNumber;
      } else {
        role = FromWord(Role::kProperty, "", 0);  // an unnamed column: kept as column_N
      }
      continue;
    }
    if (odoo) {
      std::string prefix, rest;
      if (SplitOdoo(header[c], &prefix, &rest)) {
        const Word* w = FindGeneric(rest);
        if (w != nullptr && w->role != Role::kParent && w->role != Role::kLevel) {
          role = FromWord(w->role, w->property, 0);
        } else {
          role = FromWord(Role::kProperty, NormalizeColumnName(header[c]), 0);
        }
        continue;
      }
      if (key == "product" || key == "product template") {
        role.role = Role::kParent;
        continue;
      }
      if (key == "quantity" || key == "product quantity") {
        role.role = Role::kParentQuantity;
        continue;
      }
      role = FromWord(Role::kProperty, NormalizeColumnName(header[c]), 0);
      continue;
    }
    if (native_refs && key == "ref") {
      role.role = Role::kRef;
      continue;
    }
    const Override* over = nullptr;
    if (chosen != nullptr) {
      for (const Override& o : chosen->overrides) {
        if (o.key == key) over = &o;
      }
    }
    if (over != nullptr) {
      role = FromWord(over->role, over->property, 0);
      continue;
    }
    if (const Word* w = FindGeneric(key)) {
      role = FromWord(w->role, w->property, 0);
      continue;
    }
    const auto [base, slot] = SplitSlot(key);
    if (const Word* w = FindGeneric(base);
        w != nullptr && (w->role == Role::kManufacturer || w->role == Role::kMpn)) {
      role = FromWord(w->role, {}, slot);
      continue;
    }
    role = FromWord(Role::kProperty, NormalizeColumnName(header[c]), 0);
  }
  if (org_used && wanted.empty()) profile.name = "org-mappings";

  // Make property keys valid and unique; a second column for a single-valued field becomes a
  // property too (the first one wins), and repeated manufacturer/MPN columns fill the next slot.
  std::vector<bool> taken(16, false);
  size_t next_maker = 0, next_mpn = 0;
  std::vector<Role> singles;
  for (size_t c = 0; c < header.size(); ++c) {
    ColumnRole& role = profile.columns[c];
    if (role.role == Role::kManufacturer || role.role == Role::kMpn) {
      size_t& next = role.role == Role::kManufacturer ? next_maker : next_mpn;
      if (role.slot < next) role.slot = next;
      next = role.slot + 1;
      continue;
    }
    if (role.role != Role::kProperty && role.role != Role::kIgnore) {
      if (std::find(singles.begin(), singles.end(), role.role) != singles.end()) {
        role = FromWord(Role::kProperty, NormalizeColumnName(header[c]), 0);
      } else {
        singles.push_back(role.role);
        continue;
      }
    }
    if (role.role != Role::kProperty) continue;
    std::string key = role.property;
    if (key.empty()) key = "column_" + std::to_string(c + 1);
    if (key.size() > 48) key.resize(48);
    while (!key.empty() && (static_cast<unsigned char>(key.back()) & 0xC0) == 0x80) key.pop_back();
    if (!key.empty() && static_cast<unsigned char>(key.back()) >= 0xC0) key.pop_back();
    if (!ValidatePropertyKey(key, Limits{}).ok()) key = "column_" + key;
    if (!ValidatePropertyKey(key, Limits{}).ok()) key = "column_" + std::to_string(c + 1);
    std::string unique = key;
    for (int n = 2; used_properties.count(unique) != 0; ++n) {
      unique = key + "_" + std::to_string(n);
    }
    used_properties.insert(unique);
    role.property = unique;
  }
  return profile;
}

}  // namespace bomvault::bom
