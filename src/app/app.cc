#include "app/app.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "http/api.h"
#include "http/engine.h"
#include "http/unseal_client.h"
#include "service/instance.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::app {
namespace {

const char* kUsage =
    "usage:\n"
    "  bomvault version\n"
    "  bomvault init --data DIR [--shares N] [--threshold K] [--json]\n"
    "  bomvault serve --data DIR [--listen HOST:PORT] [--unseal-file FILE] [--init]\n"
    "                 [--tls-cert FILE --tls-key FILE] [--behind-proxy]\n"
    "                 [--rate-limit N] [--workers N] [--trusted-proxy IP[,IP...]]\n"
    "                 [--purge-interval SECONDS] [--retention-interval SECONDS]\n"
    "                 [--log-retention-days N] [--audit-retention-days N]\n"
    "                 [--exfil-window-seconds N] [--exfil-max-boms N] [--exfil-max-items N]\n"
    "                 [--exfil-action log|revoke|seal]\n"
    "                 [--public-url URL] [--invitation-ttl-seconds N] [--mail-from ADDRESS]\n"
    "                 [--smtp-url smtp://HOST:PORT|smtps://HOST:PORT [--smtp-ca-file FILE]\n"
    "                  [--smtp-user USER --smtp-password-file FILE]]\n"
    "  bomvault unseal --url URL        (reads one share from stdin)\n"
    "  bomvault check --data DIR --unseal-file FILE\n"
    "  bomvault audit verify --data DIR --unseal-file FILE [--head SEQ:HASH]\n";

// --flag value / --switch parsing; unknown flags are an error so typos don't go unnoticed.
struct Flags {
  std::map<std::string, std::string> values;
  std::vector<std::string> errors;

  Flags(int argc, char** argv, const std::vector<std::string>& with_value,
        const std::vector<std::string>& switches) {
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      if (std::find(switches.begin(), switches.end(), a) != switches.end()) {
        values[a] = "1";
      } else if (std::find(with_value.begin(), with_value.end(), a) != with_value.end()) {
        if (i + 1 >= argc) {
          errors.push_back(a + " needs a value");
        } else {
          values[a] = argv[++i];
        }
      } else {
        errors.push_back("unknown argument: " + a);
      }
    }
  }
  bool Has(const std::string& k) const { return values.count(k) != 0; }
  std::string Get(const std::string& k, const std::string& d = "") const {
    auto it = values.find(k);
    return it == values.end() ? d : it->second;
  }
  bool Ok() const {
    for (const auto& e : errors) std::cerr << "bomvault: " << e << "\n";
    return errors.empty();
  }
};

bool ParseInt(const std::string& s, int* out) {
  try {
    size_t used = 0;
    int v = std::stoi(s, &used);
    if (used != s.size()) return false;
    *out = v;
    return true;
  } catch (...) {
    return false;
  }
}

void Harden() {
  umask(077);
  // Keys live in this process's memory: no core dumps, no ptrace by same-uid processes.
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
}

std::vector<std::string> ReadShareFile(const std::string& path, bool* ok) {
  std::vector<std::string> shares;
  std::ifstream in(path);
  *ok = static_cast<bool>(in);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) shares.push_back(line);
  }
  return shares;
}

void PrintInitResult(const service::InitResult& r, bool json) {
  if (json) {
    nlohmann::json j = {
        {"shares", r.shares}, {"threshold", r.threshold}, {"operator_token", r.operator_token}};
    std::cout << j.dump() << std::endl;
    return;
  }
  std::cout << "\n"
            << "==================================================================\n"
            << " bomvault store created. This is the ONLY time these are shown.\n"
            << " Give each key share to a different person and store them apart:\n"
            << " any " << r.threshold << " of " << r.shares.size()
            << " reopen the vault after a restart; fewer reveal nothing.\n"
            << " The root key itself is never stored anywhere.\n"
            << "==================================================================\n";
  for (size_t i = 0; i < r.shares.size(); ++i) {
    std::cout << " share " << (i + 1) << ": " << r.shares[i] << "\n";
  }
  std::cout << "\n operator token (creates organisations, seals the vault):\n   "
            << r.operator_token << "\n"
            << "==================================================================\n\n"
            << std::flush;
}

int CmdInit(int argc, char** argv) {
  Flags f(argc, argv, {"--data", "--shares", "--threshold"}, {"--json"});
  if (!f.Ok()) return 2;
  if (!f.Has("--data")) {
    std::cerr << "bomvault init: --data DIR is required\n";
    return 2;
  }
  int shares = 3, threshold = 3;
  if ((f.Has("--shares") && !ParseInt(f.Get("--shares"), &shares)) ||
      (f.Has("--threshold") && !ParseInt(f.Get("--threshold"), &threshold))) {
    std::cerr << "bomvault init: --shares and --threshold take whole numbers\n";
    return 2;
  }
  util::log::SetStderr(false);
  auto r = service::Instance::Initialise(f.Get("--data"), shares, threshold);
  if (!r.ok()) {
    std::cerr << "bomvault init: " << r.status().message() << "\n";
    return 1;
  }
  PrintInitResult(r.value(), f.Has("--json"));
  return 0;
}

bool SplitListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return ParseInt(listen.substr(colon + 1), port) && *port >= 0 && *port <= 65535;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

// Mail and invitation flags. The relay password is read from a file (never a flag, so it is not
// in the process list) straight into locked memory and never printed.
bool ParseMailFlags(const Flags& f, service::MailOptions* mail, service::InvitationOptions* inv) {
  auto fail = [](const std::string& why) {
    std::cerr << "bomvault serve: " << why << "\n";
    return false;
  };
  std::string url = f.Get("--public-url", inv->public_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  bool url_ok = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  for (unsigned char c : url) url_ok = url_ok && c > 0x20 && c < 0x7f && c != '#' && c != '?';
  if (!url_ok) return fail("--public-url takes the http:// or https:// address users open");
  inv->public_url = url;
  if (f.Has("--invitation-ttl-seconds")) {
    int ttl = 0;
    if (!ParseInt(f.Get("--invitation-ttl-seconds"), &ttl) || ttl < 1 || ttl > 30 * 86400) {
      return fail("--invitation-ttl-seconds takes 1 to 2592000 (30 days)");
    }
    inv->invitation_ttl_seconds = ttl;
  }
  if (f.Has("--mail-from")) {
    auto from = service::NormaliseEmail(f.Get("--mail-from"));
    if (!from.ok()) return fail("--mail-from takes one e-mail address");
    mail->from = from.value();
  }
  bool has_user = f.Has("--smtp-user"), has_pw = f.Has("--smtp-password-file");
  if (!f.Has("--smtp-url")) {
    if (has_user || has_pw || f.Has("--smtp-ca-file")) {
      return fail("--smtp-user, --smtp-password-file and --smtp-ca-file need --smtp-url");
    }
    std::cerr << "bomvault: no --smtp-url: invitation and verification mails are written to "
                 "DATA/outbox/ (for evaluation; the files hold live links)\n";
    return true;
  }
  mail->smtp_url = f.Get("--smtp-url");
  if (util::Status st = service::ValidateSmtpUrl(mail->smtp_url); !st.ok())
    return fail(st.message());
  if (has_user != has_pw) return fail("--smtp-user and --smtp-password-file go together");
  mail->ca_file = f.Get("--smtp-ca-file");
  if (!mail->ca_file.empty() && ::access(mail->ca_file.c_str(), R_OK) != 0) {
    return fail("the --smtp-ca-file cannot be read");
  }
  if (has_user) {
    mail->smtp_user = f.Get("--smtp-user");
    std::string path = f.Get("--smtp-password-file");
    struct stat sb {};
    if (::stat(path.c_str(), &sb) == 0 && (sb.st_mode & 077) != 0) {
      std::cerr << "bomvault: WARNING: the --smtp-password-file is readable by other users\n";
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("the --smtp-password-file cannot be read");
    std::string pw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    bool empty = pw.empty();
    mail->smtp_password =
        std::make_shared<const crypto::SecureBuffer>(crypto::SecureBuffer::FromString(pw));
    sodium_memzero(pw.data(), pw.size());
    if (empty) return fail("the --smtp-password-file is empty");
  }
  return true;
}

int CmdServe(int argc, char** argv) {
  Flags f(argc, argv,
          {"--data",
           "--listen",
           "--unseal-file",
           "--tls-cert",
           "--tls-key",
           "--rate-limit",
           "--workers",
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
           "--smtp-password-file"},
          {"--behind-proxy", "--init"});
  if (!f.Ok()) return 2;
  std::string data = f.Get("--data", "./data");
  std::string host;
  int port = 0;
  if (!SplitListen(f.Get("--listen", "127.0.0.1:8080"), &host, &port)) {
    std::cerr << "bomvault serve: --listen takes HOST:PORT\n";
    return 2;
  }
  bool tls = f.Has("--tls-cert") || f.Has("--tls-key");
  if (tls && !(f.Has("--tls-cert") && f.Has("--tls-key"))) {
    std::cerr << "bomvault serve: --tls-cert and --tls-key go together\n";
    return 2;
  }
  if (!tls && !IsLoopback(host) && !f.Has("--behind-proxy")) {
    std::cerr << "bomvault serve: refusing plain HTTP on a non-loopback address; give "
                 "--tls-cert/--tls-key, or --behind-proxy if a TLS-terminating proxy is in front\n";
    return 2;
  }
  int rate = 200, workers = 64;
  if ((f.Has("--rate-limit") && (!ParseInt(f.Get("--rate-limit"), &rate) || rate < 0)) ||
      (f.Has("--workers") &&
       (!ParseInt(f.Get("--workers"), &workers) || workers < 1 || workers > 1024))) {
    std::cerr << "bomvault serve: --rate-limit and --workers take whole numbers\n";
    return 2;
  }
  std::vector<std::string> trusted_proxies;
  if (f.Has("--trusted-proxy")) {
    std::string list = f.Get("--trusted-proxy");
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      auto ip = http::NormaliseIp(list.substr(pos, comma - pos));
      if (!ip) {
        std::cerr << "bomvault serve: --trusted-proxy takes IP addresses separated by commas\n";
        return 2;
      }
      trusted_proxies.push_back(*ip);
      pos = comma + 1;
    }
  }
  service::SchedulerOptions jobs;
  service::ExfilOptions exfil;
  {
    // Every lifecycle number: flag, where it goes, smallest allowed value.
    struct Bound {
      const char* flag;
      int64_t* out;
      int64_t min;
    };
    int64_t log_days = jobs.log_retention_days, audit_days = jobs.audit_retention_days;
    for (const Bound& b : {Bound{"--purge-interval", &jobs.purge_interval, 1},
                           Bound{"--retention-interval", &jobs.retention_interval, 1},
                           Bound{"--log-retention-days", &log_days, 1},
                           Bound{"--audit-retention-days", &audit_days, 0},
                           Bound{"--exfil-window-seconds", &exfil.window_seconds, 1},
                           Bound{"--exfil-max-boms", &exfil.max_boms, 1},
                           Bound{"--exfil-max-items", &exfil.max_items, 1}}) {
      int v = 0;
      if (!f.Has(b.flag)) continue;
      if (!ParseInt(f.Get(b.flag), &v) || v < b.min) {
        std::cerr << "bomvault serve: " << b.flag << " takes a whole number of at least " << b.min
                  << "\n";
        return 2;
      }
      *b.out = v;
    }
    jobs.log_retention_days = static_cast<int>(log_days);
    jobs.audit_retention_days = static_cast<int>(audit_days);
    auto action = service::ParseExfilAction(f.Get("--exfil-action", "log"));
    if (!action) {
      std::cerr << "bomvault serve: --exfil-action takes log, revoke or seal\n";
      return 2;
    }
    exfil.action = *action;
  }
  service::MailOptions mail;
  service::InvitationOptions invitations;
  if (!ParseMailFlags(f, &mail, &invitations)) return 2;
  service::Monitor::Get().ConfigureExfil(exfil);
  service::SetAuditChainEnabled(jobs.audit_retention_days > 0);

  // glibc gives each of the 64 workers its own malloc arena; freed memory of a large import then
  // stays spread over them (measured: 564 MB after a few 100k-item imports, 168 MB with 2).
  mallopt(M_ARENA_MAX, 2);

  // Signals are taken by one thread with sigwait; every other thread blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::optional<vault::Keys> init_keys;
  if (f.Has("--init") && ::access(vault::KeyringPath(data).c_str(), F_OK) != 0) {
    auto r = service::Instance::Initialise(data, 3, 3);
    if (!r.ok()) {
      std::cerr << "bomvault serve: " << r.status().message() << "\n";
      return 1;
    }
    PrintInitResult(r.value(), false);
    init_keys = std::move(r.value().keys);
  }
  util::log::Init(data);
  service::InstanceOptions options;
  options.data_dir = data;
  options.mail = std::move(mail);
  options.invitations = invitations;
  auto loaded = service::Instance::Load(options);
  if (!loaded.ok()) {
    std::cerr << "bomvault serve: " << loaded.status().message() << " (run `bomvault init --data "
              << data << "` first)\n";
    return 1;
  }
  service::Instance& instance = *loaded.value();
  if (init_keys) {
    util::Status st = instance.OpenWithKeys(std::move(*init_keys));
    if (!st.ok()) {
      std::cerr << "bomvault serve: " << st.message() << "\n";
      return 1;
    }
  } else if (f.Has("--unseal-file")) {
    util::log::Warn("vault.unseal_from_file_development_only");
    std::cerr << "bomvault: WARNING: unsealing from a file of key shares. This is for development "
                 "and tests only: anyone who can read that file can open the vault.\n";
    bool ok = false;
    auto shares = ReadShareFile(f.Get("--unseal-file"), &ok);
    if (!ok) {
      std::cerr << "bomvault serve: the unseal file could not be read\n";
      return 1;
    }
    for (const auto& s : shares) {
      auto r = instance.SubmitShare(s);
      if (!r.ok()) {
        std::cerr << "bomvault serve: a share in the unseal file was refused: "
                  << r.status().message() << "\n";
        return 1;
      }
      if (!r->sealed) break;
    }
    if (instance.sealed()) {
      std::cerr << "bomvault serve: the unseal file holds too few shares\n";
      return 1;
    }
  }

  http::EngineOptions eo;
  eo.worker_threads = workers;
  eo.tls_cert_file = f.Get("--tls-cert");
  eo.tls_key_file = f.Get("--tls-key");
  http::Engine engine(eo);
  http::ApiOptions ao;
  ao.rate_per_address = rate;
  ao.rate_per_token = rate;
  ao.tls = tls;
  ao.trusted_proxies = trusted_proxies;
  http::Api api(engine, instance, ao);
  util::Status st = engine.Listen(host, port);
  if (!st.ok()) {
    std::cerr << "bomvault serve: " << st.message() << "\n";
    return 1;
  }
  util::log::Info("server.listening")
      .Num("port", engine.port())
      .Num("tls", tls ? 1 : 0)
      .Num("sealed", instance.sealed() ? 1 : 0);
  // The bound port only: addresses stay out of output that may be collected with the logs.
  std::cerr << "bomvault: listening on port " << engine.port() << (tls ? " (https)" : " (http)")
            << (instance.sealed() ? "; sealed: unseal it in the UI or with `bomvault unseal`" : "")
            << "\n";
  service::Scheduler scheduler(instance, jobs);
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    util::log::Info("server.stopping").Num("signal", sig);
    engine.Stop();
  });
  engine.Run();
  // Run() also returns if the engine stopped for another reason: release the signal thread.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  util::log::Info("server.stopped");
  return 0;
}

int CmdUnseal(int argc, char** argv) {
  Flags f(argc, argv, {"--url"}, {});
  if (!f.Ok()) return 2;
  std::string url = f.Get("--url", "http://127.0.0.1:8080");
  if (isatty(STDIN_FILENO)) std::cerr << "Paste one key share and press Enter: " << std::flush;
  std::string share;
  std::getline(std::cin, share);
  auto r = http::SubmitShareTo(url, share);
  crypto::SecureBuffer wipe = crypto::SecureBuffer::FromString(share);  // then wipe the copy
  sodium_memzero(share.data(), share.size());
  if (!r.ok()) {
    std::cerr << "bomvault unseal: " << r.status().message() << "\n";
    return 1;
  }
  if (r->sealed) {
    std::cout << "share accepted: " << r->progress << " of " << r->threshold
              << " given; the vault is still sealed\n";
  } else {
    std::cout << "the vault is unsealed\n";
  }
  return 0;
}

int CmdCheck(int argc, char** argv) {
  Flags f(argc, argv, {"--data", "--unseal-file"}, {});
  if (!f.Ok()) return 2;
  if (!f.Has("--data") || !f.Has("--unseal-file")) {
    std::cerr << "bomvault check: --data DIR and --unseal-file FILE are required\n";
    return 2;
  }
  util::log::SetStderr(false);
  bool ok = false;
  auto shares = ReadShareFile(f.Get("--unseal-file"), &ok);
  if (!ok) {
    std::cerr << "bomvault check: the unseal file could not be read\n";
    return 1;
  }
  std::vector<std::string> problems, summary;
  util::Status st = service::Instance::Check(f.Get("--data"), shares, &problems, &summary);
  if (!st.ok()) {
    std::cerr << "bomvault check: " << st.message() << "\n";
    return 1;
  }
  for (const auto& s : summary) std::cout << s << "\n";
  for (const auto& p : problems) std::cout << "FAULT: " << p << "\n";
  std::cout << (problems.empty() ? "check: ok\n" : "check: FAILED\n");
  return problems.empty() ? 0 : 1;
}

int CmdAudit(int argc, char** argv) {
  std::string sub = argc > 2 ? argv[2] : "";
  if (sub != "verify") {
    std::cerr << "usage: bomvault audit verify --data DIR --unseal-file FILE [--head SEQ:HASH]\n";
    return 2;
  }
  Flags f(argc - 1, argv + 1, {"--data", "--unseal-file", "--head"}, {});
  if (!f.Ok()) return 2;
  if (!f.Has("--data") || !f.Has("--unseal-file")) {
    std::cerr << "bomvault audit verify: --data DIR and --unseal-file FILE are required\n";
    return 2;
  }
  std::optional<std::pair<int64_t, crypto::Bytes>> expect;
  if (f.Has("--head")) {
    // SEQ:HASH as printed by an earlier verify ("head: seq N hash H").
    std::string head = f.Get("--head");
    size_t colon = head.find(':');
    int seq = 0;
    auto hash = colon == std::string::npos ? std::nullopt : crypto::FromHex(head.substr(colon + 1));
    if (!hash || hash->size() != service::kChainHashSize ||
        !ParseInt(head.substr(0, colon), &seq) || seq < 1) {
      std::cerr << "bomvault audit verify: --head takes SEQ:HASH (64 hex digits)\n";
      return 2;
    }
    expect = std::make_pair(int64_t{seq}, std::move(*hash));
  }
  util::log::SetStderr(false);
  bool ok = false;
  auto shares = ReadShareFile(f.Get("--unseal-file"), &ok);
  if (!ok) {
    std::cerr << "bomvault audit verify: the unseal file could not be read\n";
    return 1;
  }
  auto r = service::VerifyStoredAuditChain(f.Get("--data"), shares, std::move(expect));
  if (!r.ok()) {
    std::cerr << "bomvault audit verify: " << r.status().message() << "\n";
    return 1;
  }
  const service::ChainReport& rep = r.value();
  std::cout << "entries: " << rep.entries << "\n";
  if (rep.entries > 0) {
    std::cout << "oldest: seq " << rep.first_seq << "\n"
              << "checkpoints: " << rep.checkpoints << "\n"
              << "trimmed through: seq " << rep.trimmed_through << "\n"
              << "head: seq " << rep.head_seq << " hash " << crypto::ToHex(rep.head_hash) << "\n";
  }
  for (const auto& p : rep.problems) std::cout << "FAULT: " << p << "\n";
  std::cout << (rep.ok() ? "audit verify: ok\n" : "audit verify: FAILED\n");
  return rep.ok() ? 0 : 1;
}

}  // namespace

int Run(int argc, char** argv) {
  Harden();
  if (!crypto::Init()) {
    std::cerr << "bomvault: the cryptography library could not start\n";
    return 1;
  }
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "version" || cmd == "--version") {
    std::cout << "bomvault " << BOMVAULT_VERSION << "\n";
    return 0;
  }
  if (cmd == "init") return CmdInit(argc, argv);
  if (cmd == "serve") return CmdServe(argc, argv);
  if (cmd == "unseal") return CmdUnseal(argc, argv);
  if (cmd == "check") return CmdCheck(argc, argv);
  if (cmd == "audit") return CmdAudit(argc, argv);
  std::cerr << kUsage;
  return cmd.empty() || cmd == "help" || cmd == "--help" ? 0 : 2;
}

}  // namespace bomvault::app
