// Worker: one background thread that calls a step function over and over, resting between calls.
//
// The step returns how long to rest before the next call (zero: call again at once); Wake() cuts
// a rest short. The Scheduler (the purge, retention and backup timers) and KeyRotation (the
// background re-seal) each run on one. A step that must wait inside itself calls Pause(), which
// returns false as soon as the worker is stopping, so Stop() never waits longer than the step's
// current unit of work. The thread runs at the given nice value (Linux nice is per thread), so
// background work yields the cores to requests.
//
// Lifetime: the thread starts in the constructor and Stop() (or the destructor) joins it. An
// owner whose step uses its other members declares the Worker last, so it is built after them and
// stopped before they go. An exception escaping the step is caught, logged as `worker.fault` with
// the worker's name, and followed by the step's fault rest. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "util/log.h"

namespace bomvault::util {

class Worker {
 public:
  using Step = std::function<std::chrono::milliseconds()>;

  // name: for the log; nice: 0 to leave the priority alone.
  Worker(log::Literal name, int nice, Step step,
         std::chrono::milliseconds fault_rest = std::chrono::seconds(5));
  ~Worker() { Stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Ends the current rest (or the next one, if a step is running).
  void Wake();
  // Asks the thread to stop and joins it; idempotent. Not from the step itself.
  void Stop();
  // From the step: rests up to `d`, returns false once the worker is stopping.
  bool Pause(std::chrono::milliseconds d);

 private:
  void Loop();

  const log::Literal name_;
  const int nice_;
  Step step_;
  const std::chrono::milliseconds fault_rest_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  bool wake_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace bomvault::util
