#include "util/gzip.h"

#include <zlib.h>

#include <cctype>
#include <cstdlib>

namespace bomvault::util {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The q-value of one "coding;q=0.5" part: 1 when absent, 0 when malformed (refused).
double Quality(std::string_view params) {
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view p = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string v(Trim(p.substr(2)));
      char* end = nullptr;
      double q = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || q < 0 || q > 1) return 0;
      return q;
    }
  }
  return 1;
}

}  // namespace

bool AcceptsGzip(std::string_view header) {
  bool gzip = false, star = false;
  bool gzip_named = false;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view part = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t semi = part.find(';');
    std::string_view coding = Trim(part.substr(0, semi));
    double q = semi == std::string_view::npos ? 1 : Quality(part.substr(semi + 1));
    if (EqualsNoCase(coding, "gzip") || EqualsNoCase(coding, "x-gzip")) {
      gzip_named = true;
      gzip = gzip || q > 0;
    } else if (coding == "*") {
      star = q > 0;
    }
  }
  return gzip_named ? gzip : star;
}

std::optional<std::string> Gzip(std::string_view data, int level) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's; memLevel 8 is the default.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace bomvault::util
