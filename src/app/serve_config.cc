#include "app/serve_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>

#include "crypto/crypto.h"
#include "http/api.h"
#include "service/accounts.h"

namespace bomvault::app {

const std::vector<std::string>& ServeValueFlags() {
  static const std::vector<std::string> flags = {"--data",
                                                 "--listen",
                                                 "--unseal-file",
                                                 "--tls-cert",
                                                 "--tls-key",
                                                 "--rate-limit",
                                                 "--workers",
                                                 "--drain-timeout",
                                                 "--reauth-window",
                                                 "--trusted-proxy",
                                                 "--purge-interval",
                                                 "--retention-interval",
                                                 "--log-retention-days",
                                                 "--audit-retention-days",
                                                 "--exfil-window-seconds",
                                                 "--exfil-max-boms",
                                                 "--exfil-max-items",
                                                 "--exfil-action",
                                                 "--public-url",
                                                 "--invitation-ttl-seconds",
                                                 "--mail-from",
                                                 "--smtp-url",
                                                 "--smtp-ca-file",
                                                 "--smtp-user",
                                                 "--smtp-password-file",
                                                 "--backup-dir",
                                                 "--backup-interval",
                                                 "--backup-retention-days",
                                                 "--source-dir"};
  return flags;
}

const std::vector<std::string>& ServeSwitches() {
  static const std::vector<std::string> switches = {"--behind-proxy", "--init"};
  return switches;
}

namespace {

void ParseMail(const Flags& f, ServeConfig& c, std::vector<std::string>* problems) {
  auto fail = [&](const std::string& why) { problems->push_back(why); };
  std::string url = f.Get("--public-url", c.invitations.public_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  bool url_ok = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  for (unsigned char ch : url) url_ok = url_ok && ch > 0x20 && ch < 0x7f && ch != '#' && ch != '?';
  if (!url_ok) {
    fail("--public-url takes the http:// or https:// address users open");
  } else {
    c.invitations.public_url = url;
  }
  if (f.Has("--invitation-ttl-seconds")) {
    int ttl = 0;
    if (!ParseInt(f.Get("--invitation-ttl-seconds"), &ttl) || ttl < 1 || ttl > 30 * 86400) {
      fail("--invitation-ttl-seconds takes 1 to 2592000 (30 days)");
    } else {
      c.invitations.invitation_ttl_seconds = ttl;
    }
  }
  if (f.Has("--mail-from")) {
    auto from = service::NormaliseEmail(f.Get("--mail-from"));
    if (!from.ok()) {
      fail("--mail-from takes one e-mail address");
    } else {
      c.mail.from = from.value();
    }
  }
  bool has_user = f.Has("--smtp-user"), has_pw = f.Has("--smtp-password-file");
  if (!f.Has("--smtp-url")) {
    if (has_user || has_pw || f.Has("--smtp-ca-file")) {
      fail("--smtp-user, --smtp-password-file and --smtp-ca-file need --smtp-url");
    }
    c.notes.push_back(
        "no --smtp-url: invitation and verification mails are written to DATA/outbox/ (for "
        "evaluation; the files hold live links)");
    return;
  }
  c.mail.smtp_url = f.Get("--smtp-url");
  if (util::Status st = service::ValidateSmtpUrl(c.mail.smtp_url); !st.ok()) {
    fail("--smtp-url: " + st.message());
  }
  if (has_user != has_pw) fail("--smtp-user and --smtp-password-file go together");
  c.mail.ca_file = f.Get("--smtp-ca-file");
  if (!c.mail.ca_file.empty() && ::access(c.mail.ca_file.c_str(), R_OK) != 0) {
    fail("the --smtp-ca-file cannot be read");
  }
  if (has_user && has_pw) {
    c.mail.smtp_user = f.Get("--smtp-user");
    std::string path = f.Get("--smtp-password-file");
    struct stat sb {};
    if (::stat(path.c_str(), &sb) == 0 && (sb.st_mode & 077) != 0) {
      c.notes.push_back("WARNING: the --smtp-password-file is readable by other users");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      fail("the --smtp-password-file cannot be read");
      return;
    }
    std::string pw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    bool empty = pw.empty();
    c.mail.smtp_password =
        std::make_shared<const crypto::SecureBuffer>(crypto::SecureBuffer::FromString(pw));
    crypto::Wipe(pw);
    if (empty) fail("the --smtp-password-file is empty");
  }
}

}  // namespace

ServeConfig ParseServeConfig(const Flags& f, std::vector<std::string>* problems) {
  ServeConfig c;
  for (const auto& e : f.errors()) problems->push_back(e);
  c.data = f.Get("--data", c.data);
  if (c.data.empty()) problems->push_back("--data takes a directory");
  c.unseal_file = f.Get("--unseal-file");
  c.init = f.Has("--init");
  c.behind_proxy = f.Has("--behind-proxy");
  std::string listen = f.Get("--listen", "127.0.0.1:8080");
  if (!SplitListen(listen, &c.host, &c.port)) problems->push_back("--listen takes HOST:PORT");
  c.tls_cert = f.Get("--tls-cert");
  c.tls_key = f.Get("--tls-key");
  c.tls = !c.tls_cert.empty() || !c.tls_key.empty();
  if (c.tls && (c.tls_cert.empty() || c.tls_key.empty())) {
    problems->push_back("--tls-cert and --tls-key go together");
  } else if (c.tls) {
    if (::access(c.tls_cert.c_str(), R_OK) != 0) problems->push_back("--tls-cert cannot be read");
    if (::access(c.tls_key.c_str(), R_OK) != 0) problems->push_back("--tls-key cannot be read");
  }
  if (!c.tls && !IsLoopback(c.host) && !c.behind_proxy) {
    problems->push_back(
        "refusing plain HTTP on a non-loopback address; give --tls-cert/--tls-key, or "
        "--behind-proxy if a TLS-terminating proxy is in front");
  }
  if (f.Has("--rate-limit") && (!ParseInt(f.Get("--rate-limit"), &c.rate) || c.rate < 0)) {
    problems->push_back("--rate-limit takes a whole number of at least 0");
  }
  if (f.Has("--workers") &&
      (!ParseInt(f.Get("--workers"), &c.workers) || c.workers < 1 || c.workers > 1024)) {
    problems->push_back("--workers takes a whole number from 1 to 1024");
  }
  if (f.Has("--drain-timeout") && (!ParseInt(f.Get("--drain-timeout"), &c.drain_timeout_seconds) ||
                                   c.drain_timeout_seconds < 0 || c.drain_timeout_seconds > 3600)) {
    problems->push_back("--drain-timeout takes a whole number of seconds from 0 to 3600");
  }
  if (f.Has("--reauth-window") &&
      (!ParseInt(f.Get("--reauth-window"), &c.reauth_window_seconds) ||
       c.reauth_window_seconds < 1 || c.reauth_window_seconds > 86400)) {
    problems->push_back("--reauth-window takes a whole number of seconds from 1 to 86400");
  }
  if (f.Has("--trusted-proxy")) {
    std::string list = f.Get("--trusted-proxy");
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      auto ip = http::NormaliseIp(list.substr(pos, comma - pos));
      if (!ip) {
        problems->push_back("--trusted-proxy takes IP addresses separated by commas");
        break;
      }
      c.trusted_proxies.push_back(*ip);
      pos = comma + 1;
    }
  }
  if (f.Has("--backup-dir")) {
    c.jobs.backup_dir = AbsolutePath(f.Get("--backup-dir"));
    if (c.jobs.backup_dir.empty()) problems->push_back("--backup-dir takes a directory path");
  }
  if (f.Has("--source-dir")) {
    // Resolved once here: the sources open everything below it relative to this path, never
    // following a link (service/source_folder.h).
    char* real = ::realpath(f.Get("--source-dir").c_str(), nullptr);
    struct stat st {};
    if (real == nullptr || ::stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
      problems->push_back(
          "--source-dir takes an existing directory (the drop root of folder "
          "sources)");
    } else {
      c.source_dir = real;
      const std::string data = AbsolutePath(c.data);
      if (!data.empty() && (data == c.source_dir || data.rfind(c.source_dir + "/", 0) == 0 ||
                            c.source_dir.rfind(data + "/", 0) == 0)) {
        problems->push_back("--source-dir must be outside the data directory and not contain it");
      }
    }
    std::free(real);
  }
  // Every lifecycle number: flag, where it goes, smallest allowed value.
  struct Bound {
    const char* flag;
    int64_t* out;
    int64_t min;
  };
  int64_t log_days = c.jobs.log_retention_days, audit_days = c.jobs.audit_retention_days;
  int64_t backup_days = c.backup_retention_days;
  for (const Bound& b : {Bound{"--purge-interval", &c.jobs.purge_interval, 1},
                         Bound{"--retention-interval", &c.jobs.retention_interval, 1},
                         Bound{"--log-retention-days", &log_days, 1},
                         Bound{"--audit-retention-days", &audit_days, 0},
                         Bound{"--exfil-window-seconds", &c.exfil.window_seconds, 1},
                         Bound{"--exfil-max-boms", &c.exfil.max_boms, 1},
                         Bound{"--exfil-max-items", &c.exfil.max_items, 1},
                         Bound{"--backup-interval", &c.jobs.backup_interval, 60},
                         Bound{"--backup-retention-days", &backup_days, 1}}) {
    int v = 0;
    if (!f.Has(b.flag)) continue;
    if (!ParseInt(f.Get(b.flag), &v) || v < b.min) {
      problems->push_back(std::string(b.flag) + " takes a whole number of at least " +
                          std::to_string(b.min));
      continue;
    }
    *b.out = v;
  }
  c.jobs.log_retention_days = static_cast<int>(log_days);
  c.jobs.audit_retention_days = static_cast<int>(audit_days);
  c.backup_retention_days = static_cast<int>(backup_days);
  if (f.Has("--backup-interval") && !f.Has("--backup-dir")) {
    problems->push_back("--backup-interval needs --backup-dir");
  }
  auto action = service::ParseExfilAction(f.Get("--exfil-action", "log"));
  if (!action) {
    problems->push_back("--exfil-action takes log, revoke or seal");
  } else {
    c.exfil.action = *action;
  }
  ParseMail(f, c, problems);
  return c;
}

}  // namespace bomvault::app
