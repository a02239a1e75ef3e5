#include "crypto/shamir.h"

#include <sodium.h>

#include <array>
#include <cstddef>
#include <string>
#include <utility>

namespace bomvault::crypto {
namespace detail {

uint8_t GfMul(uint8_t a, uint8_t b) {
  // Shift-and-add over the 8 bits of b. Masks replace the two data-dependent branches a textbook
  // version has ("if b & 1" and "if a overflowed"), so timing is independent of a and b.
  uint8_t product = 0;
  for (int bit = 0; bit < 8; ++bit) {
    const uint8_t add_mask = static_cast<uint8_t>(-(b & 1));
    product ^= static_cast<uint8_t>(a & add_mask);
    const uint8_t reduce_mask = static_cast<uint8_t>(-(a >> 7));
    a = static_cast<uint8_t>((a << 1) ^ (0x1b & reduce_mask));
    b = static_cast<uint8_t>(b >> 1);
  }
  return product;
}

uint8_t GfInv(uint8_t a) {
  // a^254 == a^-1 because the multiplicative group has order 255, and 0^254 == 0 gives the
  // convention for free. The exponent is a public constant, so a fixed addition chain is
  // constant-time: 254 = 0b11111110.
  uint8_t square = GfMul(a, a);  // a^2
  uint8_t result = square;       // a^2
  for (int i = 0; i < 6; ++i) {  // multiplies in a^4, a^8, ..., a^128
    square = GfMul(square, square);
    result = GfMul(result, square);
  }
  return result;
}

}  // namespace detail

namespace {

using detail::GfInv;
using detail::GfMul;

bool ValidThreshold(int n, int k) { return k >= 2 && k <= n && n <= kShamirMaxShares; }

util::Status InvalidThreshold() {
  return util::Status::Invalid("invalid_threshold",
                               "the number of shares must be between 2 and 10, and the number "
                               "needed to unseal must be at least 2 and at most the number of "
                               "shares");
}

util::Status InvalidShare(std::string message) {
  return util::Status::Invalid("invalid_share", std::move(message));
}

}  // namespace

util::Result<std::vector<ShamirShare>> ShamirSplitWithCoefficients(
    std::span<const uint8_t> secret, int n, int k, std::span<const uint8_t> coefficients) {
  if (!ValidThreshold(n, k)) return InvalidThreshold();
  if (secret.empty()) return util::Status::Invalid("invalid_secret", "the secret is empty");
  const size_t degree = static_cast<size_t>(k - 1);
  if (coefficients.size() != secret.size() * degree) {
    return util::Status::Invalid("invalid_coefficients",
                                 "the number of coefficient bytes does not match the secret");
  }

  std::vector<ShamirShare> shares;
  shares.reserve(static_cast<size_t>(n));
  for (int x = 1; x <= n; ++x) {
    shares.push_back(ShamirShare{static_cast<uint8_t>(x), SecureBuffer(secret.size())});
  }

  uint8_t acc = 0;
  for (size_t i = 0; i < secret.size(); ++i) {
    const uint8_t* c = coefficients.data() + i * degree;
    for (ShamirShare& share : shares) {
      // Horner's rule from the highest coefficient down, ending with the secret as f(0).
      acc = 0;
      for (size_t j = degree; j-- > 0;) acc = GfMul(acc, share.x) ^ c[j];
      share.y.data()[i] = GfMul(acc, share.x) ^ secret[i];
    }
  }
  // acc held a partial polynomial value, which with the share reveals secret bytes.
  sodium_memzero(&acc, sizeof(acc));
  return shares;
}

util::Result<std::vector<ShamirShare>> ShamirSplit(std::span<const uint8_t> secret, int n, int k) {
  // Checked before sizing the coefficient buffer so a negative k cannot wrap the size.
  if (!ValidThreshold(n, k)) return InvalidThreshold();
  // Coefficients determine the secret given any one share, so they get the same protection.
  SecureBuffer coefficients(secret.size() * static_cast<size_t>(k - 1));
  if (!coefficients.empty()) randombytes_buf(coefficients.data(), coefficients.size());
  return ShamirSplitWithCoefficients(secret, n, k, coefficients.span());
}

util::Result<SecureBuffer> ShamirCombine(const std::vector<const ShamirShare*>& shares) {
  if (shares.empty()) return InvalidShare("no shares were given");
  std::array<bool, 256> seen{};
  size_t length = 0;
  for (const ShamirShare* share : shares) {
    if (share == nullptr) return InvalidShare("a share is missing");
    if (share->x == 0) return InvalidShare("a share has number 0, which is never issued");
    if (share->y.empty()) return InvalidShare("a share is empty");
    if (length == 0) length = share->y.size();
    if (share->y.size() != length) return InvalidShare("the shares have different lengths");
    if (seen[share->x]) {
      return util::Status::Invalid("duplicate_share", "the same share was given twice");
    }
    seen[share->x] = true;
  }

  SecureBuffer secret(length);
  for (const ShamirShare* share_j : shares) {
    // Lagrange basis polynomial for x_j evaluated at 0: prod over m != j of x_m / (x_m - x_j),
    // where subtraction is XOR. It depends only on the public x values.
    uint8_t numerator = 1;
    uint8_t denominator = 1;
    for (const ShamirShare* share_m : shares) {
      if (share_m == share_j) continue;
      numerator = GfMul(numerator, share_m->x);
      denominator = GfMul(denominator, share_m->x ^ share_j->x);
    }
    const uint8_t basis = GfMul(numerator, GfInv(denominator));
    const uint8_t* y = share_j->y.data();
    uint8_t* out = secret.data();
    for (size_t i = 0; i < length; ++i) out[i] ^= GfMul(basis, y[i]);
  }
  return secret;
}

}  // namespace bomvault::crypto
