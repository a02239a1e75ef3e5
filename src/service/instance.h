// The instance: seal state and, while unsealed, the open store and the services over it.
//
// Sealed, the instance holds only the keyring file's public metadata and the unseal progress.
// Unsealing (enough shares, or the keys handed over by `serve --init`) opens the keyring,
// opens the SQLCipher store, and builds the services; sealing destroys them all, which closes the
// database and wipes every key (SecureBuffer). Requests take a shared hold on the services for
// their duration (Acquire); Seal takes the exclusive side, so it waits for requests in flight and
// no request ever sees half-torn-down state. A fatal storage fault seals from a separate thread
// (the faulting request still holds its shared hold). Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "service/accounts.h"
#include "service/attachments.h"
#include "service/boms.h"
#include "service/invitations.h"
#include "service/lifecycle.h"
#include "service/mail.h"
#include "service/org_keys.h"
#include "service/orgs.h"
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
  std::unique_ptr<Attachments> attachments;  // uses boms: declared after it
  std::unique_ptr<Lifecycle> lifecycle;
  std::unique_ptr<Mailer> mailer;
  std::unique_ptr<Invitations> invitations;  // uses mailer and accounts: declared after them
};

struct InstanceOptions {
  std::string data_dir;
  int reader_connections = 8;
  MailOptions mail{};  // outbox_dir empty = data_dir + "/outbox"
  InvitationOptions invitations{};
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
};

class Instance {
 public:
  // Creates DIR (0700), the keyring file and the encrypted store. Refuses if a store exists.
  static util::Result<InitResult> Initialise(const std::string& data_dir, int shares,
                                             int threshold);
  // Opens the store offline and runs every integrity check; problems are listed for `check`.
  static util::Status Check(const std::string& data_dir, const std::vector<std::string>& shares,
                            std::vector<std::string>* problems, std::vector<std::string>* summary);

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
  UnsealStatus ResetUnseal();
  UnsealStatus SealStatus() const;
  util::Status OpenWithKeys(vault::Keys keys);
  void Seal(const char* reason);
  bool sealed() const { return sealed_.load(); }
  const std::string& data_dir() const { return options_.data_dir; }

  // Called when a store fault means the data can no longer be trusted.
  void SealFromFault();

 private:
  explicit Instance(InstanceOptions options, vault::KeyringFile keyring);
  void RecordInstanceEvent(const char* action, nlohmann::json change);

  InstanceOptions options_;
  vault::UnsealProgress progress_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<Services> services_;  // guarded by mu_; null while sealed
  std::atomic<bool> sealed_{true};
  std::mutex pending_mu_;
  std::vector<std::pair<std::string, nlohmann::json>> pending_events_;  // while sealed
};

std::string DatabasePath(const std::string& data_dir);

}  // namespace bomvault::service
