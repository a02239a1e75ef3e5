#include "app/doctor.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/flags.h"
#include "app/serve_config.h"
#include "service/backups.h"
#include "service/instance.h"
#include "store/database.h"
#include "util/dir_lock.h"
#include "vault/keyring.h"

namespace bomvault::app {
namespace {

struct Report {
  int fails = 0, warns = 0;
  void Ok(const std::string& area, const std::string& msg) { Line("ok  ", area, msg); }
  void Warn(const std::string& area, const std::string& msg) {
    ++warns;
    Line("WARN", area, msg);
  }
  void Fail(const std::string& area, const std::string& msg) {
    ++fails;
    Line("FAIL", area, msg);
  }
  static void Line(const char* level, const std::string& area, const std::string& msg) {
    std::cout << level << "  " << area << ": " << msg << "\n";
  }
};

std::string Mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

std::string Bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
  return buf;
}

int64_t FileSize(const std::string& p) {
  struct stat sb {};
  return ::stat(p.c_str(), &sb) == 0 ? static_cast<int64_t>(sb.st_size) : 0;
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
  }
  return out;
}

bool Loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

void CheckDataDir(Report& r, const std::string& data) {
  struct stat sb {};
  if (::stat(data.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    r.Fail("data directory", data + " does not exist");
    return;
  }
  if (sb.st_uid != ::geteuid()) {
    r.Fail("data directory",
           "owned by uid " + std::to_string(sb.st_uid) +
               ", not by the user running this check (run it as the service user)");
  } else if ((sb.st_mode & 077) != 0) {
    r.Fail("data directory", "mode " + Mode(sb.st_mode) + ": other users can reach it (chmod 700)");
  } else {
    r.Ok("data directory", data + " mode " + Mode(sb.st_mode) + ", owned by this user");
  }
  int loose = 0;
  for (const auto& n : List(data)) {
    struct stat fb {};
    if (::stat((data + "/" + n).c_str(), &fb) == 0 && S_ISREG(fb.st_mode) && (fb.st_mode & 077))
      ++loose;
  }
  if (loose > 0) {
    r.Warn("file permissions", std::to_string(loose) +
                                   " file(s) in the data directory are "
                                   "readable by group or others");
  }
  auto kf = vault::ReadKeyringFile(data);
  if (!kf.ok()) {
    r.Fail("keyring", kf.status().message());
  } else {
    r.Ok("keyring", "store " + vault::StoreIdHex(kf->store_id) + ", any " +
                        std::to_string(kf->threshold) + " of " + std::to_string(kf->shares) +
                        " shares open it");
  }
  std::string db = service::DatabasePath(data);
  if (::access(db.c_str(), F_OK) != 0) {
    r.Fail("store", "no database file");
  } else if (store::LooksLikePlainSqlite(db) || store::LooksLikePlainSqlite(db + "-wal")) {
    r.Fail("store", "a database file is NOT encrypted");
  } else {
    r.Ok("store", "encrypted (no plaintext SQLite header), " + Bytes(FileSize(db)) + " + WAL " +
                      Bytes(FileSize(db + "-wal")));
  }
  if (::access(service::RestoreKeysPath(data).c_str(), F_OK) == 0) {
    r.Warn("restore", "a restored store waits for its first unseal to take its org keys back");
  }
  size_t outbox = List(data + "/outbox").size();
  if (outbox > 0) {
    r.Warn("mail outbox",
           std::to_string(outbox) +
               " message file(s) in DATA/outbox hold live links; deliver and delete");
  }
}

void CheckTls(Report& r, const std::map<std::string, std::string>& f) {
  auto get = [&](const char* k) {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  std::string listen = get("--listen").empty() ? "127.0.0.1:8080" : get("--listen");
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string cert = get("--tls-cert"), key = get("--tls-key");
  if (cert.empty()) {
    if (Loopback(host)) {
      r.Ok("tls", "plain HTTP on loopback only (" + listen + ")");
    } else if (f.count("--behind-proxy")) {
      r.Warn("tls", "plain HTTP on " + listen +
                        " behind a TLS-terminating proxy: keep that hop "
                        "on a trusted network");
    } else {
      r.Fail("tls", "plain HTTP on " + listen + ": serve refuses this; give --tls-cert/--tls-key");
    }
    return;
  }
  FILE* fp = std::fopen(cert.c_str(), "r");
  X509* x = fp ? PEM_read_X509(fp, nullptr, nullptr, nullptr) : nullptr;
  if (fp) std::fclose(fp);
  if (x == nullptr) {
    r.Fail("tls", "the certificate file cannot be read as PEM");
  } else {
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(x));
    int past_days = 0, past_secs = 0;
    ASN1_TIME_diff(&past_days, &past_secs, nullptr, X509_get0_notBefore(x));
    if (days < 0 || secs < 0) {
      r.Fail("tls", "the certificate has expired");
    } else if (past_days > 0 || past_secs > 0) {
      r.Fail("tls", "the certificate is not valid yet (or the clock is behind)");
    } else if (days < 30) {
      r.Warn("tls", "the certificate expires in " + std::to_string(days) + " days");
    } else {
      r.Ok("tls", "certificate valid for " + std::to_string(days) + " more days");
    }
    X509_free(x);
  }
  struct stat sb {};
  if (::stat(key.c_str(), &sb) != 0) {
    r.Fail("tls", "the key file cannot be read");
  } else if (sb.st_mode & 077) {
    r.Warn("tls", "the key file is mode " + Mode(sb.st_mode) + "; make it 0600");
  }
}

void CheckOutbound(Report& r, const std::map<std::string, std::string>& f,
                   const nlohmann::json& openapi) {
  auto it = f.find("--smtp-url");
  if (it != f.end()) {
    std::string url = it->second;
    size_t at = url.find("://");
    r.Ok("outbound: mail relay", "configured: " + url.substr(0, at) + " to " +
                                     (at == std::string::npos ? url : url.substr(at + 3)) +
                                     " (leaves the machine)");
  } else {
    r.Ok("outbound: mail relay", "none; messages are written to DATA/outbox (nothing leaves)");
  }
  bool reachable = openapi.is_object() && openapi.contains("paths");
  bool sources = false, idp = false;
  if (reachable) {
    for (auto p = openapi["paths"].begin(); p != openapi["paths"].end(); ++p) {
      if (p.key().find("/sources") != std::string::npos) sources = true;
      if (p.key().find("oidc") != std::string::npos || p.key().find("saml") != std::string::npos)
        idp = true;
    }
    r.Ok("outbound: data sources",
         sources ? "offered: each organisation's Administrators configure their own (Tryton, REST, "
                   "folder); they are reached only when a user pulls or sends"
                 : "not offered by this server");
    r.Ok("outbound: identity providers",
         idp ? "offered by this server" : "none: local accounts with passwords and TOTP only");
  } else {
    r.Warn("outbound",
           "the server did not answer, so data sources and identity providers are "
           "unknown; run doctor while it runs");
  }
}

void CheckClock(Report& r, const std::string& data) {
  time_t now = ::time(nullptr);
  // A clock before this build was made is wrong.
  std::tm built{};
  strptime(__DATE__, "%b %d %Y", &built);
  time_t build_time = timegm(&built);
  time_t newest = 0;
  for (const std::string& dir : {data, data + "/logs"}) {
    for (const auto& n : List(dir)) {
      struct stat sb {};
      if (::stat((dir + "/" + n).c_str(), &sb) == 0 && sb.st_mtime > newest) newest = sb.st_mtime;
    }
  }
  char buf[32];
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (now < build_time - 86400) {
    r.Fail("clock", std::string(buf) + " is before this build was made");
  } else if (newest > now + 300) {
    r.Fail("clock", std::string(buf) + " is behind files the server wrote (" +
                        std::to_string(newest - now) +
                        " s in the future): the purge and token expiry would misbehave");
  } else {
    r.Ok("clock", std::string(buf) + " (UTC); no file in the data directory is from the future");
  }
}

void CheckBackups(Report& r, const std::map<std::string, std::string>& f, const std::string& data,
                  const std::string& metrics) {
  auto it = f.find("--backup-dir");
  int64_t interval = 86400;
  if (auto iv = f.find("--backup-interval"); iv != f.end())
    interval = std::atoll(iv->second.c_str());
  if (it == f.end()) {
    r.Warn("backups", "no --backup-dir: no scheduled backups (`bomvault backup` by hand only)");
  } else {
    const std::string& dir = it->second;
    auto kr = vault::ReadKeyringFile(data);
    std::string keys = service::KeyFilePath(dir);
    std::ifstream in(keys);
    nlohmann::json j = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
    int64_t newest = -1;
    for (const auto& n : List(dir + "/snapshots"))
      newest = std::max(newest, service::SnapshotTime(n));
    struct stat sb {};
    if (!j.is_object() || newest < 0) {
      r.Fail("backups", "no verified backup in " + dir + " yet");
    } else if (kr.ok() && j.value("store_id", "") != vault::StoreIdHex(kr->store_id)) {
      r.Fail("backups", dir + " holds another store's backups");
    } else if (::stat(keys.c_str(), &sb) == 0 && (sb.st_mode & 077)) {
      r.Warn("backups", "keys.json is mode " + Mode(sb.st_mode) + "; make it 0600");
    } else {
      int64_t age = ::time(nullptr) - newest;
      std::string msg = "newest snapshot is " + std::to_string(age / 3600) + " h " +
                        std::to_string(age % 3600 / 60) + " min old";
      if (age > 2 * interval) {
        r.Fail("backups", msg + ": more than twice the interval");
      } else {
        r.Ok("backups", msg);
      }
    }
    struct statvfs vb {};
    if (::statvfs(dir.c_str(), &vb) == 0) {
      double free_bytes = static_cast<double>(vb.f_bavail) * vb.f_frsize;
      double need = static_cast<double>(FileSize(service::DatabasePath(data)));
      if (free_bytes < need * 2) {
        r.Warn("disk (backups)", Bytes(free_bytes) + " free: less than two store sizes");
      } else {
        r.Ok("disk (backups)", Bytes(free_bytes) + " free");
      }
    }
  }
  size_t at = metrics.find("\nbomvault_backup_age_seconds ");
  if (at != std::string::npos) {
    r.Ok("backups (server)", "the server reports its last verified backup " +
                                 metrics.substr(at + 29, metrics.find('\n', at + 1) - at - 29) +
                                 " s ago");
  }
}

void CheckDisk(Report& r, const std::string& data) {
  struct statvfs vb {};
  if (::statvfs(data.c_str(), &vb) != 0) return;
  double free_bytes = static_cast<double>(vb.f_bavail) * vb.f_frsize;
  double total = static_cast<double>(vb.f_blocks) * vb.f_frsize;
  double store = static_cast<double>(FileSize(service::DatabasePath(data)));
  std::string msg = Bytes(free_bytes) + " free of " + Bytes(total);
  if (free_bytes < store || free_bytes < 256.0 * 1024 * 1024) {
    r.Fail("disk (data)", msg +
                              ": a checkpoint or a large import may fail; the server seals on "
                              "a full disk");
  } else if (free_bytes < total * 0.1 || free_bytes < 2 * store) {
    r.Warn("disk (data)", msg);
  } else {
    r.Ok("disk (data)", msg);
  }
}

}  // namespace

int CmdDoctor(int argc, char** argv) {
  // The same flags, environment and config file as serve, plus how to reach it.
  std::vector<std::string> with_value = ServeValueFlags();
  with_value.insert(with_value.end(), {"--url", "--token-file"});
  Flags flags(argc, argv, with_value, ServeSwitches());
  if (!flags.Ok()) return 2;
  std::map<std::string, std::string> f;
  const std::vector<std::string>* lists[] = {&with_value, &ServeSwitches()};
  for (const std::vector<std::string>* list : lists) {
    for (const auto& k : *list) {
      if (flags.Has(k)) f[k] = flags.Get(k);
    }
  }
  if (!f.count("--data")) {
    std::cerr << "bomvault doctor: --data DIR is required\n";
    return 2;
  }
  std::string data = f["--data"];
  Report r;
  std::cout << "bomvault doctor " << BOMVAULT_VERSION << ": " << data << "\n";
  CheckDataDir(r, data);

  // The running server, if any.
  bool server_holds = util::DirLock::HeldByOther(data);
  std::string url = f.count("--url") ? f["--url"] : "";
  if (url.empty() && std::getenv("BOMVAULT_URL")) url = std::getenv("BOMVAULT_URL");
  if (url.empty()) {
    std::string listen = f.count("--listen") ? f["--listen"] : "127.0.0.1:8080";
    url = std::string(f.count("--tls-cert") ? "https" : "http") + "://" + listen;
  }
  nlohmann::json openapi;
  std::string metrics;
  {
    httplib::Client client(url);
    client.set_connection_timeout(3);
    client.set_read_timeout(10);
    if (url.rfind("https://", 0) == 0) {
      client.enable_server_certificate_verification(true);
      if (const char* ca = std::getenv("BOMVAULT_CA_FILE")) client.set_ca_cert_path(ca);
    }
    auto health = client.Get("/api/v1/health");
    if (health && health->status == 200) {
      auto h = nlohmann::json::parse(health->body, nullptr, false);
      bool sealed = h.is_object() && h.value("sealed", true);
      if (sealed) {
        r.Warn("seal", "the server answers at " + url + " and is SEALED: key holders must unseal");
      } else {
        r.Ok("seal", "the server answers at " + url + " and is unsealed");
      }
      if (auto api = client.Get("/api/v1/openapi.json"); api && api->status == 200) {
        openapi = nlohmann::json::parse(api->body, nullptr, false);
      }
      std::string token =
          std::getenv("BOMVAULT_OPERATOR_TOKEN") ? std::getenv("BOMVAULT_OPERATOR_TOKEN") : "";
      if (f.count("--token-file")) {
        std::ifstream in(f["--token-file"]);
        std::getline(in, token);
      }
      if (!token.empty() && !sealed) {
        auto m = client.Get("/api/v1/metrics", {{"Authorization", "Bearer " + token}});
        if (m && m->status == 200) metrics = "\n" + m->body;
      }
    } else if (server_holds) {
      r.Fail("seal", "a server holds " + data + " but does not answer at " + url);
    } else {
      r.Warn("seal", "no server is running on " + data);
    }
  }
  CheckTls(r, f);
  CheckOutbound(r, f, openapi);
  CheckClock(r, data);
  CheckBackups(r, f, data, metrics);
  CheckDisk(r, data);
  std::cout << "doctor: " << r.fails << " failure(s), " << r.warns << " warning(s)\n";
  return r.fails > 0 ? 1 : 0;
}

}  // namespace bomvault::app
