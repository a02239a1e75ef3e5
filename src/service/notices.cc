#include "service/notices.h"

#include <optional>
#include <utility>

#include "store/users_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

namespace {

// Log values must be literals (util/log.h): one per kind.
void Log(util::log::Line&& line, const Notice& n) {
  line.Ref("user_id", n.user);
  switch (n.kind) {
    case NoticeKind::kPasswordChanged:
      line.Text("kind", "password_changed");
      break;
    case NoticeKind::kTotpEnrolled:
      line.Text("kind", "totp_enrolled");
      break;
    case NoticeKind::kTotpRemoved:
      line.Text("kind", "totp_removed");
      break;
    case NoticeKind::kRecoveryCodesRegenerated:
      line.Text("kind", "recovery_codes_regenerated");
      break;
    case NoticeKind::kPasskeyAdded:
      line.Text("kind", "passkey_added");
      break;
    case NoticeKind::kPasskeyRemoved:
      line.Text("kind", "passkey_removed");
      break;
    case NoticeKind::kMfaReset:
      line.Text("kind", "mfa_reset");
      break;
    case NoticeKind::kSignInAfterFailures:
      line.Text("kind", "sign_in_after_failures");
      break;
    case NoticeKind::kNewAddress:
      line.Text("kind", "new_address");
      break;
  }
}

}  // namespace

MailMessage ComposeNotice(const Notice& n, const std::string& to, const std::string& public_url) {
  const char* subject = "";
  std::string what;
  bool factor = true;
  switch (n.kind) {
    case NoticeKind::kPasswordChanged:
      subject = "your password was changed";
      what = "The password of your bomvault account was changed.";
      break;
    case NoticeKind::kTotpEnrolled:
      subject = "an authenticator app was added";
      what =
          "An authenticator app (one-time codes) was added to your bomvault account as a "
          "second sign-in factor, and new recovery codes were made.";
      break;
    case NoticeKind::kTotpRemoved:
      subject = "your authenticator app was removed";
      what =
          "The authenticator app (one-time codes) of your bomvault account was removed, "
          "together with its recovery codes.";
      break;
    case NoticeKind::kRecoveryCodesRegenerated:
      subject = "new recovery codes were made";
      what =
          "New recovery codes were made for your bomvault account; the earlier ones no "
          "longer work.";
      break;
    case NoticeKind::kPasskeyAdded:
      subject = "a passkey was added";
      what = "A passkey was added to your bomvault account.";
      break;
    case NoticeKind::kPasskeyRemoved:
      subject = "a passkey was removed";
      what = "A passkey was removed from your bomvault account.";
      break;
    case NoticeKind::kMfaReset:
      subject = "your second sign-in factors were reset";
      what =
          "An Administrator of your organisation reset the second sign-in factors of your "
          "bomvault account: authenticator app, recovery codes and passkeys were removed and "
          "your sessions were ended. Sign in and set up a second factor again.";
      break;
    case NoticeKind::kSignInAfterFailures:
      factor = false;
      subject = "sign-in after failed attempts";
      what = "Someone signed in to your bomvault account with your password after " +
             std::to_string(n.failures) + " failed attempt" + (n.failures == 1 ? "" : "s") + ".";
      break;
    case NoticeKind::kNewAddress:
      factor = false;
      subject = "a sign-in from a new network address";
      what =
          "Someone signed in to your bomvault account from a network address it has not been "
          "used from lately (the address is not kept, so it cannot be shown here).";
      break;
  }
  MailMessage m;
  m.to = to;
  m.subject = std::string("bomvault: ") + subject;
  m.body = "Hello,\n\n" + what + "\nWhen: " + util::FormatUtc(n.at) + "\n\n" +
           (factor ? "If this was you, nothing more is needed. If it was not, "
                   : "If this was you, nothing more is needed. If it was not, change your "
                     "password now and ") +
           "tell your Administrator at once: they can disable the account and reset its sign-in "
           "factors.\n\nSign in: " +
           public_url + "/\n\nThis is an automatic security notice; replies are not read.\n";
  return m;
}

Notices::Notices(store::Database& db, OrgKeys& org_keys, Mailer& mailer, std::string public_url)
    : db_(db), org_keys_(org_keys), mailer_(mailer), public_url_(std::move(public_url)) {
  worker_ = std::thread([this] { Run(); });
}

Notices::~Notices() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void Notices::Post(Notice notice) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    if (queue_.size() >= kMaxQueued) {
      Log(util::log::Warn("notice.dropped"), notice);
      return;
    }
    queue_.push_back(std::move(notice));
  }
  cv_.notify_one();
}

void Notices::Run() {
  for (;;) {
    Notice n;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      n = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      Deliver(n);
    } catch (...) {
      Log(util::log::Warn("notice.failed"), n);
    }
  }
}

void Notices::Deliver(const Notice& n) {
  std::optional<std::string> to;
  util::Status st = db_.Read([&](store::Db& db) -> util::Status {
    auto sealed = store::UserEmailSealed(db, n.org, n.user);
    if (!sealed) return util::Status::NotFound();
    auto org = org_keys_.Get(db, n.org);
    if (!org.ok()) return org.status();
    to = org.value()->OpenText("email", n.user.str(), *sealed);
    return util::Status::Ok();
  });
  if (!st.ok() || !to) {
    Log(util::log::Warn("notice.failed"), n);
    return;
  }
  st = mailer_.Send(ComposeNotice(n, *to, public_url_));
  if (!st.ok()) {
    Log(util::log::Warn("notice.failed"), n);
    return;
  }
  Log(util::log::Info("notice.sent"), n);
}

}  // namespace bomvault::service
