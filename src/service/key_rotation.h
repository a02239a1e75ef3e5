// Rotating organisation data keys, and the background re-seal that follows.
//
// Start() rotates the data key of one org (or of every org) in one write transaction
// (OrgKeys::Rotate): new writes use the new key at once, reads open both, nothing stops. A worker
// thread then walks store/sealed_columns_store.h, the table of every column sealed under an org
// data key, and rewrites each ciphertext that still opens only under a retired key, in batches of
// kBatch rows, each batch one transaction that also records the position in key_rotations. A crash,
// `kill -9` or a seal loses at most the batch in flight: the next unseal resumes from the recorded
// position (re-sealing is idempotent: a row already under the current key is left alone).
//
// Pass 1 re-seals everything. The worker then waits until every request that fetched the org's
// keys before the rotation has ended (OrgKeys::Drained): only those could still write a
// ciphertext sealed under the old key. Pass 2 walks everything again, re-seals any straggler and
// counts what is left; when nothing is, the retired keys are marked resealed. A retired key row is
// deleted (secure_delete zeroes its page) as soon as nothing needs it any more: not the live store
// (pass 2 proved it), not a backup snapshot (every snapshot in every backup directory is younger
// than the end of the re-seal; the key file is then rewritten without it), not the long-term audit
// chain (its rows are hash-chained, so they are never re-sealed: a retired key stays while a chain
// row of the org written before the end of the re-seal remains). Audited: key.rotate,
// key.reseal_done, key.retired_destroyed. Ciphertext that no key opens is counted, logged by id
// and left as it is (`bomvault check` reports it).
//
// data_master is not rotated here: it lives in the keyring, which only the key holders' shares can
// rewrite (see `bomvault rekey`). Thread-safe: one worker thread, state in the database.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "crypto/secure_buffer.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/ids.h"
#include "util/status.h"
#include "util/worker.h"

namespace bomvault::service {

class Backups;

struct RotationProgress {
  std::string org_id;
  int pass = 1;
  int step = 0;
  int steps = 0;
  int64_t resealed = 0;
  int64_t started_at = 0;
};

struct RetiredKeyView {
  std::string org_id;
  int64_t retired_at = 0;
  int64_t resealed_at = 0;  // 0: the live store may still hold data under it
  std::string kept_for;     // "reseal", "backups", "audit_chain", "" (about to go)
};

struct RotationStatus {
  std::vector<RotationProgress> rotations;
  std::vector<RetiredKeyView> retired;
  int64_t unreadable = 0;  // ciphertexts no key opened, since this unseal
};

class KeyRotation {
 public:
  static constexpr int kBatch = 32;

  // `backups` may be null (offline use). Starts the worker, which resumes unfinished rotations.
  KeyRotation(store::Database& db, OrgKeys& keys, Backups* backups);
  ~KeyRotation();  // stops the worker after its current batch
  KeyRotation(const KeyRotation&) = delete;
  KeyRotation& operator=(const KeyRotation&) = delete;

  // Operator: rotates `org`'s key, or every org's if org is empty. Returns the orgs rotated.
  util::Result<std::vector<std::string>> Start(const access::Principal& actor,
                                               const std::string& org);
  util::Result<RotationStatus> Report(const access::Principal& actor);
  // Deletes the retired keys nothing needs any more (called by the worker and the scheduler).
  int DestroyUnneededRetiredKeys();

 private:
  // The worker's step: one batch, or the retired-key cleanup and a rest when idle.
  std::chrono::milliseconds Work();
  // One batch of the oldest unfinished rotation; false when there is nothing to do.
  bool Step();
  // What still needs a retired key: "reseal", "audit_chain", "backups", or "" (nothing).
  std::string KeptFor(store::Db& db, const std::string& org, int64_t resealed_at,
                      const std::vector<std::optional<int64_t>>& oldest_snapshots);
  // Backups::OldestSnapshots(), read before a transaction (it reads the store itself).
  std::vector<std::optional<int64_t>> OldestSnapshots();

  store::Database& db_;
  OrgKeys& keys_;
  Backups* backups_;
  std::atomic<int64_t> unreadable_{0};
  std::chrono::steady_clock::time_point next_cleanup_{};  // worker thread only
  util::Worker worker_;  // last: built after, and stopped before, what Work uses
};

}  // namespace bomvault::service
