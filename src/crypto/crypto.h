// The project's cryptographic primitives, all from libsodium (OpenSSL only for TOTP's HMAC-SHA1).
//
// - Aead*: XChaCha20-Poly1305 (IETF) with a random 24-byte nonce per message; the nonce is
//   prepended to the ciphertext. Associated data binds a ciphertext to where it belongs (tenant,
//   object, field), so a row moved elsewhere fails to open.
// - KeyedHash: BLAKE2b-256 with a key, for blind indexes and token lookup hashes.
// - Password*: Argon2id in libsodium's encoded string form (parameters travel with the hash).
// - Encoding helpers (hex, base64url) that never throw on bad input.
// Every function is thread-safe once Init() has run (it is idempotent).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secure_buffer.h"

namespace bomvault::crypto {

constexpr size_t kKeySize = 32;
constexpr size_t kAeadOverhead = 24 + 16;  // nonce + tag

// Must run before any other crypto call; false if libsodium cannot start (no entropy).
bool Init();

using Bytes = std::vector<uint8_t>;
inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// nonce || ciphertext || tag. key must be kKeySize bytes.
Bytes AeadSeal(const SecureBuffer& key, std::span<const uint8_t> plaintext,
               std::span<const uint8_t> associated);
// Appends to `out` instead of allocating; for bulk sealing.
void AeadSealAppend(const SecureBuffer& key, std::span<const uint8_t> plaintext,
                    std::span<const uint8_t> associated, Bytes& out);
// nullopt when the ciphertext, key or associated data do not match.
std::optional<Bytes> AeadOpen(const SecureBuffer& key, std::span<const uint8_t> sealed,
                              std::span<const uint8_t> associated);
// Opens into locked memory, for secrets (keys inside the keyring).
std::optional<SecureBuffer> AeadOpenSecret(const SecureBuffer& key, std::span<const uint8_t> sealed,
                                           std::span<const uint8_t> associated);

// BLAKE2b-256(key, domain || 0x00 || data). Domain separates uses of one key.
Bytes KeyedHash(const SecureBuffer& key, std::string_view domain, std::span<const uint8_t> data);
// The same with a key held in ordinary memory (a per-process key that guards nothing at rest).
Bytes KeyedHash(std::span<const uint8_t> key, std::string_view domain,
                std::span<const uint8_t> data);
// A peer address as 16 hex characters of BLAKE2b keyed with a random key made once per process:
// the log's only form of an address (util::log::SetAddressHasher). Lines of one run about one
// address correlate; nothing links runs, and the address cannot be recovered. Thread-safe.
std::string AddressPseudonym(std::string_view address);
// Unkeyed BLAKE2b-256, for hashing high-entropy random tokens before storing them.
Bytes Hash(std::string_view domain, std::span<const uint8_t> data);
// Unkeyed BLAKE2b-256 of the parts in order with nothing between them (the share checksum's
// format, fixed since shares were first printed). The hash state is wiped before returning.
Bytes Blake2b256(std::initializer_list<std::span<const uint8_t>> parts);
// Derives a subkey for `context` (8 chars) and `id` from a master key (crypto_kdf).
SecureBuffer DeriveKey(const SecureBuffer& master, uint64_t id, const char context[8]);

// Argon2id, libsodium's interactive limits (2 passes, 64 MiB, ~80 ms here); see crypto.cc.
std::optional<std::string> PasswordHash(std::string_view password);
bool PasswordVerify(std::string_view encoded_hash, std::string_view password);

// Random 32 bytes as base64url without padding (43 chars): session and API tokens.
std::string RandomToken();
Bytes RandomBytes(size_t n);
// Fills `out` from the operating system's CSPRNG (usable before Init()).
void FillRandom(std::span<uint8_t> out);

// SHA-256 (libsodium), for content fingerprints that other tools can recompute (sha256sum).
Bytes Sha256(std::span<const uint8_t> data);
// The same over input that arrives in pieces (a file read in chunks). Not thread-safe.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::span<const uint8_t> data);
  Bytes Final();  // once

 private:
  alignas(16) unsigned char state_[128];  // crypto_hash_sha256_state; size checked in crypto.cc
};

std::string ToHex(std::span<const uint8_t> bytes);
std::optional<Bytes> FromHex(std::string_view hex);
std::string ToBase64(std::span<const uint8_t> bytes);  // standard alphabet, padded
std::optional<Bytes> FromBase64(std::string_view b64);
// The same encodings of a secret, written into locked memory (size() excludes any terminator).
SecureBuffer ToHexSecret(std::span<const uint8_t> bytes);
SecureBuffer ToBase64Secret(std::span<const uint8_t> bytes);  // standard alphabet, padded

bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);

// Zeroes memory so that the compiler cannot drop the store (sodium_memzero): for secrets that had
// to pass through ordinary strings and vectors (request bodies, decoded tokens).
void Wipe(void* data, size_t size);
template <class Container>
void Wipe(Container& c) {
  Wipe(c.data(), c.size() * sizeof(*c.data()));
}

}  // namespace bomvault::crypto
