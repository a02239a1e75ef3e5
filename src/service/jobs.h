// Background jobs: pulls from and sends to data sources run here, off the request thread.
//
// A small in-process queue with a fixed number of worker threads. It is bounded: at most
// kMaxPending jobs wait or run in the whole process and kMaxPerUser per user; past that Submit
// answers 429. A job belongs to the user who submitted it, and only that user sees it (anyone
// else gets 404, as for a missing job). Progress is 0..1; a finished job keeps its result (or its
// error, a Status with a stable code) for kKeepFinishedSeconds, then is forgotten. Cancel sets a
// flag the work polls (the outbound client aborts a transfer in flight on it); a cancelled job
// ends "failed" with code "cancelled".
// Jobs live in memory only: sealing or stopping the server destroys the queue, which cancels
// every job and joins the workers before the services they use go away (Services declares the
// queue last). Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "access/permissions.h"
#include "util/ids.h"
#include "util/status.h"

namespace bomvault::service {

class JobContext {
 public:
  explicit JobContext(std::atomic<bool>& cancelled, std::atomic<double>& progress)
      : cancelled_(cancelled), progress_(progress) {}
  bool cancelled() const { return cancelled_.load(); }
  const std::atomic<bool>* cancel_flag() const { return &cancelled_; }
  void Progress(double p) { progress_.store(p < 0 ? 0 : p > 1 ? 1 : p); }

 private:
  std::atomic<bool>& cancelled_;
  std::atomic<double>& progress_;
};

// What a job that ended well hands back (http/ writes it as the job's "result"; members left
// unset are not written). A pull of a new BOM: bom_id, revision 1, items, changed. A refresh:
// bom_id, revision, changed, changes and, when it changed, previous_revision and compare. A
// folder pull adds file, sha256, profile and warnings. A send: remote_id.
struct JobResult {
  struct Changes {
    int64_t added = 0, removed = 0, changed = 0;
  };
  std::optional<std::string> bom_id;
  std::optional<int64_t> revision;
  std::optional<int64_t> items;  // the new BOM's item count
  std::optional<bool> changed;
  std::optional<Changes> changes;
  std::optional<int64_t> previous_revision;
  std::optional<std::string> compare;  // the compare route's path for the two revisions
  std::optional<std::string> file, sha256, profile;
  std::optional<int64_t> warnings;
  std::optional<std::string> remote_id;
};

struct JobView {
  util::JobId id;
  std::string kind;   // "pull" | "send"
  std::string state;  // "queued" | "running" | "done" | "failed"
  double progress = 0;
  JobResult result;    // when done
  util::Status error;  // when failed
  int64_t created_at = 0;
};

class Jobs {
 public:
  static constexpr size_t kMaxPending = 64;
  static constexpr size_t kMaxPerUser = 4;
  static constexpr int64_t kKeepFinishedSeconds = 3600;

  using Work = std::function<util::Result<JobResult>(JobContext&)>;

  explicit Jobs(int workers);
  ~Jobs();  // cancels every job and joins the workers
  Jobs(const Jobs&) = delete;
  Jobs& operator=(const Jobs&) = delete;

  util::Result<util::JobId> Submit(const access::Principal& owner, std::string kind, Work work);
  util::Result<JobView> Get(const access::Principal& actor, const util::JobId& id);
  util::Status Cancel(const access::Principal& actor, const util::JobId& id);

 private:
  struct Job {
    util::JobId id;
    util::UserId owner;
    std::string kind;
    Work work;
    std::atomic<bool> cancelled{false};
    std::atomic<double> progress{0};
    std::string state = "queued";  // guarded by mu_
    JobResult result;              // guarded by mu_
    util::Status error;            // guarded by mu_
    int64_t created_at = 0, finished_at = 0;
  };
  void Run();
  void ForgetOldLocked(int64_t now);

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                             // guarded by mu_
  std::deque<std::shared_ptr<Job>> queue_;            // guarded by mu_
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace bomvault::service
