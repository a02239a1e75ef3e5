#include "bom/tree.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bom/decimal.h"

namespace bomvault::bom {
namespace {

constexpr std::array<ColumnAlias, 25> kColumnAliases = {{
    {"ref", "ref"},
    {"parent", "parent"},
    {"level", "level"},
    {"find_number", "find_number"},
    {"find", "find_number"},
    {"find_no", "find_number"},
    {"item_no", "find_number"},
    {"pos", "find_number"},
    {"part_number", "part_number"},
    {"part", "part_number"},
    {"part_no", "part_number"},
    {"pn", "part_number"},
    {"number", "part_number"},
    {"description", "description"},
    {"desc", "description"},
    {"quantity", "quantity"},
    {"qty", "quantity"},
    {"unit", "unit"},
    {"uom", "unit"},
    {"refdes", "refdes"},
    {"reference_designators", "refdes"},
    {"ref_des", "refdes"},
    {"manufacturer", "manufacturer"},
    {"mpn", "mpn"},
    {"dnp", "dnp"},
}};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

constexpr int kUnvisited = -2;
constexpr int kOnPath = -3;
constexpr int kUnreachable = -1;

std::string ItemLabel(size_t index, const Item& item) {
  if (item.ref.empty()) return "item " + std::to_string(index + 1);
  return "item " + QuoteForMessage(item.ref);
}

util::Status WithLabel(const std::string& label, const util::Status& status) {
  return util::Status(status.code(), status.machine_code(), label + ": " + status.message());
}

std::string ControlCharName(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+00";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
  return out;
}

// The cheap yes/no form of CheckText, run on every field of every item; the message-building
// CheckText only runs for fields that fail.
bool TextOk(std::string_view value, size_t max_bytes, bool multiline) {
  if (value.size() > max_bytes) return false;
  // Skip 8-byte words that are all printable ASCII (0x20..0x7E), using the classic SWAR tests
  // "some byte < 0x20" and "some byte > 0x7E"; descriptions make this the hot loop of an import.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  size_t i = 0;
  for (; value.size() - i >= 8; i += 8) {
    uint64_t word;
    std::memcpy(&word, value.data() + i, 8);
    const uint64_t below = (word - kOnes * 0x20) & ~word & kHighs;
    const uint64_t above = ((word + kOnes * (127 - 0x7E)) | word) & kHighs;
    if ((below | above) != 0) break;
  }
  value.remove_prefix(i);
  bool ascii = true;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7F) {
      ascii = ascii && c < 0x80;
      continue;
    }
    if (c != '\t' && !(multiline && (c == '\n' || c == '\r'))) return false;
  }
  return ascii || Utf8ErrorOffset(value) == std::string_view::npos;
}

// Length, encoding and control characters of one text field. `multiline` admits line breaks for
// free-text fields; identifiers stay single-line so they display and match predictably.
util::Status CheckText(std::string_view value, std::string_view name, size_t max_bytes,
                       bool multiline) {
  if (value.size() > max_bytes) {
    return util::Status::Invalid("bom_field_too_long",
                                 std::string(name) + " is " + std::to_string(value.size()) +
                                     " bytes long; the limit is " + std::to_string(max_bytes));
  }
  if (const size_t bad = Utf8ErrorOffset(value); bad != std::string_view::npos) {
    return util::Status::Invalid("bom_invalid", std::string(name) + " is not valid UTF-8 (byte " +
                                                    std::to_string(bad + 1) + ")");
  }
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    const bool control = c < 0x20 || c == 0x7F;
    if (!control || c == '\t' || (multiline && (c == '\n' || c == '\r'))) continue;
    return util::Status::Invalid(
        "bom_invalid",
        std::string(name) + " contains the control character " + ControlCharName(c) +
            (multiline ? "; only tabs and line breaks are allowed" : "; only tabs are allowed"));
  }
  return util::Status::Ok();
}

// Fills levels (see Levels()) from parent indices with one upward walk per unvisited item,
// memoised, so total work is O(n) however deep the chains are. Each cycle found is appended to
// `cycles` (if given) once, listed from the item where the walk closed it, following parents.
std::vector<int> ComputeLevels(const std::vector<size_t>& parent_of,
                               std::vector<std::vector<size_t>>* cycles) {
  const size_t n = parent_of.size();
  std::vector<int> level(n, kUnvisited);
  std::vector<size_t> position(n, 0);
  std::vector<size_t> path;
  for (size_t start = 0; start < n; ++start) {
    if (level[start] != kUnvisited) continue;
    path.clear();
    size_t cur = start;
    int above = kUnreachable;  // level of the item above path.back()
    bool reachable = false;
    while (true) {
      if (cur == kNoParent) {
        reachable = true;
        above = -1;
        break;
      }
      if (cur == kMissingParent) break;
      if (level[cur] == kOnPath) {
        if (cycles != nullptr) cycles->emplace_back(path.begin() + position[cur], path.end());
        break;
      }
      if (level[cur] != kUnvisited) {
        reachable = level[cur] >= 0;
        above = level[cur];
        break;
      }
      level[cur] = kOnPath;
      position[cur] = path.size();
      path.push_back(cur);
      cur = parent_of[cur];
    }
    for (size_t k = path.size(); k-- > 0;) {
      level[path[k]] = reachable ? ++above : kUnreachable;
    }
  }
  return level;
}

constexpr size_t kNotFound = SIZE_MAX;

// Ref -> index of the first item carrying it. Open addressing over one flat array of indices:
// a node-based hash map would make one allocation per item, which dominates at 200k items.
class RefIndex {
 public:
  explicit RefIndex(const std::vector<Item>& items) : items_(items) {
    size_t capacity = 16;
    while (capacity < items.size() * 2) capacity <<= 1;
    slots_.assign(capacity, kNotFound);
    mask_ = capacity - 1;
  }

  // Adds item `index` unless its ref is already present; returns the earlier item or kNotFound.
  size_t Insert(size_t index) {
    const std::string_view ref = items_[index].ref;
    for (size_t slot = Hash(ref);; slot = (slot + 1) & mask_) {
      if (slots_[slot] == kNotFound) {
        slots_[slot] = index;
        return kNotFound;
      }
      if (items_[slots_[slot]].ref == ref) return slots_[slot];
    }
  }

  size_t Find(std::string_view ref) const {
    for (size_t slot = Hash(ref);; slot = (slot + 1) & mask_) {
      if (slots_[slot] == kNotFound || items_[slots_[slot]].ref == ref) return slots_[slot];
    }
  }

 private:
  size_t Hash(std::string_view ref) const { return std::hash<std::string_view>()(ref) & mask_; }

  const std::vector<Item>& items_;
  std::vector<size_t> slots_;
  size_t mask_ = 0;
};

// An item without a part number is still a part when something else names it: a value (KiCad,
// JLCPCB), an MPN, a description or its designators. Imports of EDA files rely on this.
bool HasOtherIdentity(const Item& item) {
  if (!item.description.empty() || !item.refdes.empty()) return true;
  for (const Manufacturer& m : item.manufacturers) {
    if (!m.mpn.empty()) return true;
  }
  for (const auto& [key, value] : item.properties) {
    if (key == "value" && !value.empty()) return true;
  }
  return false;
}

std::string DescribeCycle(const std::vector<Item>& items, const std::vector<size_t>& cycle) {
  constexpr size_t kShown = 6;
  const Item& first = items[cycle.front()];
  if (cycle.size() == 1) return "item " + QuoteForMessage(first.ref) + " is its own parent";
  std::string out = "item " + QuoteForMessage(first.ref) + " is in a parent cycle: ";
  for (size_t k = 0; k < cycle.size() && k < kShown; ++k) {
    out += QuoteForMessage(items[cycle[k]].ref);
    out += " -> ";
  }
  if (cycle.size() > kShown) {
    out += "… (" + std::to_string(cycle.size()) + " items) -> ";
  }
  out += QuoteForMessage(first.ref);
  return out;
}

}  // namespace

std::string NormalizeColumnName(std::string_view name) {
  while (!name.empty() && IsBlank(name.front())) name.remove_prefix(1);
  while (!name.empty() && IsBlank(name.back())) name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (c == ' ' || c == '-') {
      c = '_';
    }
  }
  return out;
}

std::span<const ColumnAlias> ColumnAliases() { return kColumnAliases; }

std::string_view RecognizedColumn(std::string_view normalized_name) {
  for (const ColumnAlias& alias : kColumnAliases) {
    if (alias.name == normalized_name) return alias.field;
  }
  // "manufacturer_2", "mpn_2", …: further approved manufacturers (ExportCsv writes them).
  for (std::string_view base : {std::string_view("manufacturer_"), std::string_view("mpn_")}) {
    if (normalized_name.size() > base.size() && normalized_name.size() <= base.size() + 2 &&
        normalized_name.substr(0, base.size()) == base &&
        std::all_of(normalized_name.begin() + static_cast<long>(base.size()), normalized_name.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      return base.size() == 4 ? std::string_view("mpn") : std::string_view("manufacturer");
    }
  }
  return {};
}

util::Status ValidatePropertyKey(std::string_view key, const Limits& limits) {
  if (key.empty()) return util::Status::Invalid("bom_bad_property", "a property name is empty");
  auto quoted = [key] { return QuoteForMessage(key); };
  if (!TextOk(key, limits.max_property_key, false)) {
    return CheckText(key, "property name " + quoted(), limits.max_property_key, false);
  }
  // Same test as NormalizeColumnName(key) == key, without building a string per property.
  const bool normalized = !IsBlank(key.front()) && !IsBlank(key.back()) &&
                          std::none_of(key.begin(), key.end(), [](char c) {
                            return (c >= 'A' && c <= 'Z') || c == ' ' || c == '-';
                          });
  if (!normalized) {
    return util::Status::Invalid("bom_bad_property",
                                 "property name " + quoted() + " is not in normalised form; use " +
                                     QuoteForMessage(NormalizeColumnName(key)) +
                                     " (lowercase, '_' instead of spaces and '-')");
  }
  if (const std::string_view field = RecognizedColumn(key); !field.empty()) {
    return util::Status::Invalid(
        "bom_bad_property",
        "property name " + quoted() + " is reserved for the " + std::string(field) + " column");
  }
  return util::Status::Ok();
}

std::vector<ItemError> FindItemErrors(const std::vector<Item>& items, const Limits& limits,
                                      size_t max_errors) {
  std::vector<ItemError> errors;
  if (max_errors == 0) return errors;
  // Returns false once the caller has enough, so every check below can bail out at once.
  auto add = [&](size_t index, std::string field, util::Status status) {
    errors.push_back(ItemError{index, std::move(field), std::move(status)});
    return errors.size() < max_errors;
  };

  if (items.size() > limits.max_items) {
    add(limits.max_items, "",
        util::Status::Invalid("bom_too_many_items", "the BOM has " + std::to_string(items.size()) +
                                                        " items; the limit is " +
                                                        std::to_string(limits.max_items)));
    return errors;
  }

  struct TextField {
    std::string_view name;
    std::string Item::*member;
    size_t Limits::*limit;
    bool multiline;
  };
  static constexpr std::array<TextField, 6> kTextFields = {{
      {"parent", &Item::parent, &Limits::max_ref, false},
      {"find_number", &Item::find_number, &Limits::max_find_number, false},
      {"part_number", &Item::part_number, &Limits::max_part_number, false},
      {"description", &Item::description, &Limits::max_description, true},
      {"unit", &Item::unit, &Limits::max_unit, false},
      {"refdes", &Item::refdes, &Limits::max_refdes, true},
  }};

  std::vector<std::string_view> keys;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    auto fail = [&](std::string field, const util::Status& status) {
      return add(i, std::move(field), WithLabel(ItemLabel(i, item), status));
    };

    if (item.ref.empty()) {
      if (!fail("ref", util::Status::Invalid("bom_empty_field", "ref is empty"))) return errors;
    } else if (!TextOk(item.ref, limits.max_ref, false)) {
      if (!fail("ref", CheckText(item.ref, "ref", limits.max_ref, false))) return errors;
    }
    if (item.part_number.empty() && !HasOtherIdentity(item)) {
      if (!fail("part_number",
                util::Status::Invalid("bom_empty_field",
                                      "part_number is empty and nothing else (description, "
                                      "value, MPN or designators) identifies the item"))) {
        return errors;
      }
    }
    if (item.manufacturers.size() > limits.max_manufacturers) {
      if (!fail("manufacturers",
                util::Status::Invalid("bom_bad_manufacturer",
                                      "has " + std::to_string(item.manufacturers.size()) +
                                          " manufacturers; the limit is " +
                                          std::to_string(limits.max_manufacturers)))) {
        return errors;
      }
    }
    for (const Manufacturer& m : item.manufacturers) {
      util::Status bad;
      if (m.name.empty() && m.mpn.empty()) {
        bad = util::Status::Invalid("bom_bad_manufacturer",
                                    "a manufacturer entry has neither a name nor an MPN");
      } else if (!TextOk(m.name, limits.max_manufacturer, false)) {
        bad = CheckText(m.name, "manufacturer", limits.max_manufacturer, false);
      } else if (!TextOk(m.mpn, limits.max_manufacturer, false)) {
        bad = CheckText(m.mpn, "mpn", limits.max_manufacturer, false);
      }
      if (!bad.ok()) {
        if (!fail("manufacturers", bad)) return errors;
        break;
      }
    }
    for (const TextField& f : kTextFields) {
      const std::string& value = item.*f.member;
      if (TextOk(value, limits.*f.limit, f.multiline)) continue;
      if (!fail(std::string(f.name), CheckText(value, f.name, limits.*f.limit, f.multiline))) {
        return errors;
      }
    }

    util::Result<std::string> canonical = CanonicalQuantity(item.quantity);
    if (!canonical.ok()) {
      if (!fail("quantity",
                util::Status::Invalid("bom_bad_quantity", canonical.status().message()))) {
        return errors;
      }
    } else if (*canonical != item.quantity) {
      if (!fail("quantity", util::Status::Invalid("bom_bad_quantity",
                                                  "quantity " + QuoteForMessage(item.quantity) +
                                                      " is not in canonical form; store it as " +
                                                      QuoteForMessage(*canonical)))) {
        return errors;
      }
    }

    if (item.properties.size() > limits.max_properties) {
      if (!fail("properties",
                util::Status::Invalid("bom_bad_property",
                                      "has " + std::to_string(item.properties.size()) +
                                          " properties; the limit is " +
                                          std::to_string(limits.max_properties)))) {
        return errors;
      }
      continue;  // per-key checks on an oversized set would only repeat the same complaint
    }
    keys.clear();
    for (const auto& [key, value] : item.properties) {
      if (util::Status s = ValidatePropertyKey(key, limits); !s.ok()) {
        if (!fail("properties." + key, s)) return errors;
        continue;
      }
      keys.push_back(key);
      if (value.empty()) {
        if (!fail("properties." + key,
                  util::Status::Invalid("bom_bad_property", "property " + QuoteForMessage(key) +
                                                                " has an empty value; leave it "
                                                                "out instead"))) {
          return errors;
        }
      } else if (!TextOk(value, limits.max_property_value, true)) {
        if (!fail("properties." + key, CheckText(value, "property " + QuoteForMessage(key),
                                                 limits.max_property_value, true))) {
          return errors;
        }
      }
    }
    if (keys.size() > 1) std::sort(keys.begin(), keys.end());
    for (size_t k = 1; k < keys.size(); ++k) {
      if (keys[k] != keys[k - 1]) continue;
      if (!fail("properties." + std::string(keys[k]),
                util::Status::Invalid("bom_bad_property", "property " + QuoteForMessage(keys[k]) +
                                                              " appears more than once"))) {
        return errors;
      }
      while (k + 1 < keys.size() && keys[k + 1] == keys[k]) ++k;
    }
  }

  // Relations. Refs first: a duplicate makes "the parent" ambiguous, so cycles and depth are
  // only meaningful once refs and parents are sound.
  bool sound = true;
  RefIndex by_ref(items);
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].ref.empty()) {
      sound = false;
      continue;
    }
    const size_t earlier = by_ref.Insert(i);
    if (earlier == kNotFound) continue;
    sound = false;
    if (!add(i, "ref",
             util::Status::Unprocessable(
                 "bom_duplicate_ref", "item " + std::to_string(i + 1) + ": ref " +
                                          QuoteForMessage(items[i].ref) +
                                          " is already used by item " +
                                          std::to_string(earlier + 1) + "; refs must be unique"))) {
      return errors;
    }
  }
  std::vector<size_t> parent_of(items.size(), kNoParent);
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    if (item.parent.empty()) continue;
    if (const size_t p = by_ref.Find(item.parent); p != kNotFound) {
      parent_of[i] = p;
      continue;
    }
    sound = false;
    if (!add(i, "parent",
             util::Status::Unprocessable("bom_dangling_parent", ItemLabel(i, item) + ": parent " +
                                                                    QuoteForMessage(item.parent) +
                                                                    " does not exist"))) {
      return errors;
    }
  }
  if (!sound) return errors;

  std::vector<std::vector<size_t>> cycles;
  const std::vector<int> levels = ComputeLevels(parent_of, &cycles);
  for (const std::vector<size_t>& cycle : cycles) {
    if (!add(cycle.front(), "parent",
             util::Status::Unprocessable("bom_cycle", DescribeCycle(items, cycle)))) {
      return errors;
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    // Only the first item past the limit on each branch: its descendants add nothing new.
    // (Written without max_depth + 1, which would wrap for an "unlimited" SIZE_MAX.)
    if (levels[i] <= 0) continue;
    const auto level = static_cast<size_t>(levels[i]);
    if (level <= limits.max_depth || level - 1 > limits.max_depth) continue;
    if (!add(i, "parent",
             util::Status::Unprocessable("bom_too_deep", ItemLabel(i, items[i]) + " is at level " +
                                                             std::to_string(levels[i]) +
                                                             "; the deepest allowed level is " +
                                                             std::to_string(limits.max_depth)))) {
      return errors;
    }
  }
  return errors;
}

util::Status ValidateItems(const std::vector<Item>& items, const Limits& limits) {
  std::vector<ItemError> errors = FindItemErrors(items, limits, 1);
  if (errors.empty()) return util::Status::Ok();
  return std::move(errors.front().status);
}

std::vector<size_t> ParentIndices(const std::vector<Item>& items) {
  RefIndex by_ref(items);
  for (size_t i = 0; i < items.size(); ++i) by_ref.Insert(i);
  std::vector<size_t> parent_of(items.size(), kNoParent);
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].parent.empty()) continue;
    const size_t p = by_ref.Find(items[i].parent);
    parent_of[i] = p == kNotFound ? kMissingParent : p;
  }
  return parent_of;
}

std::vector<int> Levels(const std::vector<Item>& items) {
  return ComputeLevels(ParentIndices(items), nullptr);
}

std::vector<size_t> TreeOrder(const std::vector<Item>& items) {
  const size_t n = items.size();
  const std::vector<size_t> parent_of = ParentIndices(items);
  // Children as one flat array sliced per parent (CSR): two passes, no per-node vectors.
  std::vector<size_t> first_child(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    if (parent_of[i] < n) ++first_child[parent_of[i] + 1];
  }
  for (size_t i = 0; i < n; ++i) first_child[i + 1] += first_child[i];
  std::vector<size_t> children(first_child[n]);
  std::vector<size_t> fill(first_child.begin(), first_child.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    if (parent_of[i] < n) children[fill[parent_of[i]]++] = i;
  }

  std::vector<size_t> order;
  order.reserve(n);
  std::vector<bool> visited(n, false);
  std::vector<std::pair<size_t, size_t>> stack;  // (item, next position in children)
  for (size_t root = 0; root < n; ++root) {
    if (parent_of[root] != kNoParent) continue;
    visited[root] = true;
    order.push_back(root);
    stack.emplace_back(root, first_child[root]);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == first_child[node + 1]) {
        stack.pop_back();
        continue;
      }
      const size_t child = children[next++];
      // A child is only reachable through its own parent, so it cannot have been seen before;
      // the check keeps the walk finite even if that reasoning is ever broken.
      if (visited[child]) continue;
      visited[child] = true;
      order.push_back(child);
      stack.emplace_back(child, first_child[child]);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!visited[i]) order.push_back(i);
  }
  return order;
}

}  // namespace bomvault::bom
