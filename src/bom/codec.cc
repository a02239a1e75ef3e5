#include "bom/codec.h"

namespace bomvault::bom {
namespace {

void PutLen(std::vector<uint8_t>& out, uint64_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<uint8_t>(n | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<uint8_t>(n));
}

void PutText(std::vector<uint8_t>& out, const std::string& s) {
  PutLen(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

struct Reader {
  std::span<const uint8_t> in;
  size_t pos = 0;

  bool Len(uint64_t* n) {
    *n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) return false;
      uint8_t b = in[pos++];
      *n |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool View(std::string_view* s) {
    uint64_t n = 0;
    if (!Len(&n) || n > in.size() - pos) return false;
    *s = std::string_view(reinterpret_cast<const char*>(in.data() + pos), n);
    pos += n;
    return true;
  }
  bool Text(std::string* s) {
    uint64_t n = 0;
    if (!Len(&n) || n > in.size() - pos) return false;
    s->assign(reinterpret_cast<const char*>(in.data() + pos), n);
    pos += n;
    return true;
  }
};

}  // namespace

void EncodeItems(std::span<const Item> items, std::vector<uint8_t>& out) {
  for (const Item& it : items) {
    PutText(out, it.ref);
    PutText(out, it.parent);
    PutText(out, it.find_number);
    PutText(out, it.part_number);
    PutText(out, it.description);
    PutText(out, it.quantity);
    PutText(out, it.unit);
    PutText(out, it.refdes);
    PutLen(out, it.properties.size());
    for (const auto& [k, v] : it.properties) {
      PutText(out, k);
      PutText(out, v);
    }
  }
}

bool DecodeItems(std::span<const uint8_t> in, std::vector<Item>& out) {
  Reader r{in};
  while (r.pos < in.size()) {
    Item it;
    if (!r.Text(&it.ref) || !r.Text(&it.parent) || !r.Text(&it.find_number) ||
        !r.Text(&it.part_number) || !r.Text(&it.description) || !r.Text(&it.quantity) ||
        !r.Text(&it.unit) || !r.Text(&it.refdes)) {
      return false;
    }
    uint64_t props = 0;
    if (!r.Len(&props) || props > in.size() - r.pos) return false;
    it.properties.reserve(props);
    for (uint64_t i = 0; i < props; ++i) {
      std::string k, v;
      if (!r.Text(&k) || !r.Text(&v)) return false;
      it.properties.emplace_back(std::move(k), std::move(v));
    }
    out.push_back(std::move(it));
  }
  return true;
}

bool VisitItems(std::span<const uint8_t> in, const std::function<void(const ItemView&)>& fn) {
  Reader r{in};
  ItemView it;
  while (r.pos < in.size()) {
    if (!r.View(&it.ref) || !r.View(&it.parent) || !r.View(&it.find_number) ||
        !r.View(&it.part_number) || !r.View(&it.description) || !r.View(&it.quantity) ||
        !r.View(&it.unit) || !r.View(&it.refdes)) {
      return false;
    }
    uint64_t props = 0;
    if (!r.Len(&props) || props > in.size() - r.pos) return false;
    it.properties.clear();
    for (uint64_t i = 0; i < props; ++i) {
      std::string_view k, v;
      if (!r.View(&k) || !r.View(&v)) return false;
      it.properties.emplace_back(k, v);
    }
    fn(it);
  }
  return true;
}

}  // namespace bomvault::bom
