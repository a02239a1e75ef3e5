// Organisations: created and deleted by the operator, configured by their Administrators.
//
// Creating an org makes its data key, its first Administrator (address counted as verified)
// and the audit entries in one transaction. Deleting an org deletes its wrapped data key and all
// of its rows (secure_delete on), then truncates the WAL, so none of its data can be read back
// from any file bomvault manages. Settings are non-secret policy; store/orgs_store.h keeps them
// and their defaults. Thread-safe (all state is in the store).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "bom/mapping.h"
#include "service/accounts.h"
#include "service/audit.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "store/orgs_store.h"
#include "util/etag.h"

namespace bomvault::service {

using OrgSettings = store::OrgSettings;
using store::IsMfaPolicy;
using store::kMaxAuditDepth, store::kMinAuditDepth, store::kMaxPurgeDays, store::kMinPurgeDays;

// What PATCH /org/settings may change; an absent member keeps its value. local_passwords is not
// here: single sign-on (oidc.h) owns it.
struct OrgSettingsPatch {
  std::optional<bool> sharing_enabled;
  std::optional<int> audit_depth;
  std::optional<std::string> mfa_policy;
  std::optional<bool> purge_notice;
  std::optional<int> purge_days;
};

struct OrgView {
  util::OrgId id;
  std::string name;
  int64_t created_at = 0;
  int64_t users = 0;
  int64_t support_until = 0;
};

class Orgs {
 public:
  Orgs(store::Database& db, OrgKeys& keys, Accounts& accounts)
      : db_(db), keys_(keys), accounts_(accounts) {}

  util::Result<std::pair<util::OrgId, util::UserId>> Create(const access::Principal& actor,
                                                            std::string_view name,
                                                            std::string_view admin_email,
                                                            std::string_view admin_password);
  util::Result<std::vector<OrgView>> List(const access::Principal& actor);
  util::Status Delete(const access::Principal& actor, const util::OrgId& org);
  // Called after each deletion has committed (the backups' key files drop the org's key).
  void SetDeletedListener(std::function<void()> listener) { on_deleted_ = std::move(listener); }
  // Every row of the org, its wrapped data key included, inside the caller's transaction.
  // False if there was no such org.
  static bool DeleteRows(store::Db& db, const util::OrgId& org);

  // `version`, when given, gets the settings' write counter (schema/0015) read in the same
  // transaction: GET /org/settings's ETag.
  util::Result<OrgSettings> Settings(const access::Principal& actor, int64_t* version = nullptr);
  // PreconditionFailed, nothing changed, when `if_match` does not name the current version's tag
  // (compared inside the write); `version` gets the new counter.
  util::Result<OrgSettings> UpdateSettings(const access::Principal& actor,
                                           const OrgSettingsPatch& patch,
                                           const util::IfMatch& if_match = {},
                                           int64_t* version = nullptr);
  // The org's column mappings for CSV/XLSX import (bom/mapping.h). Every member may read them
  // (they decide how that member's files are read); only an Administrator replaces them, as a
  // whole list, audited on the org with before and after.
  util::Result<bom::ColumnMappings> ColumnMappings(const access::Principal& actor);
  util::Result<bom::ColumnMappings> SetColumnMappings(const access::Principal& actor,
                                                      bom::ColumnMappings mappings);

  // Support access for the operator: granted by an Administrator for 1..72 hours, or revoked.
  util::Status SetSupportAccess(const access::Principal& actor, int hours);

  // Administrator: the org's audit entries matching the query, newest first.
  util::Result<std::vector<AuditEntry>> SearchAudit(const access::Principal& actor,
                                                    const AuditQuery& query);

  // Operator inside an org's support window: the org's users, or its audit entries. Each use
  // is itself audited in the org's log (action "support.access"), so the org sees what was read.
  // Support audit entries carry ids, times and actions only: "change" is always empty.
  util::Result<std::vector<UserView>> SupportUsers(const access::Principal& actor,
                                                   const util::OrgId& org);
  util::Result<std::vector<AuditEntry>> SupportAudit(const access::Principal& actor,
                                                     const util::OrgId& org,
                                                     const AuditQuery& query);

  static OrgSettings LoadSettings(store::Db& db, const util::OrgId& org);
  // Inside the caller's transaction; empty when none were set, Internal when they do not open.
  static util::Result<bom::ColumnMappings> LoadColumnMappings(store::Db& db,
                                                              const OrgCrypto& crypto);

 private:
  // Checks the window and records the use, in one transaction; NotFound for a missing org.
  util::Status EnterSupport(const access::Principal& actor, const util::OrgId& org,
                            const char* what);
  store::Database& db_;
  OrgKeys& keys_;
  Accounts& accounts_;
  std::function<void()> on_deleted_;
};

}  // namespace bomvault::service
