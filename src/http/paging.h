// The one list contract (docs/api.md "Lists"): every list route takes `limit` (a whole number in
// 1..its maximum, else 400 invalid_parameter) and an opaque `cursor` (else 400 invalid_cursor),
// and answers its usual body plus `next_cursor` (absent on the last page) and a
// `Link: <...>; rel="next"` header naming the next page's URL.
//
// A cursor is the base64url text of the last item's sort key, a key that orders the list strictly
// and never changes for an item (a creation time and an id, a revision number): a page holds the
// items after that key, so items created or deleted while a client walks the list neither repeat
// nor push others out of it. Lists the services answer whole (at most a few thousand rows) are cut
// into pages here with Paginate(); the BOM list and the audit log page in SQL.
// Thread-safety: pure functions over the request.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/api.h"

namespace bomvault::http {

struct PageRequest {
  size_t limit = 0;
  std::optional<std::string> after;  // the decoded sort key of the previous page's last item
};

// Reads `limit` (default `dflt`, at most `max`) and `cursor`; 400 when either is malformed.
util::Result<PageRequest> PageParams(const httplib::Request& req, int64_t dflt, int64_t max);

std::string EncodeCursor(std::string_view sort_key);
std::optional<std::string> DecodeCursor(std::string_view cursor);

// A sort key from a time and an id: zero-padded so that text order is time order.
std::string TimeIdKey(int64_t at, std::string_view id);

// The Link header's value naming the next page: this request with `cursor` replaced.
std::string NextPageLink(const httplib::Request& req, const std::string& cursor);

// 200 with `body`, plus body["next_cursor"] and the Link header when `next_key` is given.
Reply ListReply(const httplib::Request& req, nlohmann::json body,
                const std::optional<std::string>& next_key);

// One page of `items` in key order (ascending, or descending with `newest_first`): the first
// `page.limit` items whose key comes after `page.after`; `next_key` is set when more follow.
template <class T>
std::vector<T> Paginate(std::vector<T> items, const std::function<std::string(const T&)>& key,
                        bool newest_first, const PageRequest& page,
                        std::optional<std::string>* next_key) {
  std::stable_sort(items.begin(), items.end(), [&](const T& a, const T& b) {
    return newest_first ? key(b) < key(a) : key(a) < key(b);
  });
  std::vector<T> out;
  next_key->reset();
  for (auto& item : items) {
    if (page.after) {
      const std::string k = key(item);
      if (newest_first ? !(k < *page.after) : !(*page.after < k)) continue;
    }
    if (out.size() == page.limit) {
      *next_key = key(out.back());
      break;
    }
    out.push_back(std::move(item));
  }
  return out;
}

// 200 with one page of `items` as {field: [to_json(item)...]} (plus `extra`'s members),
// next_cursor and Link: the whole of a list route after its service call.
template <class T>
Reply ListPage(const httplib::Request& req, const char* field, std::vector<T> items,
               const std::function<std::string(const T&)>& key, bool newest_first,
               const PageRequest& page, const std::function<nlohmann::json(const T&)>& to_json,
               nlohmann::json extra = nlohmann::json::object()) {
  std::optional<std::string> next;
  auto rows = Paginate<T>(std::move(items), key, newest_first, page, &next);
  nlohmann::json list = nlohmann::json::array();
  for (const T& item : rows) list.push_back(to_json(item));
  extra[field] = std::move(list);
  return ListReply(req, std::move(extra), next);
}

}  // namespace bomvault::http
