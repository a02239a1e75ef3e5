// Entity tags and the conditional-request headers (RFC 9110 8.8.3, 13.1.1, 13.1.2), pure.
//
// bomvault's tags are strong: "<version>" or "<version>-<variant>", where the version is the
// object's write counter (schema/0015_http_conventions.sql: raised by triggers on every write of
// the object's content) and the variant names what else shapes the caller's representation (a
// BOM's summary says the caller's access). Tags are opaque to clients; they are only compared.
// Invariants: If-Match uses the strong comparison (a W/ tag never matches), If-None-Match the
// weak one; "*" matches any current representation; a malformed list matches nothing.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bomvault::util {

// The quoted tag: "\"12\"" or "\"12-edit\"".
inline std::string EntityTag(int64_t version, std::string_view variant = {}) {
  std::string tag = "\"" + std::to_string(version);
  if (!variant.empty()) {
    tag += '-';
    tag += variant;
  }
  tag += '"';
  return tag;
}

// Whether the header value (a comma-separated list of entity tags, or "*") names `current`.
// `weak`: the weak comparison (If-None-Match), where W/"x" equals "x".
inline bool TagListMatches(std::string_view header, std::string_view current, bool weak) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
  };
  skip_space();
  if (header.substr(i) == "*" ||
      (header.substr(i, 1) == "*" && header.find_first_not_of(" \t", i + 1) == header.npos)) {
    return true;
  }
  while (i < header.size()) {
    skip_space();
    bool is_weak = false;
    if (header.substr(i, 2) == "W/") {
      is_weak = true;
      i += 2;
    }
    if (i >= header.size() || header[i] != '"') return false;
    size_t end = header.find('"', i + 1);
    if (end == header.npos) return false;
    std::string_view tag = header.substr(i, end - i + 1);
    if (tag == current && (weak || !is_weak)) return true;
    i = end + 1;
    skip_space();
    if (i < header.size()) {
      if (header[i] != ',') return false;
      ++i;
    }
  }
  return false;
}

// A write's If-Match precondition: `header` is the request's If-Match value ("" when absent, and
// then the write is unconditional, as before ETags existed).
struct IfMatch {
  std::string header;
  bool Holds(std::string_view current) const {
    return header.empty() || TagListMatches(header, current, /*weak=*/false);
  }
};

}  // namespace bomvault::util
