#include "service/key_rotation.h"

#include <chrono>
#include <limits>
#include <variant>

#include "codec/rotation_position.h"
#include "service/audit.h"
#include "service/backups.h"
#include "store/audit_store.h"
#include "store/org_keys_store.h"
#include "store/orgs_store.h"
#include "store/sealed_columns_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

namespace {

using util::Status;

using store::KeyValue;

}  // namespace

KeyRotation::KeyRotation(store::Database& db, OrgKeys& keys, Backups* backups)
    : db_(db),
      keys_(keys),
      backups_(backups),
      worker_(
          "key_rotation", 0, [this] { return Work(); }, std::chrono::minutes(1)) {}

KeyRotation::~KeyRotation() { worker_.Stop(); }

util::Result<std::vector<std::string>> KeyRotation::Start(const access::Principal& actor,
                                                          const std::string& org) {
  if (access::Decision d = access::MayUse(actor, access::Function::kKeyRotate);
      d != access::Decision::kAllow) {
    return access::Refusal(actor, access::Function::kKeyRotate, d);
  }
  std::vector<std::pair<util::OrgId, crypto::SecureBuffer>> rotated;
  Status st = db_.Write([&](store::Db& conn) -> Status {
    rotated.clear();
    std::vector<util::OrgId> ids;
    if (org.empty()) {
      ids = store::OrgIds(conn);
    } else if (auto one = util::OrgId::Parse(org); one && store::OrgExists(conn, *one)) {
      ids.push_back(*one);
    } else {
      return Status::NotFound("no such organisation");
    }
    for (const auto& oid : ids) {
      const std::string& id = oid.str();
      auto key = keys_.Rotate(conn, oid);
      if (!key.ok()) return key.status();
      RecordAudit(conn, nullptr, {"org:" + id, "operator", "key.rotate", {{"org_id", id}}});
      rotated.emplace_back(oid, std::move(key.value()));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::vector<std::string> out;
  for (auto& [oid, key] : rotated) {
    keys_.Rotated(oid, std::move(key));
    util::log::Info("key.rotated").Ref("org", oid);
    out.push_back(oid.str());
  }
  worker_.Wake();
  return out;
}

std::string KeyRotation::KeptFor(store::Db& db, const std::string& org, int64_t resealed_at,
                                 const std::vector<std::optional<int64_t>>& oldest_snapshots) {
  if (resealed_at == 0) return "reseal";
  if (store::ChainHasOrgRowAtOrBefore(db, util::OrgId::FromTrusted(org), resealed_at)) {
    return "audit_chain";
  }
  for (const auto& oldest : oldest_snapshots) {
    // Unreadable directory (nullopt): it may hold old snapshots, keep the key.
    if (!oldest || *oldest <= resealed_at) return "backups";
  }
  return "";
}

std::vector<std::optional<int64_t>> KeyRotation::OldestSnapshots() {
  if (backups_ == nullptr) return {};
  return backups_->OldestSnapshots();
}

util::Result<RotationStatus> KeyRotation::Report(const access::Principal& actor) {
  if (access::Decision d = access::MayUse(actor, access::Function::kKeyRotate);
      d != access::Decision::kAllow) {
    return access::Refusal(actor, access::Function::kKeyRotate, d);
  }
  RotationStatus out;
  const auto oldest = OldestSnapshots();
  Status st = db_.Read([&](store::Db& conn) -> Status {
    for (const auto& r : store::ListKeyRotations(conn)) {
      out.rotations.push_back(
          {r.org.str(), r.pass, r.step, store::SealedColumnCount(), r.resealed, r.started_at});
    }
    for (const auto& r : store::ListRetiredKeys(conn, false)) {
      RetiredKeyView v{r.org.str(), r.retired_at, r.resealed_at, ""};
      v.kept_for = KeptFor(conn, v.org_id, v.resealed_at, oldest);
      out.retired.push_back(std::move(v));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  out.unreadable = unreadable_.load();
  return out;
}

int KeyRotation::DestroyUnneededRetiredKeys() {
  std::vector<std::string> orgs;
  int destroyed = 0;
  const auto oldest = OldestSnapshots();
  Status st = db_.Write([&](store::Db& conn) -> Status {
    orgs.clear();
    destroyed = 0;
    for (const auto& r : store::ListRetiredKeys(conn, true)) {
      const std::string& org = r.org.str();
      if (!KeptFor(conn, org, r.resealed_at, oldest).empty()) continue;
      store::DeleteRetiredKey(conn, r.id);
      RecordAudit(conn, nullptr,
                  {"org:" + org, "system", "key.retired_destroyed", {{"org_id", org}}});
      orgs.push_back(org);
      ++destroyed;
    }
    return Status::Ok();
  });
  if (!st.ok() || destroyed == 0) return 0;
  // The deleted rows' pages are zeroed (secure_delete); the WAL copy goes with the checkpoint.
  (void)db_.CheckpointTruncate();
  (void)db_.Read([&](store::Db& conn) -> Status {
    for (const auto& org : orgs) (void)keys_.ReloadRetired(conn, util::OrgId::FromTrusted(org));
    return Status::Ok();
  });
  if (backups_ != nullptr) backups_->RefreshKeyFiles();
  util::log::Info("key.retired_destroyed").Num("keys", destroyed);
  return destroyed;
}

bool KeyRotation::Step() {
  std::optional<store::KeyRotationRow> job;
  Status st = db_.Read([&](store::Db& conn) -> Status {
    job = store::NextKeyRotation(conn);
    return Status::Ok();
  });
  if (!st.ok() || !job) return false;
  const util::OrgId& org = job->org;

  if (job->step >= store::SealedColumnCount()) {
    if (job->pass == 1) {
      // Wait for every request that may have sealed under the old key before the swap.
      if (!keys_.Drained(org)) {
        (void)worker_.Pause(std::chrono::milliseconds(200));
        return true;
      }
      (void)db_.Write([&](store::Db& conn) -> Status {
        store::StartKeyRotationSecondPass(conn, org);
        return Status::Ok();
      });
      return true;
    }
    // Pass 2 done: nothing in the live store needs a retired key of this org any more.
    int64_t resealed = 0;
    st = db_.Write([&](store::Db& conn) -> Status {
      if (auto row = store::FindKeyRotation(conn, org)) resealed = row->resealed;
      store::MarkRetiredKeysResealed(conn, org, util::NowUnix());
      store::DeleteKeyRotation(conn, org);
      RecordAudit(conn, nullptr,
                  {"org:" + org.str(),
                   "system",
                   "key.reseal_done",
                   {{"org_id", org.str()}, {"resealed", resealed}}});
      return Status::Ok();
    });
    if (st.ok()) {
      util::log::Info("key.reseal_done").Ref("org", org).Num("resealed", resealed);
      DestroyUnneededRetiredKeys();
    }
    return true;
  }

  const int step = job->step;
  const std::string_view purpose = store::SealedColumnPurpose(step);
  std::shared_ptr<const OrgCrypto> crypto;
  int64_t done = 0, unreadable = 0;
  bool step_finished = false;
  st = db_.Write([&](store::Db& conn) -> Status {
    done = unreadable = 0;
    auto c = keys_.Get(conn, org);
    if (!c.ok()) {
      // The org is gone (deleted while rotating): its key_rotations row went with it.
      store::DeleteKeyRotation(conn, org);
      return Status::Ok();
    }
    crypto = c.value();
    std::optional<std::vector<KeyValue>> position;
    if (!job->position.empty()) {
      position = codec::DecodeRotationPosition(job->position, store::SealedColumnKeyCount(step));
    }
    const std::vector<store::SealedRow> rows =
        store::SealedBatch(conn, step, org, position, kBatch);
    for (const store::SealedRow& r : rows) {
      crypto::Bytes fresh;
      switch (crypto->ResealUnderCurrent(purpose, r.object, r.sealed, &fresh)) {
        case OrgCrypto::Reseal::kCurrent:
          break;
        case OrgCrypto::Reseal::kUnreadable:
          ++unreadable;
          util::log::Warn("key.reseal_unreadable").Ref("org", org).Num("step", step);
          break;
        case OrgCrypto::Reseal::kResealed:
          store::UpdateSealed(conn, step, r.keys, fresh);
          ++done;
          break;
      }
    }
    step_finished = static_cast<int>(rows.size()) < kBatch;
    store::AdvanceKeyRotation(conn, org, step + (step_finished ? 1 : 0),
                              step_finished || rows.empty()
                                  ? std::string()
                                  : codec::EncodeRotationPosition(rows.back().keys),
                              done);
    return Status::Ok();
  });
  if (!st.ok()) {
    util::log::Warn("key.reseal_batch_failed").Ref("org", org).Num("step", job->step);
    (void)worker_.Pause(std::chrono::seconds(5));
    return true;
  }
  unreadable_.fetch_add(unreadable);
  return true;
}

std::chrono::milliseconds KeyRotation::Work() {
  if (Step()) return std::chrono::milliseconds(0);
  if (std::chrono::steady_clock::now() >= next_cleanup_) {
    DestroyUnneededRetiredKeys();
    next_cleanup_ = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  }
  return std::chrono::minutes(1);
}

}  // namespace bomvault::service
