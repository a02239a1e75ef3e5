// Percent-encoding (RFC 3986 section 2.1) for query strings, form bodies
// (application/x-www-form-urlencoded values) and otpauth URIs: every byte except the unreserved
// characters A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex). Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bomvault::util {

std::string PercentEncode(std::string_view s);

}  // namespace bomvault::util
