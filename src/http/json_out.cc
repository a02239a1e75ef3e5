#include "http/json_out.h"

namespace bomvault::http {

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending unescaped run
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

namespace {

std::string_view MakerName(const bom::Manufacturer& m) { return m.name; }
std::string_view MakerMpn(const bom::Manufacturer& m) { return m.mpn; }
std::string_view MakerName(const std::pair<std::string_view, std::string_view>& m) {
  return m.first;
}
std::string_view MakerMpn(const std::pair<std::string_view, std::string_view>& m) {
  return m.second;
}

// One writer for both shapes (owned strings, or views into a decrypted chunk).
template <class ItemLike>
void AppendItem(std::string& out, const ItemLike& it) {
  out += "{\"ref\":";
  AppendJsonString(out, it.ref);
  out += ",\"parent\":";
  if (it.parent.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, it.parent);
  }
  out += ",\"find_number\":";
  AppendJsonString(out, it.find_number);
  out += ",\"part_number\":";
  AppendJsonString(out, it.part_number);
  out += ",\"description\":";
  AppendJsonString(out, it.description);
  out += ",\"quantity\":";
  if (it.quantity.empty()) {
    out += "0";
  } else {
    out += it.quantity;
  }
  out += ",\"unit\":";
  AppendJsonString(out, it.unit);
  out += ",\"refdes\":";
  AppendJsonString(out, it.refdes);
  out += ",\"properties\":{";
  bool first = true;
  for (const auto& [k, v] : it.properties) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, k);
    out += ':';
    AppendJsonString(out, v);
  }
  out += "},\"manufacturers\":[";
  first = true;
  for (const auto& m : it.manufacturers) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    AppendJsonString(out, MakerName(m));
    out += ",\"mpn\":";
    AppendJsonString(out, MakerMpn(m));
    out += '}';
  }
  out += it.dnp ? "],\"dnp\":true}" : "],\"dnp\":false}";
}

}  // namespace

void AppendItemJson(std::string& out, const bom::Item& it) { AppendItem(out, it); }
void AppendItemJson(std::string& out, const bom::ItemView& it) { AppendItem(out, it); }

std::string ItemsJson(const std::vector<bom::Item>& items) {
  // Size the buffer once: the text is the fields plus ~140 bytes of names and punctuation per
  // item, plus escaping (rare; a regrowth then is acceptable).
  size_t size = 16;
  for (const auto& it : items) {
    size += 140 + it.ref.size() + it.parent.size() + it.find_number.size() + it.part_number.size() +
            it.description.size() + it.quantity.size() + it.unit.size() + it.refdes.size();
    for (const auto& [k, v] : it.properties) size += 6 + k.size() + v.size();
  }
  std::string out;
  out.reserve(size);
  out += "{\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    AppendItemJson(out, items[i]);
  }
  out += "]}";
  return out;
}

}  // namespace bomvault::http
