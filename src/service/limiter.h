// In-memory rate limits: failure back-off for sign-in, and token buckets for the API.
//
// Backoff counts failures per key (an account's blind index, or a hashed peer address) and,
// past `free_failures`, refuses attempts until an exponentially growing delay has passed
// (capped). Success clears the key. With decay_seconds > 0 the count also forgets one failure
// per decay_seconds without any, so a key that was hammered once (an address many people
// share) recovers by itself instead of re-arming the longest delay at the next typo. TokenBucket
// allows `burst` requests at once and refills at `rate` per second per key. Both keep at most
// `max_keys` keys, dropping the stalest half when full, so a flood of distinct keys cannot grow
// memory without bound. Keys are opaque bytes and never logged. Thread-safe: one mutex per limiter.
// Times come from the system clock: delays in whole seconds, each counted from the failure's
// millisecond.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bomvault::service {

class Backoff {
 public:
  Backoff(int free_failures, int64_t max_delay_seconds, int64_t decay_seconds = 0,
          size_t max_keys = 100000)
      : free_failures_(free_failures),
        max_delay_(max_delay_seconds),
        decay_(decay_seconds),
        max_keys_(max_keys) {}
  // Seconds the caller must still wait before another attempt (0 = go ahead).
  int64_t RetryAfter(const std::string& key);
  void Failure(const std::string& key);
  // Clears the key; returns the failures it had counted (0 if none).
  int Success(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    int64_t next_allowed_ms = 0;  // unix milliseconds
    int64_t last = 0;
  };
  void Evict();
  const int free_failures_;
  const int64_t max_delay_;
  const int64_t decay_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst, size_t max_keys = 100000)
      : rate_(rate_per_second), burst_(burst), max_keys_(max_keys) {}
  // 0 if a request may go now (and consumes a token), else whole seconds to wait.
  int64_t Take(const std::string& key);

 private:
  struct Entry {
    double tokens = 0;
    double last = 0;
  };
  const double rate_;
  const double burst_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace bomvault::service
