// Short-term audit: for each object, its last N entries (N per organisation, default 10, 1-1000).
//
// An entry says who (actor id), when (UTC), what action and what changed (field-level
// before/after; secrets never enter). Entries are written with Record() inside the same
// transaction as the change they describe, so a change and its audit commit or fail together.
// Record() prunes the object's older entries past N in that transaction too, so exactly N remain
// under concurrent edits (writers are serialised by the store). Changes of organisation objects
// are sealed with the org key (they may name BOMs); instance events (seal, unseal) hold ids only.
// Call from a store callback; the functions are stateless.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "service/org_keys.h"
#include "store/database.h"

namespace bomvault::service {

constexpr int kDefaultAuditDepth = 10;

struct AuditEvent {
  std::string object;    // "bom:<id>", "user:<id>", "org:<id>", "instance"
  std::string actor_id;  // a user id, "operator", or "system"
  std::string action;    // "bom.create", "bom.share", "session.create", "unseal.failure", ...
  nlohmann::json change = nlohmann::json::object();
};

// `org` null for instance-level events.
void RecordAudit(store::Db& db, const OrgCrypto* org, const AuditEvent& event);

struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;
  std::string object, actor_id, action;
  nlohmann::json change;
};

struct AuditQuery {
  std::string object, actor_id, action;  // empty = any
  int64_t from = 0, to = 0;              // unix seconds, 0 = open
  int64_t before_id = 0;                 // pagination cursor, 0 = newest
  int limit = 100;
};

util::Result<std::vector<AuditEntry>> QueryAudit(store::Db& db, const OrgCrypto& org,
                                                 const AuditQuery& q);

int AuditDepth(store::Db& db, const util::OrgId& org);

}  // namespace bomvault::service
