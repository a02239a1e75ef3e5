#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bom/tree.h"

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

std::vector<Item> SmallBom() {
  return {MakeItem("1", "", "TOP"), MakeItem("2", "1", "SUB", "2"), MakeItem("3", "2", "SCR", "4"),
          MakeItem("4", "1", "SCR", "3")};
}

// Expects exactly one problem and returns it.
util::Status OnlyError(const std::vector<Item>& items, const Limits& limits = Limits()) {
  const std::vector<ItemError> errors = FindItemErrors(items, limits, 100);
  REQUIRE(errors.size() == 1);
  const util::Status status = ValidateItems(items, limits);
  CHECK(status.machine_code() == errors[0].status.machine_code());
  return status;
}

std::vector<Item> Chain(size_t n, bool reversed = false) {
  std::vector<Item> items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    items.push_back(MakeItem("r" + std::to_string(i), i == 0 ? "" : "r" + std::to_string(i - 1),
                             "P" + std::to_string(i)));
  }
  if (reversed) std::reverse(items.begin(), items.end());
  return items;
}

TEST_CASE("a well-formed BOM validates") {
  CHECK(ValidateItems(SmallBom(), Limits()).ok());
  CHECK(ValidateItems({}, Limits()).ok());
  std::vector<Item> items = SmallBom();
  items[1].description = "line one\nline two\r\nwith\ttab";
  items[1].refdes = "R1,\nR2";
  items[1].properties = {{"color", "red\nblue"}, {"größe", "M"}, {"=odd", "x"}};
  items[2].part_number = "A\tB";
  items[3].description = "Ünïcødé ✓ 日本語 🙂";
  CHECK(ValidateItems(items, Limits()).ok());
}

TEST_CASE("empty ref and empty part number are field errors") {
  std::vector<Item> items = SmallBom();
  items[3].ref = "";
  util::Status s = OnlyError(items);
  CHECK(s.code() == util::Code::kInvalid);
  CHECK(s.machine_code() == "bom_empty_field");
  CHECK(s.message() == "item 4: ref is empty");

  items = SmallBom();
  items[2].part_number = "";
  s = OnlyError(items);
  CHECK(s.machine_code() == "bom_empty_field");
  CHECK(s.message() ==
        "item \"3\": part_number is empty and nothing else (description, value, MPN or "
        "designators) identifies the item");
}

TEST_CASE("duplicate refs are structural errors naming both items") {
  std::vector<Item> items = SmallBom();
  items[3].ref = "2";
  items[3].parent = "1";
  const std::vector<ItemError> errors = FindItemErrors(items, Limits(), 100);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].index == 3);
  CHECK(errors[0].field == "ref");
  CHECK(errors[0].status.code() == util::Code::kUnprocessable);
  CHECK(errors[0].status.machine_code() == "bom_duplicate_ref");
  CHECK(errors[0].status.message() ==
        "item 4: ref \"2\" is already used by item 2; refs must be unique");
}

TEST_CASE("a parent that does not exist is reported") {
  std::vector<Item> items = SmallBom();
  items[2].parent = "nope";
  const util::Status s = OnlyError(items);
  CHECK(s.code() == util::Code::kUnprocessable);
  CHECK(s.machine_code() == "bom_dangling_parent");
  CHECK(s.message() == "item \"3\": parent \"nope\" does not exist");
}

TEST_CASE("self-parent and cycles are reported once per cycle") {
  std::vector<Item> items = SmallBom();
  items[2].parent = "3";
  util::Status s = OnlyError(items);
  CHECK(s.code() == util::Code::kUnprocessable);
  CHECK(s.machine_code() == "bom_cycle");
  CHECK(s.message() == "item \"3\" is its own parent");

  items = {MakeItem("A", "C", "PA"), MakeItem("B", "A", "PB"), MakeItem("C", "B", "PC"),
           MakeItem("D", "C", "PD"), MakeItem("R", "", "ROOT")};
  const std::vector<ItemError> errors = FindItemErrors(items, Limits(), 100);
  REQUIRE(errors.size() == 1);  // D hangs below the cycle but is not itself a second problem
  CHECK(errors[0].status.machine_code() == "bom_cycle");
  CHECK(errors[0].field == "parent");
  CHECK(errors[0].status.message() ==
        "item \"A\" is in a parent cycle: \"A\" -> \"C\" -> \"B\" -> \"A\"");

  // Two separate cycles: two problems.
  items.push_back(MakeItem("X", "Y", "PX"));
  items.push_back(MakeItem("Y", "X", "PY"));
  CHECK(FindItemErrors(items, Limits(), 100).size() == 2);
}

TEST_CASE("quantities must already be canonical") {
  std::vector<Item> items = SmallBom();
  items[1].quantity = "2.0";
  util::Status s = OnlyError(items);
  CHECK(s.code() == util::Code::kInvalid);
  CHECK(s.machine_code() == "bom_bad_quantity");
  CHECK(s.message() == "item \"2\": quantity \"2.0\" is not in canonical form; store it as \"2\"");

  for (std::string bad : {"", "-1", "1e3", "abc", " 2", "+2"}) {
    CAPTURE(bad);
    items = SmallBom();
    items[1].quantity = bad;
    CHECK(OnlyError(items).machine_code() == "bom_bad_quantity");
  }
  items = SmallBom();
  items[1].quantity = "-1";
  CHECK(OnlyError(items).message() ==
        "item \"2\": quantity \"-1\" is negative; quantities must be zero or more");
}

TEST_CASE("every text field has a byte limit") {
  Limits limits;
  struct Case {
    const char* field;
    size_t limit;
    void (*set)(Item&, std::string);
  };
  const Case cases[] = {
      {"ref", limits.max_ref, [](Item& i, std::string v) { i.ref = v; }},
      {"find_number", limits.max_find_number, [](Item& i, std::string v) { i.find_number = v; }},
      {"part_number", limits.max_part_number, [](Item& i, std::string v) { i.part_number = v; }},
      {"description", limits.max_description, [](Item& i, std::string v) { i.description = v; }},
      {"unit", limits.max_unit, [](Item& i, std::string v) { i.unit = v; }},
      {"refdes", limits.max_refdes, [](Item& i, std::string v) { i.refdes = v; }},
      {"properties.note", limits.max_property_value,
       [](Item& i, std::string v) {
         i.properties = {{"note", v}};
       }},
  };
  for (const Case& c : cases) {
    CAPTURE(c.field);
    std::vector<Item> items = {MakeItem("1", "", "TOP")};
    c.set(items[0], std::string(c.limit, 'x'));
    CHECK(ValidateItems(items, limits).ok());
    c.set(items[0], std::string(c.limit + 1, 'x'));
    const std::vector<ItemError> errors = FindItemErrors(items, limits, 100);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].field == c.field);
    CHECK(errors[0].status.code() == util::Code::kInvalid);
    CHECK(errors[0].status.machine_code() == "bom_field_too_long");
    CHECK(errors[0].status.message().find("the limit is " + std::to_string(c.limit)) !=
          std::string::npos);
    CHECK(errors[0].status.message().size() < 200);  // the value is not echoed in full
  }
  // A parent longer than any ref can be is also a field error (and then dangles).
  std::vector<Item> items = {MakeItem("1", std::string(limits.max_ref + 1, 'p'), "TOP")};
  CHECK(ValidateItems(items, limits).machine_code() == "bom_field_too_long");

  items = {MakeItem("1", "", "TOP")};
  items[0].properties = {{std::string(limits.max_property_key + 1, 'k'), "v"}};
  CHECK(ValidateItems(items, limits).machine_code() == "bom_field_too_long");
}

TEST_CASE("property rules") {
  Limits limits;
  limits.max_properties = 3;
  std::vector<Item> items = {MakeItem("1", "", "TOP")};
  items[0].properties = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  CHECK(ValidateItems(items, limits).ok());

  items[0].properties.push_back({"d", "4"});
  util::Status s = OnlyError(items, limits);
  CHECK(s.machine_code() == "bom_bad_property");
  CHECK(s.message() == "item \"1\": has 4 properties; the limit is 3");

  items[0].properties = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  s = OnlyError(items, limits);
  CHECK(s.machine_code() == "bom_bad_property");
  CHECK(s.message() == "item \"1\": property \"a\" appears more than once");

  items[0].properties = {{"a", ""}};
  CHECK(OnlyError(items, limits).message() ==
        "item \"1\": property \"a\" has an empty value; leave it out instead");

  items[0].properties = {{"Color", "red"}};
  s = OnlyError(items, limits);
  CHECK(s.machine_code() == "bom_bad_property");
  CHECK(s.message().find("use \"color\"") != std::string::npos);

  for (std::string key : {"qty", "level", "ref", "parent", "pn", "uom", "ref_des", "desc"}) {
    CAPTURE(key);
    items[0].properties = {{key, "x"}};
    CHECK(OnlyError(items, limits).message().find("is reserved") != std::string::npos);
  }
  for (std::string key : {"", " lead", "a b", "a-b", "A"}) {
    CAPTURE(key);
    items[0].properties = {{key, "x"}};
    CHECK_FALSE(ValidateItems(items, limits).ok());
  }
}

TEST_CASE("control characters and invalid UTF-8 are refused") {
  std::vector<Item> items = {MakeItem("1", "", "TOP")};
  items[0].part_number =
      "A\x07"
      "B";
  util::Status s = OnlyError(items);
  CHECK(s.code() == util::Code::kInvalid);
  CHECK(s.machine_code() == "bom_invalid");
  CHECK(s.message() ==
        "item \"1\": part_number contains the control character U+0007; only tabs are allowed");

  items[0].part_number = "A\nB";  // identifiers stay on one line
  CHECK(OnlyError(items).machine_code() == "bom_invalid");
  items[0].part_number = "A\x7F";
  CHECK(OnlyError(items).machine_code() == "bom_invalid");
  items[0].part_number = "TOP";
  items[0].description = std::string("nul\0here", 8);
  CHECK(OnlyError(items).message().find("U+0000; only tabs and line breaks") != std::string::npos);
  items[0].description = "bad \xC3\x28 utf8";
  s = OnlyError(items);
  CHECK(s.machine_code() == "bom_invalid");
  CHECK(s.message() == "item \"1\": description is not valid UTF-8 (byte 5)");
  items[0].description = "overlong \xC0\xAF";
  CHECK(OnlyError(items).machine_code() == "bom_invalid");
  items[0].description = "surrogate \xED\xA0\x80";
  CHECK(OnlyError(items).machine_code() == "bom_invalid");
  items[0].description = "";
  items[0].ref = "r\x1b[31m";
  s = OnlyError(items);
  CHECK(s.message().find("\\x1B") != std::string::npos);  // echoed safely, escaped
}

TEST_CASE("bad bytes are found at every position of a long field") {
  // The fast path scans 8-byte words; make sure nothing slips through at any offset.
  for (size_t pos = 0; pos < 24; ++pos) {
    CAPTURE(pos);
    for (std::string_view bad : {"\x01", "\x1F", "\x7F", "\xFF", "\xC3", "\xED\xA0\x80"}) {
      std::vector<Item> items = {MakeItem("1", "", "TOP")};
      items[0].description = std::string(24, 'a');
      items[0].description.replace(pos, bad.size(), bad);
      CHECK(ValidateItems(items, Limits()).machine_code() == "bom_invalid");
    }
    for (std::string_view good : {"\t", "\n", "\r", "~", " ", "\xC3\xA9", "\xF0\x9F\x99\x82"}) {
      std::vector<Item> items = {MakeItem("1", "", "TOP")};
      items[0].description = std::string(24, 'a');
      items[0].description.replace(pos, good.size(), good);
      CHECK(ValidateItems(items, Limits()).ok());
    }
  }
}

TEST_CASE("echoed refs are truncated to 40 characters") {
  std::vector<Item> items = {MakeItem(std::string(60, 'R'), "", "")};
  const util::Status s = OnlyError(items);
  CHECK(s.message() == "item \"" + std::string(40, 'R') +
                           "\xE2\x80\xA6\": part_number is empty and nothing else (description, "
                           "value, MPN or designators) identifies the item");
}

TEST_CASE("max_items is enforced before anything else") {
  Limits limits;
  limits.max_items = 3;
  const std::vector<ItemError> errors = FindItemErrors(SmallBom(), limits, 100);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].status.code() == util::Code::kInvalid);
  CHECK(errors[0].status.machine_code() == "bom_too_many_items");
  CHECK(errors[0].status.message() == "the BOM has 4 items; the limit is 3");
}

TEST_CASE("depth is limited; levels 0..max_depth are allowed") {
  Limits limits;
  CHECK(ValidateItems(Chain(limits.max_depth + 1), limits).ok());
  const std::vector<Item> deep = Chain(limits.max_depth + 3);
  const std::vector<ItemError> errors = FindItemErrors(deep, limits, 100);
  REQUIRE(errors.size() == 1);  // only the first item past the limit
  CHECK(errors[0].index == limits.max_depth + 1);
  CHECK(errors[0].status.code() == util::Code::kUnprocessable);
  CHECK(errors[0].status.machine_code() == "bom_too_deep");
  CHECK(errors[0].status.message() ==
        "item \"r65\" is at level 65; the deepest allowed level is 64");
}

TEST_CASE("a 200,000-item chain neither overflows the stack nor goes quadratic") {
  constexpr size_t kN = 200000;
  for (bool reversed : {false, true}) {
    CAPTURE(reversed);
    const std::vector<Item> chain = Chain(kN, reversed);
    Limits limits;
    CHECK(ValidateItems(chain, limits).machine_code() == "bom_too_deep");
    limits.max_depth = kN;
    CHECK(ValidateItems(chain, limits).ok());

    const std::vector<int> levels = Levels(chain);
    const std::vector<size_t> order = TreeOrder(chain);
    REQUIRE(order.size() == kN);
    for (size_t k = 0; k < kN; ++k) {
      const size_t i = reversed ? kN - 1 - k : k;  // index of "r<k>"
      if (levels[i] != static_cast<int>(k) || order[k] != i) {
        FAIL("wrong level or order at " << k);
      }
    }
  }
  // The whole chain closed into one cycle.
  std::vector<Item> ring = Chain(kN);
  ring[0].parent = "r" + std::to_string(kN - 1);
  const util::Status s = ValidateItems(ring, Limits());
  CHECK(s.machine_code() == "bom_cycle");
  CHECK(s.message().find("(200000 items)") != std::string::npos);
  CHECK(s.message().size() < 400);
  const std::vector<int> levels = Levels(ring);
  CHECK(std::all_of(levels.begin(), levels.end(), [](int l) { return l == -1; }));
  CHECK(TreeOrder(ring).size() == kN);
}

TEST_CASE("FindItemErrors collects several problems up to max_errors") {
  std::vector<Item> items = SmallBom();
  items[0].part_number = "";
  items[1].quantity = "x";
  items[2].unit = std::string(100, 'u');
  std::vector<ItemError> errors = FindItemErrors(items, Limits(), 100);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].index == 0);
  CHECK(errors[0].field == "part_number");
  CHECK(errors[1].index == 1);
  CHECK(errors[1].field == "quantity");
  CHECK(errors[2].index == 2);
  CHECK(errors[2].field == "unit");
  CHECK(FindItemErrors(items, Limits(), 2).size() == 2);
  CHECK(FindItemErrors(items, Limits(), 0).empty());
  CHECK(ValidateItems(items, Limits()).machine_code() == "bom_empty_field");
}

TEST_CASE("Levels, ParentIndices and TreeOrder") {
  // Input order deliberately not tree order: children listed before their parents.
  const std::vector<Item> items = {MakeItem("c2", "a", "C2"), MakeItem("a", "", "A"),
                                   MakeItem("c1", "a", "C1"), MakeItem("g", "c2", "G"),
                                   MakeItem("b", "", "B"),    MakeItem("x", "missing", "X"),
                                   MakeItem("y", "x", "Y")};
  CHECK(Levels(items) == std::vector<int>{1, 0, 1, 2, 0, -1, -1});
  CHECK(ParentIndices(items) ==
        std::vector<size_t>{1, kNoParent, 1, 0, kNoParent, kMissingParent, 5});
  CHECK(TreeOrder(items) == std::vector<size_t>{1, 0, 3, 2, 4, 5, 6});
  CHECK(Levels({}).empty());
  CHECK(TreeOrder({}).empty());
}

TEST_CASE("column names are normalised and aliases resolved") {
  CHECK(NormalizeColumnName("  Part Number ") == "part_number");
  CHECK(NormalizeColumnName("Find-No") == "find_no");
  CHECK(NormalizeColumnName("\tQTY\t") == "qty");
  CHECK(NormalizeColumnName("Größe") == "größe");
  CHECK(RecognizedColumn("qty") == "quantity");
  CHECK(RecognizedColumn("pn") == "part_number");
  CHECK(RecognizedColumn("number") == "part_number");
  CHECK(RecognizedColumn("pos") == "find_number");
  CHECK(RecognizedColumn("item_no") == "find_number");
  CHECK(RecognizedColumn("uom") == "unit");
  CHECK(RecognizedColumn("reference_designators") == "refdes");
  CHECK(RecognizedColumn("desc") == "description");
  CHECK(RecognizedColumn("level") == "level");
  CHECK(RecognizedColumn("color").empty());
  CHECK(RecognizedColumn("Qty").empty());  // callers normalise first
}

}  // namespace
}  // namespace bomvault::bom
