// Command-line flags, with the layering every command shares: a flag on the command line wins
// over the environment (BOMVAULT_<NAME>: --backup-dir is BOMVAULT_BACKUP_DIR), which wins over the
// config file (--config FILE, or BOMVAULT_CONFIG), which wins over the defaults in the code.
//
// The config file holds "name = value" lines with the flag names without their dashes
// ("backup-dir = /srv/backups"); blank lines and lines starting with # are ignored; a switch takes
// true/false/yes/no/1/0. Unknown flags, unknown config names, a flag without its value and a
// malformed config line are errors, so a typo never goes unnoticed. Each value remembers where it
// came from, so `bomvault config check` can say. Secrets never come through here: flags name the
// files that hold them.
//
// Also the small parsers the commands share. Not thread-safe; the CLI parses once at start.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bomvault::app {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> ProcessEnv(const std::string& name);

class Flags {
 public:
  // args: the arguments after the command word (for `audit verify`, after "verify").
  Flags(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
        const std::vector<std::string>& switches, const EnvLookup& env = ProcessEnv);
  // argv[first..argc)
  Flags(int argc, char** argv, const std::vector<std::string>& with_value,
        const std::vector<std::string>& switches, int first = 2);

  bool Has(const std::string& k) const { return values_.count(k) != 0; }
  std::string Get(const std::string& k, const std::string& dflt = "") const;
  // "command line", "environment (BOMVAULT_X)", "config file line N", or "default".
  std::string Source(const std::string& k) const;
  const std::vector<std::string>& errors() const { return errors_; }
  // Prints the errors to stderr; true if there were none.
  bool Ok() const;

  // BOMVAULT_BACKUP_DIR for --backup-dir.
  static std::string EnvName(const std::string& flag);

 private:
  void Set(const std::string& k, std::string v, std::string source);
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> sources_;
  std::vector<std::string> errors_;
};

bool ParseInt(const std::string& s, int* out);
bool SplitListen(const std::string& listen, std::string* host, int* port);
bool IsLoopback(const std::string& host);
// `p` made absolute against the working directory (the server, not the shell, resolves it).
std::string AbsolutePath(const std::string& p);

}  // namespace bomvault::app
