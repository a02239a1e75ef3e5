// Time for everything in bomvault: the system clock, in whole seconds since the Unix epoch (UTC).
//
// Everything reads time through these functions (std::chrono::system_clock underneath), so tests
// shift it with libfaketime. Formatting is RFC 3339 UTC with a trailing 'Z'. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace bomvault::util {

inline int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t NowUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string FormatUtc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "YYYY-MM-DD" of the UTC day holding unix_seconds.
inline std::string FormatUtcDate(int64_t unix_seconds) {
  return FormatUtc(unix_seconds).substr(0, 10);
}

constexpr int64_t kSecondsPerDay = 86400;

}  // namespace bomvault::util
