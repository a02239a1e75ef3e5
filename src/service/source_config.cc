#include "service/source_config.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>

#include "service/source_folder.h"

namespace bomvault::service {

using util::Status;

namespace {

constexpr size_t kMaxCaPem = 64 * 1024;

// Reads an optional string member; false when present with another type.
bool OptString(const nlohmann::json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

Status FieldError(const char* key, const char* what) {
  return Status::Invalid("invalid_field", std::string("\"") + key + "\" " + what);
}

}  // namespace

bool ValidSourceText(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && bom::Utf8ErrorOffset(s) == std::string::npos &&
         std::none_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<bom::Item> ApplyRules(const SourceRules& rules, std::vector<bom::Item> items) {
  std::vector<std::string> dropped;
  auto is_dropped = [&dropped](const std::string& ref) {
    return std::find(dropped.begin(), dropped.end(), ref) != dropped.end();
  };
  std::vector<bom::Item> out;
  out.reserve(items.size());
  // Parents come before children in what a source hands over (TreeOrder), so one pass drops
  // whole subtrees.
  for (auto& it : items) {
    bool skip = (!it.parent.empty() && is_dropped(it.parent));
    for (const auto& g : rules.skip_part_numbers) skip = skip || GlobMatch(g, it.part_number);
    if (skip) {
      dropped.push_back(it.ref);
      continue;
    }
    for (const auto& [from, to] : rules.units) {
      if (it.unit == from) {
        it.unit = to;
        break;
      }
    }
    out.push_back(std::move(it));
  }
  return out;
}

nlohmann::json SourceConfig::ToJson(bool with_secrets) const {
  nlohmann::json units = nlohmann::json::object();
  for (const auto& [from, to] : rules.units) units[from] = to;
  if (kind == "folder") {
    return {{"name", name},
            {"kind", kind},
            {"path", path},
            {"profile", profile},
            {"rules", {{"skip_part_numbers", rules.skip_part_numbers}, {"units", units}}}};
  }
  nlohmann::json j = {
      {"name", name},
      {"kind", kind},
      {"base_url", base_url},
      {"auth_method", auth_method},
      {"ca_pem", ca_pem},
      {"internal", internal},
      {"proxy", proxy},
      {"max_response_bytes", max_response_bytes},
      {"timeout_seconds", timeout_seconds},
      {"rules", {{"skip_part_numbers", rules.skip_part_numbers}, {"units", units}}}};
  if (kind == "tryton") {
    j["database"] = database;
  } else {
    j["authorize_url"] = authorize_url;
    j["token_url"] = token_url;
    j["revocation_url"] = revocation_url;
    j["client_id"] = client_id;
    j["scopes"] = scopes;
    j["api_key_header"] = api_key_header;
    j["items_path"] = items_path;
    j["send_path"] = send_path;
    if (with_secrets) {
      j["client_secret"] = client_secret;
    } else {
      j["client_secret_set"] = !client_secret.empty();
    }
  }
  return j;
}

namespace {

bool PathOk(const std::string& p, bool needs_id) {
  if (p.empty() || p.size() > 256 || p.front() != '/' || p.find("//") != std::string::npos ||
      p.find("..") != std::string::npos) {
    return false;
  }
  for (char c : p) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
          c == '~' || c == '-' || c == '{' || c == '}')) {
      return false;
    }
  }
  const bool has_id = p.find("{remote_id}") != std::string::npos;
  return needs_id ? has_id : !has_id;
}

Status CheckEndpoint(const std::string& url, const char* key, bool required, bool internal) {
  if (url.empty()) {
    return required ? FieldError(key, "is required for this auth_method") : Status::Ok();
  }
  auto o = ParseSourceUrl(url, internal);
  if (!o.ok()) {
    return o.status().machine_code() == "invalid_base_url"
               ? FieldError(key, "must be an http(s) URL with no credentials, query or fragment")
               : o.status();
  }
  return Status::Ok();
}

}  // namespace

util::Result<SourceConfig> SourceConfig::FromJson(const nlohmann::json& j,
                                                  const SourceConfig* base) {
  if (!j.is_object()) return Status::Invalid("invalid_body", "expected a JSON object");
  static const char* kKnown[] = {
      "name",          "kind",          "base_url",       "database",           "auth_method",
      "ca_pem",        "internal",      "proxy",          "max_response_bytes", "timeout_seconds",
      "rules",         "authorize_url", "token_url",      "revocation_url",     "client_id",
      "client_secret", "scopes",        "api_key_header", "items_path",         "send_path",
      "path",          "profile"};
  // Keys by name, not structured bindings: clang before 16 cannot capture a binding in a lambda.
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* n) { return k == n; })) {
      return Status::Invalid("unknown_field",
                             "unknown field \"" + k.substr(0, bom::kMessageEchoChars) + "\"");
    }
  }
  SourceConfig c = base ? *base : SourceConfig{};
  for (auto [key, out] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"name", &c.name},
           {"kind", &c.kind},
           {"base_url", &c.base_url},
           {"database", &c.database},
           {"auth_method", &c.auth_method},
           {"ca_pem", &c.ca_pem},
           {"proxy", &c.proxy},
           {"authorize_url", &c.authorize_url},
           {"token_url", &c.token_url},
           {"revocation_url", &c.revocation_url},
           {"client_id", &c.client_id},
           {"client_secret", &c.client_secret},
           {"scopes", &c.scopes},
           {"api_key_header", &c.api_key_header},
           {"items_path", &c.items_path},
           {"send_path", &c.send_path},
           {"path", &c.path},
           {"profile", &c.profile}}) {
    if (!OptString(j, key, out)) return FieldError(key, "must be a string");
  }
  if (base && c.kind != base->kind) {
    return Status::Invalid("kind_fixed", "a source's kind cannot change; make a new source");
  }
  if (auto it = j.find("internal"); it != j.end()) {
    if (!it->is_boolean()) return FieldError("internal", "must be true or false");
    c.internal = it->get<bool>();
  }
  if (auto it = j.find("max_response_bytes"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 4096 ||
        it->get<int64_t>() > (int64_t{256} << 20)) {
      return FieldError("max_response_bytes", "must be a whole number from 4096 to 268435456");
    }
    c.max_response_bytes = it->get<int64_t>();
  }
  if (auto it = j.find("timeout_seconds"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 600) {
      return FieldError("timeout_seconds", "must be a whole number from 1 to 600");
    }
    c.timeout_seconds = it->get<int64_t>();
  }
  if (auto it = j.find("rules"); it != j.end()) {
    if (!it->is_object()) return FieldError("rules", "must be an object");
    SourceRules r;
    if (auto s = it->find("skip_part_numbers"); s != it->end()) {
      if (!s->is_array() || s->size() > 100) {
        return FieldError("rules", "skip_part_numbers must be a list of at most 100 patterns");
      }
      for (const auto& g : *s) {
        if (!g.is_string() || !ValidSourceText(g.get<std::string>(), 128)) {
          return FieldError("rules", "skip_part_numbers holds a pattern that is not 1-128 bytes");
        }
        r.skip_part_numbers.push_back(g.get<std::string>());
      }
    }
    if (auto u = it->find("units"); u != it->end()) {
      if (!u->is_object() || u->size() > 100) {
        return FieldError("rules", "units must map at most 100 units to units");
      }
      for (const auto& [from, to] : u->items()) {
        if (!to.is_string() || from.size() > 16 || to.get<std::string>().size() > 16) {
          return FieldError("rules", "units maps text of at most 16 bytes to the same");
        }
        r.units.push_back({from, to.get<std::string>()});
      }
    }
    for (const auto& [k, v] : it->items()) {
      if (k != "skip_part_numbers" && k != "units") {
        return FieldError("rules", "knows skip_part_numbers and units only");
      }
    }
    c.rules = std::move(r);
  }
  if (!ValidSourceText(c.name, 200)) return FieldError("name", "must be 1-200 bytes of text");
  if (c.kind == "folder") {
    // A folder has a path, a profile and rules; nothing about a network or credentials.
    static const char* kFolder[] = {"name", "kind", "path", "profile", "rules"};
    for (const auto& item : j.items()) {
      const std::string& k = item.key();
      if (std::none_of(std::begin(kFolder), std::end(kFolder),
                       [&](const char* n) { return k == n; })) {
        return Status::Invalid("invalid_field",
                               "a folder source takes name, path, profile and "
                               "rules only; \"" +
                                   k + "\" is for tryton and rest sources");
      }
    }
    if (!SourceFolder::ValidPath(c.path)) {
      return FieldError("path",
                        "must be a relative directory below the drop root's organisation "
                        "directory: 1-16 parts of A-Z a-z 0-9 . _ - separated by /, none "
                        "starting with .");
    }
    if (c.profile.size() > 64 || !std::all_of(c.profile.begin(), c.profile.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
        })) {
      return FieldError("profile", "must name an import profile: a built-in name or a saved id");
    }
    return c;
  }
  if (c.kind != "tryton" && c.kind != "rest") {
    return Status::Invalid("unsupported_kind", "kind must be \"tryton\", \"rest\" or \"folder\"");
  }
  auto origin = ParseSourceUrl(c.base_url, c.internal);
  if (!origin.ok()) return origin.status();
  if (c.kind == "tryton") {
    if (c.database.empty() || c.database.size() > 63 ||
        !std::all_of(c.database.begin(), c.database.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
        })) {
      return FieldError("database", "must name the Tryton database: 1-63 letters, digits, _ or -");
    }
    if (c.auth_method != "basic") {
      return FieldError("auth_method", "must be \"basic\" (each user's own Tryton login)");
    }
  } else {
    const std::string& m = c.auth_method;
    if (m != "oauth_code" && m != "client_credentials" && m != "api_key" && m != "basic") {
      return FieldError("auth_method", "must be oauth_code, client_credentials, api_key or basic");
    }
    const bool oauth = m == "oauth_code", cc = m == "client_credentials";
    if (Status st = CheckEndpoint(c.authorize_url, "authorize_url", oauth, c.internal); !st.ok()) {
      return st;
    }
    if (Status st = CheckEndpoint(c.token_url, "token_url", oauth || cc, c.internal); !st.ok()) {
      return st;
    }
    if (Status st = CheckEndpoint(c.revocation_url, "revocation_url", false, c.internal);
        !st.ok()) {
      return st;
    }
    if (oauth && (!ValidSourceText(c.client_id, 256) || !ValidSourceText(c.client_secret, 1024))) {
      return FieldError("client_id", "and client_secret are required for oauth_code");
    }
    if (c.scopes.size() > 1024 || !std::all_of(c.scopes.begin(), c.scopes.end(), [](char ch) {
          return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
        })) {
      return FieldError("scopes", "must be printable ASCII, at most 1024 bytes");
    }
    if (c.api_key_header.empty() || c.api_key_header.size() > 64 ||
        !std::all_of(c.api_key_header.begin(), c.api_key_header.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-';
        })) {
      return FieldError("api_key_header", "must be a header name: 1-64 letters, digits or -");
    }
    if (!PathOk(c.items_path, true)) {
      return FieldError("items_path", "must be a path starting with / that holds {remote_id}");
    }
    if (!PathOk(c.send_path, false))
      return FieldError("send_path", "must be a path starting with /");
  }
  if (!c.ca_pem.empty() && (c.ca_pem.size() > kMaxCaPem ||
                            c.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)) {
    return FieldError("ca_pem", "must be PEM certificates, at most 64 KiB");
  }
  if (!c.proxy.empty()) {
    const bool scheme_ok = c.proxy.rfind("http://", 0) == 0 || c.proxy.rfind("https://", 0) == 0 ||
                           c.proxy.rfind("socks5h://", 0) == 0;
    if (!scheme_ok || c.proxy.size() > 2048 || c.proxy.find('@') != std::string::npos ||
        !std::all_of(c.proxy.begin(), c.proxy.end(),
                     [](char ch) { return ch > 0x20 && ch < 0x7f; })) {
      return FieldError("proxy",
                        "must be an http://, https:// or socks5h:// URL without credentials");
    }
  }
  return c;
}

OutboundTarget SourceConfig::Target() const {
  OutboundTarget t;
  t.origin = ParseSourceUrl(base_url, internal).value();
  t.internal = internal;
  t.ca_pem = ca_pem;
  t.proxy = proxy;
  t.max_response_bytes = static_cast<size_t>(max_response_bytes);
  t.timeout_seconds = static_cast<long>(timeout_seconds);
  return t;
}

RestSettings SourceConfig::Rest() const {
  RestSettings s;
  s.api = Target();
  auto endpoint = [this](const std::string& url, std::optional<OutboundTarget>* target,
                         std::string* path) {
    if (url.empty()) return;
    OutboundTarget t = Target();
    t.origin = ParseSourceUrl(url, internal).value();
    *path = t.origin.path;
    t.origin.path.clear();
    *target = std::move(t);
  };
  endpoint(authorize_url, &s.authorize, &s.authorize_path);
  endpoint(token_url, &s.token, &s.token_path);
  endpoint(revocation_url, &s.revocation, &s.revocation_path);
  s.auth_method = auth_method;
  s.client_id = client_id;
  s.client_secret = client_secret;
  s.scopes = scopes;
  s.api_key_header = api_key_header;
  s.items_path = items_path;
  s.send_path = send_path;
  return s;
}

bool SourceConfig::SameEndpoint(const SourceConfig& o) const {
  return base_url == o.base_url && database == o.database && ca_pem == o.ca_pem &&
         proxy == o.proxy && internal == o.internal && auth_method == o.auth_method &&
         authorize_url == o.authorize_url && token_url == o.token_url &&
         revocation_url == o.revocation_url && client_id == o.client_id &&
         client_secret == o.client_secret && api_key_header == o.api_key_header;
}

}  // namespace bomvault::service
