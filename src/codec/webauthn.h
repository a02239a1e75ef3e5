// The JSON of WebAuthn: the browser's clientDataJSON, read into crypto/webauthn.h's ClientData,
// and the document a registered passkey is sealed as ({"id", "key"}: the credential id and the
// COSE key exactly as the authenticator sent it, both base64url; persisted, key names must not
// change).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "crypto/webauthn.h"

namespace bomvault::codec {

// The client data's members; nullopt (malformed) when it is empty, larger than 4 KiB, not a JSON
// object, or "type", "challenge" or "origin" is missing or not text.
std::optional<crypto::webauthn::ClientData> DecodeClientData(
    std::span<const uint8_t> client_data_json);

// DecodeClientData, then crypto::webauthn::CheckClientData: the challenge, or why not.
std::variant<crypto::webauthn::Bytes, crypto::webauthn::Error> CheckClientData(
    std::span<const uint8_t> client_data_json, std::string_view expected_type,
    std::string_view expected_origin);

struct StoredPasskey {
  crypto::webauthn::Bytes credential_id;
  crypto::webauthn::Bytes cose_key;
};

std::string EncodeStoredPasskey(std::span<const uint8_t> credential_id,
                                std::span<const uint8_t> cose_key);
// nullopt when the text is not that object or a member is not base64url text.
std::optional<StoredPasskey> DecodeStoredPasskey(std::string_view text);

}  // namespace bomvault::codec
