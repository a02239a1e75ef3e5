// util::Worker: the background thread under the Scheduler and the key re-seal. No timings are
// asserted: each wait below is for an event, with a generous deadline that fails the test only if
// the event never comes.
#include "util/worker.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace {

using bomvault::util::Worker;
using namespace std::chrono_literals;

// Counts step calls and lets the test wait for a given count.
struct Counter {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  void Hit() {
    std::lock_guard lock(mu);
    ++calls;
    cv.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 30s, [&] { return calls >= n; });
  }
  int Get() {
    std::lock_guard lock(mu);
    return calls;
  }
};

}  // namespace

TEST_CASE("Worker: Wake ends a long rest, Stop ends it too and joins") {
  Counter c;
  Worker w("test", 0, [&] {
    c.Hit();
    return std::chrono::milliseconds(std::chrono::hours(1));
  });
  REQUIRE(c.WaitFor(1));
  w.Wake();
  REQUIRE(c.WaitFor(2));
  w.Stop();  // would hang for an hour if Stop did not end the rest
  int after = c.Get();
  CHECK(after >= 2);
  w.Stop();  // idempotent
  CHECK(c.Get() == after);
}

TEST_CASE("Worker: Pause inside a step returns false once stopping") {
  std::atomic<int> pauses{0};
  std::atomic<bool> saw_stop{false};
  Counter entered;
  {
    Worker* self = nullptr;
    Worker w("test", 0, [&]() -> std::chrono::milliseconds {
      entered.Hit();
      while (self == nullptr) std::this_thread::yield();
      pauses++;
      if (!self->Pause(std::chrono::hours(1))) saw_stop = true;
      return std::chrono::milliseconds(0);
    });
    self = &w;
    REQUIRE(entered.WaitFor(1));
  }  // the destructor stops the worker in the middle of its hour-long pause
  CHECK(pauses.load() >= 1);
  CHECK(saw_stop.load());
}

TEST_CASE("Worker: a step that throws is survived and called again after the fault rest") {
  Counter c;
  Worker w(
      "test", 0,
      [&]() -> std::chrono::milliseconds {
        c.Hit();
        if (c.Get() == 1) throw std::runtime_error("store fault");
        return std::chrono::milliseconds(std::chrono::hours(1));
      },
      std::chrono::milliseconds(1));
  REQUIRE(c.WaitFor(2));
}
