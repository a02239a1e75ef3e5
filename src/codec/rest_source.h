// The JSON of the REST kind of data source (service/rest_source.h) beyond the BOM body itself
// (bom/json_body.h reads that): an OAuth 2.0 token endpoint's answer, the "next" page link of a
// pulled BOM, the body a BOM is sent in and the id the source answers with. Reading never throws;
// parsed copies of tokens are wiped before they are dropped.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bom/item.h"

namespace bomvault::codec {

// RFC 6749 5.1: access_token (text, required), refresh_token and expires_in (whole seconds).
struct OAuthTokens {
  std::string access_token;
  std::string refresh_token;          // "" when absent or not text
  std::optional<int64_t> expires_in;  // nullopt when absent or not a whole number
};
// nullopt when the text is not a JSON object with an access_token text.
std::optional<OAuthTokens> DecodeOAuthTokens(std::string_view text);

// A pulled page's "next": the path of the next page, "" when there is none (absent, null, not
// text, or the body is not a JSON object).
std::string DecodeNextPage(std::string_view page);

// {"name", "items": [{ref, parent, part_number, description, quantity (a JSON number), unit,
// properties}]}: what POST <send_path> and PUT <items_path> carry.
std::string EncodeSentBom(std::string_view name, const std::vector<bom::Item>& items);

// The source's answer to a new BOM: its "id", text or a whole number written as text; "" when
// it is neither; nullopt when the answer is not a JSON object.
std::optional<std::string> DecodeSentId(std::string_view answer);

}  // namespace bomvault::codec
