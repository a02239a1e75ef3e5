// `bomvault serve` configuration: every flag (layered by app/flags.h: command line, environment,
// config file, defaults) validated into one struct. Every problem found is listed, not just the
// first, so `bomvault config check` explains them all and `serve` refuses to start on any.
//
// Pure apart from the files the flags name: the SMTP password file is read (into locked memory),
// the TLS and CA files are checked for readability. Not thread-safe; called once at start.
#pragma once

#include <string>
#include <vector>

#include "app/flags.h"
#include "service/exfil.h"
#include "service/invitations.h"
#include "service/mail.h"
#include "service/scheduler.h"

namespace bomvault::app {

struct ServeConfig {
  std::string data = "./data";
  std::string host = "127.0.0.1";
  int port = 8080;
  bool tls = false;
  std::string tls_cert, tls_key;
  bool behind_proxy = false;
  std::string unseal_file;  // development and tests only
  bool init = false;
  int rate = 200;
  int workers = 64;
  // SIGTERM/SIGINT: how long requests in flight may take to finish before their sockets are cut.
  int drain_timeout_seconds = 30;
  // How long a proof of identity (sign-in or re-authentication) opens sensitive operations
  // (http::Auth::kRecent).
  int reauth_window_seconds = 600;
  std::vector<std::string> trusted_proxies;  // normalised IP literals
  service::SchedulerOptions jobs;
  service::ExfilOptions exfil;
  service::MailOptions mail;
  service::InvitationOptions invitations;
  int backup_retention_days = 5;
  std::string source_dir;  // the drop root of folder sources: absolute, no symlink ("" = none)
  std::vector<std::string> notes;  // worth saying at start, not problems
};

const std::vector<std::string>& ServeValueFlags();
const std::vector<std::string>& ServeSwitches();

// Problems are appended, one sentence each naming the flag.
ServeConfig ParseServeConfig(const Flags& f, std::vector<std::string>* problems);

}  // namespace bomvault::app
