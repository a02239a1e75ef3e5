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

constexpr uint8_t kVersion2 = 2;

// Reads the version header: true and version 1 or 2, with r->pos past the header.
bool ReadVersion(Reader* r, int* version) {
  if (r->in.empty() || r->in[0] != 0) {
    *version = 1;
    return true;
  }
  if (r->in.size() < 2 || r->in[1] != kVersion2) return false;
  r->pos = 2;
  *version = 2;
  return true;
}

}  // namespace

void EncodeItems(std::span<const Item> items, std::vector<uint8_t>& out) {
  out.push_back(0);
  out.push_back(kVersion2);
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
    out.push_back(it.dnp ? 1 : 0);
    PutLen(out, it.manufacturers.size());
    for (const Manufacturer& m : it.manufacturers) {
      PutText(out, m.name);
      PutText(out, m.mpn);
    }
  }
}

bool DecodeItems(std::span<const uint8_t> in, std::vector<Item>& out) {
  Reader r{in};
  int version = 0;
  if (!ReadVersion(&r, &version)) return false;
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
    if (version >= 2) {
      uint64_t makers = 0;
      if (r.pos >= in.size() || in[r.pos] > 1) return false;
      it.dnp = in[r.pos++] != 0;
      if (!r.Len(&makers) || makers > in.size() - r.pos) return false;
      it.manufacturers.resize(makers);
      for (Manufacturer& m : it.manufacturers) {
        if (!r.Text(&m.name) || !r.Text(&m.mpn)) return false;
      }
    }
    out.push_back(std::move(it));
  }
  return true;
}

bool VisitItems(std::span<const uint8_t> in, const std::function<void(const ItemView&)>& fn) {
  Reader r{in};
  int version = 0;
  if (!ReadVersion(&r, &version)) return false;
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
    it.manufacturers.clear();
    it.dnp = false;
    if (version >= 2) {
      uint64_t makers = 0;
      if (r.pos >= in.size() || in[r.pos] > 1) return false;
      it.dnp = in[r.pos++] != 0;
      if (!r.Len(&makers) || makers > in.size() - r.pos) return false;
      for (uint64_t i = 0; i < makers; ++i) {
        std::string_view name, mpn;
        if (!r.View(&name) || !r.View(&mpn)) return false;
        it.manufacturers.emplace_back(name, mpn);
      }
    }
    fn(it);
  }
  return true;
}

}  // namespace bomvault::bom
