// Compact binary form of BOM items, the plaintext inside each sealed chunk in the store.
//
// Layout per item: the eight text fields in Item order, then the property count, then each
// key and value; every text is a LEB128 length followed by its bytes. No framing per item and no
// field names, so encoding and decoding are single passes with no allocation beyond the strings.
// Decoding a damaged buffer fails cleanly (false) and never reads out of bounds. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bom/item.h"

namespace bomvault::bom {

void EncodeItems(std::span<const Item> items, std::vector<uint8_t>& out);
// Appends the decoded items to `out`; false if the buffer is not a valid encoding.
bool DecodeItems(std::span<const uint8_t> in, std::vector<Item>& out);

}  // namespace bomvault::bom
