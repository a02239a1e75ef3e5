// WebAuthn (passkeys), the pure parts: the attestation object and COSE public keys (CBOR, read
// with Debian's libcbor), authenticator data, the client data checks (its JSON is read by
// codec/webauthn.h) and the assertion signature (OpenSSL, through crypto/jose.h's PublicKey). No
// I/O, no state: the ceremonies' bookkeeping (challenges, stored credentials, counters) lives in
// service/passkeys.h.
//
// Invariants:
//  - Only ES256 (COSE -7: EC2, P-256) and EdDSA (COSE -8: OKP, Ed25519) keys are accepted; the
//    key's kty, crv and alg must agree and its coordinates must be a point OpenSSL accepts.
//  - CBOR is parsed strictly enough to be unambiguous: definite lengths only, no duplicate map
//    keys, and the authenticator data must be consumed exactly (attested credential data and
//    extensions included); anything else is kMalformed.
//  - Client data: "type" equal to the ceremony's, "origin" equal to the expected origin byte for
//    byte, "crossOrigin" absent or false; the challenge is returned for the caller to match
//    against the one it issued (single use is the caller's job).
//  - The signature is over authenticatorData || SHA-256(clientDataJSON): ES256 in ASN.1 DER (as
//    authenticators produce it), EdDSA the 64 raw bytes.
// Attestation statements are not verified: bomvault asks for attestation "none" and accepts any
// fmt, treating the statement as absent (docs/passkeys.md says why). Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bomvault::crypto::webauthn {

using Bytes = std::vector<uint8_t>;

// COSE algorithm identifiers (IANA); persisted as numbers, must not change.
inline constexpr int kEs256 = -7;
inline constexpr int kEdDsa = -8;

// Authenticator data flags (WebAuthn §6.1).
inline constexpr uint8_t kFlagUserPresent = 0x01;
inline constexpr uint8_t kFlagUserVerified = 0x04;
inline constexpr uint8_t kFlagBackupEligible = 0x08;
inline constexpr uint8_t kFlagBackedUp = 0x10;
inline constexpr uint8_t kFlagAttested = 0x40;
inline constexpr uint8_t kFlagExtensions = 0x80;

inline constexpr size_t kMaxCredentialIdBytes = 1023;

enum class Error {
  kMalformed,        // not parseable as the structure it should be
  kWrongType,        // clientData.type is not the ceremony's
  kOriginMismatch,   // clientData.origin is not the expected origin
  kCrossOrigin,      // clientData.crossOrigin is true
  kRpIdMismatch,     // authenticatorData's rpIdHash is not SHA-256(rp id)
  kUserNotPresent,   // the UP flag is clear
  kUserNotVerified,  // the UV flag is clear where user verification is required
  kUnsupportedKey,   // a COSE key other than ES256 / EdDSA, or an invalid point
  kNoCredential,     // registration without attested credential data
  kBadSignature,     // the assertion signature does not verify
};
// A stable machine code for the error ("passkey_malformed", "passkey_wrong_origin", ...).
const char* ErrorCode(Error e);
const char* ErrorMessage(Error e);

struct CoseKey {
  int alg = 0;  // kEs256 or kEdDsa
  Bytes x, y;   // y empty for EdDSA
};

// One COSE_Key map; *consumed (if given) receives the bytes it took. Trailing bytes are allowed
// here (the caller decides), everything else about the key is checked.
std::variant<CoseKey, Error> ParseCoseKey(std::span<const uint8_t> cbor, size_t* consumed);

struct AttestedCredential {
  Bytes aaguid;  // 16 bytes
  Bytes credential_id;
  CoseKey key;
  Bytes key_cbor;  // the COSE_Key exactly as the authenticator sent it (what is stored)
};

struct AuthenticatorData {
  Bytes rp_id_hash;  // 32 bytes
  uint8_t flags = 0;
  uint32_t sign_count = 0;
  std::optional<AttestedCredential> attested;
  bool user_present() const { return (flags & kFlagUserPresent) != 0; }
  bool user_verified() const { return (flags & kFlagUserVerified) != 0; }
};

std::variant<AuthenticatorData, Error> ParseAuthenticatorData(std::span<const uint8_t> bytes);

struct AttestationObject {
  std::string fmt;
  Bytes auth_data_raw;
  AuthenticatorData auth_data;
};
// {"fmt": text, "attStmt": map, "authData": bytes}; the statement is read but not verified.
std::variant<AttestationObject, Error> ParseAttestationObject(std::span<const uint8_t> cbor);

// clientDataJSON's members, as codec/webauthn.h reads them.
struct ClientData {
  std::string type, challenge, origin;
  bool cross_origin = false;           // "crossOrigin": absent reads as false
  bool cross_origin_not_bool = false;  // present but not a boolean: malformed
};

// Checks the client data's type ("webauthn.create" or "webauthn.get"), origin and crossOrigin,
// and returns the challenge it carries (decoded from base64url).
std::variant<Bytes, Error> CheckClientData(const ClientData& client_data,
                                           std::string_view expected_type,
                                           std::string_view expected_origin);

// rpIdHash, UP and (when require_uv) UV.
std::optional<Error> CheckAuthenticatorFlags(const AuthenticatorData& ad, std::string_view rp_id,
                                             bool require_uv);

// The assertion signature over auth_data || SHA-256(client_data_json).
bool VerifyAssertion(const CoseKey& key, std::span<const uint8_t> auth_data,
                     std::span<const uint8_t> client_data_json, std::span<const uint8_t> signature);

// WebAuthn's RP ID and origin for the address users open ("https://bom.example.com:8443/" →
// "bom.example.com", "https://bom.example.com:8443"). nullopt when the URL is not http(s), or its
// host is an IP literal or not a valid domain name (browsers refuse those as RP IDs).
struct RelyingParty {
  std::string id;
  std::string origin;
};
std::optional<RelyingParty> RelyingPartyFromUrl(std::string_view public_url);

}  // namespace bomvault::crypto::webauthn
