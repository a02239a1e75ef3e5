#include "service/jobs.h"

#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using util::Code;
using util::Status;

Jobs::Jobs(int workers) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { Run(); });
}

Jobs::~Jobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) job->cancelled.store(true);
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void Jobs::ForgetOldLocked(int64_t now) {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const auto& j = it->second;
    if (j->finished_at != 0 && now - j->finished_at > kKeepFinishedSeconds) {
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

util::Result<util::JobId> Jobs::Submit(const access::Principal& owner, std::string kind,
                                       Work work) {
  auto job = std::make_shared<Job>();
  job->id = util::JobId::Generate();
  job->owner = owner.user;
  job->kind = std::move(kind);
  job->work = std::move(work);
  job->created_at = util::NowUnix();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status(Code::kSealed, "sealed", "the vault is sealed");
    ForgetOldLocked(job->created_at);
    size_t pending = 0, mine = 0;
    for (const auto& [id, j] : jobs_) {
      if (j->finished_at != 0) continue;
      ++pending;
      if (j->owner == owner.user) ++mine;
    }
    if (pending >= kMaxPending || mine >= kMaxPerUser) {
      return Status(Code::kTooManyRequests, "too_many_jobs",
                    "too many pulls and sends are waiting; try again when one has finished")
          .WithRetryAfter(5);
    }
    jobs_[job->id.str()] = job;
    queue_.push_back(job);
  }
  cv_.notify_one();
  util::log::Info("job.queued").Ref("job_id", job->id).Ref("user_id", job->owner);
  return job->id;
}

util::Result<JobView> Jobs::Get(const access::Principal& actor, const util::JobId& id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id.str());
  if (it == jobs_.end() || actor.kind != access::PrincipalKind::kUser ||
      it->second->owner != actor.user) {
    return Status::NotFound();
  }
  const Job& j = *it->second;
  JobView v;
  v.id = j.id;
  v.kind = j.kind;
  v.state = j.state;
  v.progress = j.state == "done" ? 1.0 : j.progress.load();
  v.result = j.result;
  v.error = j.error;
  v.created_at = j.created_at;
  return v;
}

Status Jobs::Cancel(const access::Principal& actor, const util::JobId& id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id.str());
  if (it == jobs_.end() || actor.kind != access::PrincipalKind::kUser ||
      it->second->owner != actor.user) {
    return Status::NotFound();
  }
  Job& j = *it->second;
  if (j.finished_at != 0) {
    return Status::Conflict("job_finished", "the job has finished already");
  }
  j.cancelled.store(true);
  if (j.state == "queued") {
    // Never started: it ends now; the worker that dequeues it skips it.
    j.state = "failed";
    j.error = Status(Code::kConflict, "cancelled", "the job was cancelled");
    j.finished_at = util::NowUnix();
  }
  util::log::Info("job.cancel").Ref("job_id", j.id);
  return Status::Ok();
}

void Jobs::Run() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
      if (job->finished_at != 0) continue;  // cancelled while queued
      job->state = "running";
    }
    JobContext ctx(job->cancelled, job->progress);
    util::Result<JobResult> r = Status::Internal();
    try {
      r = job->work(ctx);
    } catch (const std::exception&) {
      util::log::Error("job.exception").Ref("job_id", job->id);
      r = Status::Internal();
    }
    {
      std::lock_guard lock(mu_);
      if (job->cancelled.load() && r.ok() == false) {
        job->error = Status(Code::kConflict, "cancelled", "the job was cancelled");
        job->state = "failed";
      } else if (r.ok()) {
        job->result = std::move(r.value());
        job->state = "done";
        job->progress.store(1.0);
      } else {
        job->error = r.status();
        job->state = "failed";
      }
      job->finished_at = util::NowUnix();
      job->work = nullptr;  // drops whatever the work captured
    }
    util::log::Info("job.finished").Ref("job_id", job->id).Num("ok", job->state == "done" ? 1 : 0);
  }
}

}  // namespace bomvault::service
