// A data source's configuration: what an Administrator sets (its JSON read and written by
// codec/source_config.h), how it is validated, and the rules applied to what a source hands over.
// Pure values and functions (the outbound targets they make are plain structs); thread-safe to
// share read-only. service/sources.h keeps it sealed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bom/item.h"
#include "codec/source_config.h"
#include "service/outbound.h"
#include "service/rest_source.h"
#include "util/status.h"

namespace bomvault::service {

using SourceRules = codec::SourceRules;

// The sealed configuration: codec/source_config.h's settings, validated here.
struct SourceConfig : codec::SourceSettings {
  // Validates a whole configuration (create, or the sealed one read back) or `patch` over `base`
  // (update).
  static util::Result<SourceConfig> FromPatch(const codec::SourceSettingsPatch& patch,
                                              const SourceConfig* base);
  OutboundTarget Target() const;
  RestSettings Rest() const;
  // Whether credentials given for `other` may stay: same endpoints, trust and client.
  bool SameEndpoint(const SourceConfig& other) const;
};

// Applies the rules to pulled items: skipped part numbers go (with their subtrees), units map.
std::vector<bom::Item> ApplyRules(const SourceRules& rules, std::vector<bom::Item> items);
bool GlobMatch(std::string_view pattern, std::string_view text);

// 1..max bytes of valid UTF-8 without NUL: names, credentials, patterns.
using codec::ValidSourceText;

}  // namespace bomvault::service
