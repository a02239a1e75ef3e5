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
