// Share codec: the text form of one Shamir share of a store's master key, short enough to read
// aloud or paste, and framed so that a typo or a share of another store is caught before it
// reaches interpolation (which cannot detect either, see crypto/shamir.h).
//
// Format: "bvs1-" then Crockford base32 (0123456789ABCDEFGHJKMNPQRSTVWXYZ, most significant bit
// first, 2 zero padding bits at the end) of the 46-byte payload
//   store_id(8) || threshold(1) || index(1) || y(32) || checksum(4)
// in groups of 5 characters joined by '-'. checksum is the first 4 bytes of BLAKE2b-256
// (crypto_generichash) over "bomvault-share-v1" || store_id || threshold || index || y; it is a
// typo detector, not a MAC: whoever holds a share can forge a valid-looking one, and the vault
// still verifies the combined key with an AEAD. Invariants of a decoded share: 2 <= threshold
// <= 10, 1 <= index <= 10, y is 32 bytes, the checksum matched and store_id equals the expected
// one. Decoding forgives how people copy text: any case, '-', spaces, tabs and line breaks anywhere
// after the prefix, and Crockford's look-alikes I/L (read as 1) and O (read as 0). Errors never
// echo the share text. Checksum mismatch is reported before a foreign store id, so a typo in the
// store id part reads as a typo rather than "wrong store".
//
// Character mapping and bit packing use no tables and no branches on the value a character
// carries, like the field arithmetic, because every character holds 5 bits of y; only whether a
// character is valid or ignorable steers control flow. Buffers that held y or the payload are
// wiped before returning.
//
// Thread-safety: both functions are pure and reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/secure_buffer.h"
#include "util/status.h"

namespace bomvault::vault {

inline constexpr size_t kShareStoreIdSize = 8;
inline constexpr size_t kShareYSize = 32;

struct DecodedShare {
  std::array<uint8_t, kShareStoreIdSize> store_id{};
  uint8_t threshold = 0;   // shares needed to unseal, 2..10
  uint8_t index = 0;       // the share's x value, 1..10
  crypto::SecureBuffer y;  // kShareYSize bytes
};

// Returns the text form of a share. The result is as sensitive as y: show or write it, then wipe
// it (crypto::Wipe(text)). Its capacity is reserved up front so no partial
// copy is left behind in freed heap memory. Out-of-range input (y not 32 bytes, threshold outside
// 2..10, index outside 1..10) is a programming error and yields an empty string, so that a share
// DecodeShare would refuse is never handed to a person.
std::string EncodeShare(const std::array<uint8_t, kShareStoreIdSize>& store_id, uint8_t threshold,
                        uint8_t index, std::span<const uint8_t> y);

// Parses and checks a share typed or pasted by a person. Fails with Invalid and machine code
// "malformed_share" (bad prefix, character, length or field value; the message says which),
// "share_checksum" (probably mistyped) or "foreign_share" (checksum fine, other store).
util::Result<DecodedShare> DecodeShare(
    std::string_view text, const std::array<uint8_t, kShareStoreIdSize>& expected_store_id);

}  // namespace bomvault::vault
