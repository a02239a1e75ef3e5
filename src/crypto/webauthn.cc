#include "crypto/webauthn.h"

#include <arpa/inet.h>
#include <cbor.h>

#include <cctype>
#include <memory>
#include <set>

#include "crypto/crypto.h"
#include "crypto/jose.h"

namespace bomvault::crypto::webauthn {

namespace {

struct ItemFree {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using Item = std::unique_ptr<cbor_item_t, ItemFree>;

// One CBOR data item from the front of `in`; *consumed gets its length.
Item Load(std::span<const uint8_t> in, size_t* consumed) {
  if (in.empty()) return nullptr;
  cbor_load_result result{};
  cbor_item_t* item = cbor_load(in.data(), in.size(), &result);
  if (item == nullptr || result.error.code != CBOR_ERR_NONE) {
    if (item != nullptr) cbor_decref(&item);
    return nullptr;
  }
  if (consumed != nullptr) *consumed = result.read;
  return Item(item);
}

std::optional<int64_t> Int(const cbor_item_t* item) {
  if (cbor_isa_uint(item)) {
    uint64_t v = cbor_get_int(item);
    if (v > INT64_MAX) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (cbor_isa_negint(item)) {
    uint64_t v = cbor_get_int(item);
    if (v > INT64_MAX) return std::nullopt;
    return -1 - static_cast<int64_t>(v);
  }
  return std::nullopt;
}

std::optional<Bytes> ByteString(const cbor_item_t* item) {
  if (!cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return std::nullopt;
  const uint8_t* p = cbor_bytestring_handle(item);
  size_t n = cbor_bytestring_length(item);
  return Bytes(p, p + n);
}

std::optional<std::string> TextString(const cbor_item_t* item) {
  if (!cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
  const uint8_t* p = cbor_string_handle(item);
  return std::string(reinterpret_cast<const char*>(p), cbor_string_length(item));
}

bool DefiniteMap(const cbor_item_t* item) {
  return cbor_isa_map(item) && cbor_map_is_definite(item);
}

Bytes Sha256Of(std::string_view s) { return Sha256(AsBytes(s)); }

}  // namespace

const char* ErrorCode(Error e) {
  switch (e) {
    case Error::kMalformed:
      return "passkey_malformed";
    case Error::kWrongType:
      return "passkey_wrong_type";
    case Error::kOriginMismatch:
      return "passkey_wrong_origin";
    case Error::kCrossOrigin:
      return "passkey_cross_origin";
    case Error::kRpIdMismatch:
      return "passkey_wrong_rp_id";
    case Error::kUserNotPresent:
      return "passkey_user_not_present";
    case Error::kUserNotVerified:
      return "passkey_user_not_verified";
    case Error::kUnsupportedKey:
      return "passkey_unsupported_key";
    case Error::kNoCredential:
      return "passkey_no_credential";
    case Error::kBadSignature:
      return "passkey_bad_signature";
  }
  return "passkey_malformed";
}

const char* ErrorMessage(Error e) {
  switch (e) {
    case Error::kMalformed:
      return "the passkey's answer is malformed";
    case Error::kWrongType:
      return "the passkey's answer is for another ceremony";
    case Error::kOriginMismatch:
      return "the passkey's answer comes from another origin";
    case Error::kCrossOrigin:
      return "the passkey's answer comes from a cross-origin frame";
    case Error::kRpIdMismatch:
      return "the passkey was made for another site";
    case Error::kUserNotPresent:
      return "the authenticator did not confirm the user's presence";
    case Error::kUserNotVerified:
      return "the authenticator did not verify the user (PIN or biometrics)";
    case Error::kUnsupportedKey:
      return "only ES256 and EdDSA passkeys are supported";
    case Error::kNoCredential:
      return "the authenticator returned no credential";
    case Error::kBadSignature:
      return "the passkey's signature does not verify";
  }
  return "the passkey's answer is malformed";
}

std::variant<CoseKey, Error> ParseCoseKey(std::span<const uint8_t> cbor, size_t* consumed) {
  Item item = Load(cbor, consumed);
  if (!item || !DefiniteMap(item.get())) return Error::kMalformed;
  size_t n = cbor_map_size(item.get());
  if (n > 16) return Error::kMalformed;
  cbor_pair* pairs = cbor_map_handle(item.get());
  std::set<int64_t> seen;
  std::optional<int64_t> kty, alg, crv;
  std::optional<Bytes> x, y;
  for (size_t i = 0; i < n; ++i) {
    auto label = Int(pairs[i].key);
    if (!label) return Error::kMalformed;  // text labels are never used by ES256/EdDSA keys
    if (!seen.insert(*label).second) return Error::kMalformed;
    switch (*label) {
      case 1:
        kty = Int(pairs[i].value);
        if (!kty) return Error::kMalformed;
        break;
      case 3:
        alg = Int(pairs[i].value);
        if (!alg) return Error::kMalformed;
        break;
      case -1:
        crv = Int(pairs[i].value);
        if (!crv) return Error::kMalformed;
        break;
      case -2:
        x = ByteString(pairs[i].value);
        if (!x) return Error::kMalformed;
        break;
      case -3:
        y = ByteString(pairs[i].value);
        if (!y) return Error::kMalformed;
        break;
      default:
        break;  // kid, key_ops and the like: not used
    }
  }
  if (!kty || !alg || !crv || !x) return Error::kMalformed;
  CoseKey key;
  key.alg = static_cast<int>(*alg);
  if (*kty == 2 && *alg == kEs256 && *crv == 1 && y) {
    if (!PublicKey::FromP256(*x, *y)) return Error::kUnsupportedKey;
    key.x = std::move(*x);
    key.y = std::move(*y);
    return key;
  }
  if (*kty == 1 && *alg == kEdDsa && *crv == 6 && !y) {
    if (!PublicKey::FromEd25519(*x)) return Error::kUnsupportedKey;
    key.x = std::move(*x);
    return key;
  }
  return Error::kUnsupportedKey;
}

std::variant<AuthenticatorData, Error> ParseAuthenticatorData(std::span<const uint8_t> bytes) {
  constexpr size_t kHeader = 37;
  if (bytes.size() < kHeader) return Error::kMalformed;
  AuthenticatorData ad;
  ad.rp_id_hash.assign(bytes.begin(), bytes.begin() + 32);
  ad.flags = bytes[32];
  ad.sign_count = (static_cast<uint32_t>(bytes[33]) << 24) |
                  (static_cast<uint32_t>(bytes[34]) << 16) |
                  (static_cast<uint32_t>(bytes[35]) << 8) | static_cast<uint32_t>(bytes[36]);
  size_t pos = kHeader;
  if ((ad.flags & kFlagAttested) != 0) {
    if (bytes.size() < pos + 18) return Error::kMalformed;
    AttestedCredential cred;
    cred.aaguid.assign(bytes.begin() + pos, bytes.begin() + pos + 16);
    pos += 16;
    size_t len = (static_cast<size_t>(bytes[pos]) << 8) | bytes[pos + 1];
    pos += 2;
    if (len == 0 || len > kMaxCredentialIdBytes || bytes.size() < pos + len) {
      return Error::kMalformed;
    }
    cred.credential_id.assign(bytes.begin() + pos, bytes.begin() + pos + len);
    pos += len;
    size_t used = 0;
    auto key = ParseCoseKey(bytes.subspan(pos), &used);
    if (auto* e = std::get_if<Error>(&key)) return *e;
    cred.key = std::get<CoseKey>(std::move(key));
    cred.key_cbor.assign(bytes.begin() + pos, bytes.begin() + pos + used);
    pos += used;
    ad.attested = std::move(cred);
  }
  if ((ad.flags & kFlagExtensions) != 0) {
    size_t used = 0;
    Item ext = Load(bytes.subspan(pos), &used);
    if (!ext || !DefiniteMap(ext.get())) return Error::kMalformed;
    pos += used;
  }
  if (pos != bytes.size()) return Error::kMalformed;
  return ad;
}

std::variant<AttestationObject, Error> ParseAttestationObject(std::span<const uint8_t> cbor) {
  size_t used = 0;
  Item item = Load(cbor, &used);
  if (!item || used != cbor.size() || !DefiniteMap(item.get())) return Error::kMalformed;
  size_t n = cbor_map_size(item.get());
  cbor_pair* pairs = cbor_map_handle(item.get());
  std::optional<std::string> fmt;
  std::optional<Bytes> auth_data;
  bool statement = false;
  for (size_t i = 0; i < n; ++i) {
    auto key = TextString(pairs[i].key);
    if (!key) return Error::kMalformed;
    if (*key == "fmt") {
      if (fmt) return Error::kMalformed;
      fmt = TextString(pairs[i].value);
      if (!fmt || fmt->empty() || fmt->size() > 32) return Error::kMalformed;
    } else if (*key == "authData") {
      if (auth_data) return Error::kMalformed;
      auth_data = ByteString(pairs[i].value);
      if (!auth_data) return Error::kMalformed;
    } else if (*key == "attStmt") {
      if (statement || !cbor_isa_map(pairs[i].value)) return Error::kMalformed;
      statement = true;
    }
  }
  if (!fmt || !auth_data || !statement) return Error::kMalformed;
  auto ad = ParseAuthenticatorData(*auth_data);
  if (auto* e = std::get_if<Error>(&ad)) return *e;
  AttestationObject out;
  out.fmt = std::move(*fmt);
  out.auth_data_raw = std::move(*auth_data);
  out.auth_data = std::get<AuthenticatorData>(std::move(ad));
  return out;
}

std::variant<Bytes, Error> CheckClientData(const ClientData& client_data,
                                           std::string_view expected_type,
                                           std::string_view expected_origin) {
  if (client_data.type != expected_type) return Error::kWrongType;
  if (client_data.origin != expected_origin) return Error::kOriginMismatch;
  if (client_data.cross_origin_not_bool) return Error::kMalformed;
  if (client_data.cross_origin) return Error::kCrossOrigin;
  auto decoded = Base64UrlDecode(client_data.challenge);
  if (!decoded || decoded->empty() || decoded->size() > 64) return Error::kMalformed;
  return Bytes(decoded->begin(), decoded->end());
}

std::optional<Error> CheckAuthenticatorFlags(const AuthenticatorData& ad, std::string_view rp_id,
                                             bool require_uv) {
  if (!ConstantTimeEquals(ad.rp_id_hash, Sha256Of(rp_id))) return Error::kRpIdMismatch;
  if (!ad.user_present()) return Error::kUserNotPresent;
  if (require_uv && !ad.user_verified()) return Error::kUserNotVerified;
  return std::nullopt;
}

bool VerifyAssertion(const CoseKey& key, std::span<const uint8_t> auth_data,
                     std::span<const uint8_t> client_data_json,
                     std::span<const uint8_t> signature) {
  Bytes signed_data(auth_data.begin(), auth_data.end());
  Bytes client_hash = Sha256(client_data_json);
  signed_data.insert(signed_data.end(), client_hash.begin(), client_hash.end());
  if (key.alg == kEs256) {
    auto pk = PublicKey::FromP256(key.x, key.y);
    return pk && pk->VerifyDer(SigAlg::kEs256, signed_data, signature);
  }
  if (key.alg == kEdDsa) {
    auto pk = PublicKey::FromEd25519(key.x);
    return pk && signature.size() == 64 && pk->Verify(SigAlg::kEdDsa, signed_data, signature);
  }
  return false;
}

std::optional<RelyingParty> RelyingPartyFromUrl(std::string_view url) {
  std::string_view scheme;
  if (url.substr(0, 8) == "https://") {
    scheme = "https";
  } else if (url.substr(0, 7) == "http://") {
    scheme = "http";
  } else {
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme.size() + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos || authority.empty()) return std::nullopt;
  if (authority.front() == '[') return std::nullopt;  // an IPv6 literal
  std::string_view host = authority;
  std::string port;
  if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view p = authority.substr(colon + 1);
    if (p.empty() || p.size() > 5) return std::nullopt;
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    // The browser's origin omits the scheme's default port.
    if (!((scheme == "https" && p == "443") || (scheme == "http" && p == "80"))) {
      port = ":" + std::string(p);
    }
  }
  std::string id;
  for (char c : host) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (id.empty() || id.size() > 253 || id.front() == '.' || id.back() == '.' || id.front() == '-') {
    return std::nullopt;
  }
  bool all_digits_and_dots = true;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return std::nullopt;
    }
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.')) all_digits_and_dots = false;
  }
  if (all_digits_and_dots) return std::nullopt;  // an IPv4 literal: not a valid RP ID
  if (id.find("..") != std::string::npos) return std::nullopt;
  RelyingParty rp;
  rp.origin = std::string(scheme) + "://" + id + port;
  rp.id = std::move(id);
  return rp;
}

}  // namespace bomvault::crypto::webauthn
