// A data source's configuration: what an Administrator sets, how it is validated, and the rules
// applied to what a source hands over. Pure values and functions (the outbound targets they make
// are plain structs); thread-safe to share read-only. service/sources.h keeps it sealed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bom/item.h"
#include "service/outbound.h"
#include "service/rest_source.h"
#include "util/status.h"

namespace bomvault::service {

// Rules a source applies to what it pulls.
struct SourceRules {
  std::vector<std::string> skip_part_numbers;              // globs: '*' any run, '?' one char
  std::vector<std::pair<std::string, std::string>> units;  // remote unit -> bomvault unit
};

// The sealed configuration. Persisted as JSON: key names must not change.
struct SourceConfig {
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

  // with_secrets: the sealed form; without: what an Administrator reads (client_secret_set).
  nlohmann::json ToJson(bool with_secrets) const;
  // Validates a whole configuration (create) or `patch` over `base` (update).
  static util::Result<SourceConfig> FromJson(const nlohmann::json& patch, const SourceConfig* base);
  OutboundTarget Target() const;
  RestSettings Rest() const;
  // Whether credentials given for `other` may stay: same endpoints, trust and client.
  bool SameEndpoint(const SourceConfig& other) const;
};

// Applies the rules to pulled items: skipped part numbers go (with their subtrees), units map.
std::vector<bom::Item> ApplyRules(const SourceRules& rules, std::vector<bom::Item> items);
bool GlobMatch(std::string_view pattern, std::string_view text);

// 1..max bytes of valid UTF-8 without NUL: names, credentials, patterns.
bool ValidSourceText(const std::string& s, size_t max);

}  // namespace bomvault::service
