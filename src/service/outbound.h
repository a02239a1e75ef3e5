// The outbound HTTP client every data source uses (libcurl), with the rules that keep a source's
// configuration from being turned against the server's own network.
//
// Invariants of every request:
//  - it goes only to the source's configured origin (scheme, host, port); a redirect to another
//    origin is refused (libcurl never follows redirects itself; same-origin GET redirects are
//    followed here, at most kMaxRedirects);
//  - the host is resolved here first, every address it resolves to is classified
//    (util/address_policy.h) and the request is pinned to a checked address with CURLOPT_RESOLVE;
//    the socket libcurl finally opens is checked again (CURLOPT_OPENSOCKETFUNCTION), so a DNS
//    answer that changes between the check and the connect (rebinding) cannot reach a refused
//    address. Link-local and metadata addresses are refused always; loopback and private ranges
//    only reach a source marked internal. Plain http:// is allowed only for internal sources;
//  - TLS 1.2+ with the peer checked against the system store, or only against the source's CA
//    bundle when it has one (CURLOPT_CAINFO_BLOB);
//  - connect and total timeouts, and a response-size cap (Content-Length and actual bytes);
//  - no proxy unless the source names one (environment proxies are ignored);
//  - a secret Authorization header is built in locked memory and the copy libcurl keeps is wiped
//    before it is freed.
// Errors are Status values with stable machine codes ("source_address_refused",
// "source_redirect_refused", "source_certificate_refused", "source_response_too_large",
// "source_unreachable", "source_timeout", "cancelled"); messages never carry the URL or an answer.
// Thread-safe: each call uses its own curl handle.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secure_buffer.h"
#include "util/status.h"

namespace bomvault::service {

struct SourceOrigin {
  std::string scheme;  // "http" | "https"
  std::string host;    // lower case; IPv6 without brackets
  int port = 0;
  std::string path;                // base path, no trailing '/', may be ""
  std::string OriginText() const;  // scheme://host:port
};

// Parses and checks a source's base URL: http(s) only, a host, no user-info, query or fragment.
// A literal address is classified here already, so a source at 169.254.169.254 (or at loopback
// without the internal mark) is refused when it is configured, not only when it is used.
util::Result<SourceOrigin> ParseSourceUrl(std::string_view url, bool internal);

struct OutboundTarget {
  SourceOrigin origin;
  bool internal = false;
  std::string ca_pem;  // "" = the system store
  std::string proxy;   // "" = none
  size_t max_response_bytes = 32u << 20;
  long connect_timeout_seconds = 10;
  long timeout_seconds = 60;
};

struct OutboundRequest {
  std::string method = "GET";        // GET | POST | PUT | PATCH | DELETE
  std::string path;                  // appended to the origin's base path; starts with '/' or is ""
  std::string query;                 // without '?'
  std::vector<std::string> headers;  // "Name: value", not secret
  const crypto::SecureBuffer* authorization = nullptr;  // the Authorization header's value
  const crypto::SecureBuffer* secret_header = nullptr;  // a whole secret "Name: value" line
  std::string body;
  std::string content_type;  // for a body
  const std::atomic<bool>* cancelled = nullptr;
};

struct OutboundResponse {
  long status = 0;
  std::string content_type;
  std::string body;
};

inline constexpr int kMaxRedirects = 3;

util::Result<OutboundResponse> Fetch(const OutboundTarget& target, const OutboundRequest& request);

// "Basic base64(user:password)" in locked memory.
crypto::SecureBuffer BasicAuthorization(std::string_view user, std::string_view password);
// "Bearer <token>" in locked memory.
crypto::SecureBuffer BearerAuthorization(std::string_view token);

}  // namespace bomvault::service
