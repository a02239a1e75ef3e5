// Time for everything in bomvault: the system clock, in whole seconds since the Unix epoch (UTC).
//
// Everything reads time through these functions (std::chrono::system_clock underneath), so tests
// of the whole binary shift it with libfaketime. The long-running parts that act on time by
// themselves (the Scheduler, the Monitor's read windows) take a `const Clock&` instead, so an
// in-process test moves their time with a ManualClock. Formatting is RFC 3339 UTC with a trailing
// 'Z'. Thread-safe.
#pragma once

#include <atomic>
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

// A source of the current time in Unix seconds.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t Now() const = 0;
};

// The system clock (NowUnix); stateless, so one shared instance serves everyone.
class SystemClock final : public Clock {
 public:
  int64_t Now() const override { return NowUnix(); }
  static const SystemClock& Get() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told to (tests). Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now) : now_(now) {}
  int64_t Now() const override { return now_.load(); }
  void Set(int64_t now) { now_.store(now); }
  void Advance(int64_t seconds) { now_.fetch_add(seconds); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace bomvault::util
