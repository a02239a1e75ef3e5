#include "crypto/jose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include <algorithm>

#include "crypto/crypto.h"

namespace bomvault::crypto {

namespace {

constexpr size_t kMaxJwsBytes = 16 * 1024;
constexpr int kMinRsaBits = 2048;

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

EVP_PKEY* FromData(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) return nullptr;
  return key;
}

// DER-encodes an r||s signature for OpenSSL's ECDSA verify.
std::optional<std::vector<uint8_t>> RawToDer(std::span<const uint8_t> sig) {
  if (sig.size() != 64) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, SigFree> s(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(sig.data(), 32, nullptr);
  BIGNUM* ss = BN_bin2bn(sig.data() + 32, 32, nullptr);
  if (!s || !r || !ss || ECDSA_SIG_set0(s.get(), r, ss) != 1) {
    BN_free(r);
    BN_free(ss);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(s.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::vector<uint8_t> out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_ECDSA_SIG(s.get(), &p);
  return out;
}

bool DigestVerify(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> data,
                  std::span<const uint8_t> sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size()) == 1;
}

}  // namespace

std::optional<SigAlg> ParseSigAlg(std::string_view name) {
  if (name == "RS256") return SigAlg::kRs256;
  if (name == "ES256") return SigAlg::kEs256;
  if (name == "EdDSA") return SigAlg::kEdDsa;
  return std::nullopt;
}

const char* SigAlgName(SigAlg alg) {
  switch (alg) {
    case SigAlg::kRs256:
      return "RS256";
    case SigAlg::kEs256:
      return "ES256";
    case SigAlg::kEdDsa:
      return "EdDSA";
  }
  return "";
}

std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text) {
  // libsodium 1.0.18 decodes some bytes above 0x7f as if they were base64 digits (found by
  // fuzz/fuzz_jose.cc), so one value had many spellings: only the 64 characters pass.
  for (char ch : text) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) &&
        ch != '-' && ch != '_') {
      return std::nullopt;
    }
  }
  std::vector<uint8_t> out(text.size() * 3 / 4 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string Base64UrlEncode(std::span<const uint8_t> bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<PublicKey> PublicKey::FromP256(std::span<const uint8_t> x,
                                             std::span<const uint8_t> y) {
  if (x.size() != 32 || y.size() != 32) return std::nullopt;
  std::vector<uint8_t> point;
  point.reserve(65);
  point.push_back(0x04);
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return std::nullopt;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return std::nullopt;
  // fromdata checks that the point lies on the curve.
  EVP_PKEY* key = FromData("EC", params.get());
  if (!key) return std::nullopt;
  PublicKey k;
  k.key_.reset(key, PkeyFree());
  k.alg_ = SigAlg::kEs256;
  return k;
}

std::optional<PublicKey> PublicKey::FromEd25519(std::span<const uint8_t> x) {
  if (x.size() != 32) return std::nullopt;
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, x.data(), x.size());
  if (!key) return std::nullopt;
  PublicKey k;
  k.key_.reset(key, PkeyFree());
  k.alg_ = SigAlg::kEdDsa;
  return k;
}

std::optional<PublicKey> PublicKey::FromJwk(const Jwk& jwk) {
  auto bytes = [](const std::optional<std::string>& member) -> std::optional<std::vector<uint8_t>> {
    if (!member) return std::nullopt;
    return Base64UrlDecode(*member);
  };
  const std::string& kty = jwk.kty;
  if (kty == "RSA") {
    auto n = bytes(jwk.n);
    auto e = bytes(jwk.e);
    if (!n || !e || n->empty() || e->empty() || e->size() > 8) return std::nullopt;
    std::unique_ptr<BIGNUM, BnFree> bn_n(
        BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
    std::unique_ptr<BIGNUM, BnFree> bn_e(
        BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
    if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < kMinRsaBits || BN_num_bits(bn_n.get()) > 8192) {
      return std::nullopt;
    }
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
      return std::nullopt;
    }
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
    if (!params) return std::nullopt;
    EVP_PKEY* key = FromData("RSA", params.get());
    if (!key) return std::nullopt;
    PublicKey k;
    k.key_.reset(key, PkeyFree());
    k.alg_ = SigAlg::kRs256;
    return k;
  }
  if (kty == "EC") {
    if (jwk.crv != "P-256") return std::nullopt;
    auto x = bytes(jwk.x);
    auto y = bytes(jwk.y);
    if (!x || !y) return std::nullopt;
    return FromP256(*x, *y);
  }
  if (kty == "OKP") {
    if (jwk.crv != "Ed25519") return std::nullopt;
    auto x = bytes(jwk.x);
    if (!x) return std::nullopt;
    return FromEd25519(*x);
  }
  return std::nullopt;
}

bool PublicKey::Verify(SigAlg alg, std::span<const uint8_t> data,
                       std::span<const uint8_t> sig) const {
  if (!key_ || alg != alg_) return false;
  switch (alg) {
    case SigAlg::kRs256:
      return DigestVerify(key_.get(), EVP_sha256(), data, sig);
    case SigAlg::kEs256: {
      auto der = RawToDer(sig);
      return der && DigestVerify(key_.get(), EVP_sha256(), data, *der);
    }
    case SigAlg::kEdDsa:
      return sig.size() == 64 && DigestVerify(key_.get(), nullptr, data, sig);
  }
  return false;
}

bool PublicKey::VerifyDer(SigAlg alg, std::span<const uint8_t> data,
                          std::span<const uint8_t> der) const {
  if (!key_ || alg != alg_ || alg != SigAlg::kEs256) return false;
  if (der.size() < 8 || der.size() > 72) return false;
  return DigestVerify(key_.get(), EVP_sha256(), data, der);
}

const char* JwsErrorCode(JwsError e) {
  switch (e) {
    case JwsError::kMalformed:
      return "token_malformed";
    case JwsError::kAlgNotAllowed:
      return "alg_not_allowed";
    case JwsError::kUnknownKid:
      return "unknown_kid";
    case JwsError::kBadSignature:
      return "bad_signature";
  }
  return "token_malformed";
}

std::optional<CompactJws> SplitCompactJws(std::string_view compact) {
  if (compact.size() > kMaxJwsBytes) return std::nullopt;
  size_t d1 = compact.find('.');
  if (d1 == compact.npos) return std::nullopt;
  size_t d2 = compact.find('.', d1 + 1);
  if (d2 == compact.npos || compact.find('.', d2 + 1) != compact.npos) return std::nullopt;
  auto header = Base64UrlDecode(compact.substr(0, d1));
  auto payload = Base64UrlDecode(compact.substr(d1 + 1, d2 - d1 - 1));
  auto sig = Base64UrlDecode(compact.substr(d2 + 1));
  if (!header || !payload || !sig) return std::nullopt;
  CompactJws out;
  out.header_json.assign(header->begin(), header->end());
  out.payload_json.assign(payload->begin(), payload->end());
  out.signing_input = std::string(compact.substr(0, d2));
  out.signature = std::move(*sig);
  return out;
}

JwsResult VerifyJws(const CompactJws& jws, const JwsHeader& header, const Jwks& jwks,
                    std::span<const SigAlg> allowed) {
  JwsResult r;
  if (!header.alg) return r;
  auto alg = ParseSigAlg(*header.alg);
  if (!alg || std::find(allowed.begin(), allowed.end(), *alg) == allowed.end()) {
    r.error = JwsError::kAlgNotAllowed;
    return r;
  }
  // A JWS carrying its own key ("jwk", "jku", "x5u", "x5c") is not trusted for it; critical
  // extensions we do not understand make the token invalid (RFC 7515 4.1.11).
  if (header.critical || header.kid_not_text) return r;
  const std::string& kid = header.kid;
  r.error = JwsError::kUnknownKid;
  std::vector<const Jwk*> candidates;
  for (const Jwk& jwk : jwks.keys) {
    if (jwk.use && *jwk.use != "sig") continue;
    if (jwk.alg && *jwk.alg != SigAlgName(*alg)) continue;
    if (!kid.empty() && jwk.kid != kid) continue;
    candidates.push_back(&jwk);
  }
  // Without a kid only an unambiguous single key of the right type is used.
  if (candidates.empty() || (kid.empty() && candidates.size() != 1)) return r;
  r.error = JwsError::kBadSignature;
  for (const Jwk* jwk : candidates) {
    auto key = PublicKey::FromJwk(*jwk);
    if (!key || key->alg() != *alg) continue;
    if (key->Verify(*alg, AsBytes(jws.signing_input), jws.signature)) {
      r.ok = *alg;
      return r;
    }
  }
  return r;
}

std::optional<std::string> ValidateIdToken(const IdTokenClaims& claims,
                                           const IdTokenExpectations& want) {
  if (claims.iss != want.issuer) return "iss_mismatch";
  bool ours = std::find(claims.audiences.begin(), claims.audiences.end(), want.client_id) !=
              claims.audiences.end();
  if (!ours) return "aud_mismatch";
  if (claims.has_azp || claims.audiences.size() > 1) {
    if (claims.azp != want.client_id) return "azp_mismatch";
  }
  if (!claims.exp || *claims.exp + want.skew_seconds <= want.now) return "expired";
  if (claims.has_nbf) {
    if (!claims.nbf || *claims.nbf > want.now + want.skew_seconds) return "not_yet_valid";
  }
  if (!claims.iat) return "iat_invalid";
  if (*claims.iat > want.now + want.skew_seconds) return "not_yet_valid";
  if (*claims.iat + want.max_age_seconds < want.now) return "expired";
  if (!claims.nonce || !ConstantTimeEquals(AsBytes(*claims.nonce), AsBytes(want.nonce))) {
    return "nonce_mismatch";
  }
  if (!claims.sub || claims.sub->empty() || claims.sub->size() > 255) return "sub_missing";
  return std::nullopt;
}

}  // namespace bomvault::crypto
