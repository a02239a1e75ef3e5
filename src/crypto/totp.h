// Time-based one-time passwords (RFC 6238 over RFC 4226): SHA-1, 6 digits, 30-second steps,
// as every authenticator app expects. Secrets are 20 random bytes shown to the user in RFC 4648
// base32. Verification accepts the current step and one on either side and returns the step that
// matched, so the caller can refuse a replay (a code whose step is not newer than the last used).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "crypto/secure_buffer.h"

namespace bomvault::crypto {

constexpr int64_t kTotpStepSeconds = 30;

std::string Base32Encode(std::span<const uint8_t> bytes);  // RFC 4648, no padding
std::optional<SecureBuffer> Base32Decode(std::string_view text);

// The 6-digit code for a counter value (RFC 4226 HOTP).
std::string HotpCode(const SecureBuffer& secret, uint64_t counter);
// The step of the code that matched within ±window steps of unix_time, else nullopt.
// Compares in constant time.
std::optional<int64_t> TotpVerify(const SecureBuffer& secret, std::string_view code,
                                  int64_t unix_time, int window = 1);

}  // namespace bomvault::crypto
