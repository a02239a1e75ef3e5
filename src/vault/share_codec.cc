#include "vault/share_codec.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "crypto/crypto.h"

namespace bomvault::vault {
namespace {

constexpr std::string_view kPrefix = "bvs1-";
constexpr std::string_view kChecksumContext = "bomvault-share-v1";
constexpr size_t kChecksumSize = 4;
constexpr size_t kBodySize = kShareStoreIdSize + 1 + 1 + kShareYSize;  // what the checksum covers
constexpr size_t kPayloadSize = kBodySize + kChecksumSize;
constexpr size_t kThresholdOffset = kShareStoreIdSize;
constexpr size_t kIndexOffset = kThresholdOffset + 1;
constexpr size_t kYOffset = kIndexOffset + 1;
constexpr size_t kSymbolCount = (kPayloadSize * 8 + 4) / 5;
constexpr size_t kPaddingBits = kSymbolCount * 5 - kPayloadSize * 8;
constexpr size_t kGroupSize = 5;
constexpr size_t kEncodedSize =
    kPrefix.size() + kSymbolCount + (kSymbolCount + kGroupSize - 1) / kGroupSize - 1;
constexpr uint8_t kMinThreshold = 2;
constexpr uint8_t kMaxShares = 10;

static_assert(kSymbolCount == 74 && kPaddingBits == 2);

// -1 when lo <= c <= hi, else 0, without a branch. Inputs are in 0..255, so each difference lies
// in -256..255 and its sign (bits 8 and up) says which side of the bound c is on.
int RangeMask(int c, int lo, int hi) { return ((lo - 1 - c) & (c - hi - 1)) >> 8; }

char EncodeSymbol(int v) {
  int c = 0;
  c |= RangeMask(v, 0, 9) & ('0' + v);
  c |= RangeMask(v, 10, 17) & ('A' + v - 10);
  c |= RangeMask(v, 18, 19) & ('J' + v - 18);
  c |= RangeMask(v, 20, 21) & ('M' + v - 20);
  c |= RangeMask(v, 22, 26) & ('P' + v - 22);
  c |= RangeMask(v, 27, 31) & ('V' + v - 27);
  return static_cast<char>(c);
}

// Symbol value 0..31, or -1 for a character outside the alphabet. The ranges are disjoint, so
// at most one adds (value + 1) to the initial -1.
int DecodeSymbol(unsigned char raw) {
  int c = raw;
  c -= 0x20 & RangeMask(c, 'a', 'z');
  int v = -1;
  v += RangeMask(c, '0', '9') & (c - '0' + 1);
  v += RangeMask(c, 'A', 'H') & (c - 'A' + 10 + 1);
  v += RangeMask(c, 'I', 'I') & (1 + 1);
  v += RangeMask(c, 'J', 'K') & (c - 'J' + 18 + 1);
  v += RangeMask(c, 'L', 'L') & (1 + 1);
  v += RangeMask(c, 'M', 'N') & (c - 'M' + 20 + 1);
  v += RangeMask(c, 'O', 'O') & (0 + 1);
  v += RangeMask(c, 'P', 'T') & (c - 'P' + 22 + 1);
  v += RangeMask(c, 'V', 'Z') & (c - 'V' + 27 + 1);
  return v;
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsIgnorable(char c) { return c == '-' || IsWhitespace(c); }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void ComputeChecksum(const uint8_t* body, uint8_t* checksum) {
  // Blake2b256 wipes its state (it holds y's last block verbatim); the digest is derived from y.
  crypto::Bytes digest = crypto::Blake2b256({crypto::AsBytes(kChecksumContext), {body, kBodySize}});
  std::copy(digest.begin(), digest.begin() + kChecksumSize, checksum);
  crypto::Wipe(digest);
}

util::Status Malformed(std::string message) {
  return util::Status::Invalid("malformed_share", std::move(message));
}

util::Status ChecksumMismatch() {
  return util::Status::Invalid("share_checksum",
                               "the share's checksum does not match: it was probably mistyped");
}

}  // namespace

std::string EncodeShare(const std::array<uint8_t, kShareStoreIdSize>& store_id, uint8_t threshold,
                        uint8_t index, std::span<const uint8_t> y) {
  if (y.size() != kShareYSize || threshold < kMinThreshold || threshold > kMaxShares || index < 1 ||
      index > kMaxShares) {
    return {};
  }
  crypto::SecureBuffer payload(kPayloadSize);
  uint8_t* p = payload.data();
  std::copy(store_id.begin(), store_id.end(), p);
  p[kThresholdOffset] = threshold;
  p[kIndexOffset] = index;
  std::copy(y.begin(), y.end(), p + kYOffset);
  ComputeChecksum(p, p + kBodySize);

  std::string text;
  text.reserve(kEncodedSize);
  text.append(kPrefix);
  size_t symbols = 0;
  auto append_symbol = [&](int v) {
    if (symbols != 0 && symbols % kGroupSize == 0) text.push_back('-');
    text.push_back(EncodeSymbol(v));
    ++symbols;
  };
  // At most 4 + 8 bits are pending at a time; the mask drops bits already emitted.
  uint32_t pending = 0;
  int pending_bits = 0;
  for (size_t i = 0; i < kPayloadSize; ++i) {
    pending = ((pending << 8) | p[i]) & 0xfff;
    pending_bits += 8;
    while (pending_bits >= 5) {
      pending_bits -= 5;
      append_symbol(static_cast<int>((pending >> pending_bits) & 0x1f));
    }
  }
  if (pending_bits > 0) append_symbol(static_cast<int>((pending << (5 - pending_bits)) & 0x1f));
  crypto::Wipe(&pending, sizeof(pending));
  return text;
}

util::Result<DecodedShare> DecodeShare(
    std::string_view text, const std::array<uint8_t, kShareStoreIdSize>& expected_store_id) {
  size_t pos = 0;
  while (pos < text.size() && IsWhitespace(text[pos])) ++pos;
  // The prefix is public and fixed, so an ordinary branchy comparison is fine here.
  for (char expected : kPrefix) {
    if (pos >= text.size() || AsciiLower(text[pos]) != expected) {
      return Malformed("a share must start with \"bvs1-\"");
    }
    ++pos;
  }

  // Symbols are 5 bits of the payload each, so they get the same protection as y.
  crypto::SecureBuffer symbols(kSymbolCount);
  size_t count = 0;
  for (; pos < text.size(); ++pos) {
    if (IsIgnorable(text[pos])) continue;
    const int v = DecodeSymbol(static_cast<unsigned char>(text[pos]));
    if (v < 0) {
      return Malformed("character " + std::to_string(pos + 1) +
                       " of the share is not one that can appear in a share");
    }
    if (count == kSymbolCount) {
      return Malformed("the share is too long: a character was probably typed twice");
    }
    symbols.data()[count++] = static_cast<uint8_t>(v);
  }
  if (count < kSymbolCount) {
    return Malformed("the share is too short: part of it is probably missing");
  }

  crypto::SecureBuffer payload(kPayloadSize);
  uint8_t* p = payload.data();
  uint32_t pending = 0;
  int pending_bits = 0;
  size_t out = 0;
  for (size_t i = 0; i < kSymbolCount; ++i) {
    pending = ((pending << 5) | symbols.data()[i]) & 0xfff;
    pending_bits += 5;
    if (pending_bits >= 8) {
      pending_bits -= 8;
      p[out++] = static_cast<uint8_t>(pending >> pending_bits);
    }
  }
  // Non-zero padding can only come from a changed last character. Reporting it as a checksum
  // failure keeps the promise that every typo reads as a typo, and keeps the text canonical.
  const uint32_t padding = pending & ((1u << kPaddingBits) - 1);
  crypto::Wipe(&pending, sizeof(pending));
  if (padding != 0) return ChecksumMismatch();

  uint8_t checksum[kChecksumSize];
  ComputeChecksum(p, checksum);
  const bool checksum_ok =
      crypto::ConstantTimeEquals({checksum, kChecksumSize}, {p + kBodySize, kChecksumSize});
  crypto::Wipe(checksum, sizeof(checksum));
  if (!checksum_ok) return ChecksumMismatch();

  // Field checks come after the checksum: a typo in these bytes should read as a typo, so only
  // a correctly checksummed share from a faulty encoder reaches them.
  const uint8_t threshold = p[kThresholdOffset];
  const uint8_t index = p[kIndexOffset];
  if (threshold < kMinThreshold || threshold > kMaxShares) {
    return Malformed("the share's threshold (shares needed to unseal) is not between 2 and 10");
  }
  if (index == 0) return Malformed("the share's number is 0, which is never issued");
  if (index > kMaxShares) return Malformed("the share's number is greater than 10");

  if (!std::equal(expected_store_id.begin(), expected_store_id.end(), p)) {
    return util::Status::Invalid("foreign_share", "this share belongs to another bomvault store");
  }

  DecodedShare share;
  std::copy(p, p + kShareStoreIdSize, share.store_id.begin());
  share.threshold = threshold;
  share.index = index;
  share.y = crypto::SecureBuffer(p + kYOffset, kShareYSize);
  return share;
}

}  // namespace bomvault::vault
