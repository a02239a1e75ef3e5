// `serve` configuration: the layering (command line > environment > config file > defaults) and
// that every problem is reported, not just the first (app/flags.h, app/serve_config.h).
#include "app/serve_config.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

using namespace bomvault;

namespace {

app::EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

app::ServeConfig Parse(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env,
                       std::vector<std::string>* problems) {
  app::Flags f(args, app::ServeValueFlags(), app::ServeSwitches(), FakeEnv(env));
  return app::ParseServeConfig(f, problems);
}

struct ConfigFile {
  std::string path;
  explicit ConfigFile(const std::string& text) {
    char tmpl[] = "/tmp/bv-config-test-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~ConfigFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("serve config: defaults when nothing is given") {
  std::vector<std::string> problems;
  auto c = Parse({}, {}, &problems);
  CHECK(problems.empty());
  CHECK(c.data == "./data");
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 8080);
  CHECK_FALSE(c.tls);
  CHECK(c.rate == 200);
  CHECK(c.workers == 64);
  CHECK(c.jobs.backup_dir.empty());
  CHECK(c.backup_retention_days == 5);
}

TEST_CASE("serve config: command line over environment over config file") {
  ConfigFile file(
      "# a comment\n"
      "backup-dir = /srv/from-file\n"
      "backup-interval = 600\n"
      "workers = \"8\"\n"
      "behind-proxy = true\n"
      "listen = 0.0.0.0:8080\n");
  std::vector<std::string> problems;
  auto c = Parse({"--config", file.path, "--workers", "16"},
                 {{"BOMVAULT_BACKUP_DIR", "/srv/from-env"}, {"BOMVAULT_WORKERS", "4"}}, &problems);
  CHECK(problems.empty());
  CHECK(c.workers == 16);                       // flag beats env and file
  CHECK(c.jobs.backup_dir == "/srv/from-env");  // env beats file
  CHECK(c.jobs.backup_interval == 600);         // file beats default
  CHECK(c.behind_proxy);                        // a switch from the file
  CHECK(c.host == "0.0.0.0");

  app::Flags f({"--config", file.path, "--workers", "16"}, app::ServeValueFlags(),
               app::ServeSwitches(), FakeEnv({{"BOMVAULT_BACKUP_DIR", "/srv/x"}}));
  CHECK(f.Source("--workers") == "command line");
  CHECK(f.Source("--backup-dir") == "environment (BOMVAULT_BACKUP_DIR)");
  CHECK(f.Source("--backup-interval") == "config file line 3");
  CHECK(f.Source("--rate-limit") == "default");
}

TEST_CASE("serve config: BOMVAULT_CONFIG names the file when --config does not") {
  ConfigFile file("rate-limit = 7\n");
  std::vector<std::string> problems;
  auto c = Parse({}, {{"BOMVAULT_CONFIG", file.path}}, &problems);
  CHECK(problems.empty());
  CHECK(c.rate == 7);
}

TEST_CASE("serve config: every problem is reported, each naming its setting") {
  ConfigFile file(
      "workers = many\n"
      "colour = blue\n"
      "this line has no equals sign\n"
      "behind-proxy = perhaps\n");
  std::vector<std::string> problems;
  Parse({"--config", file.path, "--listen", "10.0.0.1:8443", "--tls-cert", "/nonexistent.crt",
         "--backup-interval", "5", "--exfil-action", "explode", "--frobnicate"},
        {{"BOMVAULT_RATE_LIMIT", "-3"}}, &problems);
  auto has = [&](const std::string& needle) {
    for (const auto& p : problems)
      if (p.find(needle) != std::string::npos) return true;
    return false;
  };
  CHECK(has("unknown argument: --frobnicate"));
  CHECK(has("config file line 2: unknown setting colour"));
  CHECK(has("config file line 3: expected name = value"));
  CHECK(has("config file line 4: behind-proxy takes true or false"));
  CHECK(has("--workers takes a whole number"));
  CHECK(has("--rate-limit takes a whole number"));
  CHECK(has("--tls-cert and --tls-key go together"));
  CHECK(has("--backup-interval takes a whole number of at least 60"));
  CHECK(has("--backup-interval needs --backup-dir"));
  CHECK(has("--exfil-action takes log, revoke or seal"));
  CHECK(problems.size() == 10);
}

TEST_CASE("serve config: plain HTTP off loopback is refused unless behind a proxy") {
  std::vector<std::string> problems;
  Parse({"--listen", "0.0.0.0:8080"}, {}, &problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("refusing plain HTTP") != std::string::npos);
  problems.clear();
  Parse({"--listen", "0.0.0.0:8080"}, {{"BOMVAULT_BEHIND_PROXY", "yes"}}, &problems);
  CHECK(problems.empty());
}
