// gzip for HTTP answers: what a client's Accept-Encoding allows, and the compression itself
// (zlib's deflate with a gzip wrapper, RFC 1952). Pure functions, no state, thread-safe.
//
// Only answers that carry no secret are compressed (BOM items, exports, lists): compressing a
// secret next to text an attacker can influence leaks it through the length (BREACH), so session
// tokens, TOTP secrets and recovery codes are always sent as they are (http/api.h decides).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bomvault::util {

// True when the Accept-Encoding header value accepts gzip ("gzip", "x-gzip" or "*"), with a
// q-value above zero. Case-insensitive; malformed parts are ignored.
bool AcceptsGzip(std::string_view accept_encoding);

// The gzip member for `data` at zlib `level` (1 fastest .. 9 smallest); nullopt only when zlib
// fails (out of memory).
std::optional<std::string> Gzip(std::string_view data, int level = 4);

}  // namespace bomvault::util
