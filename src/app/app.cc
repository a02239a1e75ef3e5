#include "app/app.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/doctor.h"
#include "app/flags.h"
#include "app/serve_config.h"
#include "crypto/crypto.h"
#include "http/api.h"
#include "http/engine.h"
#include "http/unseal_client.h"
#include "service/audit.h"
#include "service/backups.h"
#include "service/instance.h"
#include "util/clock.h"
#include "util/dir_lock.h"
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
    "                 [--drain-timeout SECONDS] [--reauth-window SECONDS]\n"
    "                 [--purge-interval SECONDS] [--retention-interval SECONDS]\n"
    "                 [--log-retention-days N] [--audit-retention-days N]\n"
    "                 [--exfil-window-seconds N] [--exfil-max-boms N] [--exfil-max-items N]\n"
    "                 [--exfil-action log|revoke|seal]\n"
    "                 [--public-url URL] [--invitation-ttl-seconds N] [--mail-from ADDRESS]\n"
    "                 [--smtp-url smtp://HOST:PORT|smtps://HOST:PORT [--smtp-ca-file FILE]\n"
    "                  [--smtp-user USER --smtp-password-file FILE]]\n"
    "                 [--source-dir DIR]   (drop root of folder sources: DIR/<org id>/...)\n"
    "  bomvault unseal --url URL        (reads one share from stdin)\n"
    "                 [--backup-dir DIR [--backup-interval SECONDS]]\n"
    "                 [--backup-retention-days N]\n"
    "  bomvault check --data DIR --unseal-file FILE\n"
    "  bomvault audit verify --data DIR --unseal-file FILE [--head SEQ:HASH]\n"
    "  bomvault backup --data DIR --to DIR2 [--url URL] [--token-file FILE]\n"
    "                  (the running server writes it; token also from BOMVAULT_OPERATOR_TOKEN)\n"
    "  bomvault restore --from DIR2 --data DIR [--snapshot NAME]\n"
    "  bomvault rekey --data DIR [--shares N] [--threshold K] [--json]\n"
    "                 (server stopped; reads a quorum of the current shares from stdin)\n"
    "  bomvault rotate-keys [--org ID] [--wait|--status] [--url URL] [--token-file FILE]\n"
    "  bomvault doctor --data DIR [serve flags] [--url URL] [--token-file FILE]\n"
    "  bomvault config check [--config FILE] [serve flags]\n"
    "Flags may also come from the environment (BOMVAULT_BACKUP_DIR for --backup-dir) and from a\n"
    "config file (--config FILE or BOMVAULT_CONFIG: \"backup-dir = /srv/backups\" lines);\n"
    "the command line wins over the environment, which wins over the file.\n"
    "Every command takes --help.\n";

// One paragraph per command for `bomvault COMMAND --help`.
const std::map<std::string, const char*>& CommandHelp() {
  static const std::map<std::string, const char*> help = {
      {"version", "bomvault version\n  Prints one line with the version.\n"},
      {"init",
       "bomvault init --data DIR [--shares N] [--threshold K] [--json]\n"
       "  Creates a new encrypted store in DIR (mode 0700) and prints the key shares and the\n"
       "  operator token once. Defaults: 3 shares, threshold 3.\n"},
      {"serve",
       "bomvault serve --data DIR [--listen HOST:PORT] [options]\n"
       "  Serves the API and the UI; starts sealed unless --unseal-file (development only).\n"
       "  --tls-cert FILE --tls-key FILE   HTTPS (required off loopback unless --behind-proxy)\n"
       "  --backup-dir DIR                 scheduled verified backups to DIR (another disk)\n"
       "  --backup-interval SECONDS        between scheduled backups (default 86400)\n"
       "  --backup-retention-days N        keep snapshots N days (default 5; never longer than\n"
       "                                   the shortest purge window of any organisation)\n"
       "  --source-dir DIR                 drop root of folder data sources: an organisation's\n"
       "                                   sources read DIR/<org id>/<path> only\n"
       "  --drain-timeout SECONDS          SIGTERM/SIGINT: requests in flight get this long to\n"
       "                                   finish, new ones get 503 (default 30); then the store\n"
       "                                   is sealed and the process exits 0\n"
       "  --reauth-window SECONDS          how long a sign-in or re-authentication opens\n"
       "                                   sensitive operations (default 600, 1 to 86400)\n"
       "  Purge, retention, exfiltration, mail and invitation options: see `bomvault help`.\n"},
      {"unseal", "bomvault unseal --url URL\n  Reads one key share from stdin and submits it.\n"},
      {"check",
       "bomvault check --data DIR --unseal-file FILE [--retired-from OLD]\n"
       "  Opens the store offline and checks the database and every object; non-zero on a "
       "fault.\n"
       "  --retired-from OLD   OLD is an earlier copy of DIR: also proves that none of its data\n"
       "                       keys that DIR has rotated away opens anything in DIR.\n"},
      {"rotate-keys",
       "bomvault rotate-keys [--org ID] [--wait] [--url URL] [--token-file FILE]\n"
       "  Asks the running server to rotate the data key of one organisation (or of all), then\n"
       "  shows the background re-seal; --wait follows it to the end. --status only shows it.\n"
       "  URL and the operator token as for `bomvault backup`. No downtime; a restart resumes.\n"},
      {"audit",
       "bomvault audit verify --data DIR --unseal-file FILE [--head SEQ:HASH]\n"
       "  Verifies the long-term audit chain.\n"},
      {"backup",
       "bomvault backup --data DIR --to DIR2 [--url URL] [--token-file FILE]\n"
       "  Asks the server running on DIR to write one consistent, encrypted, verified snapshot\n"
       "  to DIR2 (only that server holds the keys). URL defaults to $BOMVAULT_URL, then\n"
       "  http://127.0.0.1:8080; the operator token comes from --token-file or\n"
       "  $BOMVAULT_OPERATOR_TOKEN. DIR2 must be empty or hold this store's backups.\n"},
      {"restore",
       "bomvault restore --from DIR2 --data DIR [--snapshot NAME]\n"
       "  Restores the newest (or the named) snapshot of backup directory DIR2 into the empty\n"
       "  data directory DIR. The store then opens sealed with the current shares; organisations\n"
       "  deleted after the snapshot was taken stay unreadable and are removed at the unseal.\n"},
      {"rekey",
       "bomvault rekey --data DIR [--shares N] [--threshold K] [--json]\n"
       "  With the server stopped: reads a quorum of the current shares from stdin (one per\n"
       "  line), rotates the root key and prints the new shares once. The old shares stop\n"
       "  working at once, for the store and for the key files of its backup directories.\n"},
      {"config",
       "bomvault config check [--config FILE] [serve flags]\n"
       "  Explains the settings serve would use, where each came from (command line,\n"
       "  environment BOMVAULT_*, config file, default), and every problem found. Exit 1 on "
       "any.\n"},
      {"doctor",
       "bomvault doctor --data DIR [the serve flags] [--url URL] [--token-file FILE]\n"
       "  The air-gap self-check: what would reach outside (mail relay, data sources, identity\n"
       "  providers), data-directory permissions, encryption, TLS, seal status, clock, backup\n"
       "  age, free disk space. Give it the same flags as serve. Exit 1 on any FAIL.\n"},
  };
  return help;
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

int CmdServe(int argc, char** argv) {
  Flags f(argc, argv, ServeValueFlags(), ServeSwitches());
  std::vector<std::string> problems;
  ServeConfig cfg = ParseServeConfig(f, &problems);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << "bomvault serve: " << p << "\n";
    std::cerr << "bomvault serve: not started (`bomvault config check` explains the settings)\n";
    return 2;
  }
  for (const auto& n : cfg.notes) std::cerr << "bomvault: " << n << "\n";
  const std::string& data = cfg.data;
  const std::string& host = cfg.host;
  const int port = cfg.port;
  const bool tls = cfg.tls;
  service::SchedulerOptions& jobs = cfg.jobs;
  service::ExfilOptions& exfil = cfg.exfil;
  // The process's counters and read windows: they outlive every seal/unseal cycle.
  service::Monitor monitor(util::SystemClock::Get());
  monitor.ConfigureExfil(exfil);
  service::SetAuditChainEnabled(jobs.audit_retention_days > 0);

  // glibc gives each of the 64 workers its own malloc arena; freed memory of a large import then
  // stays spread over them (measured: 564 MB after a few 100k-item imports, 168 MB with 2).
  mallopt(M_ARENA_MAX, 2);

  // Signals are taken by one thread with sigwait; every other thread blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // TLS reload, handled by the signal thread below
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::optional<vault::Keys> init_keys;
  if (cfg.init && ::access(vault::KeyringPath(data).c_str(), F_OK) != 0) {
    auto r = service::Instance::Initialise(data, 3, 3);
    if (!r.ok()) {
      std::cerr << "bomvault serve: " << r.status().message() << "\n";
      return 1;
    }
    PrintInitResult(r.value(), false);
    init_keys = std::move(r.value().keys);
  }
  util::DirLock lock;
  if (::access(data.c_str(), F_OK) == 0 && !lock.TryAcquire(data)) {
    std::cerr << "bomvault serve: another bomvault process is using " << data
              << " (a server, or a rekey in progress)\n";
    return 1;
  }
  util::log::Init(data);
  service::InstanceOptions options;
  options.monitor = &monitor;
  options.data_dir = data;
  options.backup_retention_days = cfg.backup_retention_days;
  options.mail = std::move(cfg.mail);
  options.invitations = cfg.invitations;
  options.source_dir = cfg.source_dir;
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
  } else if (!cfg.unseal_file.empty()) {
    util::log::Warn("vault.unseal_from_file_development_only");
    std::cerr << "bomvault: WARNING: unsealing from a file of key shares. This is for development "
                 "and tests only: anyone who can read that file can open the vault.\n";
    bool ok = false;
    auto shares = ReadShareFile(cfg.unseal_file, &ok);
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
  eo.worker_threads = cfg.workers;
  eo.tls_cert_file = cfg.tls_cert;
  eo.tls_key_file = cfg.tls_key;
  http::Engine engine(eo);
  http::ApiOptions ao;
  ao.rate_per_address = cfg.rate;
  ao.rate_per_token = cfg.rate;
  ao.trusted_proxies = cfg.trusted_proxies;
  ao.reauth_window_seconds = cfg.reauth_window_seconds;
  ao.tls = tls;
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
  std::optional<service::Scheduler> scheduler;
  scheduler.emplace(instance, monitor, util::SystemClock::Get(), jobs);
  std::atomic<bool> served{false};
  std::thread signal_thread([&] {
    bool draining = false;
    for (;;) {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      if (served.load()) return;  // Run() returned: the main thread is releasing this thread
      if (sig == SIGHUP) {
        // Certificate renewal: new connections get the new pair; a bad pair is refused and the
        // running one keeps serving. The listener and open connections are untouched.
        if (!tls) {
          util::log::Info("tls.reload_skipped");
          continue;
        }
        util::Status reloaded = engine.ReloadTls();
        if (reloaded.ok()) {
          util::log::Info("tls.reloaded");
        } else {
          util::log::Error("tls.reload_failed");
          std::cerr << "bomvault serve: the TLS certificate was not reloaded: "
                    << reloaded.message() << "; the previous one keeps serving\n";
        }
        continue;
      }
      if (!draining) {
        // Graceful: new requests get 503, requests in flight finish (docs/operations.md).
        draining = true;
        util::log::Info("server.draining")
            .Num("signal", sig)
            .Num("timeout_s", cfg.drain_timeout_seconds);
        engine.Drain(std::chrono::seconds(cfg.drain_timeout_seconds));
        continue;
      }
      // A second SIGTERM/SIGINT during the drain: stop now (handlers running still finish).
      util::log::Info("server.stopping").Num("signal", sig);
      engine.Stop();
    }
  });
  engine.Run();
  // Run() also returns if the engine stopped for another reason: release the signal thread.
  served.store(true);
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  // Every request has been answered (or cut at the drain timeout) and every worker joined. The
  // scheduler finishes the job it is running (a backup completes) and stops; then the store is
  // sealed: a "seal" audit entry with reason "shutdown", the WAL checkpointed into the file,
  // the database closed and every key wiped.
  scheduler.reset();
  if (!instance.sealed()) instance.Seal("shutdown");
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
  crypto::Wipe(share);
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
  Flags f(argc, argv, {"--data", "--unseal-file", "--retired-from"}, {});
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
  util::Status st = service::Instance::Check(f.Get("--data"), shares, &problems, &summary,
                                             f.Get("--retired-from"));
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

// The operator token (--token-file or $BOMVAULT_OPERATOR_TOKEN) and the server's URL (--url,
// $BOMVAULT_URL, http://127.0.0.1:8080) for the commands that ask the running server.
// 0, or the exit code after a message.
int OperatorConnection(const Flags& f, const char* cmd, std::string* token, std::string* url) {
  token->clear();
  if (f.Has("--token-file")) {
    std::ifstream in(f.Get("--token-file"));
    if (!in || !std::getline(in, *token)) {
      std::cerr << "bomvault " << cmd << ": the --token-file cannot be read\n";
      return 1;
    }
  } else if (const char* env = std::getenv("BOMVAULT_OPERATOR_TOKEN")) {
    *token = env;
  }
  while (!token->empty() && (token->back() == '\r' || token->back() == ' ')) token->pop_back();
  if (token->empty()) {
    std::cerr << "bomvault " << cmd
              << ": the operator token is needed: --token-file FILE or "
                 "BOMVAULT_OPERATOR_TOKEN\n";
    return 2;
  }
  *url = f.Get("--url");
  if (url->empty()) *url = std::getenv("BOMVAULT_URL") ? std::getenv("BOMVAULT_URL") : "";
  if (url->empty()) *url = "http://127.0.0.1:8080";
  return 0;
}

// `bomvault rotate-keys`: starts a data-key rotation on the running server and, with --wait,
// follows the background re-seal until it is done.
int CmdRotateKeys(int argc, char** argv) {
  Flags f(argc, argv, {"--url", "--token-file", "--org"}, {"--wait", "--status"});
  if (!f.Ok()) return 2;
  std::string token, url;
  if (int rc = OperatorConnection(f, "rotate-keys", &token, &url); rc != 0) return rc;
  if (!f.Has("--status")) {
    nlohmann::json body = nlohmann::json::object();
    if (f.Has("--org")) body["org_id"] = f.Get("--org");
    auto r = http::PostJsonTo(url, "/api/v1/keys/rotate", token, body, 60);
    if (!r.ok()) {
      crypto::Wipe(token);
      std::cerr << "bomvault rotate-keys: " << r.status().message() << "\n";
      return 1;
    }
    std::cout << "data keys rotated: " << r.value()["rotated"].size()
              << " organisation(s); re-sealing in the background\n";
  }
  int rc = 0;
  for (;;) {
    auto r = http::GetJsonFrom(url, "/api/v1/keys/rotation", token, 60);
    if (!r.ok()) {
      std::cerr << "bomvault rotate-keys: " << r.status().message() << "\n";
      rc = 1;
      break;
    }
    const nlohmann::json& j = r.value();
    for (const auto& p : j["rotations"]) {
      std::cout << "  org " << p.value("org_id", "") << ": pass " << p.value("pass", 0)
                << "/2, column " << p.value("step", 0) << "/" << p.value("steps", 0) << ", "
                << p.value("resealed", 0) << " re-sealed\n";
    }
    if (!j.value("in_progress", false) || !f.Has("--wait")) {
      std::cout << (j.value("in_progress", false) ? "re-seal in progress\n" : "re-seal done\n");
      for (const auto& k : j["retired_keys"]) {
        std::cout << "  retired key of org " << k.value("org_id", "") << " kept for "
                  << k.value("kept_for", "") << "\n";
      }
      if (j.value("unreadable", 0) > 0) {
        std::cout << "  ciphertexts no key opens: " << j.value("unreadable", 0) << "\n";
        rc = 1;
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  crypto::Wipe(token);
  return rc;
}

int CmdBackup(int argc, char** argv) {
  Flags f(argc, argv, {"--data", "--to", "--url", "--token-file"}, {});
  if (!f.Ok()) return 2;
  if (!f.Has("--data") || !f.Has("--to")) {
    std::cerr << "bomvault backup: --data DIR and --to DIR2 are required\n";
    return 2;
  }
  auto kf = vault::ReadKeyringFile(f.Get("--data"));
  if (!kf.ok()) {
    std::cerr << "bomvault backup: " << kf.status().message() << "\n";
    return 1;
  }
  std::string token, url;
  if (int rc = OperatorConnection(f, "backup", &token, &url); rc != 0) return rc;
  std::string to = AbsolutePath(f.Get("--to"));
  nlohmann::json body = {{"to", to}, {"store_id", vault::StoreIdHex(kf->store_id)}};
  auto r = http::PostJsonTo(url, "/api/v1/backups", token, body, 3600);
  crypto::Wipe(token);
  if (!r.ok()) {
    std::cerr << "bomvault backup: " << r.status().message() << "\n";
    return 1;
  }
  const nlohmann::json& j = r.value();
  std::cout << "backup written and verified: " << j.value("snapshot", "") << "\n"
            << "  bytes: " << j.value("bytes", 0) << ", organisations: " << j.value("orgs", 0)
            << ", boms: " << j.value("boms", 0) << ", items: " << j.value("items", 0)
            << ", attachments: " << j.value("attachments", 0) << "\n"
            << "  old snapshots removed by retention: " << j.value("expired", 0) << "\n";
  return 0;
}

int CmdRestore(int argc, char** argv) {
  Flags f(argc, argv, {"--from", "--data", "--snapshot"}, {});
  if (!f.Ok()) return 2;
  if (!f.Has("--from") || !f.Has("--data")) {
    std::cerr << "bomvault restore: --from DIR2 and --data DIR are required\n";
    return 2;
  }
  util::log::SetStderr(false);
  auto r = service::RestoreBackup(f.Get("--from"), f.Get("--data"), f.Get("--snapshot"));
  if (!r.ok()) {
    std::cerr << "bomvault restore: " << r.status().message() << "\n";
    return 1;
  }
  std::cout << "restored " << r->snapshot << " (" << r->bytes << " bytes, " << r->org_keys
            << " organisation keys)\n"
            << "the store opens sealed with the current key shares; start `bomvault serve --data "
            << f.Get("--data") << "` and unseal it\n";
  return 0;
}

int CmdRekey(int argc, char** argv) {
  Flags f(argc, argv, {"--data", "--shares", "--threshold"}, {"--json"});
  if (!f.Ok()) return 2;
  if (!f.Has("--data")) {
    std::cerr << "bomvault rekey: --data DIR is required\n";
    return 2;
  }
  std::string data = f.Get("--data");
  auto kf = vault::ReadKeyringFile(data);
  if (!kf.ok()) {
    std::cerr << "bomvault rekey: " << kf.status().message() << "\n";
    return 1;
  }
  int shares = kf->shares, threshold = kf->threshold;
  if ((f.Has("--shares") && !ParseInt(f.Get("--shares"), &shares)) ||
      (f.Has("--threshold") && !ParseInt(f.Get("--threshold"), &threshold))) {
    std::cerr << "bomvault rekey: --shares and --threshold take whole numbers\n";
    return 2;
  }
  if (shares < 2 || shares > 10 || threshold < 2 || threshold > shares) {
    std::cerr << "bomvault rekey: shares and threshold must satisfy 2 <= threshold <= shares <= "
                 "10\n";
    return 2;
  }
  struct stat dir_stat {};
  if (::stat(data.c_str(), &dir_stat) == 0 && dir_stat.st_uid != ::geteuid()) {
    std::cerr << "bomvault rekey: run this as the user that owns " << data
              << " (e.g. sudo -u bomvault): the new keyring file must stay readable by the "
                 "server\n";
    return 2;
  }
  util::DirLock lock;
  if (!lock.TryAcquire(data)) {
    std::cerr << "bomvault rekey: a server (or another command) is using " << data
              << "; stop it first: the server holds the keyring in memory\n";
    return 1;
  }
  util::log::SetStderr(false);
  if (isatty(STDIN_FILENO)) {
    std::cerr << "Enter " << kf->threshold << " of the current key shares, one per line:\n";
  }
  std::vector<std::string> old_shares;
  std::string line;
  while (static_cast<int>(old_shares.size()) < kf->threshold && std::getline(std::cin, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) old_shares.push_back(line);
  }
  auto keys = vault::KeysFromShares(data, old_shares);
  for (auto& s : old_shares) crypto::Wipe(s);
  crypto::Wipe(line);
  if (!keys.ok()) {
    std::cerr << "bomvault rekey: " << keys.status().message() << "; nothing was changed\n";
    return 1;
  }
  auto nk = vault::RotateRootKey(kf.value(), keys.value(), shares, threshold);
  if (!nk.ok()) {
    std::cerr << "bomvault rekey: " << nk.status().message() << "\n";
    return 1;
  }
  // The new shares must open the new keyring before anything is replaced.
  {
    vault::UnsealProgress check(nk->file);
    bool opened = false;
    for (int i = 0; i < threshold && !opened; ++i) {
      auto r = check.Submit(nk->share_texts[static_cast<size_t>(i)]);
      opened = r.ok() && r->keys && r->keys->db_key.Equals(keys->db_key.span());
    }
    if (!opened) {
      std::cerr << "bomvault rekey: the new shares failed their own check; nothing was changed\n";
      return 1;
    }
  }
  // Print first, then replace the file: if printing fails nothing changed (old shares still
  // work); once the file is replaced only the printed shares open the store.
  if (f.Has("--json")) {
    nlohmann::json j = {{"shares", nk->share_texts}, {"threshold", threshold}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "\n new key shares (any " << threshold << " of " << shares
              << " open the store; the old shares no longer do once this finishes):\n";
    for (size_t i = 0; i < nk->share_texts.size(); ++i) {
      std::cout << " share " << (i + 1) << ": " << nk->share_texts[i] << "\n";
    }
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "bomvault rekey: the new shares could not be printed; nothing was changed\n";
    return 1;
  }
  util::Status st = vault::WriteKeyringFile(data, nk->file);
  if (!st.ok()) {
    std::cerr << "bomvault rekey: " << st.message()
              << "; the store still opens with the OLD shares only\n";
    return 1;
  }
  // Audit, and the backup directories' key files carry the new keyring from now on.
  auto db = store::Database::Open(service::DatabasePath(data), keys->db_key, 1);
  int pending = -1;
  if (db.ok()) {
    (void)db.value()->Write([&](store::Db& conn) -> util::Status {
      service::RecordAudit(conn, nullptr,
                           {"instance",
                            "operator",
                            "keyring.rekey",
                            {{"shares", shares},
                             {"threshold", threshold},
                             {"previous_shares", kf->shares},
                             {"previous_threshold", kf->threshold}}});
      return util::Status::Ok();
    });
    service::Backups backups(*db.value(), data, keys->db_key, keys->data_master, 5);
    pending = backups.RefreshKeyFiles();
  }
  std::cerr << "bomvault rekey: done; the root key was rotated and only the new shares open "
               "the store\n";
  if (pending != 0) {
    std::cerr << "bomvault rekey: WARNING: "
              << (pending < 0 ? std::string("the store could not be opened to update")
                              : std::to_string(pending) + " backup director" +
                                    (pending == 1 ? "y" : "ies") + " could not be updated")
              << "; the server retries at its next start\n";
  }
  return 0;
}

int CmdConfig(int argc, char** argv) {
  std::string sub = argc > 2 ? argv[2] : "";
  if (sub != "check") {
    std::cerr << "usage: bomvault config check [--config FILE] [serve flags]\n";
    return 2;
  }
  Flags f(argc, argv, ServeValueFlags(), ServeSwitches(), 3);
  std::vector<std::string> problems;
  ServeConfig cfg = ParseServeConfig(f, &problems);
  std::cout << "settings (command line > environment > config file > default):\n";
  for (const auto* list : {&ServeValueFlags(), &ServeSwitches()}) {
    for (const auto& k : *list) {
      if (!f.Has(k)) continue;
      std::cout << "  " << k.substr(2) << " = " << f.Get(k) << "   (" << f.Source(k) << ")\n";
    }
  }
  std::cout << "  data directory: " << cfg.data << (f.Has("--data") ? "" : " (default)") << "\n"
            << "  listening on: " << cfg.host << ":" << cfg.port
            << (cfg.tls ? " (https)" : " (http)") << "\n";
  if (::access(cfg.data.c_str(), F_OK) != 0) {
    problems.push_back("the data directory does not exist yet (bomvault init --data " + cfg.data +
                       ")");
  } else if (::access(vault::KeyringPath(cfg.data).c_str(), F_OK) != 0) {
    problems.push_back("the data directory holds no store (bomvault init --data " + cfg.data + ")");
  }
  for (const auto& n : cfg.notes) std::cout << "note: " << n << "\n";
  for (const auto& p : problems) std::cout << "problem: " << p << "\n";
  std::cout << (problems.empty()
                    ? "config check: ok\n"
                    : "config check: " + std::to_string(problems.size()) + " problem(s)\n");
  return problems.empty() ? 0 : 1;
}

}  // namespace

int Run(int argc, char** argv) {
  Harden();
  if (!crypto::Init()) {
    std::cerr << "bomvault: the cryptography library could not start\n";
    return 1;
  }
  util::log::SetAddressHasher(&crypto::AddressPseudonym);
  std::string cmd = argc > 1 ? argv[1] : "";
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      auto it = CommandHelp().find(cmd);
      std::cout << (it != CommandHelp().end() ? it->second : kUsage);
      return 0;
    }
  }
  if (cmd == "version" || cmd == "--version") {
    std::cout << "bomvault " << BOMVAULT_VERSION << "\n";
    return 0;
  }
  if (cmd == "init") return CmdInit(argc, argv);
  if (cmd == "backup") return CmdBackup(argc, argv);
  if (cmd == "restore") return CmdRestore(argc, argv);
  if (cmd == "rekey") return CmdRekey(argc, argv);
  if (cmd == "rotate-keys") return CmdRotateKeys(argc, argv);
  if (cmd == "doctor") return CmdDoctor(argc, argv);
  if (cmd == "config") return CmdConfig(argc, argv);
  if (cmd == "serve") return CmdServe(argc, argv);
  if (cmd == "unseal") return CmdUnseal(argc, argv);
  if (cmd == "check") return CmdCheck(argc, argv);
  if (cmd == "audit") return CmdAudit(argc, argv);
  std::cerr << kUsage;
  return cmd.empty() || cmd == "help" || cmd == "--help" ? 0 : 2;
}

}  // namespace bomvault::app
