#include "crypto/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

namespace bomvault::crypto {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
}

std::string Base32Encode(std::span<const uint8_t> bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<SecureBuffer> Base32Decode(std::string_view text) {
  SecureBuffer tmp(text.size() * 5 / 8 + 1);
  size_t n = 0;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == ' ') continue;
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    if (v < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      tmp.data()[n++] = static_cast<uint8_t>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  return SecureBuffer(tmp.data(), n);
}

std::string HotpCode(const SecureBuffer& secret, uint64_t counter) {
  uint8_t msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<uint8_t>(counter & 0xff);
    counter >>= 8;
  }
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg, mac, &mac_len);
  int offset = mac[mac_len - 1] & 0x0f;
  uint32_t bin = ((mac[offset] & 0x7fu) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) |
                 mac[offset + 3];
  sodium_memzero(mac, sizeof mac);
  std::string code = std::to_string(bin % 1000000);
  return std::string(6 - code.size(), '0') + code;
}

std::optional<int64_t> TotpVerify(const SecureBuffer& secret, std::string_view code,
                                  int64_t unix_time, int window) {
  if (code.size() != 6) return std::nullopt;
  int64_t step = unix_time / kTotpStepSeconds;
  std::optional<int64_t> matched;
  // Check every candidate step so timing does not reveal which one matched.
  for (int64_t s = step - window; s <= step + window; ++s) {
    if (s < 0) continue;
    std::string expected = HotpCode(secret, static_cast<uint64_t>(s));
    if (sodium_memcmp(expected.data(), code.data(), 6) == 0 && !matched) matched = s;
  }
  return matched;
}

}  // namespace bomvault::crypto
