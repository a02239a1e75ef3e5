#include "codec/rest_source.h"

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"

namespace bomvault::codec {

using nlohmann::json;

std::optional<OAuthTokens> DecodeOAuthTokens(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  std::optional<OAuthTokens> out;
  if (j.is_object() && j.value("access_token", json()).is_string()) {
    OAuthTokens t;
    t.access_token = j["access_token"].get<std::string>();
    if (auto r = j.find("refresh_token"); r != j.end() && r->is_string()) {
      t.refresh_token = r->get<std::string>();
    }
    if (auto e = j.find("expires_in"); e != j.end() && e->is_number_integer()) {
      t.expires_in = e->get<int64_t>();
    }
    out = std::move(t);
  }
  // Every text member: a token answer may carry others (id_token) as secret as these.
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (v.is_string()) crypto::Wipe(v.get_ref<std::string&>());
    }
  }
  return out;
}

std::string DecodeNextPage(std::string_view page) {
  json j = json::parse(page, nullptr, false);
  if (!j.is_object()) return "";
  auto next = j.find("next");
  if (next == j.end() || !next->is_string()) return "";
  return next->get<std::string>();
}

std::string EncodeSentBom(std::string_view name, const std::vector<bom::Item>& items) {
  json list = json::array();
  for (const auto& it : items) {
    json props = json::object();
    for (const auto& [k, v] : it.properties) props[k] = v;
    list.push_back({{"ref", it.ref},
                    {"parent", it.parent},
                    {"part_number", it.part_number},
                    {"description", it.description},
                    {"quantity", json::parse(it.quantity, nullptr, false)},
                    {"unit", it.unit},
                    {"properties", props}});
  }
  return json{{"name", name}, {"items", list}}.dump();
}

std::optional<std::string> DecodeSentId(std::string_view answer) {
  json j = json::parse(answer, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const json id = j.value("id", json());
  return id.is_string()           ? id.get<std::string>()
         : id.is_number_integer() ? std::to_string(id.get<int64_t>())
                                  : "";
}

}  // namespace bomvault::codec
