#include "service/outbound.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>

#include "crypto/crypto.h"
#include "util/address_policy.h"
#include "util/log.h"

namespace bomvault::service {

using util::Code;
using util::Status;

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Status AddressRefused() {
  return Status(Code::kUnprocessable, "source_address_refused",
                "the source's address may not be reached from this server (link-local and "
                "metadata addresses never; loopback and private ones only for a source marked "
                "internal)");
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

std::string UrlPart(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* v = nullptr;
  if (curl_url_get(u, part, &v, flags) != CURLUE_OK || v == nullptr) return "";
  std::string out(v);
  curl_free(v);
  return out;
}

bool HasPart(CURLU* u, CURLUPart part) {
  char* v = nullptr;
  CURLUcode rc = curl_url_get(u, part, &v, 0);
  if (v != nullptr) curl_free(v);
  return rc == CURLUE_OK;
}

std::string Bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// The origin of an absolute URL (for redirects), or nullopt.
std::optional<SourceOrigin> OriginOf(const std::string& url) {
  UrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  SourceOrigin o;
  o.scheme = UrlPart(u.get(), CURLUPART_SCHEME);
  o.host = UrlPart(u.get(), CURLUPART_HOST);
  std::transform(o.host.begin(), o.host.end(), o.host.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (o.host.size() >= 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
  o.port = std::atoi(UrlPart(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT).c_str());
  return o;
}

struct SocketCheck {
  bool internal = false;
  bool refused = false;
};

curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, struct curl_sockaddr* address) {
  auto* check = static_cast<SocketCheck*>(clientp);
  if (purpose != CURLSOCKTYPE_IPCXN) {
    check->refused = true;
    return CURL_SOCKET_BAD;
  }
  char text[INET6_ADDRSTRLEN] = {0};
  bool ok = false;
  if (address->family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
    ok = inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr;
  } else if (address->family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
    ok = inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text) != nullptr;
  }
  auto cls = ok ? util::ClassifyAddress(text) : std::nullopt;
  if (!cls || !util::AddressAllowed(*cls, check->internal)) {
    check->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

struct Sink {
  std::string* body;
  size_t max;
  bool too_large = false;
};

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body->size() + n > sink->max) {
    sink->too_large = true;
    return 0;
  }
  sink->body->append(data, n);
  return n;
}

int Progress(void* clientp, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::atomic<bool>*>(clientp);
  return cancelled != nullptr && cancelled->load() ? 1 : 0;
}

// Resolves the host and checks every address; the list for CURLOPT_RESOLVE.
util::Result<std::string> ResolveChecked(const SourceOrigin& o, bool internal) {
  if (auto cls = util::ClassifyAddress(o.host)) {
    if (!util::AddressAllowed(*cls, internal)) return AddressRefused();
    return std::string();  // a literal address needs no pin
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(o.host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return Status(Code::kFailedDependency, "source_unreachable",
                  "the source's host name does not resolve");
  }
  std::vector<std::string> addrs;
  bool refused = false;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (inet_ntop(a->ai_family, raw, text, sizeof text) == nullptr) continue;
    auto cls = util::ClassifyAddress(text);
    // One refused address in the answer refuses the host: a name that mixes a public address
    // with a metadata one is an attack, not a configuration.
    if (!cls || !util::AddressAllowed(*cls, internal)) refused = true;
    std::string t = Bracketed(text);
    if (std::find(addrs.begin(), addrs.end(), t) == addrs.end()) addrs.push_back(t);
  }
  ::freeaddrinfo(res);
  if (refused) return AddressRefused();
  if (addrs.empty()) {
    return Status(Code::kFailedDependency, "source_unreachable",
                  "the source's host name does not resolve");
  }
  std::string pin = o.host + ":" + std::to_string(o.port) + ":";
  for (size_t i = 0; i < addrs.size(); ++i) pin += (i ? "," : "") + addrs[i];
  return pin;
}

void WipeList(curl_slist* list) {
  for (curl_slist* p = list; p != nullptr; p = p->next) {
    if (p->data != nullptr) crypto::Wipe(p->data, std::strlen(p->data));
  }
  curl_slist_free_all(list);
}

struct Attempt {
  OutboundResponse response;
  std::string redirect_url;
};

util::Result<Attempt> Once(const OutboundTarget& t, const OutboundRequest& r,
                           const std::string& url) {
  std::string pin;
  if (t.proxy.empty()) {
    auto resolved = ResolveChecked(t.origin, t.internal);
    if (!resolved.ok()) return resolved.status();
    pin = std::move(resolved.value());
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::Internal();
  curl_slist* headers = nullptr;
  curl_slist* resolve = nullptr;
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept: application/json");
  for (const auto& h : r.headers) headers = curl_slist_append(headers, h.c_str());
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    std::string ct = "Content-Type: " +
                     (r.content_type.empty() ? std::string("application/json") : r.content_type);
    headers = curl_slist_append(headers, ct.c_str());
  }
  if (r.authorization != nullptr) {
    static constexpr std::string_view kName = "Authorization: ";
    crypto::SecureBuffer line(kName.size() + r.authorization->size() + 1);
    std::memcpy(line.data(), kName.data(), kName.size());
    std::memcpy(line.data() + kName.size(), r.authorization->data(), r.authorization->size());
    headers = curl_slist_append(headers, reinterpret_cast<const char*>(line.data()));
  }
  if (r.secret_header != nullptr) {
    crypto::SecureBuffer line(r.secret_header->size() + 1);
    std::memcpy(line.data(), r.secret_header->data(), r.secret_header->size());
    headers = curl_slist_append(headers, reinterpret_cast<const char*>(line.data()));
  }
  if (!pin.empty()) resolve = curl_slist_append(nullptr, pin.c_str());

  Attempt out;
  Sink sink{&out.response.body, t.max_response_bytes};
  SocketCheck check{t.internal, false};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, t.internal ? "http,https" : "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROXY, t.proxy.c_str());  // "" disables environment proxies
  if (resolve != nullptr) curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
  if (t.proxy.empty()) {
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &check);
  }
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!t.ca_pem.empty()) {
    // Only the source's own CA bundle is trusted then, not the system store as well.
    curl_blob blob{const_cast<char*>(t.ca_pem.data()), t.ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "bomvault");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, t.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, t.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.max_response_bytes));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(r.cancelled));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, nullptr);  // no decompression bombs
  if (r.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    // The body is sent from our buffer, without a copy.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r.body.data());
    if (r.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.response.status);
  if (char* ct = nullptr; curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
    out.response.content_type = ct;
  }
  if (char* loc = nullptr;
      curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) {
    out.redirect_url = loc;
  }
  curl_easy_cleanup(curl);
  WipeList(headers);
  curl_slist_free_all(resolve);

  if (rc == CURLE_OK) return out;
  util::log::Warn("source.request_failed").Num("curl_code", rc);
  if (r.cancelled != nullptr && r.cancelled->load()) {
    return Status(Code::kConflict, "cancelled", "the job was cancelled");
  }
  if (check.refused) return AddressRefused();
  switch (rc) {
    case CURLE_FILESIZE_EXCEEDED:
      return Status(Code::kUnprocessable, "source_response_too_large",
                    "the source's answer is larger than this source's limit");
    case CURLE_WRITE_ERROR:
      if (sink.too_large) {
        return Status(Code::kUnprocessable, "source_response_too_large",
                      "the source's answer is larger than this source's limit");
      }
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return Status(Code::kUnprocessable, "source_certificate_refused",
                    "the source's certificate does not chain to a trusted CA for this source");
    case CURLE_SSL_CONNECT_ERROR:
      return Status(Code::kUnprocessable, "source_tls_failed",
                    "no TLS connection could be made to the source");
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status(Code::kUnprocessable, "source_address_refused",
                    "plain http is allowed only for a source marked internal");
    case CURLE_OPERATION_TIMEDOUT:
      return Status(Code::kFailedDependency, "source_timeout", "the source did not answer in time");
    default:
      break;
  }
  return Status(Code::kFailedDependency, "source_unreachable", "the source could not be reached");
}

}  // namespace

std::string SourceOrigin::OriginText() const {
  return scheme + "://" + Bracketed(host) + ":" + std::to_string(port);
}

util::Result<SourceOrigin> ParseSourceUrl(std::string_view url, bool internal) {
  GlobalInit();
  const Status bad =
      Status::Invalid("invalid_base_url",
                      "base_url must be an http(s) URL with a host and no credentials, query "
                      "or fragment");
  if (url.empty() || url.size() > 2048) return bad;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return bad;
  }
  UrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return bad;
  }
  if (HasPart(u.get(), CURLUPART_USER) || HasPart(u.get(), CURLUPART_PASSWORD) ||
      HasPart(u.get(), CURLUPART_QUERY) || HasPart(u.get(), CURLUPART_FRAGMENT)) {
    return bad;
  }
  auto o = OriginOf(std::string(url));
  if (!o || o->host.empty() || o->port <= 0 || o->port > 65535) return bad;
  if (o->scheme != "https" && o->scheme != "http") return bad;
  if (o->scheme == "http" && !internal) {
    return Status::Invalid("plain_http_refused",
                           "plain http:// is allowed only for a source marked internal");
  }
  o->path = UrlPart(u.get(), CURLUPART_PATH);
  while (!o->path.empty() && o->path.back() == '/') o->path.pop_back();
  if (auto cls = util::ClassifyAddress(o->host)) {
    if (!util::AddressAllowed(*cls, internal)) return AddressRefused();
  }
  return *o;
}

util::Result<OutboundResponse> Fetch(const OutboundTarget& target, const OutboundRequest& request) {
  GlobalInit();
  if (!request.path.empty() && request.path.front() != '/') return Status::Internal();
  std::string url = target.origin.OriginText() + target.origin.path + request.path;
  if (!request.query.empty()) url += "?" + request.query;
  for (int hop = 0;; ++hop) {
    auto attempt = Once(target, request, url);
    if (!attempt.ok()) return attempt.status();
    const long status = attempt->response.status;
    if (status < 300 || status >= 400) return std::move(attempt->response);
    auto next = OriginOf(attempt->redirect_url);
    const bool same_origin = next && next->scheme == target.origin.scheme &&
                             next->host == target.origin.host && next->port == target.origin.port;
    if (!same_origin) {
      util::log::Warn("source.redirect_refused").Num("status", status);
      return Status(Code::kUnprocessable, "source_redirect_refused",
                    "the source redirected to another origin; only its configured origin is "
                    "used");
    }
    if (request.method != "GET" || hop + 1 >= kMaxRedirects) {
      return Status(Code::kUnprocessable, "source_redirect_refused", "the source kept redirecting");
    }
    url = attempt->redirect_url;
  }
}

crypto::SecureBuffer BasicAuthorization(std::string_view user, std::string_view password) {
  crypto::SecureBuffer plain(user.size() + 1 + password.size());
  std::memcpy(plain.data(), user.data(), user.size());
  plain.data()[user.size()] = ':';
  std::memcpy(plain.data() + user.size() + 1, password.data(), password.size());
  const crypto::SecureBuffer encoded = crypto::ToBase64Secret(plain.span());
  static constexpr std::string_view kScheme = "Basic ";
  crypto::SecureBuffer out(kScheme.size() + encoded.size());
  std::memcpy(out.data(), kScheme.data(), kScheme.size());
  std::memcpy(out.data() + kScheme.size(), encoded.data(), encoded.size());
  return out;
}

crypto::SecureBuffer BearerAuthorization(std::string_view token) {
  static constexpr std::string_view kScheme = "Bearer ";
  crypto::SecureBuffer out(kScheme.size() + token.size());
  std::memcpy(out.data(), kScheme.data(), kScheme.size());
  std::memcpy(out.data() + kScheme.size(), token.data(), token.size());
  return out;
}

}  // namespace bomvault::service
