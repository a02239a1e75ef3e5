// Item and Limits: the in-memory model of one engineering Bill of Materials (BOM), plus the two
// text helpers every bom/ module needs to talk about user data safely.
//
// A BOM is a std::vector<Item> in the user's order. Items form a forest through `parent`, which
// names another item's `ref` ("" makes a root). Nothing in this header enforces that; a vector is
// only trusted once tree.h's ValidateItems has accepted it (unique refs, no cycles, bounded depth,
// canonical quantities, bounded valid UTF-8 text). Limits are counted in bytes of UTF-8 (not
// characters) because they exist to bound memory and storage, not to measure typography.
// Everything here is a plain value or a pure function: safe to share read-only across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bomvault::bom {

// One approved source of an item: who makes it and under which manufacturer part number (MPN).
struct Manufacturer {
  std::string name;  // may be empty when only the MPN is known
  std::string mpn;   // may be empty when only the maker is known; never both empty

  friend bool operator==(const Manufacturer&, const Manufacturer&) = default;
};

struct Item {
  std::string ref;          // unique within a BOM
  std::string parent;       // "" = a root item
  std::string find_number;  // optional
  std::string part_number;
  std::string description;
  std::string quantity;  // canonical decimal text (see decimal.h), e.g. "8", "0.25"
  std::string unit;
  std::string refdes;  // reference designators, free text e.g. "R1,R2"
  std::vector<std::pair<std::string, std::string>> properties;  // ordered, keys unique
  // The approved manufacturer list, in preference order (first = preferred).
  std::vector<Manufacturer> manufacturers;
  bool dnp = false;  // "do not place": kept in the BOM, flagged, not fitted

  friend bool operator==(const Item&, const Item&) = default;
};

struct Limits {
  size_t max_items = 200000;
  size_t max_ref = 64;
  size_t max_part_number = 128;
  size_t max_description = 1024;
  size_t max_unit = 16;
  size_t max_refdes = 1024;
  size_t max_find_number = 32;
  size_t max_property_key = 64;
  size_t max_property_value = 1024;
  size_t max_properties = 64;
  size_t max_depth = 64;
  size_t max_manufacturers = 16;
  size_t max_manufacturer = 128;  // name and MPN each
};

// How many characters of a user's value an error message may echo. Uploads can carry megabyte
// cells; echoing them would bloat responses and logs and hide the actual complaint.
inline constexpr size_t kMessageEchoChars = 40;

// Returns the byte offset of the first invalid UTF-8 sequence in `text`, or npos if it is valid.
// Overlong forms, surrogates and code points above U+10FFFF are invalid: they are the classic
// ways to smuggle a character past a filter that looks at the decoded text.
inline size_t Utf8ErrorOffset(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path for the ASCII bulk of typical BOM text: eight bytes per step.
    while (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i == n) break;
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (n - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// Renders a user value for an error message: in double quotes, cut to kMessageEchoChars code
// points (with "…" when cut), control characters and invalid UTF-8 bytes escaped as \n, \t, \xNN.
// Messages end up in JSON responses and terminals, so they must stay valid, printable UTF-8 no
// matter what was uploaded.
inline std::string QuoteForMessage(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  size_t chars = 0;
  size_t i = 0;
  while (i < value.size()) {
    if (chars == kMessageEchoChars) {
      out += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
      break;
    }
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      // Utf8ErrorOffset reports 0 exactly when the sequence starting here is broken.
      const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (Utf8ErrorOffset(value.substr(i, 4)) == 0) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
        ++i;
      } else {
        out.append(value.substr(i, len));
        i += len;
      }
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\t') {
      out += "\\t";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
    } else {
      out += static_cast<char>(c);
      ++i;
    }
    ++chars;
  }
  out += '"';
  return out;
}

}  // namespace bomvault::bom
