// The instance: seal state and, while unsealed, the open store and the services over it.
//
// Sealed, the instance holds only the keyring file's public metadata and the unseal progress.
// Unsealing (enough shares, or the keys handed over by `serve --init`) opens the keyring,
// opens the SQLCipher store, and builds the services; sealing destroys them all, which closes the
// database and wipes every key (SecureBuffer). Requests take a shared hold on the services for
// their duration (Acquire); Seal takes the exclusive side, so no request ever sees
// half-torn-down state, and once Seal() returns no key is in memory and none can be used.
//
// Sealing is the emergency brake and must not wait behind load. glibc's rwlock lets new readers
// overtake a waiting writer, and handlers used to hold their hold while queueing for an Argon2
// slot, so a sign-in flood kept Seal() waiting for as long as it lasted. Now:
//  1. Seal() first raises closing_; Acquire() refuses (as if sealed) from that moment, also to a
//     reader that got the shared lock after the flag was raised (it re-checks under the lock),
//     so the set of holders can only shrink.
//  2. It tells the services to stop queueing: waits for a hashing slot (Accounts::StopHashing)
//     and for a heavy-body slot (closing() is polled) return "sealed" at once.
//  3. It then takes the exclusive lock: that waits only for the operations already running (a
//     database transaction, a large import being parsed, an Argon2 hash of a signed-in user's
//     password change), never for a queue. Sign-in lets go of its hold while its password hash
//     queues and runs (Accounts::CheckPassword), so an anonymous flood holds nothing. Then it
//     records the seal, destroys the services (wiping every key) and clears closing_.
// A fatal storage fault seals from a separate thread the same way (the faulting request still
// holds its shared hold). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "service/accounts.h"
#include "service/attachments.h"
#include "service/audit.h"
#include "service/backups.h"
#include "service/boms.h"
#include "service/exfil.h"
#include "service/idempotency.h"
#include "service/import_profiles.h"
#include "service/imports.h"
#include "service/invitations.h"
#include "service/jobs.h"
#include "service/key_rotation.h"
#include "service/mail.h"
#include "service/monitor.h"
#include "service/oidc.h"
#include "service/operator_audit.h"
#include "service/org_keys.h"
#include "service/orgs.h"
#include "service/passkeys.h"
#include "service/retention.h"
#include "service/sources.h"
#include "store/database.h"
#include "vault/keyring.h"
#include "vault/unseal.h"

namespace bomvault::service {

struct Services {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<OrgKeys> org_keys;
  std::unique_ptr<Accounts> accounts;
  std::unique_ptr<Orgs> orgs;
  std::unique_ptr<Boms> boms;
  std::unique_ptr<Idempotency> idempotency;
  std::unique_ptr<Attachments> attachments;  // uses boms: declared after it
  std::unique_ptr<ImportProfiles> import_profiles;
  std::unique_ptr<Imports> imports;  // uses boms, orgs and import_profiles
  std::unique_ptr<Retention> retention;
  std::unique_ptr<ExfilResponse> exfil;  // uses accounts
  std::unique_ptr<OperatorAudit> operator_audit;
  std::unique_ptr<Mailer> mailer;
  std::unique_ptr<Notices> notices;          // uses mailer; null without a mail relay
  std::unique_ptr<Invitations> invitations;  // uses mailer and accounts: declared after them
  std::unique_ptr<Oidc> oidc;                // uses accounts
  std::unique_ptr<Passkeys> passkeys;        // uses accounts
  std::unique_ptr<Backups> backups;
  std::unique_ptr<Sources> sources;  // uses boms and jobs
  // Last, so it is destroyed first: its destructor cancels and joins the jobs, which use the
  // services above.
  std::unique_ptr<Jobs> jobs;
  // After the jobs: its worker thread (the background re-seal) is stopped and joined before
  // anything it uses goes away.
  std::unique_ptr<KeyRotation> key_rotation;
};

struct InstanceOptions {
  std::string data_dir;
  int reader_connections = 8;
  MailOptions mail{};  // outbox_dir empty = data_dir + "/outbox"
  InvitationOptions invitations{};
  int backup_retention_days = 5;  // capped by the shortest purge window of any org
  std::string source_dir{};       // the drop root of folder sources ("" = none)
  // The process's monitor (the app owns it); null: the instance keeps its own (offline use).
  Monitor* monitor = nullptr;
};

struct InitResult {
  std::vector<std::string> shares;
  std::string operator_token;
  int threshold = 0;
  vault::Keys keys;
};

struct UnsealStatus {
  bool sealed = true;
  int progress = 0;
  int threshold = 0;
  int shares = 0;              // shares issued at init or the last rekey
  std::vector<int> shares_in;  // indices of the shares given so far (not secret)
};

class Instance {
 public:
  // Creates DIR (0700), the keyring file and the encrypted store. Refuses if a store exists.
  static util::Result<InitResult> Initialise(const std::string& data_dir, int shares,
                                             int threshold);
  // Opens the store offline and runs every integrity check; problems are listed for `check`.
  // With retired_from (an earlier copy of DIR), also proves that no data key of that copy which
  // this store has rotated away opens any ciphertext here.
  static util::Status Check(const std::string& data_dir, const std::vector<std::string>& shares,
                            std::vector<std::string>* problems, std::vector<std::string>* summary,
                            const std::string& retired_from = "");

  static util::Result<std::unique_ptr<Instance>> Load(InstanceOptions options);
  ~Instance();

  class Hold {
   public:
    Hold(std::shared_lock<std::shared_mutex> lock, Services* s) : lock_(std::move(lock)), s_(s) {}
    Services* operator->() const { return s_; }
    Services& operator*() const { return *s_; }

   private:
    std::shared_lock<std::shared_mutex> lock_;
    Services* s_;
  };
  // nullopt while sealed.
  std::optional<Hold> Acquire();

  util::Result<UnsealStatus> SubmitShare(std::string_view share);
  // Discards the unseal progress; needs one of the shares already given (UnsealProgress::ResetBy).
  util::Result<UnsealStatus> ResetUnseal(std::string_view share);
  UnsealStatus SealStatus() const;
  util::Status OpenWithKeys(vault::Keys keys);
  void Seal(const char* reason);
  bool sealed() const { return sealed_.load(); }
  // True from the start of a Seal() until it finished: long waits inside a request give up.
  bool closing() const { return closing_.load(); }
  const std::string& data_dir() const { return options_.data_dir; }
  Monitor& monitor() const { return *options_.monitor; }

  // Called when a store fault means the data can no longer be trusted.
  void SealFromFault();

 private:
  explicit Instance(InstanceOptions options, vault::KeyringFile keyring);
  void RecordInstanceEvent(const char* action, AuditChange change);
  // Steps 1 and 2 of sealing (see above); the caller then takes mu_ exclusively.
  void BeginClosing();

  std::unique_ptr<Monitor> own_monitor_;  // only when options.monitor was null
  InstanceOptions options_;               // options_.monitor is never null
  vault::UnsealProgress progress_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<Services> services_;  // guarded by mu_; null while sealed
  std::atomic<bool> sealed_{true};
  std::atomic<int> closing_{0};  // Seal() calls and fault teardowns in progress
  // Set by SealFromFault; taken (under mu_ held exclusively) by whichever of its teardown thread
  // and the next OpenWithKeys comes first, which drops the faulted services and ends closing.
  std::atomic<bool> fault_teardown_pending_{false};
  std::mutex pending_mu_;
  std::vector<std::pair<std::string, AuditChange>> pending_events_;  // while sealed
};

std::string DatabasePath(const std::string& data_dir);

struct CheckCounts {
  int64_t orgs = 0, users = 0, boms = 0, items = 0, attachments = 0;
};
// Every check `bomvault check` runs, over an already open store (at least one reader): SQLite,
// SQLCipher and foreign-key integrity, then every org key, BOM and attachment decrypts and is
// consistent. Also run on each backup's copy before it is kept.
util::Status CheckOpenStore(store::Database& db, const crypto::SecureBuffer& data_master,
                            std::vector<std::string>* problems, CheckCounts* counts);

}  // namespace bomvault::service
