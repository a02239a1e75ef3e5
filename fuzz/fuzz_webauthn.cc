// Fuzz target: what a browser (or anyone) sends bomvault at passkey registration and sign-in,
// parsed by crypto/webauthn.h (client data read by codec/webauthn.h). The first input byte picks
// the parser: the attestation object, authenticator data, a COSE key, or client data. Invariants
// beyond "no crash, no sanitizer report":
//  * a parsed authenticator data's attested credential id is 1..1023 bytes and its key is ES256
//    (x and y 32 bytes) or EdDSA (x 32 bytes, no y); the stored COSE bytes parse back to the key;
//  * client data accepted for an origin returns a non-empty challenge of at most 64 bytes;
//  * a signature check over arbitrary bytes with a parsed key never succeeds by accident for an
//    empty signature.
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/webauthn.h"
#include "crypto/crypto.h"
#include "crypto/webauthn.h"
#include "fuzz/fuzz_check.h"

using namespace bomvault::crypto;
namespace wa = bomvault::crypto::webauthn;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(Init());
  return 0;
}

namespace {

void CheckKey(const wa::CoseKey& k) {
  FUZZ_CHECK(k.alg == wa::kEs256 || k.alg == wa::kEdDsa);
  FUZZ_CHECK(k.x.size() == 32);
  FUZZ_CHECK(k.alg == wa::kEs256 ? k.y.size() == 32 : k.y.empty());
}

void CheckAuthData(const wa::AuthenticatorData& ad, std::span<const uint8_t> raw) {
  FUZZ_CHECK(ad.rp_id_hash.size() == 32);
  if (!ad.attested) return;
  FUZZ_CHECK(!ad.attested->credential_id.empty());
  FUZZ_CHECK(ad.attested->credential_id.size() <= wa::kMaxCredentialIdBytes);
  CheckKey(ad.attested->key);
  size_t used = 0;
  auto again = wa::ParseCoseKey(ad.attested->key_cbor, &used);
  FUZZ_CHECK(std::holds_alternative<wa::CoseKey>(again));
  FUZZ_CHECK(used == ad.attested->key_cbor.size());
  FUZZ_CHECK(!wa::VerifyAssertion(ad.attested->key, raw, raw, {}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto att = wa::ParseAttestationObject(in);
      if (auto* a = std::get_if<wa::AttestationObject>(&att)) {
        FUZZ_CHECK(!a->fmt.empty());
        CheckAuthData(a->auth_data, a->auth_data_raw);
      }
      break;
    }
    case 1: {
      auto ad = wa::ParseAuthenticatorData(in);
      if (auto* a = std::get_if<wa::AuthenticatorData>(&ad)) CheckAuthData(*a, in);
      break;
    }
    case 2: {
      size_t used = 0;
      auto key = wa::ParseCoseKey(in, &used);
      if (auto* k = std::get_if<wa::CoseKey>(&key)) {
        CheckKey(*k);
        FUZZ_CHECK(used > 0 && used <= in.size());
      }
      break;
    }
    default: {
      auto c = bomvault::codec::CheckClientData(in, "webauthn.get", "https://bom.example.com");
      if (auto* challenge = std::get_if<Bytes>(&c)) {
        FUZZ_CHECK(!challenge->empty() && challenge->size() <= 64);
      }
      break;
    }
  }
  return 0;
}
