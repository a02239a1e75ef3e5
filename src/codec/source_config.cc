#include "codec/source_config.h"

#include <algorithm>
#include <initializer_list>

#include "bom/item.h"

namespace bomvault::codec {

using nlohmann::json;
using util::Status;

namespace {

Status FieldError(const char* key, const char* what) {
  return Status::Invalid("invalid_field", std::string("\"") + key + "\" " + what);
}

}  // namespace

bool ValidSourceText(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && bom::Utf8ErrorOffset(s) == std::string::npos &&
         std::none_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

json SourceSettingsJson(const SourceSettings& s, bool with_secrets) {
  json units = json::object();
  for (const auto& [from, to] : s.rules.units) units[from] = to;
  if (s.kind == "folder") {
    return {{"name", s.name},
            {"kind", s.kind},
            {"path", s.path},
            {"profile", s.profile},
            {"rules", {{"skip_part_numbers", s.rules.skip_part_numbers}, {"units", units}}}};
  }
  json j = {{"name", s.name},
            {"kind", s.kind},
            {"base_url", s.base_url},
            {"auth_method", s.auth_method},
            {"ca_pem", s.ca_pem},
            {"internal", s.internal},
            {"proxy", s.proxy},
            {"max_response_bytes", s.max_response_bytes},
            {"timeout_seconds", s.timeout_seconds},
            {"rules", {{"skip_part_numbers", s.rules.skip_part_numbers}, {"units", units}}}};
  if (s.kind == "tryton") {
    j["database"] = s.database;
  } else {
    j["authorize_url"] = s.authorize_url;
    j["token_url"] = s.token_url;
    j["revocation_url"] = s.revocation_url;
    j["client_id"] = s.client_id;
    j["scopes"] = s.scopes;
    j["api_key_header"] = s.api_key_header;
    j["items_path"] = s.items_path;
    j["send_path"] = s.send_path;
    if (with_secrets) {
      j["client_secret"] = s.client_secret;
    } else {
      j["client_secret_set"] = !s.client_secret.empty();
    }
  }
  return j;
}

std::string EncodeSourceSettings(const SourceSettings& s) {
  return SourceSettingsJson(s, true).dump();
}

std::vector<std::string> ChangedSourceFields(const SourceSettings& before,
                                             const SourceSettings& after) {
  const json b = SourceSettingsJson(before, true), a = SourceSettingsJson(after, true);
  std::vector<std::string> fields;
  for (const auto& [k, v] : a.items()) {
    if (b.value(k, json()) != v) fields.push_back(k);
  }
  return fields;
}

util::Result<SourceSettingsPatch> DecodeSourceSettingsPatch(const json& j) {
  if (!j.is_object()) return Status::Invalid("invalid_body", "expected a JSON object");
  static const char* kKnown[] = {
      "name",          "kind",          "base_url",       "database",           "auth_method",
      "ca_pem",        "internal",      "proxy",          "max_response_bytes", "timeout_seconds",
      "rules",         "authorize_url", "token_url",      "revocation_url",     "client_id",
      "client_secret", "scopes",        "api_key_header", "items_path",         "send_path",
      "path",          "profile"};
  SourceSettingsPatch p;
  // Keys by name, not structured bindings: clang before 16 cannot capture a binding in a lambda.
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* n) { return k == n; })) {
      return Status::Invalid("unknown_field",
                             "unknown field \"" + k.substr(0, bom::kMessageEchoChars) + "\"");
    }
    p.members.push_back(k);
  }
  for (auto [key, out] : std::initializer_list<std::pair<const char*, std::optional<std::string>*>>{
           {"name", &p.name},
           {"kind", &p.kind},
           {"base_url", &p.base_url},
           {"database", &p.database},
           {"auth_method", &p.auth_method},
           {"ca_pem", &p.ca_pem},
           {"proxy", &p.proxy},
           {"authorize_url", &p.authorize_url},
           {"token_url", &p.token_url},
           {"revocation_url", &p.revocation_url},
           {"client_id", &p.client_id},
           {"client_secret", &p.client_secret},
           {"scopes", &p.scopes},
           {"api_key_header", &p.api_key_header},
           {"items_path", &p.items_path},
           {"send_path", &p.send_path},
           {"path", &p.path},
           {"profile", &p.profile}}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) return FieldError(key, "must be a string");
    *out = it->get<std::string>();
  }
  if (auto it = j.find("internal"); it != j.end()) {
    if (!it->is_boolean()) return FieldError("internal", "must be true or false");
    p.internal = it->get<bool>();
  }
  if (auto it = j.find("max_response_bytes"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 4096 ||
        it->get<int64_t>() > (int64_t{256} << 20)) {
      return FieldError("max_response_bytes", "must be a whole number from 4096 to 268435456");
    }
    p.max_response_bytes = it->get<int64_t>();
  }
  if (auto it = j.find("timeout_seconds"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 600) {
      return FieldError("timeout_seconds", "must be a whole number from 1 to 600");
    }
    p.timeout_seconds = it->get<int64_t>();
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
    p.rules = std::move(r);
  }
  return p;
}

util::Result<SourceSettingsPatch> DecodeSourceSettingsText(std::string_view text) {
  return DecodeSourceSettingsPatch(json::parse(text, nullptr, false));
}

}  // namespace bomvault::codec
