#include "util/worker.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>

namespace bomvault::util {

Worker::Worker(log::Literal name, int nice, Step step, std::chrono::milliseconds fault_rest)
    : name_(name), nice_(nice), step_(std::move(step)), fault_rest_(fault_rest) {
  thread_ = std::thread([this] { Loop(); });
}

void Worker::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void Worker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Worker::Pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_; });
  return !stop_;
}

void Worker::Loop() {
  // Best effort: a failure changes nothing else.
  if (nice_ != 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice_);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    std::chrono::milliseconds rest{0};
    try {
      rest = step_();
    } catch (const std::exception&) {
      // A store fault seals the instance by itself (store/database.h); try again later.
      log::Warn("worker.fault").Text("worker", name_);
      rest = fault_rest_;
    }
    std::unique_lock lock(mu_);
    if (rest.count() > 0) cv_.wait_for(lock, rest, [this] { return stop_ || wake_; });
    wake_ = false;
  }
}

}  // namespace bomvault::util
