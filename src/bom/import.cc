#include "bom/import.h"

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "bom/csv.h"
#include "bom/decode.h"
#include "bom/profile.h"
#include "bom/tree.h"
#include "bom/values.h"
#include "bom/xlsx.h"

namespace bomvault::bom {
namespace {

constexpr size_t kNone = SIZE_MAX;

std::string DelimiterName(char d) { return std::string(1, d); }

// One data row as read, before the tree is built.
struct Row {
  size_t line = 0;
  Item item;
  std::string own_ref;
  std::string parent_key;
  std::string parent_quantity;
  int64_t level = -1;
  bool bad = false;  // had an error (skip mode: left out)
};

// Counts a kind of per-row decision into one warning: "N rows …, the first at line L".
struct Tally {
  size_t count = 0;
  size_t first_line = 0;
  void Add(size_t line) {
    if (count++ == 0) first_line = line;
  }
};

class Builder {
 public:
  Builder(ImportReport& report, const Limits& limits, const ImportOptions& options,
          bool decimal_comma)
      : rep_(report), limits_(limits), options_(options), decimal_comma_(decimal_comma) {}

  void Run(FoundTable table, const ColumnMappings* org) {
    auto profile = RecognizeProfile(table.header, options_.profile, org);
    if (!profile.ok()) {
      rep_.status = profile.status();
      rep_.errors.push_back({0, 0, profile.status().machine_code(), profile.status().message()});
      return;
    }
    profile_ = std::move(profile.value());
    rep_.profile = profile_.name;
    rep_.header_line = table.header_line;
    header_ = std::move(table.header);
    for (size_t c = 0; c < header_.size(); ++c) {
      rep_.mapping.emplace_back(header_[c], RoleName(profile_.columns[c]));
      ColumnOf(profile_.columns[c].role);  // fills first_column_
    }
    for (ImportMessage& w : table.warnings) Warn(std::move(w));
    rows_.reserve(table.data.size());
    rep_.rows_read = table.data.size();
    for (TableRow& row : table.data) {
      if (rows_.size() > limits_.max_items) {
        Error(row.line, 0, "bom_too_many_items",
              "the file has more than " + std::to_string(limits_.max_items) + " data rows");
        return;
      }
      ReadRow(row);
      if (Full()) return;
    }
    SummarisePerRow();
    Build();
    if (!rep_.errors.empty() && !options_.skip_bad_rows) return;
    Validate();
  }

 private:
  bool Full() const { return rep_.errors.size() >= kMaxImportMessages; }

  void Warn(ImportMessage m) {
    if (rep_.warnings.size() < kMaxImportMessages) {
      rep_.warnings.push_back(std::move(m));
    } else if (rep_.warnings.size() == kMaxImportMessages) {
      rep_.warnings.push_back({0, 0, "more_warnings", "more warnings were left out"});
    }
  }

  // In skip mode an error becomes a warning about the skipped row.
  void Error(size_t line, size_t column, std::string code, std::string message) {
    if (options_.skip_bad_rows && line != 0) {
      ++rep_.rows_skipped;
      Warn({line, column, "skipped_row", "skipped: " + message});
      return;
    }
    if (rep_.errors.size() < kMaxImportMessages) {
      rep_.errors.push_back({line, column, std::move(code), std::move(message)});
    }
  }

  size_t ColumnOf(Role role) {
    const auto idx = static_cast<size_t>(role);
    if (first_column_.size() <= idx) first_column_.resize(idx + 1, kNone);
    if (first_column_[idx] == kNone) {
      for (size_t c = 0; c < profile_.columns.size(); ++c) {
        if (profile_.columns[c].role == role) {
          first_column_[idx] = c;
          break;
        }
      }
    }
    return first_column_[idx];
  }
  bool Has(Role role) { return ColumnOf(role) != kNone; }

  void ReadRow(TableRow& in) {
    Row r;
    r.line = in.line;
    Item& item = r.item;
    const size_t width = header_.size();
    for (size_t c = width; c < in.cells.size(); ++c) {
      if (!in.cells[c].empty()) {
        extra_cells_.Add(in.line);
        break;
      }
    }
    std::string quantity_text;
    size_t makers = 0;
    std::array<Manufacturer, 16> maker_slots;
    for (size_t c = 0; c < width && c < in.cells.size(); ++c) {
      std::string& v = in.cells[c];
      // Quoted cells keep their blanks in bomvault's own format; tools pad ("C1 C2 ").
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
      size_t lead = 0;
      while (lead < v.size() && (v[lead] == ' ' || v[lead] == '\t')) ++lead;
      if (lead != 0) v.erase(0, lead);
      // A cell of only '-', '_' or '=' is a drawn rule in a hand-kept sheet, not a value.
      if (v.size() >= 2 && v.find_first_not_of("-_=") == std::string::npos) v.clear();
      if (v.empty()) continue;
      const ColumnRole& role = profile_.columns[c];
      switch (role.role) {
        case Role::kProperty:
          item.properties.emplace_back(role.property, std::move(v));
          break;
        case Role::kIgnore:
          break;
        case Role::kRef:
          r.own_ref = std::move(v);
          break;
        case Role::kParent:
          r.parent_key = std::move(v);
          break;
        case Role::kParentQuantity:
          r.parent_quantity = std::move(v);
          break;
        case Role::kLevel:
          r.level = ParseLevelCell(v);
          if (r.level < 0) {
            Error(in.line, c + 1, "csv_value",
                  "level " + QuoteForMessage(v) +
                      " is not a level (a whole number, 1.0, an outline number such as 1.2.3, "
                      "or SAP dots such as ..2)");
            r.bad = true;
          }
          break;
        case Role::kFindNumber:
          item.find_number = std::move(v);
          break;
        case Role::kPartNumber:
          item.part_number = std::move(v);
          break;
        case Role::kDescription:
          item.description = std::move(v);
          break;
        case Role::kQuantity:
          quantity_text = std::move(v);
          break;
        case Role::kUnit:
          item.unit = std::move(v);
          break;
        case Role::kRefdes:
          item.refdes = std::move(v);
          break;
        case Role::kManufacturer:
        case Role::kMpn:
          if (role.slot < maker_slots.size()) {
            (role.role == Role::kManufacturer ? maker_slots[role.slot].name
                                              : maker_slots[role.slot].mpn) = std::move(v);
            makers = std::max(makers, role.slot + 1);
          }
          break;
        case Role::kDnp:
          item.dnp = IsDnpMarker(v, true);
          break;
      }
    }
    // Tools that spread names and MPNs over unpaired columns (a mostly empty "MANUFACTURER"
    // beside "Manufacturer_Name" and "Manufacturer_Part_Number") leave a name-only slot and an
    // MPN-only slot; then the names and MPNs are paired in column order instead.
    bool name_only = false, mpn_only = false;
    for (size_t s = 0; s < makers; ++s) {
      name_only = name_only || (!maker_slots[s].name.empty() && maker_slots[s].mpn.empty());
      mpn_only = mpn_only || (maker_slots[s].name.empty() && !maker_slots[s].mpn.empty());
    }
    if (name_only && mpn_only) {
      std::vector<std::string> names, mpns;
      for (size_t s = 0; s < makers; ++s) {
        if (!maker_slots[s].name.empty()) names.push_back(std::move(maker_slots[s].name));
        if (!maker_slots[s].mpn.empty()) mpns.push_back(std::move(maker_slots[s].mpn));
      }
      for (size_t k = 0; k < std::max(names.size(), mpns.size()); ++k) {
        item.manufacturers.push_back({k < names.size() ? std::move(names[k]) : std::string(),
                                      k < mpns.size() ? std::move(mpns[k]) : std::string()});
      }
    } else {
      for (size_t s = 0; s < makers; ++s) {
        if (!maker_slots[s].name.empty() || !maker_slots[s].mpn.empty()) {
          item.manufacturers.push_back(std::move(maker_slots[s]));
        }
      }
    }
    const std::string* value = nullptr;
    for (const auto& [k, v] : item.properties) {
      if (k == "value") value = &v;
    }
    if (value != nullptr && IsDnpMarker(*value, false)) item.dnp = true;
    if (!quantity_text.empty() && IsDnpMarker(quantity_text, false)) {
      item.dnp = true;
      quantity_text.clear();
    }

    // A row with nothing that names a part is a note, a sub-total or a template line.
    const bool any_mpn = std::any_of(item.manufacturers.begin(), item.manufacturers.end(),
                                     [](const Manufacturer& m) { return !m.mpn.empty(); });
    if (item.part_number.empty() && item.description.empty() && item.refdes.empty() && !any_mpn &&
        value == nullptr) {
      Warn({in.line, 0, "skipped_row",
            "skipped a row with no part number, description, value, MPN or designator"});
      return;
    }
    // With a quantity column, a row with no quantity and nothing but a label (a description or
    // a find number) is a section heading of a hand-kept list ("A, Sockets"), not a part.
    if (Has(Role::kQuantity) && quantity_text.empty() && item.part_number.empty() &&
        item.refdes.empty() && !any_mpn && value == nullptr && !item.dnp) {
      Warn({in.line, 0, "skipped_section",
            "skipped a section heading (a label without a part "
            "number, quantity, value, MPN or designators)"});
      return;
    }
    if (item.part_number.empty()) no_part_number_.Add(in.line);

    if (!quantity_text.empty()) {
      auto q = ParseQuantityCell(quantity_text, decimal_comma_);
      if (!q.ok()) {
        Error(in.line, ColumnOf(Role::kQuantity) + 1, "csv_value", q.status().message());
        r.bad = true;
      } else {
        item.quantity = std::move(q->quantity);
        if (!q->unit.empty() && item.unit.empty()) item.unit = std::move(q->unit);
      }
    } else {
      const size_t designators = CountDesignators(item.refdes);
      item.quantity = std::to_string(designators == 0 ? 1 : designators);
      (designators == 0 ? quantity_one_ : quantity_from_refdes_).Add(in.line);
    }
    rows_.push_back(std::move(r));
  }

  void SummarisePerRow() {
    auto say = [&](const Tally& t, std::string code, const std::string& what) {
      if (t.count == 0) return;
      Warn({t.first_line, 0, std::move(code),
            std::to_string(t.count) + (t.count == 1 ? " row " : " rows ") + what +
                (t.count == 1 ? "" : " (the first at line " + std::to_string(t.first_line) + ")")});
    };
    say(no_part_number_, "no_part_number",
        "had no part number; kept, identified by value, MPN, description or designators");
    const bool has_quantity = Has(Role::kQuantity);
    say(quantity_from_refdes_, "quantity_from_designators",
        std::string(has_quantity ? "had an empty quantity" : "had no quantity column") +
            "; the quantity is the number of designators");
    say(quantity_one_, "quantity_default",
        std::string(has_quantity ? "had an empty quantity" : "had no quantity column") +
            " and no designators; the quantity is 1");
    say(extra_cells_, "extra_cells", "had cells beyond the header's columns; they were ignored");
  }

  // Appends rows_[i]'s item with a fresh ref under `parent`.
  void Emit(size_t i, const std::string& parent, bool copy) {
    Item item = copy ? rows_[i].item : std::move(rows_[i].item);
    item.ref = std::to_string(rep_.items.size() + 1);
    item.parent = parent;
    rep_.items.push_back(std::move(item));
    rep_.item_lines.push_back(rows_[i].line);
  }

  void Build() {
    const bool by_ref = Has(Role::kRef) && Has(Role::kParent);
    if (by_ref) return BuildByRef();
    // A level column is the structure when there is one (InvenTree's export has both, and its
    // top assembly is the BOM itself, named only in the parent columns).
    if (Has(Role::kLevel)) return BuildByLevel();
    if (Has(Role::kParent)) return BuildByParentKey();
    if (OutlineFindNumbers()) return BuildByLevel();
    rep_.items.reserve(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (!rows_[i].bad) Emit(i, "", false);
    }
  }

  // SolidWorks and many PLM exports number items 1, 1.1, 1.1.2: the number is the structure.
  bool OutlineFindNumbers() {
    if (!Has(Role::kFindNumber)) return false;
    std::unordered_set<std::string> seen;
    bool dotted = false;
    for (const Row& r : rows_) {
      const std::string& f = r.item.find_number;
      if (f.empty()) return false;
      int64_t depth = ParseLevelCell(f);
      if (depth < 0 || f.front() == '.') return false;
      const size_t dot = f.rfind('.');
      if (dot != std::string::npos) {
        if (depth < 2) return false;  // "1.0" is not an outline
        dotted = true;
        if (seen.count(f.substr(0, dot)) == 0) return false;
      }
      seen.insert(f);
    }
    if (!dotted) return false;
    for (Row& r : rows_) {
      const std::string& f = r.item.find_number;
      r.level = 1 + static_cast<int64_t>(std::count(f.begin(), f.end(), '.'));
    }
    outline_ = true;
    return true;
  }

  void BuildByLevel() {
    int64_t base = INT64_MAX;
    for (const Row& r : rows_) {
      if (!r.bad && r.level >= 0) base = std::min(base, r.level);
    }
    const size_t level_column = outline_ ? ColumnOf(Role::kFindNumber) : ColumnOf(Role::kLevel);
    // stack[d] = ref of the latest item at depth d ("" when that row was left out).
    std::vector<std::string> stack;
    rep_.items.reserve(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      Row& r = rows_[i];
      if (r.bad) {
        // Its children must not attach to an earlier sibling: mark the slot as left out.
        if (r.level >= 0 && r.level >= base) {
          stack.resize(std::min(stack.size(), static_cast<size_t>(r.level - base)));
          stack.push_back("");
        }
        continue;
      }
      if (r.level < 0) {
        Error(r.line, level_column + 1, "csv_value", "level is empty");
        continue;
      }
      const auto depth = static_cast<size_t>(r.level - base);
      if (depth > stack.size()) {
        Error(r.line, level_column + 1, "csv_value",
              "level " + std::to_string(r.level) + " skips a level: the row above is at level " +
                  std::to_string(base + static_cast<int64_t>(stack.size()) - 1));
        stack.resize(stack.size() + 1, "");
        continue;
      }
      stack.resize(depth);
      if (depth > 0 && stack.back().empty()) {
        Warn({r.line, 0, "skipped_row", "skipped: its parent row was left out"});
        ++rep_.rows_skipped;
        stack.push_back("");
        continue;
      }
      Emit(i, depth > 0 ? stack.back() : std::string(), false);
      stack.push_back(rep_.items.back().ref);
    }
  }

  void BuildByRef() {
    for (size_t i = 0; i < rows_.size(); ++i) {
      Row& r = rows_[i];
      if (r.bad) continue;
      if (r.own_ref.empty()) {
        Error(r.line, ColumnOf(Role::kRef) + 1, "csv_value",
              "ref is empty; with a parent column every row needs a ref");
        continue;
      }
      Item item = std::move(r.item);
      item.ref = std::move(r.own_ref);
      item.parent = std::move(r.parent_key);
      rep_.items.push_back(std::move(item));
      rep_.item_lines.push_back(r.line);
    }
  }

  // Parent cells name a part (number or name): Odoo, InvenTree, PLM "parent" exports.
  void BuildByParentKey() {
    if (profile_.parent_on_first_line) {
      std::string parent, quantity;
      for (Row& r : rows_) {
        if (!r.parent_key.empty()) {
          parent = r.parent_key;
          quantity = r.parent_quantity;
        } else {
          r.parent_key = parent;
          r.parent_quantity = quantity;
        }
      }
      // Odoo states a BoM for a batch ("Quantity" 10 makes ten Lamp Bases); its lines are for
      // the batch, so each line's quantity per parent is the line's divided by the batch.
      for (Row& r : rows_) {
        if (r.bad || r.parent_quantity.empty()) continue;
        auto batch = ParseQuantityCell(r.parent_quantity, decimal_comma_);
        if (!batch.ok() || batch->quantity == "1") continue;
        auto per_one = DivideQuantity(r.item.quantity, batch->quantity);
        if (!per_one.ok()) {
          Error(r.line, ColumnOf(Role::kQuantity) + 1, "csv_value", per_one.status().message());
          r.bad = true;
          continue;
        }
        r.item.quantity = std::move(per_one.value());
        divided_.Add(r.line);
      }
      if (divided_.count > 0) {
        Warn({divided_.first_line, 0, "quantity_per_parent",
              std::to_string(divided_.count) +
                  " line quantities were stated for a batch of parents and were divided by the "
                  "batch size (the parent's Quantity)"});
      }
    }
    auto key_of = [](const Item& it) -> const std::string& {
      return it.part_number.empty() ? it.description : it.part_number;
    };
    std::unordered_map<std::string, size_t> row_by_key;
    std::unordered_map<std::string, std::vector<size_t>> children;
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (rows_[i].bad) continue;
      const std::string& k = key_of(rows_[i].item);
      if (!k.empty()) row_by_key.emplace(k, i);
      if (!rows_[i].parent_key.empty()) children[rows_[i].parent_key].push_back(i);
    }
    // Roots in file order: rows without a parent, and parents that have no row of their own.
    struct Root {
      size_t row = kNone;
      std::string made_for;  // a parent key without a row
      std::string quantity;
      size_t line = 0;
    };
    std::vector<Root> roots;
    std::unordered_set<std::string> made;
    for (size_t i = 0; i < rows_.size(); ++i) {
      const Row& r = rows_[i];
      if (r.bad) continue;
      if (r.parent_key.empty()) {
        roots.push_back({i, "", "", r.line});
      } else if (row_by_key.count(r.parent_key) == 0 && made.insert(r.parent_key).second) {
        roots.push_back({kNone, r.parent_key, r.parent_quantity, r.line});
      }
    }
    std::vector<bool> emitted(rows_.size(), false);
    struct Frame {
      size_t row;
      std::string parent_ref;
      std::vector<std::string> path;  // keys from the root, for cycle detection
    };
    for (Root& root : roots) {
      std::string root_ref;
      std::string root_key;
      if (root.row == kNone) {
        Item item;
        item.part_number = root.made_for;
        item.quantity = "1";
        if (!root.quantity.empty()) {
          auto q = ParseQuantityCell(root.quantity, decimal_comma_);
          if (q.ok()) {
            item.quantity = q->quantity;
            item.unit = q->unit;
          }
        }
        item.ref = std::to_string(rep_.items.size() + 1);
        root_ref = item.ref;
        root_key = root.made_for;
        rep_.items.push_back(std::move(item));
        rep_.item_lines.push_back(0);
        made_parents_.Add(root.line);
      } else {
        Emit(root.row, "", true);
        emitted[root.row] = true;
        root_ref = rep_.items.back().ref;
        root_key = key_of(rows_[root.row].item);
      }
      std::vector<Frame> stack;
      auto push_children = [&](const std::string& key, const std::string& ref,
                               const std::vector<std::string>& path) {
        auto it = children.find(key);
        if (key.empty() || it == children.end()) return;
        for (auto c = it->second.rbegin(); c != it->second.rend(); ++c) {
          stack.push_back({*c, ref, path});
        }
      };
      push_children(root_key, root_ref, {root_key});
      while (!stack.empty()) {
        Frame f = std::move(stack.back());
        stack.pop_back();
        if (rep_.items.size() > limits_.max_items) {
          Error(0, 0, "bom_too_many_items",
                "the structure expands to more than " + std::to_string(limits_.max_items) +
                    " items (sub-assemblies are repeated wherever they are used)");
          return;
        }
        const std::string& key = key_of(rows_[f.row].item);
        if (std::find(f.path.begin(), f.path.end(), key) != f.path.end() ||
            f.path.size() >= limits_.max_depth) {
          Error(rows_[f.row].line, ColumnOf(Role::kParent) + 1, "bom_cycle",
                "part " + QuoteForMessage(key) + " is its own ancestor (a parent cycle)");
          continue;
        }
        Emit(f.row, f.parent_ref, true);
        emitted[f.row] = true;
        std::vector<std::string> path = f.path;
        path.push_back(key);
        push_children(key, rep_.items.back().ref, path);
      }
    }
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (!rows_[i].bad && !emitted[i]) {
        Error(rows_[i].line, ColumnOf(Role::kParent) + 1, "bom_cycle",
              "this row's parent " + QuoteForMessage(rows_[i].parent_key) +
                  " is in a parent cycle, so the row has no place in the tree");
      }
    }
    if (made_parents_.count > 0) {
      Warn({made_parents_.first_line, 0, "made_parent",
            std::to_string(made_parents_.count) +
                " parent(s) named in the parent column have no row of their own; each became "
                "an item (quantity 1 unless the file gives one) holding its rows"});
    }
  }

  size_t ColumnOfField(std::string_view field) {
    static constexpr std::pair<std::string_view, Role> kFields[] = {
        {"ref", Role::kRef},
        {"parent", Role::kParent},
        {"find_number", Role::kFindNumber},
        {"part_number", Role::kPartNumber},
        {"description", Role::kDescription},
        {"quantity", Role::kQuantity},
        {"unit", Role::kUnit},
        {"refdes", Role::kRefdes},
        {"manufacturers", Role::kMpn}};
    for (const auto& [name, role] : kFields) {
      if (name == field) return ColumnOf(role);
    }
    constexpr std::string_view kPrefix = "properties.";
    if (field.substr(0, kPrefix.size()) == kPrefix) {
      const std::string_view key = field.substr(kPrefix.size());
      for (size_t c = 0; c < profile_.columns.size(); ++c) {
        if (profile_.columns[c].role == Role::kProperty && profile_.columns[c].property == key) {
          return c;
        }
      }
    }
    return kNone;
  }

  void Validate() {
    for (int round = 0; round < 3; ++round) {
      std::vector<ItemError> errors = FindItemErrors(rep_.items, limits_, kMaxImportMessages);
      if (errors.empty()) return;
      if (!options_.skip_bad_rows) {
        for (ItemError& e : errors) {
          const size_t index = std::min(e.index, rep_.items.size() - 1);
          const size_t column = ColumnOfField(e.field);
          Error(index < rep_.item_lines.size() ? rep_.item_lines[index] : 0,
                column == kNone ? 0 : column + 1, e.status.machine_code(), e.status.message());
          if (rep_.status.ok()) rep_.status = e.status;
        }
        return;
      }
      // Leave out the items in error and everything below them.
      std::unordered_set<std::string> dropped;
      for (ItemError& e : errors) {
        if (e.index >= rep_.items.size()) continue;
        dropped.insert(rep_.items[e.index].ref);
        Warn({rep_.item_lines[e.index], 0, "skipped_row", "skipped: " + e.status.message()});
      }
      std::vector<Item> kept;
      std::vector<size_t> lines;
      for (size_t i = 0; i < rep_.items.size(); ++i) {
        Item& it = rep_.items[i];
        if (dropped.count(it.ref) != 0 || (!it.parent.empty() && dropped.count(it.parent) != 0)) {
          dropped.insert(it.ref);
          ++rep_.rows_skipped;
          continue;
        }
        kept.push_back(std::move(it));
        lines.push_back(rep_.item_lines[i]);
      }
      rep_.items = std::move(kept);
      rep_.item_lines = std::move(lines);
    }
  }

  ImportReport& rep_;
  const Limits& limits_;
  const ImportOptions& options_;
  bool decimal_comma_;
  Profile profile_;
  std::vector<std::string> header_;
  std::vector<size_t> first_column_;
  std::vector<Row> rows_;
  bool outline_ = false;
  Tally no_part_number_, quantity_from_refdes_, quantity_one_, extra_cells_, made_parents_,
      divided_;
};

// OpenBOM and many PLM exports write a multi-level BOM as one sheet per assembly, each sheet
// named after its assembly's part number ("DRN-110 Frame Kit") and holding its lines, with the
// same columns on every sheet. When every sheet after the first is named after a part that a
// line of another sheet uses, the sheets are one BOM: each sheet's lines become children of
// the part its name starts with (through a parent column added here), and the first sheet's
// assembly, which is not a line anywhere, becomes the top item.
std::optional<FoundTable> MergeAssemblySheets(const std::vector<XlsxSheet>& sheets,
                                              std::string* names) {
  std::vector<FoundTable> tables;
  std::vector<std::string> keys;
  for (const XlsxSheet& s : sheets) {
    std::vector<TableRow> rows;
    rows.reserve(s.rows.size());
    for (const SheetRow& r : s.rows) rows.push_back({r.number, r.cells});
    auto t = FindTable(std::move(rows));
    if (!t.ok()) continue;
    tables.push_back(std::move(t.value()));
    keys.push_back(s.name.substr(0, s.name.find(' ')));
    *names += (names->empty() ? "" : ", ") + QuoteForMessage(s.name);
  }
  if (tables.size() < 2) return std::nullopt;
  for (const FoundTable& t : tables) {
    if (t.header != tables.front().header) return std::nullopt;
  }
  for (const std::string& cell : tables.front().header) {
    if (HeaderKey(cell).find("parent") != std::string::npos) return std::nullopt;
  }
  for (size_t i = 1; i < tables.size(); ++i) {
    bool used = false;
    for (size_t j = 0; j < tables.size() && !used && !keys[i].empty(); ++j) {
      if (j == i) continue;
      for (const TableRow& row : tables[j].data) {
        if (std::find(row.cells.begin(), row.cells.end(), keys[i]) != row.cells.end()) {
          used = true;
          break;
        }
      }
    }
    if (!used) return std::nullopt;
  }
  FoundTable out;
  out.header = tables.front().header;
  out.header_line = tables.front().header_line;
  const size_t width = out.header.size();
  out.header.emplace_back("Parent Part Number");
  for (size_t i = 0; i < tables.size(); ++i) {
    for (TableRow& row : tables[i].data) {
      row.cells.resize(width);
      row.cells.push_back(keys[i]);
      out.data.push_back(std::move(row));
    }
    for (ImportMessage& w : tables[i].warnings) out.warnings.push_back(std::move(w));
  }
  return out;
}

// Whether a header is bomvault's own shape: recognised part_number and quantity columns and a
// level or parent column (the org's mappings applied first, as ParseCsv does).
bool IsNativeHeader(const std::vector<std::string>& cells, const ColumnMappings* org) {
  bool part = false, quantity = false, level = false, parent = false, ref = false;
  for (const std::string& cell : cells) {
    const std::string name = NormalizeColumnName(cell);
    std::string_view field;
    if (const ColumnMapping* m = org == nullptr ? nullptr : FindColumnMapping(*org, name)) {
      if (m->target == ColumnMapping::Target::kField) field = m->name;
    } else {
      field = RecognizedColumn(name);
    }
    part = part || field == "part_number";
    quantity = quantity || field == "quantity";
    level = level || field == "level";
    parent = parent || field == "parent";
    ref = ref || field == "ref";
  }
  // A parent column without refs names parents by part number: the generic reader's job.
  return part && quantity && (level || (parent && ref));
}

void FillNativeReport(ImportReport& rep, const std::vector<std::string>& header,
                      const ColumnMappings* org, size_t header_line) {
  rep.profile = "bomvault";
  rep.header_line = header_line;
  for (const std::string& cell : header) {
    const std::string name = NormalizeColumnName(cell);
    std::string target;
    if (const ColumnMapping* m = org == nullptr ? nullptr : FindColumnMapping(*org, name)) {
      target = m->target == ColumnMapping::Target::kIgnore     ? "ignore"
               : m->target == ColumnMapping::Target::kProperty ? "property:" + m->name
                                                               : m->name;
    } else {
      const std::string_view field = RecognizedColumn(name);
      target = field.empty() ? "property:" + name : std::string(field);
    }
    rep.mapping.emplace_back(cell, target);
  }
}

std::vector<ImportMessage> FromCsvErrors(const std::vector<CsvError>& errors) {
  std::vector<ImportMessage> out;
  out.reserve(errors.size());
  for (const CsvError& e : errors) out.push_back({e.line, e.column, e.code, e.message});
  return out;
}

void Finish(ImportReport& rep) {
  if (rep.errors.empty()) {
    rep.status = util::Status::Ok();
    return;
  }
  rep.items.clear();
  rep.item_lines.clear();
  if (rep.status.ok()) {
    const ImportMessage& first = rep.errors.front();
    std::string where;
    if (first.line != 0) {
      where = (rep.format == "xlsx" ? "row " : "line ") + std::to_string(first.line);
      if (first.column != 0) where += ", column " + std::to_string(first.column);
      where += ": ";
    }
    const bool relational = first.code == "bom_cycle" || first.code == "bom_duplicate_ref" ||
                            first.code == "bom_dangling_parent" || first.code == "bom_too_deep";
    rep.status = util::Status(relational ? util::Code::kUnprocessable : util::Code::kInvalid,
                              first.code, where + first.message);
  } else {
    const ImportMessage& first = rep.errors.front();
    std::string where;
    if (first.line != 0) {
      where = (rep.format == "xlsx" ? "row " : "line ") + std::to_string(first.line);
      if (first.column != 0) where += ", column " + std::to_string(first.column);
      where += ": ";
    }
    rep.status = util::Status(rep.status.code(), rep.status.machine_code(), where + first.message);
  }
}

// Tries the strict reader on a native-looking table; true when it produced the answer.
template <class Parse>
bool TryNative(ImportReport& rep, const std::vector<std::string>& header, size_t header_line,
               const ColumnMappings* org, Parse parse, ImportReport* native_failure) {
  if (!IsNativeHeader(header, org)) return false;
  std::vector<CsvError> errors;
  util::Result<std::vector<Item>> items = parse(&errors);
  if (items.ok()) {
    FillNativeReport(rep, header, org, header_line);
    rep.items = std::move(items.value());
    rep.rows_read = rep.items.size();
    rep.item_lines.clear();
    rep.status = util::Status::Ok();
    return true;
  }
  *native_failure = rep;
  FillNativeReport(*native_failure, header, org, header_line);
  native_failure->errors = FromCsvErrors(errors);
  native_failure->status = items.status();
  return false;
}

// options.mappings ahead of `org`: the mappings the import applies. Points into `storage` when
// both are given.
const ColumnMappings* Effective(const ImportOptions& options, const ColumnMappings* org,
                                ColumnMappings* storage) {
  if (options.mappings.empty()) return org;
  if (org == nullptr || org->empty()) return &options.mappings;
  *storage = options.mappings;
  for (const ColumnMapping& m : *org) {
    if (FindColumnMapping(*storage, m.column) == nullptr) storage->push_back(m);
  }
  return storage;
}

}  // namespace

ImportReport ImportTable(FoundTable table, const ImportOptions& options,
                         const ColumnMappings* org_mappings, const Limits& limits,
                         bool decimal_comma) {
  ColumnMappings merged;
  org_mappings = Effective(options, org_mappings, &merged);
  ImportReport rep;
  Builder builder(rep, limits, options, decimal_comma);
  builder.Run(std::move(table), org_mappings);
  Finish(rep);
  return rep;
}

ImportReport ImportBom(std::string_view bytes, const ImportOptions& options,
                       const ColumnMappings* org_mappings, const Limits& limits) {
  ColumnMappings merged;
  org_mappings = Effective(options, org_mappings, &merged);
  ImportReport rep;
  ImportReport native_failure;
  bool native_tried = false;
  std::vector<TableRow> rows;
  bool decimal_comma = false;
  auto fail = [&](const util::Status& st) {
    rep.status = st;
    rep.errors.push_back({0, 0, st.machine_code(), st.message()});
    rep.items.clear();
    return rep;
  };

  // Legacy .xls and password-protected workbooks are OLE files: the XLSX reader explains those.
  constexpr std::string_view kOleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
  if (LooksLikeXlsx(bytes) || bytes.substr(0, kOleMagic.size()) == kOleMagic) {
    rep.format = "xlsx";
    XlsxLimits xl;
    xl.max_xml_bytes = std::min(xl.max_xml_bytes, 32 * bytes.size() + (size_t{1} << 20));
    auto sheets = ReadXlsxSheets(bytes, xl);
    if (!sheets.ok()) return fail(sheets.status());
    for (const XlsxSheet& s : sheets.value()) rep.sheets.push_back(s.name);
    const XlsxSheet* chosen = nullptr;
    if (options.sheet.empty()) {
      std::string names;
      if (auto merged = MergeAssemblySheets(sheets.value(), &names)) {
        ImportReport out;
        Builder builder(out, limits, options, false);
        builder.Run(std::move(*merged), org_mappings);
        out.format = rep.format;
        out.sheets = rep.sheets;
        out.warnings.insert(out.warnings.begin(),
                            ImportMessage{0, 0, "sheets_combined",
                                          "the sheets " + names +
                                              " are one BOM: each sheet's lines are the parts of "
                                              "the assembly its name starts with (choose one "
                                              "sheet with ?sheet=)"});
        Finish(out);
        return out;
      }
    }
    if (!options.sheet.empty()) {
      for (const XlsxSheet& s : sheets.value()) {
        if (s.name == options.sheet) chosen = &s;
      }
      if (chosen == nullptr) {
        std::string names;
        for (const std::string& n : rep.sheets)
          names += (names.empty() ? "" : ", ") + QuoteForMessage(n);
        return fail(util::Status::Invalid("unknown_sheet", "the workbook has no sheet " +
                                                               QuoteForMessage(options.sheet) +
                                                               "; its sheets: " + names));
      }
    } else {
      // The first sheet whose rows hold a header.
      for (const XlsxSheet& s : sheets.value()) {
        std::vector<TableRow> probe;
        for (size_t i = 0; i < s.rows.size() && i < kHeaderSearchRows; ++i) {
          probe.push_back({s.rows[i].number, s.rows[i].cells});
        }
        if (FindTable(std::move(probe)).ok()) {
          chosen = &s;
          break;
        }
      }
      if (chosen == nullptr) chosen = &sheets->front();
    }
    rep.sheet = chosen->name;
    XlsxSheet& sheet = const_cast<XlsxSheet&>(*chosen);
    rows.reserve(sheet.rows.size());
    for (SheetRow& r : sheet.rows) rows.push_back({r.number, std::move(r.cells)});
    std::vector<std::string> others;
    for (const XlsxSheet& s : sheets.value()) {
      if (&s != chosen && !s.rows.empty()) others.push_back(s.name);
    }
    if (!others.empty()) {
      std::string names;
      for (const std::string& n : others) names += (names.empty() ? "" : ", ") + QuoteForMessage(n);
      rep.warnings.push_back({0, 0, "other_sheets",
                              "read sheet " + QuoteForMessage(rep.sheet) +
                                  "; the workbook's other sheets were not imported: " + names +
                                  " (choose one with ?sheet=)"});
    }
    if (!rows.empty() && options.profile.empty() && !options.skip_bad_rows) {
      native_tried = TryNative(
          rep, rows.front().cells, rows.front().line, org_mappings,
          [&](std::vector<CsvError>* errors) {
            return ParseTable(rows, limits, errors, org_mappings);
          },
          &native_failure);
      if (native_tried) return rep;
      native_tried = !native_failure.errors.empty();
    }
  } else {
    rep.format = "csv";
    auto decoded = DecodeText(bytes, options.charset);
    if (!decoded.ok()) return fail(decoded.status());
    rep.encoding = decoded->encoding;
    const std::string& text = decoded->text;
    const char delimiter = SniffDelimiter(text);
    rep.delimiter = DelimiterName(delimiter);
    decimal_comma = delimiter != ',';
    if (options.profile.empty() && !options.skip_bad_rows &&
        (delimiter == ',' || delimiter == ';')) {
      auto head = SplitRecords(text, delimiter, 16);
      if (head.ok()) {
        for (TableRow& r : head.value()) {
          if (r.cells.empty()) continue;
          native_tried = TryNative(
              rep, r.cells, r.line, org_mappings,
              [&](std::vector<CsvError>* errors) {
                return ParseCsv(text, limits, errors, org_mappings);
              },
              &native_failure);
          if (native_tried) return rep;
          native_tried = !native_failure.errors.empty();
          break;
        }
      }
    }
    auto split = SplitRecords(text, delimiter);
    if (!split.ok()) {
      if (native_tried) return native_failure;
      return fail(split.status());
    }
    rows = std::move(split.value());
  }

  if (rows.empty() || std::all_of(rows.begin(), rows.end(), [](const TableRow& r) {
        return std::all_of(r.cells.begin(), r.cells.end(),
                           [](const std::string& c) { return c.empty(); });
      })) {
    return fail(util::Status::Invalid(
        "csv_header",
        "the file is empty; its first line must name the columns, for example "
        "\"Part Number,Description,Quantity\""));
  }
  // Two tables side by side in one sheet: read one after the other, as one BOM.
  if (std::vector<std::vector<TableRow>> halves = SplitSideBySide(rows); !halves.empty()) {
    ImportReport merged;
    for (std::vector<TableRow>& half : halves) {
      ImportReport part;
      Builder builder(part, limits, options, decimal_comma);
      builder.Run(FindTable(std::move(half)).value(), org_mappings);
      const size_t offset = merged.items.size();
      for (Item& item : part.items) {
        item.ref = std::to_string(std::stoul(item.ref) + offset);
        if (!item.parent.empty()) item.parent = std::to_string(std::stoul(item.parent) + offset);
        merged.items.push_back(std::move(item));
      }
      merged.item_lines.insert(merged.item_lines.end(), part.item_lines.begin(),
                               part.item_lines.end());
      merged.warnings.insert(merged.warnings.end(), part.warnings.begin(), part.warnings.end());
      merged.errors.insert(merged.errors.end(), part.errors.begin(), part.errors.end());
      merged.mapping.insert(merged.mapping.end(), part.mapping.begin(), part.mapping.end());
      merged.rows_read += part.rows_read;
      merged.rows_skipped += part.rows_skipped;
      if (merged.status.ok() && !part.status.ok()) merged.status = part.status;
      if (merged.profile.empty()) merged.header_line = part.header_line;
      merged.profile = merged.profile.empty() ? part.profile : merged.profile;
    }
    merged.format = rep.format;
    merged.encoding = rep.encoding;
    merged.delimiter = rep.delimiter;
    merged.sheet = rep.sheet;
    merged.sheets = rep.sheets;
    merged.warnings.insert(merged.warnings.begin(), rep.warnings.begin(), rep.warnings.end());
    merged.warnings.insert(merged.warnings.begin(),
                           ImportMessage{merged.header_line, 0, "side_by_side",
                                         "two tables stand side by side; they were read one "
                                         "after the other"});
    if (merged.items.size() > limits.max_items) {
      merged.errors.push_back({0, 0, "bom_too_many_items", "the file has too many items"});
    }
    Finish(merged);
    return merged;
  }
  auto table = FindTable(std::move(rows));
  if (!table.ok()) {
    if (native_tried) return native_failure;
    return fail(table.status());
  }
  ImportReport generic;
  Builder builder(generic, limits, options, decimal_comma);
  builder.Run(std::move(table.value()), org_mappings);
  generic.format = rep.format;
  generic.encoding = rep.encoding;
  generic.delimiter = rep.delimiter;
  generic.sheet = rep.sheet;
  generic.sheets = rep.sheets;
  generic.warnings.insert(generic.warnings.begin(), rep.warnings.begin(), rep.warnings.end());
  Finish(generic);
  if (!generic.status.ok() && native_tried) return native_failure;
  return generic;
}

}  // namespace bomvault::bom
