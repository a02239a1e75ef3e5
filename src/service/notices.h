// Security notices by mail (ASVS 6.3.5, 6.3.7): a user is told when a sign-in factor of theirs
// changed (password, TOTP enrolled or removed, recovery codes regenerated, passkey added or
// removed, MFA reset by an Administrator), when a password sign-in succeeded after failed
// attempts on the account, and when a sign-in succeeded from a network address the user has not
// signed in from lately (store/sign_in_addresses.h; the address itself is never stored nor sent).
//
// Only when the operator configured a mail relay (--smtp-url); the evaluation outbox gets none.
// A notice holds what happened, when (UTC) and where to sign in: no secret, no address, no
// internal id. Post() only queues: the action that caused it never waits for, nor fails with,
// the mail. One worker thread unseals the user's address (from the store, under the org key) and
// sends; a failure is logged with the user's id and the kind only. The queue is bounded (a flood
// of sign-ins cannot grow memory): beyond it notices are dropped and logged. Destroying the
// object (at seal or shutdown) sends nothing more and joins the worker. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "service/mail.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::service {

enum class NoticeKind {
  kPasswordChanged,
  kTotpEnrolled,
  kTotpRemoved,
  kRecoveryCodesRegenerated,
  kPasskeyAdded,
  kPasskeyRemoved,
  kMfaReset,
  kSignInAfterFailures,
  kNewAddress,  // a sign-in from a network address this user has not signed in from lately
};

struct Notice {
  util::UserId user;
  util::OrgId org;
  NoticeKind kind;
  int64_t at = 0;    // Unix seconds
  int failures = 0;  // kSignInAfterFailures: failed attempts before the success
};

// The mail for a notice, to `to` (pure; public_url has no trailing slash).
MailMessage ComposeNotice(const Notice& notice, const std::string& to,
                          const std::string& public_url);

class Notices {
 public:
  static constexpr size_t kMaxQueued = 1000;

  Notices(store::Database& db, OrgKeys& org_keys, Mailer& mailer, std::string public_url);
  ~Notices();
  Notices(const Notices&) = delete;
  Notices& operator=(const Notices&) = delete;

  void Post(Notice notice);

 private:
  void Run();
  void Deliver(const Notice& notice);

  store::Database& db_;
  OrgKeys& org_keys_;
  Mailer& mailer_;
  const std::string public_url_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Notice> queue_;  // guarded by mu_
  bool stop_ = false;         // guarded by mu_
  std::thread worker_;
};

}  // namespace bomvault::service
