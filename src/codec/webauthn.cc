#include "codec/webauthn.h"

#include <nlohmann/json.hpp>
#include <string>

#include "codec/json_fields.h"
#include "crypto/jose.h"

namespace bomvault::codec {

namespace wa = crypto::webauthn;

std::optional<wa::ClientData> DecodeClientData(std::span<const uint8_t> client_data_json) {
  if (client_data_json.empty() || client_data_json.size() > 4096) return std::nullopt;
  auto j = nlohmann::json::parse(client_data_json.begin(), client_data_json.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto type = OptionalText(j, "type");
  auto challenge = OptionalText(j, "challenge");
  auto origin = OptionalText(j, "origin");
  if (!type || !challenge || !origin) return std::nullopt;
  wa::ClientData out;
  out.type = std::move(*type);
  out.challenge = std::move(*challenge);
  out.origin = std::move(*origin);
  if (auto it = j.find("crossOrigin"); it != j.end()) {
    if (it->is_boolean()) {
      out.cross_origin = it->get<bool>();
    } else {
      out.cross_origin_not_bool = true;
    }
  }
  return out;
}

std::variant<wa::Bytes, wa::Error> CheckClientData(std::span<const uint8_t> client_data_json,
                                                   std::string_view expected_type,
                                                   std::string_view expected_origin) {
  auto client_data = DecodeClientData(client_data_json);
  if (!client_data) return wa::Error::kMalformed;
  return wa::CheckClientData(*client_data, expected_type, expected_origin);
}

std::string EncodeStoredPasskey(std::span<const uint8_t> credential_id,
                                std::span<const uint8_t> cose_key) {
  nlohmann::json doc = {{"id", crypto::Base64UrlEncode(credential_id)},
                        {"key", crypto::Base64UrlEncode(cose_key)}};
  return doc.dump();
}

std::optional<StoredPasskey> DecodeStoredPasskey(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("id") || !doc.contains("key") ||
      !doc["id"].is_string() || !doc["key"].is_string()) {
    return std::nullopt;
  }
  auto id = crypto::Base64UrlDecode(doc["id"].get<std::string>());
  auto key = crypto::Base64UrlDecode(doc["key"].get<std::string>());
  if (!id || !key) return std::nullopt;
  return StoredPasskey{std::move(*id), std::move(*key)};
}

}  // namespace bomvault::codec
