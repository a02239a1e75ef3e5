#include "http/paging.h"

#include <cstdio>

#include "crypto/crypto.h"
#include "util/percent_encode.h"

namespace bomvault::http {

using util::Status;

std::string EncodeCursor(std::string_view sort_key) {
  // base64url without padding (RFC 4648 section 5), from the standard alphabet's encoder.
  std::string b64 = crypto::ToBase64(crypto::AsBytes(sort_key));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  for (char& ch : b64) {
    if (ch == '+') ch = '-';
    if (ch == '/') ch = '_';
  }
  return b64;
}

std::optional<std::string> DecodeCursor(std::string_view cursor) {
  if (cursor.empty() || cursor.size() > 400 || cursor.size() % 4 == 1) return std::nullopt;
  std::string b64(cursor);
  for (char& ch : b64) {
    if (ch == '+' || ch == '/' || ch == '=') return std::nullopt;  // not base64url
    if (ch == '-') ch = '+';
    if (ch == '_') ch = '/';
  }
  while (b64.size() % 4 != 0) b64 += '=';
  auto bytes = crypto::FromBase64(b64);
  if (!bytes || bytes->empty()) return std::nullopt;
  std::string key(bytes->begin(), bytes->end());
  // Keys are printable ASCII (digits, ids, '/'): anything else was not made here.
  for (unsigned char ch : key) {
    if (ch < 0x21 || ch > 0x7e) return std::nullopt;
  }
  if (EncodeCursor(key) != cursor) return std::nullopt;  // one spelling per key
  return key;
}

std::string TimeIdKey(int64_t at, std::string_view id) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%020lld", static_cast<long long>(at < 0 ? 0 : at));
  return std::string(buf) + "/" + std::string(id);
}

util::Result<PageRequest> PageParams(const httplib::Request& req, int64_t dflt, int64_t max) {
  BV_ASSIGN_OR_RETURN(int64_t limit, IntParam(req, "limit", 1, max, dflt));
  PageRequest page;
  page.limit = static_cast<size_t>(limit);
  if (req.has_param("cursor")) {
    page.after = DecodeCursor(req.get_param_value("cursor"));
    if (!page.after) {
      return Status::Invalid("invalid_cursor",
                             "\"cursor\" must be the next_cursor of a previous page");
    }
  }
  return page;
}

std::string NextPageLink(const httplib::Request& req, const std::string& cursor) {
  // The same request with the cursor replaced (and the offset, which a cursor supersedes, left
  // out); parameters in the order httplib holds them.
  std::string url = req.path + "?";
  for (const auto& [name, value] : req.params) {
    if (name == "cursor" || name == "offset" || name == "before") continue;
    url += util::PercentEncode(name) + "=" + util::PercentEncode(value) + "&";
  }
  url += "cursor=" + cursor;
  return "<" + url + ">; rel=\"next\"";
}

Reply ListReply(const httplib::Request& req, nlohmann::json body,
                const std::optional<std::string>& next_key) {
  if (!next_key) return Reply::Json(200, body);
  const std::string cursor = EncodeCursor(*next_key);
  body["next_cursor"] = cursor;
  return Reply::Json(200, body).With("Link", NextPageLink(req, cursor));
}

}  // namespace bomvault::http
