// Fuzz target: the key-share text a person types or pastes at unseal (vault/share_codec.h).
// Invariants checked on every input, beyond "no crash, no sanitizer report":
//  * a failure is Invalid with one of the three documented machine codes, and its message never
//    echoes the input (a share must not reach a log or an answer);
//  * a decoded share satisfies the codec's field invariants, and encoding it again gives a
//    canonical text that decodes to the same fields (decoding is the exact inverse of encoding,
//    up to the forgiven spellings).
// The expected store id is fixed; the fuzzer learns valid checksums from the seed corpus.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "fuzz/fuzz_check.h"
#include "vault/share_codec.h"

using namespace bomvault;

// libsodium must be initialised before SecureBuffer allocates (the server does it in main).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(crypto::Init());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The seeds were made for this store id by fuzz/seeds.py.
  static const std::array<uint8_t, vault::kShareStoreIdSize> kStore = {0x62, 0x76, 0x66, 0x75,
                                                                       0x7a, 0x7a, 0x30, 0x31};
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = vault::DecodeShare(text, kStore);
  if (!decoded.ok()) {
    const auto& st = decoded.status();
    FUZZ_CHECK(st.code() == util::Code::kInvalid);
    FUZZ_CHECK(st.machine_code() == "malformed_share" || st.machine_code() == "share_checksum" ||
               st.machine_code() == "foreign_share");
    // Messages are fixed text and numbers; a share-like input (it starts with the prefix, which
    // no message continues past) never appears in one.
    if (size >= 20 && text.substr(0, 5) == "bvs1-") {
      FUZZ_CHECK(st.message().find(text) == std::string::npos);
    }
    return 0;
  }
  const vault::DecodedShare& s = decoded.value();
  FUZZ_CHECK(s.store_id == kStore);
  FUZZ_CHECK(s.threshold >= 2 && s.threshold <= 10);
  FUZZ_CHECK(s.index >= 1 && s.index <= 10);
  FUZZ_CHECK(s.y.size() == vault::kShareYSize);
  std::string again = vault::EncodeShare(s.store_id, s.threshold, s.index,
                                         std::span<const uint8_t>(s.y.data(), s.y.size()));
  FUZZ_CHECK(!again.empty());
  auto redecoded = vault::DecodeShare(again, kStore);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(redecoded->threshold == s.threshold && redecoded->index == s.index);
  FUZZ_CHECK(std::memcmp(redecoded->y.data(), s.y.data(), vault::kShareYSize) == 0);
  FUZZ_CHECK(vault::EncodeShare(
                 redecoded->store_id, redecoded->threshold, redecoded->index,
                 std::span<const uint8_t>(redecoded->y.data(), redecoded->y.size())) == again);
  return 0;
}
