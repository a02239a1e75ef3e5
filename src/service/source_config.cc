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

Status FieldError(const char* key, const char* what) {
  return Status::Invalid("invalid_field", std::string("\"") + key + "\" " + what);
}

}  // namespace

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

util::Result<SourceConfig> SourceConfig::FromPatch(const codec::SourceSettingsPatch& p,
                                                   const SourceConfig* base) {
  SourceConfig c = base ? *base : SourceConfig{};
  for (auto [given, out] :
       std::initializer_list<std::pair<const std::optional<std::string>*, std::string*>>{
           {&p.name, &c.name},
           {&p.kind, &c.kind},
           {&p.base_url, &c.base_url},
           {&p.database, &c.database},
           {&p.auth_method, &c.auth_method},
           {&p.ca_pem, &c.ca_pem},
           {&p.proxy, &c.proxy},
           {&p.authorize_url, &c.authorize_url},
           {&p.token_url, &c.token_url},
           {&p.revocation_url, &c.revocation_url},
           {&p.client_id, &c.client_id},
           {&p.client_secret, &c.client_secret},
           {&p.scopes, &c.scopes},
           {&p.api_key_header, &c.api_key_header},
           {&p.items_path, &c.items_path},
           {&p.send_path, &c.send_path},
           {&p.path, &c.path},
           {&p.profile, &c.profile}}) {
    if (*given) *out = **given;
  }
  if (base && c.kind != base->kind) {
    return Status::Invalid("kind_fixed", "a source's kind cannot change; make a new source");
  }
  if (p.internal) c.internal = *p.internal;
  if (p.max_response_bytes) c.max_response_bytes = *p.max_response_bytes;
  if (p.timeout_seconds) c.timeout_seconds = *p.timeout_seconds;
  if (p.rules) c.rules = *p.rules;
  if (!ValidSourceText(c.name, 200)) return FieldError("name", "must be 1-200 bytes of text");
  if (c.kind == "folder") {
    // A folder has a path, a profile and rules; nothing about a network or credentials.
    static const char* kFolder[] = {"name", "kind", "path", "profile", "rules"};
    for (const std::string& k : p.members) {
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
