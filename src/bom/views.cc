#include "bom/views.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bom/decimal.h"
#include "bom/tree.h"

namespace bomvault::bom {
namespace {

constexpr size_t kMaxKeySegments = 100;

Limits Unlimited() {
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  return Limits{kMax, kMax, kMax, kMax, kMax, kMax, kMax, kMax, kMax, kMax, kMax};
}

// Positions in a product structure, shared by both BOMs of a comparison so that equal positions
// get equal ids. Node parents always have smaller ids, so walking up terminates whatever the
// input looked like.
// An item without a part number is told apart by what else identifies it (its value and
// footprint, an MPN, its description, its designators), so two KiCad capacitors of different values
// are two parts. The mark cannot start a part number (control characters are refused), so such keys
// never equal a real part number.
constexpr char kIdentityMark = '\x01';

std::string IdentityKey(const Item& item) {
  std::string value, footprint;
  for (const auto& [k, v] : item.properties) {
    if (k == "value") value = v;
    if (k == "footprint") footprint = v;
  }
  // The value first: it stays put between revisions while MPNs get filled in.
  if (!value.empty()) {
    return std::string(1, kIdentityMark) + "value=" + value + (footprint.empty() ? "" : " ") +
           footprint;
  }
  for (const Manufacturer& m : item.manufacturers) {
    if (!m.mpn.empty()) return std::string(1, kIdentityMark) + "mpn=" + m.mpn;
  }
  if (!item.description.empty()) {
    return std::string(1, kIdentityMark) + "description=" + item.description;
  }
  return std::string(1, kIdentityMark) + "refdes=" + item.refdes;
}

class PathInterner {
 public:
  static constexpr uint32_t kRoot = UINT32_MAX;

  // Starts numbering occurrences afresh, for the next BOM.
  void NextBom() { ++bom_; }

  // The id of the next sibling with this part number under `parent` in the current BOM.
  uint32_t Next(uint32_t parent, std::string_view part) {
    Siblings& siblings = children_[SiblingKey{parent, part}];
    if (siblings.bom != bom_) {
      siblings.bom = bom_;
      siblings.seen = 0;
    }
    const uint32_t occurrence = ++siblings.seen;
    if (siblings.ids.size() < occurrence) {
      siblings.ids.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back(Node{parent, part, occurrence});
    }
    return siblings.ids[occurrence - 1];
  }

  size_t size() const { return nodes_.size(); }

  // Keeps a key alive as long as the interner (its nodes hold views).
  std::string_view Own(std::string key) { return owned_.emplace_back(std::move(key)); }

  std::string Display(uint32_t id) const {
    std::vector<uint32_t> chain;
    for (uint32_t cur = id; cur != kRoot && chain.size() <= kMaxKeySegments;
         cur = nodes_[cur].parent) {
      chain.push_back(cur);
    }
    std::string out;
    if (chain.size() > kMaxKeySegments) {
      chain.pop_back();
      out = "\xE2\x80\xA6/";  // "…/": a valid BOM is never this deep; keep output bounded anyway
    }
    for (size_t k = chain.size(); k-- > 0;) {
      const Node& node = nodes_[chain[k]];
      for (char c : node.part) {
        if (c == kIdentityMark) continue;  // an identity key (IdentityKey) shows as "value=…"
        if (c == '\\' || c == '/' || c == '#') out += '\\';
        out += c;
      }
      if (node.occurrence > 1) out += "#" + std::to_string(node.occurrence);
      if (k != 0) out += '/';
    }
    return out;
  }

 private:
  struct Node {
    uint32_t parent;
    std::string_view part;
    uint32_t occurrence;
  };
  struct SiblingKey {
    uint32_t parent;
    std::string_view part;
    bool operator==(const SiblingKey&) const = default;
  };
  struct SiblingKeyHash {
    size_t operator()(const SiblingKey& k) const {
      return std::hash<std::string_view>()(k.part) ^
             (static_cast<size_t>(k.parent) * 0x9E3779B97F4A7C15ULL);
    }
  };

  struct Siblings {
    std::vector<uint32_t> ids;  // by occurrence - 1
    uint32_t bom = 0;           // which BOM `seen` counts for
    uint32_t seen = 0;
  };

  std::vector<Node> nodes_;
  std::deque<std::string> owned_;
  std::unordered_map<SiblingKey, Siblings, SiblingKeyHash> children_;
  uint32_t bom_ = 0;
};

// Interns every item of one BOM; returns (item ids, TreeOrder). Items are visited in TreeOrder,
// so a reachable parent always has its id before its children need it; unreachable items hang
// off whatever already has an id, or the root.
std::pair<std::vector<uint32_t>, std::vector<size_t>> AssignIds(const std::vector<Item>& items,
                                                                PathInterner* interner) {
  const size_t n = items.size();
  const std::vector<size_t> parent_of = ParentIndices(items);
  std::vector<size_t> order = TreeOrder(items);
  std::vector<uint32_t> ids(n, PathInterner::kRoot);
  std::vector<bool> assigned(n, false);
  interner->NextBom();
  for (size_t i : order) {
    const size_t p = parent_of[i];
    const uint32_t parent_id = p < n && assigned[p] ? ids[p] : PathInterner::kRoot;
    const std::string_view key = items[i].part_number.empty()
                                     ? interner->Own(IdentityKey(items[i]))
                                     : std::string_view(items[i].part_number);
    ids[i] = interner->Next(parent_id, key);
    assigned[i] = true;
  }
  return {std::move(ids), std::move(order)};
}

// Property lookup by key that stays linear-time for the common handful of properties and does
// not go quadratic on items with many.
class PropertyIndex {
 public:
  explicit PropertyIndex(const std::vector<std::pair<std::string, std::string>>& properties)
      : properties_(properties) {
    if (properties.size() <= kLinearMax) return;
    for (const auto& [key, value] : properties) map_.emplace(key, &value);
  }

  const std::string* Find(std::string_view key) const {
    if (properties_.size() > kLinearMax) {
      const auto it = map_.find(key);
      return it == map_.end() ? nullptr : it->second;
    }
    for (const auto& [k, value] : properties_) {
      if (k == key) return &value;
    }
    return nullptr;
  }

 private:
  static constexpr size_t kLinearMax = 16;
  const std::vector<std::pair<std::string, std::string>>& properties_;
  std::unordered_map<std::string_view, const std::string*> map_;
};

bool SameQuantity(const std::string& x, const std::string& y) {
  if (x == y) return true;
  const util::Result<std::string> cx = CanonicalQuantity(x);
  const util::Result<std::string> cy = CanonicalQuantity(y);
  return cx.ok() && cy.ok() && cx.value() == cy.value();
}

void CompareItems(const Item& x, const Item& y, const std::string& key,
                  std::vector<Change>* changes) {
  auto diff = [&](std::string field, const std::string& before, const std::string& after) {
    changes->push_back(Change{key, std::move(field), before, after});
  };
  if (!SameQuantity(x.quantity, y.quantity)) diff("quantity", x.quantity, y.quantity);
  if (x.description != y.description) diff("description", x.description, y.description);
  if (x.unit != y.unit) diff("unit", x.unit, y.unit);
  if (x.refdes != y.refdes) diff("refdes", x.refdes, y.refdes);
  if (x.find_number != y.find_number) diff("find_number", x.find_number, y.find_number);
  if (x.manufacturers != y.manufacturers) {
    auto text = [](const std::vector<Manufacturer>& list) {
      std::string out;
      for (const Manufacturer& m : list) {
        if (!out.empty()) out += "; ";
        out += m.name.empty() ? m.mpn : m.mpn.empty() ? m.name : m.name + " " + m.mpn;
      }
      return out;
    };
    diff("manufacturers", text(x.manufacturers), text(y.manufacturers));
  }
  if (x.dnp != y.dnp) diff("dnp", x.dnp ? "DNP" : "", y.dnp ? "DNP" : "");
  if (x.properties.empty() && y.properties.empty()) return;
  const PropertyIndex xi(x.properties);
  const PropertyIndex yi(y.properties);
  static const std::string kAbsent;
  for (const auto& [k, value] : x.properties) {
    const std::string* other = yi.Find(k);
    if (other == nullptr || *other != value) {
      diff("properties." + k, value, other == nullptr ? kAbsent : *other);
    }
  }
  for (const auto& [k, value] : y.properties) {
    if (xi.Find(k) == nullptr) diff("properties." + k, kAbsent, value);
  }
}

}  // namespace

util::Result<std::vector<FlatRow>> Flatten(const std::vector<Item>& items) {
  if (std::vector<ItemError> errors = FindItemErrors(items, Unlimited(), 1); !errors.empty()) {
    return errors.front().status;
  }
  const std::vector<size_t> parent_of = ParentIndices(items);
  std::vector<Decimal> path_quantity(items.size());
  struct Group {
    size_t first;
    Decimal total;
    size_t occurrences;
  };
  std::map<std::pair<std::string_view, std::string_view>, Group> groups;
  std::deque<std::string> identity_keys;  // keys for items without a part number
  for (size_t i : TreeOrder(items)) {
    const Item& item = items[i];
    util::Result<Decimal> quantity = Decimal::Parse(item.quantity);
    if (!quantity.ok()) return quantity.status();
    if (parent_of[i] != kNoParent) {
      quantity = quantity->Mul(path_quantity[parent_of[i]]);
      if (!quantity.ok()) return quantity.status();
    }
    path_quantity[i] = *quantity;
    const std::string_view key =
        item.part_number.empty() ? std::string_view(identity_keys.emplace_back(IdentityKey(item)))
                                 : std::string_view(item.part_number);
    auto [it, inserted] = groups.try_emplace({key, item.unit}, Group{i, Decimal(), 0});
    util::Result<Decimal> total = it->second.total.Add(*quantity);
    if (!total.ok()) return total.status();
    it->second.total = *total;
    ++it->second.occurrences;
  }
  std::vector<FlatRow> rows;
  rows.reserve(groups.size());
  for (const auto& [key, group] : groups) {
    rows.push_back(FlatRow{items[group.first].part_number, items[group.first].description,
                           std::string(key.second), group.total.ToString(), group.occurrences});
  }
  return rows;
}

Comparison Compare(const std::vector<Item>& a, const std::vector<Item>& b) {
  PathInterner interner;
  const auto [ids_a, order_a] = AssignIds(a, &interner);
  const auto [ids_b, order_b] = AssignIds(b, &interner);
  constexpr size_t kAbsent = std::numeric_limits<size_t>::max();
  std::vector<size_t> in_a(interner.size(), kAbsent);
  std::vector<size_t> in_b(interner.size(), kAbsent);
  for (size_t i = 0; i < a.size(); ++i) in_a[ids_a[i]] = i;
  for (size_t j = 0; j < b.size(); ++j) in_b[ids_b[j]] = j;

  Comparison result;
  for (size_t j : order_b) {
    const size_t i = in_a[ids_b[j]];
    if (i == kAbsent) {
      result.added.push_back(b[j]);
      continue;
    }
    const size_t before = result.changed.size();
    CompareItems(a[i], b[j], std::string(), &result.changed);
    if (result.changed.size() == before) continue;
    // Keys are built only for items that changed: most of a large BOM usually has not.
    const std::string key = interner.Display(ids_b[j]);
    for (size_t k = before; k < result.changed.size(); ++k) result.changed[k].key = key;
  }
  for (size_t i : order_a) {
    if (in_b[ids_a[i]] == kAbsent) result.removed.push_back(a[i]);
  }
  return result;
}

std::vector<std::string> MatchKeys(const std::vector<Item>& items) {
  PathInterner interner;
  const std::vector<uint32_t> ids = AssignIds(items, &interner).first;
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (uint32_t id : ids) keys.push_back(interner.Display(id));
  return keys;
}

}  // namespace bomvault::bom
