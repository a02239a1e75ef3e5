// Public-key signatures for single sign-on and passkeys: JSON Web Keys, compact JWS (the ID token
// of OpenID Connect) and the raw signature forms WebAuthn uses, all verified with OpenSSL.
//
// Invariants:
//  - Only three algorithms exist here: RS256 (RSA PKCS#1 v1.5 with SHA-256, keys of at least 2048
//    bits), ES256 (ECDSA P-256 with SHA-256) and EdDSA (Ed25519). "none" and every HMAC algorithm
//    are refused by construction: a JWS is only ever checked with a public key, and the header's
//    algorithm must be in the caller's allow-list *and* match the key's type, so an RSA public key
//    can never be used as an HMAC secret (the classic RS256 → HS256 confusion).
//  - A JWK is used only when its "use" (if present) is "sig" and its "alg" (if present) equals
//    the header's; a JWS whose "kid" names no key is refused (the caller may refetch the JWKS once
//    and try again: VerifyJws says kUnknownKid for exactly that case).
//  - Claims are checked by ValidateIdToken (OpenID Connect Core 3.1.3.7): iss equal, aud
//    containing the client id, azp equal to it when present or when aud has several values, exp in
//    the future, nbf and iat not in the future (each with a small skew), nonce equal (constant
//    time), iat not older than max_age_seconds.
// The JSON these come in (JWK sets, the JWS header and claims) is read by codec/jose.h into the
// plain structs below; this module only sees their values.
// Pure functions over their inputs; thread-safe.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bomvault::crypto {

enum class SigAlg { kRs256, kEs256, kEdDsa };

// "RS256" | "ES256" | "EdDSA"; nullopt for anything else (including "none" and "HS256").
std::optional<SigAlg> ParseSigAlg(std::string_view name);
const char* SigAlgName(SigAlg alg);

// One key of a JWK set, as codec/jose.h reads it: the members verification uses.
struct Jwk {
  std::string kty, crv, kid;  // "" when absent or not text
  // Present members; a value that is not text is kept as its JSON text, which never equals an
  // algorithm's name or "sig" (so such a key is never used).
  std::optional<std::string> use, alg;
  std::optional<std::string> n, e, x, y;  // base64url; nullopt when absent or not text
};

struct Jwks {
  std::vector<Jwk> keys;
};

// The protected header of a compact JWS.
struct JwsHeader {
  std::optional<std::string> alg;  // nullopt when absent or not text
  std::string kid;                 // "" when absent
  bool kid_not_text = false;       // a "kid" that is not text: the token is malformed
  bool critical = false;           // "crit" present: extensions bomvault does not understand
};

// A compact JWS cut into its three parts, header and payload decoded from base64url (still JSON
// texts, for codec/jose.h to read).
struct CompactJws {
  std::string header_json, payload_json;
  std::string signing_input;  // header "." payload, as sent
  std::vector<uint8_t> signature;
};

// The ID token claims ValidateIdToken checks, as codec/jose.h reads them.
struct IdTokenClaims {
  std::optional<std::string> iss, nonce, sub;  // nullopt when absent or not text
  // "aud": one text or an array of texts; empty when absent or of any other form.
  std::vector<std::string> audiences;
  bool has_azp = false;
  std::optional<std::string> azp;  // nullopt when absent or not text
  // Times in seconds; nullopt when absent, not a number, or beyond int64.
  std::optional<int64_t> exp, iat, nbf;
  bool has_nbf = false;
};

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

class PublicKey {
 public:
  PublicKey() = default;
  // A JWK (RSA n/e, EC P-256 x/y, OKP Ed25519 x); nullopt when malformed or unsupported.
  static std::optional<PublicKey> FromJwk(const Jwk& jwk);
  // Raw coordinates (WebAuthn COSE keys): P-256 x and y of 32 bytes each; an Ed25519 key of 32.
  static std::optional<PublicKey> FromP256(std::span<const uint8_t> x, std::span<const uint8_t> y);
  static std::optional<PublicKey> FromEd25519(std::span<const uint8_t> x);

  // The algorithm this key can verify.
  SigAlg alg() const { return alg_; }
  // sig is the JOSE form: RS256 the RSA signature, ES256 r||s (64 bytes), EdDSA 64 bytes.
  bool Verify(SigAlg alg, std::span<const uint8_t> data, std::span<const uint8_t> sig) const;
  // ES256 with the ASN.1 DER signature WebAuthn authenticators produce.
  bool VerifyDer(SigAlg alg, std::span<const uint8_t> data, std::span<const uint8_t> der) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  SigAlg alg_ = SigAlg::kRs256;
};

std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text);
std::string Base64UrlEncode(std::span<const uint8_t> bytes);

enum class JwsError {
  kMalformed,      // not three base64url parts of JSON, or too large
  kAlgNotAllowed,  // "none", HS*, or an algorithm outside the allow-list
  kUnknownKid,     // no key in the JWKS has this kid (or no kid and several candidates)
  kBadSignature,   // the signature does not verify with the named key
};
const char* JwsErrorCode(JwsError e);

struct JwsResult {
  std::optional<SigAlg> ok;  // the algorithm it verified with
  JwsError error = JwsError::kMalformed;
};

// Cuts a compact JWS into its parts; nullopt (kMalformed) when it is too large, not three parts,
// or a part is not base64url.
std::optional<CompactJws> SplitCompactJws(std::string_view compact);

// Verifies a split JWS, its header read by the caller (codec/jose.h), against a JWK set with an
// allow-list of algorithms.
JwsResult VerifyJws(const CompactJws& jws, const JwsHeader& header, const Jwks& jwks,
                    std::span<const SigAlg> allowed);

struct IdTokenExpectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  int64_t now = 0;
  int64_t skew_seconds = 60;
  int64_t max_age_seconds = 600;  // iat no older than this
};

// nullopt when every check passes, else a stable machine code ("iss_mismatch", "aud_mismatch",
// "azp_mismatch", "expired", "not_yet_valid", "iat_invalid", "nonce_mismatch", "sub_missing").
std::optional<std::string> ValidateIdToken(const IdTokenClaims& claims,
                                           const IdTokenExpectations& want);

}  // namespace bomvault::crypto
