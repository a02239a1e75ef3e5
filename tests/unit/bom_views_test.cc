#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bom/views.h"

namespace bomvault::bom {
namespace {

Item MakeItem(std::string ref, std::string parent, std::string part, std::string qty = "1") {
  Item item;
  item.ref = std::move(ref);
  item.parent = std::move(parent);
  item.part_number = std::move(part);
  item.quantity = std::move(qty);
  return item;
}

std::vector<FlatRow> Flat(const std::vector<Item>& items) {
  util::Result<std::vector<FlatRow>> r = Flatten(items);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r.value();
}

const FlatRow& Row(const std::vector<FlatRow>& rows, const std::string& part) {
  for (const FlatRow& row : rows) {
    if (row.part_number == part) return row;
  }
  FAIL("no row for " << part);
  static const FlatRow kNone;
  return kNone;
}

// TOP (x2) ─ SUB (x3) ─ SCR (x4)
//          │          └ NUT (x0.5)
//          ├ SCR (x1)
//          └ SUB (x1) ─ …same children as the other SUB
std::vector<Item> Assembly() {
  std::vector<Item> items = {
      MakeItem("t", "", "TOP", "2"),    MakeItem("s1", "t", "SUB", "3"),
      MakeItem("k1", "s1", "SCR", "4"), MakeItem("n1", "s1", "NUT", "0.5"),
      MakeItem("k0", "t", "SCR", "1"),  MakeItem("s2", "t", "SUB", "1"),
      MakeItem("k2", "s2", "SCR", "4"), MakeItem("n2", "s2", "NUT", "0.5"),
  };
  items[0].description = "Top assembly";
  items[1].description = "Sub assembly";
  items[2].description = "Screw M4";
  items[6].description = "Screw M4 (other text)";
  items[2].unit = items[4].unit = items[6].unit = "pcs";
  return items;
}

TEST_CASE("Flatten rolls quantities up through three levels") {
  const std::vector<FlatRow> rows = Flat(Assembly());
  REQUIRE(rows.size() == 4);
  // Sorted by part number.
  CHECK(rows[0].part_number == "NUT");
  CHECK(rows[1].part_number == "SCR");
  CHECK(rows[2].part_number == "SUB");
  CHECK(rows[3].part_number == "TOP");
  // SCR: 2·3·4 + 2·1 + 2·1·4 = 24 + 2 + 8
  CHECK(Row(rows, "SCR").total_quantity == "34");
  CHECK(Row(rows, "SCR").occurrences == 3);
  CHECK(Row(rows, "SCR").unit == "pcs");
  CHECK(Row(rows, "SCR").description == "Screw M4");  // first occurrence in tree order
  // NUT: 2·3·0.5 + 2·1·0.5
  CHECK(Row(rows, "NUT").total_quantity == "4");
  CHECK(Row(rows, "NUT").occurrences == 2);
  CHECK(Row(rows, "SUB").total_quantity == "8");
  CHECK(Row(rows, "TOP").total_quantity == "2");  // the root's own quantity counts
  CHECK(Row(rows, "TOP").description == "Top assembly");
}

TEST_CASE("Flatten keeps fractions exact and rounds products to 9 places") {
  const std::vector<FlatRow> rows =
      Flat({MakeItem("a", "", "A", "0.5"), MakeItem("b", "a", "B", "0.25"),
            MakeItem("c", "b", "C", "0.333333333"), MakeItem("d", "", "B", "0.1")});
  CHECK(Row(rows, "B").total_quantity == "0.225");        // 0.5·0.25 + 0.1
  CHECK(Row(rows, "C").total_quantity == "0.041666667");  // 0.041666666625 rounded
}

TEST_CASE("Flatten gives the same part in different units separate rows") {
  std::vector<Item> items = {MakeItem("a", "", "A"), MakeItem("w1", "a", "WIRE", "2"),
                             MakeItem("w2", "a", "WIRE", "3")};
  items[1].unit = "m";
  items[2].unit = "pcs";
  const std::vector<FlatRow> rows = Flat(items);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].part_number == "WIRE");
  CHECK(rows[1].unit == "m");
  CHECK(rows[1].total_quantity == "2");
  CHECK(rows[2].unit == "pcs");
  CHECK(rows[2].total_quantity == "3");
}

TEST_CASE("Flatten on empty, zero and deep input") {
  CHECK(Flat({}).empty());
  const std::vector<FlatRow> rows = Flat({MakeItem("a", "", "A", "0"), MakeItem("b", "a", "B")});
  CHECK(Row(rows, "B").total_quantity == "0");

  // Deeper than the storage limit: Flatten does not enforce size limits, and must not recurse.
  std::vector<Item> chain;
  for (int i = 0; i < 5000; ++i) {
    chain.push_back(
        MakeItem("r" + std::to_string(i), i == 0 ? "" : "r" + std::to_string(i - 1), "P", "1"));
  }
  const std::vector<FlatRow> deep = Flat(chain);
  REQUIRE(deep.size() == 1);
  CHECK(deep[0].total_quantity == "5000");
  CHECK(deep[0].occurrences == 5000);
}

TEST_CASE("Flatten refuses unsound trees and overflow") {
  util::Result<std::vector<FlatRow>> r =
      Flatten({MakeItem("a", "b", "A"), MakeItem("b", "a", "B")});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == util::Code::kUnprocessable);
  CHECK(r.status().machine_code() == "bom_cycle");

  r = Flatten({MakeItem("a", "zzz", "A")});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().machine_code() == "bom_dangling_parent");

  r = Flatten({MakeItem("a", "", "A", "8.0")});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().machine_code() == "bom_bad_quantity");

  std::vector<Item> huge;
  for (int i = 0; i < 4; ++i) {
    huge.push_back(MakeItem("r" + std::to_string(i), i == 0 ? "" : "r" + std::to_string(i - 1), "P",
                            "999999999999999"));
  }
  r = Flatten(huge);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == util::Code::kUnprocessable);
  CHECK(r.status().machine_code() == "bom_quantity_overflow");
}

TEST_CASE("Compare: identical BOMs, and refs do not matter") {
  const std::vector<Item> a = Assembly();
  Comparison c = Compare(a, a);
  CHECK(c.added.empty());
  CHECK(c.removed.empty());
  CHECK(c.changed.empty());

  std::vector<Item> b = a;
  for (Item& item : b) {
    item.ref = "new-" + item.ref;
    if (!item.parent.empty()) item.parent = "new-" + item.parent;
  }
  c = Compare(a, b);
  CHECK(c.added.empty());
  CHECK(c.removed.empty());
  CHECK(c.changed.empty());
}

TEST_CASE("Compare reports field changes with path keys") {
  const std::vector<Item> a = Assembly();
  std::vector<Item> b = a;
  b[2].quantity = "5";
  b[2].description = "Screw M4x10";
  b[2].unit = "ea";
  b[2].refdes = "H1";
  b[2].find_number = "20";
  b[4].quantity = "1";  // unchanged
  const Comparison c = Compare(a, b);
  CHECK(c.added.empty());
  CHECK(c.removed.empty());
  REQUIRE(c.changed.size() == 5);
  const char* fields[] = {"quantity", "description", "unit", "refdes", "find_number"};
  for (size_t k = 0; k < 5; ++k) {
    CHECK(c.changed[k].key == "TOP/SUB/SCR");
    CHECK(c.changed[k].field == fields[k]);
  }
  CHECK(c.changed[0].before == "4");
  CHECK(c.changed[0].after == "5");
  CHECK(c.changed[1].before == "Screw M4");
  CHECK(c.changed[1].after == "Screw M4x10");
}

TEST_CASE("Compare treats equal quantities as equal whatever their spelling") {
  std::vector<Item> a = {MakeItem("a", "", "A", "8")};
  std::vector<Item> b = {MakeItem("a", "", "A", "8.0")};
  CHECK(Compare(a, b).changed.empty());
}

TEST_CASE("Compare reports property changes in a's order, then b's new keys") {
  std::vector<Item> a = {MakeItem("a", "", "A")};
  std::vector<Item> b = a;
  a[0].properties = {{"color", "red"}, {"gone", "x"}, {"same", "1"}};
  b[0].properties = {{"new", "y"}, {"same", "1"}, {"color", "blue"}};
  const Comparison c = Compare(a, b);
  REQUIRE(c.changed.size() == 3);
  CHECK(c.changed[0].field == "properties.color");
  CHECK(c.changed[0].before == "red");
  CHECK(c.changed[0].after == "blue");
  CHECK(c.changed[1].field == "properties.gone");
  CHECK(c.changed[1].before == "x");
  CHECK(c.changed[1].after.empty());
  CHECK(c.changed[2].field == "properties.new");
  CHECK(c.changed[2].before.empty());
  CHECK(c.changed[2].after == "y");
  CHECK(c.changed[2].key == "A");
}

TEST_CASE("Compare with many properties per item") {
  std::vector<Item> a = {MakeItem("a", "", "A")};
  for (int k = 0; k < 60; ++k) a[0].properties.emplace_back("k" + std::to_string(k), "v");
  std::vector<Item> b = a;
  b[0].properties[42].second = "changed";
  b[0].properties.erase(b[0].properties.begin() + 7);
  const Comparison c = Compare(a, b);
  REQUIRE(c.changed.size() == 2);
  CHECK(c.changed[0].field == "properties.k7");
  CHECK(c.changed[1].field == "properties.k42");
  CHECK(c.changed[1].after == "changed");
}

TEST_CASE("Compare reports added and removed items in tree order") {
  const std::vector<Item> a = Assembly();
  std::vector<Item> b = a;
  b.erase(b.begin() + 3);  // NUT under the first SUB
  b.push_back(MakeItem("w", "s2", "WASHER", "2"));
  b.push_back(MakeItem("x", "t", "LABEL"));
  const Comparison c = Compare(a, b);
  REQUIRE(c.removed.size() == 1);
  CHECK(c.removed[0].ref == "n1");
  REQUIRE(c.added.size() == 2);
  CHECK(c.added[0].part_number == "WASHER");  // b's tree order: under SUB#2 before LABEL
  CHECK(c.added[1].part_number == "LABEL");
  CHECK(c.changed.empty());
}

TEST_CASE("Compare numbers repeated siblings per level") {
  const std::vector<Item> a = Assembly();
  CHECK(MatchKeys(a) == std::vector<std::string>{"TOP", "TOP/SUB", "TOP/SUB/SCR", "TOP/SUB/NUT",
                                                 "TOP/SCR", "TOP/SUB#2", "TOP/SUB#2/SCR",
                                                 "TOP/SUB#2/NUT"});
  // A change inside the second SUB is attributed to it, and adding a screw to the first SUB
  // does not renumber the second SUB's screws.
  std::vector<Item> b = a;
  b[6].quantity = "6";
  b.push_back(MakeItem("k3", "s1", "SCR", "9"));
  const Comparison c = Compare(a, b);
  REQUIRE(c.changed.size() == 1);
  CHECK(c.changed[0].key == "TOP/SUB#2/SCR");
  CHECK(c.changed[0].before == "4");
  CHECK(c.changed[0].after == "6");
  REQUIRE(c.added.size() == 1);
  CHECK(c.added[0].ref == "k3");
  CHECK(MatchKeys(b).back() == "TOP/SUB/SCR#2");
}

TEST_CASE("Compare keys escape separators inside part numbers") {
  const std::vector<Item> a = {MakeItem("1", "", "A/B"), MakeItem("2", "", "A"),
                               MakeItem("3", "2", "B"), MakeItem("4", "", "X#2"),
                               MakeItem("5", "", "C\\D")};
  CHECK(MatchKeys(a) == std::vector<std::string>{"A\\/B", "A", "A/B", "X\\#2", "C\\\\D"});
  std::vector<Item> b = a;
  b[0].quantity = "2";
  const Comparison c = Compare(a, b);
  REQUIRE(c.changed.size() == 1);
  CHECK(c.changed[0].key == "A\\/B");
}

TEST_CASE("Compare: renaming an assembly re-keys its subtree") {
  const std::vector<Item> a = {MakeItem("t", "", "TOP"), MakeItem("s", "t", "SUB"),
                               MakeItem("k", "s", "SCR"), MakeItem("n", "s", "NUT")};
  std::vector<Item> b = a;
  b[1].part_number = "SUB-B";
  const Comparison c = Compare(a, b);
  CHECK(c.removed.size() == 3);  // SUB and its two children
  CHECK(c.added.size() == 3);
  CHECK(c.changed.empty());
}

TEST_CASE("Compare tolerates invalid and very deep input") {
  const std::vector<Item> cyclic = {MakeItem("a", "b", "A"), MakeItem("b", "a", "B"),
                                    MakeItem("c", "nowhere", "C"), MakeItem("a", "", "A")};
  Comparison c = Compare(cyclic, {});
  CHECK(c.removed.size() == 4);
  c = Compare(cyclic, cyclic);
  CHECK(c.added.empty());
  CHECK(c.removed.empty());

  constexpr int kN = 200000;
  std::vector<Item> chain;
  chain.reserve(kN);
  for (int i = 0; i < kN; ++i) {
    chain.push_back(
        MakeItem("r" + std::to_string(i), i == 0 ? "" : "r" + std::to_string(i - 1), "P"));
  }
  std::vector<Item> changed = chain;
  changed.back().quantity = "2";
  c = Compare(chain, changed);
  REQUIRE(c.changed.size() == 1);
  const std::string& key = c.changed[0].key;
  CHECK(key.rfind("\xE2\x80\xA6/", 0) == 0);  // shortened, not 400 KB
  CHECK(key.size() < 300);
}

TEST_CASE("Flatten keeps parts without a part number apart by value, MPN or description") {
  // KiBoM-style rows: no part number, told apart by their values. They used to collapse into
  // one line of the flattened view.
  std::vector<Item> items = {MakeItem("1", "", "", "2"), MakeItem("2", "", "", "1"),
                             MakeItem("3", "", "", "3"), MakeItem("4", "", "", "1")};
  items[0].properties = {{"value", "100nF"}};
  items[1].properties = {{"value", "10uF"}};
  items[2].properties = {{"value", "100nF"}};
  items[3].manufacturers = {{"Yageo", "RC0603FR-0710KL"}};
  const std::vector<FlatRow> rows = Flat(items);
  REQUIRE(rows.size() == 3);
  std::vector<std::string> totals;
  for (const FlatRow& r : rows) totals.push_back(r.total_quantity);
  std::sort(totals.begin(), totals.end());
  CHECK(totals == std::vector<std::string>{"1", "1", "5"});
  for (const FlatRow& r : rows) CHECK(r.part_number.empty());
}

TEST_CASE("Compare tells parts without part numbers apart and reports manufacturer changes") {
  std::vector<Item> a = {MakeItem("1", "", "", "1"), MakeItem("2", "", "", "1")};
  a[0].properties = {{"value", "100nF"}};
  a[1].properties = {{"value", "10k"}};
  std::vector<Item> b = a;
  b[1].manufacturers = {{"Yageo", "RC0603FR-0710KL"}};
  b[1].properties = {{"value", "10k"}};
  b[0].dnp = true;
  const Comparison c = Compare(a, b);
  CHECK(c.added.empty());
  CHECK(c.removed.empty());
  REQUIRE(c.changed.size() == 2);
  CHECK(c.changed[0].field == "dnp");
  CHECK(c.changed[0].key == "value=100nF");
  CHECK(c.changed[1].field == "manufacturers");
  CHECK(c.changed[1].after == "Yageo RC0603FR-0710KL");
}

}  // namespace
}  // namespace bomvault::bom
