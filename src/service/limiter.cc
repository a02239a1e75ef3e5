#include "service/limiter.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <vector>

#include "util/clock.h"

namespace bomvault::service {

int64_t Backoff::RetryAfter(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  const int64_t now_ms = util::NowUnixMillis();
  // Whole seconds for Retry-After, rounded up, so a caller who waits that long is let in.
  return it->second.next_allowed_ms > now_ms ? (it->second.next_allowed_ms - now_ms + 999) / 1000
                                             : 0;
}

void Backoff::Failure(const std::string& key) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_keys_ && entries_.find(key) == entries_.end()) Evict();
  Entry& e = entries_[key];
  int64_t now = util::NowUnix();
  if (decay_ > 0 && e.last > 0 && now > e.last) {
    e.failures = static_cast<int>(
        std::max<int64_t>(0, e.failures - std::min<int64_t>((now - e.last) / decay_, INT32_MAX)));
  }
  e.failures++;
  e.last = now;
  if (e.failures > free_failures_) {
    int shift = std::min(e.failures - free_failures_ - 1, 20);
    // In milliseconds from this failure: counted from the second it falls in, a 1 s delay
    // could end a few milliseconds later.
    e.next_allowed_ms =
        util::NowUnixMillis() + std::min<int64_t>(int64_t{1} << shift, max_delay_) * 1000;
  }
}

int Backoff::Success(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  int failures = it->second.failures;
  entries_.erase(it);
  return failures;
}

void Backoff::Evict() {
  std::vector<int64_t> lasts;
  lasts.reserve(entries_.size());
  for (auto& [k, e] : entries_) lasts.push_back(e.last);
  std::nth_element(lasts.begin(), lasts.begin() + lasts.size() / 2, lasts.end());
  int64_t median = lasts[lasts.size() / 2];
  const int64_t now_ms = util::NowUnixMillis();
  for (auto it = entries_.begin(); it != entries_.end();) {
    // Keep keys that are still locked out: evicting them would reset an attacker's back-off.
    if (it->second.last <= median && it->second.next_allowed_ms <= now_ms) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

int64_t TokenBucket::Take(const std::string& key) {
  double now = util::NowUnixMillis() / 1000.0;
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_keys_ && entries_.find(key) == entries_.end()) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      // Full buckets carry no state worth keeping.
      if (it->second.tokens + (now - it->second.last) * rate_ >= burst_) {
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    if (entries_.size() >= max_keys_) entries_.clear();
  }
  auto [it, inserted] = entries_.try_emplace(key, Entry{burst_, now});
  Entry& e = it->second;
  e.tokens = std::min(burst_, e.tokens + (now - e.last) * rate_);
  e.last = now;
  if (e.tokens >= 1.0) {
    e.tokens -= 1.0;
    return 0;
  }
  return static_cast<int64_t>(std::ceil((1.0 - e.tokens) / rate_));
}

}  // namespace bomvault::service
