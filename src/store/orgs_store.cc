#include "store/orgs_store.h"

#include "store/rows.h"

namespace bomvault::store {

bool IsMfaPolicy(std::string_view v) {
  return v == "optional" || v == "administrators" || v == "everyone";
}

OrgSettings LoadOrgSettings(Db& db, const util::OrgId& org) {
  // json_extract gives JSON true/false as 1/0, numbers as numbers, strings as text, and NULL for
  // a missing key; typeof tells a stored string "1" from the number.
  SQLite::Statement q(db,
                      "SELECT json_extract(settings, '$.sharing_enabled'), "
                      "json_type(settings, '$.sharing_enabled'), "
                      "json_extract(settings, '$.audit_depth'), "
                      "json_type(settings, '$.audit_depth'), "
                      "json_extract(settings, '$.mfa_policy'), "
                      "json_type(settings, '$.mfa_policy'), "
                      "json_extract(settings, '$.purge_notice'), "
                      "json_type(settings, '$.purge_notice'), "
                      "json_extract(settings, '$.purge_days'), "
                      "json_type(settings, '$.purge_days'), "
                      "json_extract(settings, '$.local_passwords'), "
                      "json_type(settings, '$.local_passwords') "
                      "FROM orgs WHERE id = ? AND json_valid(settings)");
  q.bind(1, org.str());
  OrgSettings s;
  if (!q.executeStep()) return s;
  auto boolean = [&](int i, bool* out) {
    const std::string type = q.getColumn(i + 1).isNull() ? "" : q.getColumn(i + 1).getString();
    if (type == "true" || type == "false") *out = q.getColumn(i).getInt() != 0;
  };
  auto integer = [&](int i, int lo, int hi, int* out) {
    const std::string type = q.getColumn(i + 1).isNull() ? "" : q.getColumn(i + 1).getString();
    if (type != "integer") return;
    const int64_t v = q.getColumn(i).getInt64();
    if (v >= lo && v <= hi) *out = static_cast<int>(v);
  };
  boolean(0, &s.sharing_enabled);
  integer(2, kMinAuditDepth, kMaxAuditDepth, &s.audit_depth);
  if (!q.getColumn(5).isNull() && q.getColumn(5).getString() == "text" &&
      IsMfaPolicy(q.getColumn(4).getString())) {
    s.mfa_policy = q.getColumn(4).getString();
  }
  boolean(6, &s.purge_notice);
  integer(8, kMinPurgeDays, kMaxPurgeDays, &s.purge_days);
  boolean(10, &s.local_passwords);
  return s;
}

void SaveOrgSettings(Db& db, const util::OrgId& org, const OrgSettings& s) {
  SQLite::Statement u(db,
                      "UPDATE orgs SET settings = json_set(CASE WHEN json_valid(settings) THEN "
                      "settings ELSE '{}' END, '$.sharing_enabled', json(?1), '$.audit_depth', ?2, "
                      "'$.mfa_policy', ?3, '$.purge_notice', json(?4), '$.purge_days', ?5, "
                      "'$.local_passwords', json(?6)) WHERE id = ?7");
  u.bind(1, s.sharing_enabled ? "true" : "false");
  u.bind(2, s.audit_depth);
  u.bind(3, s.mfa_policy);
  u.bind(4, s.purge_notice ? "true" : "false");
  u.bind(5, s.purge_days);
  u.bind(6, s.local_passwords ? "true" : "false");
  u.bind(7, org.str());
  u.exec();
}

void InsertOrg(Db& db, const util::OrgId& org, int64_t now) {
  SQLite::Statement ins(
      db, "INSERT INTO orgs(id, name_sealed, settings, created_at) VALUES (?, x'', '{}', ?)");
  ins.bind(1, org.str());
  ins.bind(2, now);
  ins.exec();
  SaveOrgSettings(db, org, OrgSettings{});
}

void SetOrgNameSealed(Db& db, const util::OrgId& org, const crypto::Bytes& sealed) {
  SQLite::Statement upd(db, "UPDATE orgs SET name_sealed = ? WHERE id = ?");
  BindBlob(upd, 1, sealed);
  upd.bind(2, org.str());
  upd.exec();
}

std::optional<crypto::Bytes> OrgNameSealed(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT name_sealed FROM orgs WHERE id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

std::vector<OrgRow> ListOrgs(Db& db, int limit) {
  std::vector<OrgRow> out;
  SQLite::Statement q(db,
                      "SELECT o.id, o.name_sealed, o.created_at, o.support_until, "
                      "(SELECT count(*) FROM users u WHERE u.org_id = o.id) FROM orgs o "
                      "ORDER BY o.created_at, o.id LIMIT ?");
  q.bind(1, limit);
  while (q.executeStep()) {
    OrgRow r;
    r.id = util::OrgId::FromTrusted(q.getColumn(0).getString());
    r.name_sealed = Copy(q.getColumn(1));
    r.created_at = q.getColumn(2).getInt64();
    r.support_until = q.getColumn(3).getInt64();
    r.users = q.getColumn(4).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<util::OrgId> OrgIds(Db& db) {
  std::vector<util::OrgId> out;
  SQLite::Statement q(db, "SELECT id FROM orgs ORDER BY id");
  while (q.executeStep()) out.push_back(util::OrgId::FromTrusted(q.getColumn(0).getString()));
  return out;
}

bool OrgExists(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT 1 FROM orgs WHERE id = ?");
  q.bind(1, org.str());
  return q.executeStep();
}

bool DeleteOrgRows(Db& db, const util::OrgId& org) {
  // Children first: boms.owner_id references users without cascade.
  for (const char* sql :
       {"DELETE FROM boms WHERE org_id = ?", "DELETE FROM users WHERE org_id = ?",
        "DELETE FROM audit WHERE org_id = ?", "DELETE FROM org_keys WHERE org_id = ?"}) {
    SQLite::Statement d(db, sql);
    d.bind(1, org.str());
    d.exec();
  }
  SQLite::Statement d(db, "DELETE FROM orgs WHERE id = ?");
  d.bind(1, org.str());
  return d.exec() != 0;
}

std::optional<int64_t> SupportUntil(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT support_until FROM orgs WHERE id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

void SetSupportUntil(Db& db, const util::OrgId& org, int64_t until) {
  SQLite::Statement u(db, "UPDATE orgs SET support_until = ? WHERE id = ?");
  u.bind(1, until);
  u.bind(2, org.str());
  u.exec();
}

std::optional<crypto::Bytes> OrgColumnMappings(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT sealed FROM org_column_mappings WHERE org_id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

void SaveOrgColumnMappings(Db& db, const util::OrgId& org, const crypto::Bytes& sealed,
                           int64_t now) {
  SQLite::Statement u(db,
                      "INSERT INTO org_column_mappings(org_id, sealed, updated_at) VALUES "
                      "(?1, ?2, ?3) ON CONFLICT(org_id) DO UPDATE SET sealed = ?2, "
                      "updated_at = ?3");
  u.bind(1, org.str());
  BindBlob(u, 2, sealed);
  u.bind(3, now);
  u.exec();
}

int64_t OrgSettingsVersion(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT settings_version FROM orgs WHERE id = ?");
  q.bind(1, org.str());
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

}  // namespace bomvault::store
