#include "app/flags.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace bomvault::app {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::optional<bool> ParseBool(const std::string& v) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return false;
  return std::nullopt;
}

bool Contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string Flags::EnvName(const std::string& flag) {
  std::string out = "BOMVAULT_";
  for (char c : flag.substr(flag.rfind("--", 0) == 0 ? 2 : 0)) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

void Flags::Set(const std::string& k, std::string v, std::string source) {
  values_[k] = std::move(v);
  sources_[k] = std::move(source);
}

Flags::Flags(int argc, char** argv, const std::vector<std::string>& with_value,
             const std::vector<std::string>& switches, int first)
    : Flags(std::vector<std::string>(argv + std::min(first, argc), argv + argc), with_value,
            switches) {}

Flags::Flags(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
             const std::vector<std::string>& switches, const EnvLookup& env) {
  // 1. The command line.
  std::string config;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (Contains(switches, a)) {
      Set(a, "1", "command line");
    } else if (Contains(with_value, a) || a == "--config") {
      if (i + 1 >= args.size()) {
        errors_.push_back(a + " needs a value");
      } else if (a == "--config") {
        config = args[++i];
      } else {
        Set(a, args[++i], "command line");
      }
    } else {
      errors_.push_back("unknown argument: " + a);
    }
  }
  // 2. The environment, for what the command line did not set.
  for (const auto* list : {&with_value, &switches}) {
    for (const std::string& k : *list) {
      if (Has(k)) continue;
      auto v = env(EnvName(k));
      if (!v) continue;
      if (list == &switches) {
        auto b = ParseBool(*v);
        if (!b) {
          errors_.push_back(EnvName(k) + " takes true or false");
        } else if (*b) {
          Set(k, "1", "environment (" + EnvName(k) + ")");
        }
      } else {
        Set(k, *v, "environment (" + EnvName(k) + ")");
      }
    }
  }
  // 3. The config file, for what neither set.
  if (config.empty()) config = env("BOMVAULT_CONFIG").value_or("");
  if (config.empty()) return;
  std::ifstream in(config);
  if (!in) {
    errors_.push_back("the config file cannot be read");
    return;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string where = "config file line " + std::to_string(n);
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      errors_.push_back(where + ": expected name = value");
      continue;
    }
    std::string k = "--" + Trim(line.substr(0, eq));
    std::string v = Trim(line.substr(eq + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    if (Contains(switches, k)) {
      auto b = ParseBool(v);
      if (!b) {
        errors_.push_back(where + ": " + k.substr(2) + " takes true or false");
      } else if (!Has(k) && *b) {
        Set(k, "1", where);
      }
    } else if (Contains(with_value, k)) {
      if (!Has(k)) Set(k, v, where);
    } else {
      errors_.push_back(where + ": unknown setting " + k.substr(2, 40));
    }
  }
}

std::string Flags::Get(const std::string& k, const std::string& dflt) const {
  auto it = values_.find(k);
  return it == values_.end() ? dflt : it->second;
}

std::string Flags::Source(const std::string& k) const {
  auto it = sources_.find(k);
  return it == sources_.end() ? "default" : it->second;
}

bool Flags::Ok() const {
  for (const auto& e : errors_) std::cerr << "bomvault: " << e << "\n";
  return errors_.empty();
}

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

std::string AbsolutePath(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) return "";
  return std::string(buf) + "/" + p;
}

}  // namespace bomvault::app
