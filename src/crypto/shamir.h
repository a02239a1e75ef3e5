// Shamir secret sharing over GF(256): how the vault's master key is split among several people so
// that any k of them can unseal the vault together and fewer than k learn nothing about the key.
//
// Each secret byte is the constant term of its own random polynomial of degree k-1 over GF(2^8)
// with the AES reduction polynomial x^8+x^4+x^3+x+1 (0x11b); share number x holds every
// polynomial evaluated at x. Invariants: 2 <= k <= n <= 10; share x values are 1..n, never 0
// (f(0) is the secret itself); every share's y has exactly the secret's length. Shamir sharing
// has no integrity: fewer than k shares, or a damaged share, interpolate to a wrong secret
// without any error, so callers must verify the result (the vault does so by opening an
// AEAD-sealed blob with it).
//
// Side channels: secret bytes, coefficients and y values pass through the field arithmetic, so
// GfMul and GfInv run in constant time (mask-based shift-and-add, no lookup tables, no branches
// or memory indices that depend on field elements). Share x values, share counts and lengths are
// public and may steer control flow.
//
// Why not Debian's libgfshare: it multiplies through log/exp tables, and table lookups indexed by
// secret bytes leak them through cache timing; it draws coefficients from a process-global RNG
// hook of its own (historically libc random()) instead of libsodium's CSPRNG; and its shares are
// bare bytes with no store id, threshold or checksum, so a mistyped or foreign share silently
// yields garbage. share_codec (vault/) adds that framing on top of this module.
//
// Thread-safety: every function is pure and reentrant; concurrent calls are safe as long as no
// caller mutates the inputs while they are being read.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/secure_buffer.h"
#include "util/status.h"

namespace bomvault::crypto {

// Largest n accepted. vault/share_codec refuses share indexes above it, so the two must agree.
inline constexpr int kShamirMaxShares = 10;

struct ShamirShare {
  uint8_t x = 0;   // 1..255; public
  SecureBuffer y;  // same length as the secret; secret
};

// Splits `secret` into n shares, any k of which rebuild it. Coefficients come from
// randombytes_buf and are wiped after use. Fails with Invalid "invalid_threshold" unless
// 2 <= k <= n <= kShamirMaxShares, and with Invalid "invalid_secret" for an empty secret.
util::Result<std::vector<ShamirShare>> ShamirSplit(std::span<const uint8_t> secret, int n, int k);

// Deterministic variant for known-answer tests. `coefficients` holds secret.size()*(k-1) bytes:
// bytes [i*(k-1), (i+1)*(k-1)) are the coefficients of x^1..x^(k-1) for secret byte i. A wrong
// size fails with Invalid "invalid_coefficients". Production code must use ShamirSplit.
util::Result<std::vector<ShamirShare>> ShamirSplitWithCoefficients(
    std::span<const uint8_t> secret, int n, int k, std::span<const uint8_t> coefficients);

// Lagrange interpolation of the shares at x=0. Refuses (Invalid) an empty list or a null entry,
// a share with x == 0, empty or unequal y lengths ("invalid_share"), and two shares with the
// same x ("duplicate_share"). Given fewer than k shares it returns a wrong value: that cannot be
// detected here, see the header comment.
util::Result<SecureBuffer> ShamirCombine(const std::vector<const ShamirShare*>& shares);

namespace detail {

// Multiplication in GF(2^8) modulo 0x11b, in constant time.
uint8_t GfMul(uint8_t a, uint8_t b);

// Multiplicative inverse as a^254 (Fermat), in constant time. GfInv(0) is 0 by convention.
uint8_t GfInv(uint8_t a);

}  // namespace detail

}  // namespace bomvault::crypto
