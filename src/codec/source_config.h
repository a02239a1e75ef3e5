// A data source's settings as JSON: the document sealed for each source (service/sources.h), what
// an Administrator reads back, and the body that creates or changes one. The settings are a plain
// struct here; service/source_config.h validates them (addresses, paths, what each kind needs)
// and makes the outbound targets.
// Reading never throws: a member of the wrong type is an "invalid_field" error naming it.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace bomvault::codec {

// Rules a source applies to what it pulls.
struct SourceRules {
  std::vector<std::string> skip_part_numbers;              // globs: '*' any run, '?' one char
  std::vector<std::pair<std::string, std::string>> units;  // remote unit -> bomvault unit
};

// The sealed settings. Persisted as JSON: key names must not change.
struct SourceSettings {
  std::string name;
  std::string kind;  // "tryton" | "rest" | "folder"
  std::string base_url;
  std::string database;  // Tryton: the database name in the JSON-RPC path
  // Tryton: "basic" (each user's own Tryton login). REST: "oauth_code" | "client_credentials" |
  // "api_key" | "basic" (service/rest_source.h).
  std::string auth_method = "basic";
  std::string ca_pem;     // "" = the system store
  bool internal = false;  // loopback and private addresses allowed
  std::string proxy;      // "" = none
  int64_t max_response_bytes = 32 << 20;
  int64_t timeout_seconds = 60;
  SourceRules rules;
  // REST only.
  std::string authorize_url, token_url, revocation_url;
  std::string client_id, client_secret, scopes;  // client_secret is never shown
  std::string api_key_header = "X-Api-Key";
  std::string items_path = "/boms/{remote_id}";
  std::string send_path = "/boms";
  // Folder only (service/source_folder.h): the directory below the drop root's org directory,
  // and the importer profile its files are read with (a built-in name or a saved profile's id;
  // "" = recognise each file).
  std::string path;
  std::string profile;
};

// with_secrets: the sealed form; without: what an Administrator reads (client_secret_set).
nlohmann::json SourceSettingsJson(const SourceSettings& s, bool with_secrets);
// The sealed text: SourceSettingsJson(s, true).
std::string EncodeSourceSettings(const SourceSettings& s);
// The sealed form's members whose values differ between the two (for the audit: names only).
std::vector<std::string> ChangedSourceFields(const SourceSettings& before,
                                             const SourceSettings& after);

// A whole configuration (create, and the sealed text) or some members of one (update), each
// member checked for its type and range only. A null member counts as absent.
struct SourceSettingsPatch {
  std::vector<std::string> members;  // every member given (a folder source refuses some)
  std::optional<std::string> name, kind, base_url, database, auth_method, ca_pem, proxy,
      authorize_url, token_url, revocation_url, client_id, client_secret, scopes, api_key_header,
      items_path, send_path, path, profile;
  std::optional<bool> internal;
  std::optional<int64_t> max_response_bytes;  // 4096..256 MiB
  std::optional<int64_t> timeout_seconds;     // 1..600
  std::optional<SourceRules> rules;
};
// Errors: invalid_body (not an object), unknown_field, invalid_field (wrong type or range).
util::Result<SourceSettingsPatch> DecodeSourceSettingsPatch(const nlohmann::json& j);
// The sealed text (or any JSON text) read the same way.
util::Result<SourceSettingsPatch> DecodeSourceSettingsText(std::string_view text);

// 1..max bytes of valid UTF-8 without NUL: names, credentials, patterns.
bool ValidSourceText(const std::string& s, size_t max);

}  // namespace bomvault::codec
