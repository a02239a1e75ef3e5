// The orgs and org_column_mappings rows, and the organisation's settings: the one place that
// knows how settings are stored and what each one is when it is absent.
//
// Settings are non-secret policy kept as a JSON object in orgs.settings. Each is read on its own
// with json_extract, so a key this build does not know (or one another module sets, like
// local_passwords) survives a write, and a missing or out-of-range value reads as its default
// below without disturbing the others. Names and mappings are stored sealed; this module moves
// the sealed bytes only. Every function runs on the caller's connection inside the caller's
// transaction (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

// An organisation's policy; the member initialisers are the defaults (a new org's, and those a
// missing or out-of-range stored value reads as).
struct OrgSettings {
  bool sharing_enabled = true;
  int audit_depth = 10;                 // entries kept per object, 1..1000
  std::string mfa_policy = "optional";  // "optional" | "administrators" | "everyone"
  bool purge_notice = true;             // mail owners when stale BOMs are removed
  int purge_days = 5;                   // 1..365
  bool local_passwords = true;          // false once single sign-on replaces passwords (oidc.h)
  bool operator==(const OrgSettings&) const = default;
};
inline constexpr int kMinAuditDepth = 1, kMaxAuditDepth = 1000;
inline constexpr int kMinPurgeDays = 1, kMaxPurgeDays = 365;
bool IsMfaPolicy(std::string_view v);

// The org's settings; defaults when there is no such org.
OrgSettings LoadOrgSettings(Db& db, const util::OrgId& org);
// Writes every setting of `s`, keeping any other key the stored object holds.
void SaveOrgSettings(Db& db, const util::OrgId& org, const OrgSettings& s);
// The settings' write counter (schema/0015: a trigger raises it on every write of orgs.settings);
// 0 when there is no such org.
int64_t OrgSettingsVersion(Db& db, const util::OrgId& org);

struct OrgRow {
  util::OrgId id;
  crypto::Bytes name_sealed;
  int64_t created_at = 0;
  int64_t support_until = 0;
  int64_t users = 0;  // members counted at read time
};

// A new org row with the default settings and an empty name (sealed later, once its key exists:
// org_keys references the row).
void InsertOrg(Db& db, const util::OrgId& org, int64_t now);
void SetOrgNameSealed(Db& db, const util::OrgId& org, const crypto::Bytes& sealed);
std::optional<crypto::Bytes> OrgNameSealed(Db& db, const util::OrgId& org);
// Every org, oldest first (at most `limit`).
std::vector<OrgRow> ListOrgs(Db& db, int limit);
// Every org's id, in id order.
std::vector<util::OrgId> OrgIds(Db& db);
bool OrgExists(Db& db, const util::OrgId& org);
// The org's BOMs, users, audit entries, data key and row; false if there was no such org.
bool DeleteOrgRows(Db& db, const util::OrgId& org);
// Unix seconds until which the operator may read the org (0: never); nullopt: no such org.
std::optional<int64_t> SupportUntil(Db& db, const util::OrgId& org);
void SetSupportUntil(Db& db, const util::OrgId& org, int64_t until);

std::optional<crypto::Bytes> OrgColumnMappings(Db& db, const util::OrgId& org);
void SaveOrgColumnMappings(Db& db, const util::OrgId& org, const crypto::Bytes& sealed,
                           int64_t now);

}  // namespace bomvault::store
