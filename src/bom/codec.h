// Compact binary form of BOM items, the plaintext inside each sealed chunk in the store.
//
// Layout per item: the eight text fields in Item order, then the property count, then each
// key and value; every text is a LEB128 length followed by its bytes. No framing per item and no
// field names, so encoding and decoding are single passes with no allocation beyond the strings.
//
// Versions (stored: never change a written layout, add one). Version 1 (BOMs stored before
// manufacturers existed) is the layout above, items back to back from byte 0. Version 2 starts
// with the two bytes 0x00 0x02 (a version-1 buffer can never start with 0x00: that would be an
// empty ref, which no stored BOM has) and appends to each item a flags byte (bit 0 = dnp), the
// manufacturer count and each name and MPN. EncodeItems writes version 2; both decode.
// Decoding a damaged buffer fails cleanly (false) and never reads out of bounds. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bom/item.h"

namespace bomvault::bom {

void EncodeItems(std::span<const Item> items, std::vector<uint8_t>& out);
// Appends the decoded items to `out`; false if the buffer is not a valid encoding.
bool DecodeItems(std::span<const uint8_t> in, std::vector<Item>& out);

// An item viewed in place inside an encoded buffer (valid only during the visit).
struct ItemView {
  std::string_view ref, parent, find_number, part_number, description, quantity, unit, refdes;
  std::vector<std::pair<std::string_view, std::string_view>> properties;
  std::vector<std::pair<std::string_view, std::string_view>> manufacturers;  // (name, mpn)
  bool dnp = false;
};
// Calls `fn` for each item without copying any text: reading a 100k-item BOM out as JSON this
// way skips ~1M string allocations. False if the buffer is not a valid encoding (items before
// the damage have been visited).
bool VisitItems(std::span<const uint8_t> in, const std::function<void(const ItemView&)>& fn);

}  // namespace bomvault::bom
