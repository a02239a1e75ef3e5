#include "crypto/crypto.h"

#include <sodium.h>

namespace bomvault::crypto {
namespace {

// libsodium's INTERACTIVE Argon2id preset (2 passes, 64 MiB): ~80 ms here. OWASP's minimum for
// Argon2id is 19 MiB / 2 passes, so this is well above it; MODERATE (256 MiB, ~500 ms) would make
// every sign-in half a second and let a handful of them hold 1 GiB. Callers bound concurrency.
constexpr unsigned long long kPasswordOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kPasswordMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

}  // namespace

bool Init() { return sodium_init() >= 0; }

void AeadSealAppend(const SecureBuffer& key, std::span<const uint8_t> plaintext,
                    std::span<const uint8_t> associated, Bytes& out) {
  size_t start = out.size();
  out.resize(start + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
             crypto_aead_xchacha20poly1305_ietf_ABYTES);
  uint8_t* nonce = out.data() + start;
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, plaintext.data(),
      plaintext.size(), associated.data(), associated.size(), nullptr, nonce, key.data());
}

Bytes AeadSeal(const SecureBuffer& key, std::span<const uint8_t> plaintext,
               std::span<const uint8_t> associated) {
  Bytes out;
  AeadSealAppend(key, plaintext, associated, out);
  return out;
}

namespace {
bool OpenInto(const SecureBuffer& key, std::span<const uint8_t> sealed,
              std::span<const uint8_t> associated, uint8_t* out) {
  constexpr size_t kN = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  unsigned long long mlen = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(
             out, &mlen, nullptr, sealed.data() + kN, sealed.size() - kN, associated.data(),
             associated.size(), sealed.data(), key.data()) == 0;
}
}  // namespace

std::optional<Bytes> AeadOpen(const SecureBuffer& key, std::span<const uint8_t> sealed,
                              std::span<const uint8_t> associated) {
  if (key.size() != kKeySize || sealed.size() < kAeadOverhead) return std::nullopt;
  Bytes out(sealed.size() - kAeadOverhead);
  if (!OpenInto(key, sealed, associated, out.data())) return std::nullopt;
  return out;
}

std::optional<SecureBuffer> AeadOpenSecret(const SecureBuffer& key, std::span<const uint8_t> sealed,
                                           std::span<const uint8_t> associated) {
  if (key.size() != kKeySize || sealed.size() < kAeadOverhead) return std::nullopt;
  SecureBuffer out(sealed.size() - kAeadOverhead);
  if (!OpenInto(key, sealed, associated, out.data())) return std::nullopt;
  return out;
}

namespace {
// BLAKE2b-256(key?, domain || 0x00 || data).
Bytes DomainHash(const uint8_t* key, size_t key_size, std::string_view domain,
                 std::span<const uint8_t> data) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, key, key_size, 32);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(domain.data()), domain.size());
  const uint8_t zero = 0;
  crypto_generichash_update(&st, &zero, 1);
  crypto_generichash_update(&st, data.data(), data.size());
  Bytes out(32);
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}
}  // namespace

Bytes KeyedHash(const SecureBuffer& key, std::string_view domain, std::span<const uint8_t> data) {
  return DomainHash(key.data(), key.size(), domain, data);
}

Bytes KeyedHash(std::span<const uint8_t> key, std::string_view domain,
                std::span<const uint8_t> data) {
  return DomainHash(key.data(), key.size(), domain, data);
}

Bytes Hash(std::string_view domain, std::span<const uint8_t> data) {
  return DomainHash(nullptr, 0, domain, data);
}

std::string AddressPseudonym(std::string_view address) {
  static const Bytes key = RandomBytes(32);  // per process, never stored
  Bytes h = KeyedHash(std::span<const uint8_t>(key), "log-address", AsBytes(address));
  return ToHex(std::span<const uint8_t>(h).first(8));
}

Bytes Blake2b256(std::initializer_list<std::span<const uint8_t>> parts) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  for (auto part : parts) crypto_generichash_update(&st, part.data(), part.size());
  Bytes out(32);
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

SecureBuffer DeriveKey(const SecureBuffer& master, uint64_t id, const char context[8]) {
  SecureBuffer out(kKeySize);
  crypto_kdf_derive_from_key(out.data(), out.size(), id, context, master.data());
  return out;
}

std::optional<std::string> PasswordHash(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kPasswordOps, kPasswordMem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool PasswordVerify(std::string_view encoded_hash, std::string_view password) {
  std::string h(encoded_hash);  // needs NUL termination
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

Bytes RandomBytes(size_t n) {
  Bytes b(n);
  randombytes_buf(b.data(), n);
  return b;
}

void FillRandom(std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); }

std::string RandomToken() {
  uint8_t raw[32];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  std::string token(out);
  sodium_memzero(out, sizeof out);
  return token;
}

Bytes Sha256(std::span<const uint8_t> data) {
  Bytes out(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

static_assert(sizeof(crypto_hash_sha256_state) <= 128 && alignof(crypto_hash_sha256_state) <= 16);

Sha256Stream::Sha256Stream() {
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

Sha256Stream::~Sha256Stream() { sodium_memzero(state_, sizeof state_); }

void Sha256Stream::Update(std::span<const uint8_t> data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_), data.data(),
                            data.size());
}

Bytes Sha256Stream::Final() {
  Bytes out(crypto_hash_sha256_BYTES);
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), out.data());
  return out;
}

std::string ToHex(std::span<const uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

std::optional<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  // No bytes: libsodium's output pointer must not be null, and an empty vector's data() may be.
  if (hex.empty()) return Bytes{};
  Bytes out(hex.size() / 2);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size()) {
    return std::nullopt;
  }
  return out;
}

std::string ToBase64(std::span<const uint8_t> bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}

std::optional<Bytes> FromBase64(std::string_view b64) {
  // Only the base64 alphabet: libsodium 1.0.18 also decodes some bytes above 0x7f.
  for (char ch : b64) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) &&
        ch != '+' && ch != '/' && ch != '=') {
      return std::nullopt;
    }
  }
  Bytes out(b64.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), b64.data(), b64.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

SecureBuffer ToHexSecret(std::span<const uint8_t> bytes) {
  SecureBuffer text(bytes.size() * 2 + 1);  // sodium_bin2hex writes a NUL
  sodium_bin2hex(reinterpret_cast<char*>(text.data()), text.size(), bytes.data(), bytes.size());
  return SecureBuffer(text.data(), bytes.size() * 2);
}

SecureBuffer ToBase64Secret(std::span<const uint8_t> bytes) {
  const size_t len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  SecureBuffer text(len);  // counts the NUL sodium_bin2base64 writes
  sodium_bin2base64(reinterpret_cast<char*>(text.data()), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  return SecureBuffer(text.data(), len - 1);
}

bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && (a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0);
}

void Wipe(void* data, size_t size) {
  if (size != 0) sodium_memzero(data, size);
}

}  // namespace bomvault::crypto
