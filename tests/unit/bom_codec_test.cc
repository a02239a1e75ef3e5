// Unit tests for bom/codec: the chunk plaintext format round-trips and refuses damage.
#include <doctest/doctest.h>

#include "bom/codec.h"

using bomvault::bom::DecodeItems;
using bomvault::bom::EncodeItems;
using bomvault::bom::Item;

TEST_CASE("items round trip through the chunk codec") {
  std::vector<Item> items;
  for (int i = 0; i < 300; ++i) {
    Item it;
    it.ref = std::to_string(i);
    it.parent = i == 0 ? "" : std::to_string(i / 2);
    it.part_number = "PN-" + std::to_string(i) + std::string(i % 7, '\xc3');
    it.description = std::string(static_cast<size_t>(i), 'd');
    it.quantity = "1.5";
    it.properties = {{"material", "A2"}, {"note", std::string(200, 'n')}};
    items.push_back(it);
  }
  std::vector<uint8_t> buf;
  EncodeItems(items, buf);
  std::vector<Item> back;
  REQUIRE(DecodeItems(buf, back));
  CHECK(back == items);
}

TEST_CASE("a truncated or damaged buffer is refused, never over-read") {
  std::vector<Item> items(3);
  items[0].ref = "a";
  items[1].ref = "b";
  items[2].ref = "c";
  std::vector<uint8_t> buf;
  EncodeItems(items, buf);
  for (size_t cut = 1; cut < buf.size(); ++cut) {
    std::vector<uint8_t> part(buf.begin(), buf.begin() + static_cast<long>(cut));
    std::vector<Item> out;
    // Some prefixes end exactly on an item boundary and decode fewer items; none may crash.
    if (DecodeItems(part, out)) CHECK(out.size() < 3);
  }
  std::vector<uint8_t> huge = {0xff, 0xff, 0xff, 0xff, 0x0f};
  std::vector<Item> out;
  CHECK_FALSE(DecodeItems(huge, out));
}

TEST_CASE("manufacturers and dnp round trip; the item view sees them") {
  std::vector<Item> items(2);
  items[0].ref = "1";
  items[0].part_number = "PN";
  items[0].quantity = "1";
  items[0].dnp = true;
  items[0].manufacturers = {{"Yageo", "RC0603FR-0710KL"}, {"", "ERJ-3EKF1002V"}};
  items[1].ref = "2";
  items[1].quantity = "2";
  std::vector<uint8_t> buf;
  EncodeItems(items, buf);
  std::vector<Item> back;
  REQUIRE(DecodeItems(buf, back));
  CHECK(back == items);
  std::vector<std::string> seen;
  REQUIRE(bomvault::bom::VisitItems(buf, [&](const bomvault::bom::ItemView& v) {
    seen.push_back(std::string(v.ref) + (v.dnp ? " dnp" : "") + " " +
                   std::to_string(v.manufacturers.size()));
  }));
  CHECK(seen == std::vector<std::string>{"1 dnp 2", "2 0"});
}

TEST_CASE("chunks written before manufacturers existed (version 1) still decode") {
  // The version-1 bytes of one item: ref "a", parent "", find "", part "P1", description "",
  // quantity "2", unit "", refdes "R1", one property "k"="v".
  const std::vector<uint8_t> v1 = {1, 'a', 0,   0,   2, 'P', '1', 0, 1,  '2',
                                   0, 2,   'R', '1', 1, 1,   'k', 1, 'v'};
  std::vector<Item> out;
  REQUIRE(DecodeItems(v1, out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].ref == "a");
  CHECK(out[0].part_number == "P1");
  CHECK(out[0].refdes == "R1");
  CHECK(out[0].properties.size() == 1);
  CHECK(out[0].manufacturers.empty());
  CHECK_FALSE(out[0].dnp);
  const std::vector<uint8_t> unknown_version = {0, 9};
  CHECK_FALSE(DecodeItems(unknown_version, out));
}
