#include "service/orgs.h"

#include <SQLiteCpp/Statement.h>

#include "service/audit.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Principal;
using util::Status;

nlohmann::json OrgSettings::ToJson() const {
  return {{"sharing_enabled", sharing_enabled},
          {"audit_depth", audit_depth},
          {"mfa_policy", mfa_policy},
          {"purge_notice", purge_notice},
          {"purge_days", purge_days}};
}

util::Result<OrgSettings> OrgSettings::FromJson(const nlohmann::json& j) {
  OrgSettings s;
  if (!j.is_object()) return Status::Invalid("invalid_settings", "settings must be an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "sharing_enabled" && v.is_boolean()) {
      s.sharing_enabled = v.get<bool>();
    } else if (k == "purge_notice" && v.is_boolean()) {
      s.purge_notice = v.get<bool>();
    } else if (k == "audit_depth" && v.is_number_integer() && v.get<int64_t>() >= 1 &&
               v.get<int64_t>() <= 1000) {
      s.audit_depth = v.get<int>();
    } else if (k == "purge_days" && v.is_number_integer() && v.get<int64_t>() >= 1 &&
               v.get<int64_t>() <= 365) {
      s.purge_days = v.get<int>();
    } else if (k == "mfa_policy" && v.is_string() &&
               (v == "optional" || v == "administrators" || v == "everyone")) {
      s.mfa_policy = v.get<std::string>();
    } else {
      return Status::Invalid("invalid_settings",
                             "unknown setting or value out of range: " + k.substr(0, 40));
    }
  }
  return s;
}

OrgSettings Orgs::LoadSettings(store::Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT settings FROM orgs WHERE id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return OrgSettings{};
  auto j = nlohmann::json::parse(q.getColumn(0).getString(), nullptr, false);
  auto s = OrgSettings::FromJson(j);
  return s.ok() ? s.value() : OrgSettings{};
}

util::Result<std::pair<util::OrgId, util::UserId>> Orgs::Create(const Principal& actor,
                                                                std::string_view name,
                                                                std::string_view admin_email,
                                                                std::string_view admin_password) {
  if (access::MayUse(actor, access::Function::kOrgCreate) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  if (name.empty() || name.size() > 200) {
    return Status::Invalid("invalid_name", "an organisation needs a name of 1 to 200 characters");
  }
  auto email = NormaliseEmail(admin_email);
  if (!email.ok()) return email.status();
  Status st = CheckPasswordPolicy(admin_password);
  if (!st.ok()) return st;
  st = CheckPasswordContext(admin_password, {email.value(), "", std::string(name)});
  if (!st.ok()) return st;
  auto hash = accounts_.HashPassword(admin_password);
  if (!hash.ok()) return hash.status();
  util::OrgId org = util::OrgId::Generate();
  util::UserId admin;
  st = db_.Write([&](store::Db& db) -> Status {
    int64_t now = util::NowUnix();
    // The org row first (org_keys references it), its name sealed once the key exists.
    SQLite::Statement ins(
        db, "INSERT INTO orgs(id, name_sealed, settings, created_at) VALUES (?, x'', ?, ?)");
    ins.bind(1, org.str());
    ins.bind(2, OrgSettings{}.ToJson().dump());
    ins.bind(3, static_cast<int64_t>(now));
    ins.exec();
    auto crypto = keys_.Create(db, org);
    auto sealed = crypto->SealText("org-name", org.str(), name);
    SQLite::Statement upd(db, "UPDATE orgs SET name_sealed = ? WHERE id = ?");
    upd.bind(1, sealed.data(), static_cast<int>(sealed.size()));
    upd.bind(2, org.str());
    upd.exec();
    auto user = accounts_.InsertUser(db, *crypto, email.value(), hash.value(),
                                     access::Role::kAdministrator, true);
    if (!user.ok()) return user.status();
    admin = user.value();
    RecordAudit(db, crypto.get(),
                {"org:" + org.str(), "operator", "org.create", {{"admin_user_id", admin.str()}}});
    RecordAudit(db, crypto.get(),
                {"user:" + admin.str(),
                 "operator",
                 "user.create",
                 {{"role", "administrator"}, {"email_verified", true}}});
    return Status::Ok();
  });
  if (!st.ok()) {
    keys_.Forget(org);
    return st;
  }
  util::log::Info("org.created").Ref("org_id", org).Ref("admin_user_id", admin);
  return std::make_pair(org, admin);
}

util::Result<std::vector<OrgView>> Orgs::List(const Principal& actor) {
  if (access::MayUse(actor, access::Function::kOrgList) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  std::vector<OrgView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    SQLite::Statement q(db,
                        "SELECT o.id, o.name_sealed, o.created_at, o.support_until, "
                        "(SELECT count(*) FROM users u WHERE u.org_id = o.id) FROM orgs o "
                        "ORDER BY o.created_at, o.id LIMIT 1000");
    while (q.executeStep()) {
      OrgView v;
      v.id = util::OrgId::FromTrusted(q.getColumn(0).getString());
      auto crypto = keys_.Get(db, v.id);
      if (!crypto.ok()) return crypto.status();
      auto col = q.getColumn(1);
      // The operator sees the name it gave the org (to manage it), never the org's content.
      v.name = crypto.value()
                   ->OpenText("org-name", v.id.str(),
                              {static_cast<const uint8_t*>(col.getBlob()),
                               static_cast<size_t>(col.size())})
                   .value_or("");
      v.created_at = q.getColumn(2).getInt64();
      v.support_until = q.getColumn(3).getInt64();
      v.users = q.getColumn(4).getInt64();
      out.push_back(std::move(v));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status Orgs::Delete(const Principal& actor, const util::OrgId& org) {
  if (access::MayUse(actor, access::Function::kOrgDelete) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  Status st = db_.Write([&](store::Db& db) -> Status {
    if (!DeleteRows(db, org)) return Status::NotFound();
    RecordAudit(db, nullptr,
                {"org:" + org.str(), "operator", "org.delete", {{"org_id", org.str()}}});
    return Status::Ok();
  });
  keys_.Forget(org);
  accounts_.ForgetCachedPrincipals();
  if (!st.ok()) return st;
  // Deleted pages were zeroed (secure_delete); fold and truncate the WAL so no copy remains.
  if (!db_.CheckpointTruncate().ok())
    util::log::Error("org.delete_checkpoint_failed").Ref("org_id", org);
  util::log::Info("org.deleted").Ref("org_id", org);
  if (on_deleted_) on_deleted_();
  return Status::Ok();
}

bool Orgs::DeleteRows(store::Db& db, const util::OrgId& org) {
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

util::Result<OrgSettings> Orgs::Settings(const Principal& actor) {
  if (access::MayUse(actor, access::Function::kOrgSettingsRead) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  OrgSettings s;
  Status st = db_.Read([&](store::Db& db) -> Status {
    s = LoadSettings(db, actor.org);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return s;
}

util::Result<OrgSettings> Orgs::UpdateSettings(const Principal& actor,
                                               const nlohmann::json& patch) {
  if (access::MayUse(actor, access::Function::kOrgSettingsWrite) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  if (!patch.is_object()) return Status::Invalid("invalid_settings", "settings must be an object");
  OrgSettings result;
  Status st = db_.Write([&](store::Db& db) -> Status {
    OrgSettings before = LoadSettings(db, actor.org);
    nlohmann::json merged = before.ToJson();
    for (auto it = patch.begin(); it != patch.end(); ++it) merged[it.key()] = it.value();
    auto after = OrgSettings::FromJson(merged);
    if (!after.ok()) return after.status();
    result = after.value();
    nlohmann::json change = nlohmann::json::object();
    nlohmann::json b = before.ToJson(), a = result.ToJson();
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (b[it.key()] != it.value())
        change[it.key()] = {{"before", b[it.key()]}, {"after", it.value()}};
    }
    SQLite::Statement u(db, "UPDATE orgs SET settings = ? WHERE id = ?");
    u.bind(1, a.dump());
    u.bind(2, actor.org.str());
    u.exec();
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    if (!change.empty()) {
      RecordAudit(db, crypto.value().get(),
                  {"org:" + actor.org.str(), actor.user.str(), "org.settings", change});
    }
    return Status::Ok();
  });
  // A tightened mfa_policy applies to every session and token on its next request.
  accounts_.ForgetCachedPrincipals();
  if (!st.ok()) return st;
  return result;
}

namespace {

constexpr std::string_view kMappingsPurpose = "column-mappings";

}  // namespace

util::Result<bom::ColumnMappings> Orgs::LoadColumnMappings(store::Db& db, const OrgCrypto& crypto) {
  SQLite::Statement q(db, "SELECT sealed FROM org_column_mappings WHERE org_id = ?");
  q.bind(1, crypto.org().str());
  if (!q.executeStep()) return bom::ColumnMappings{};
  auto col = q.getColumn(0);
  auto text = crypto.OpenText(
      kMappingsPurpose, crypto.org().str(),
      {static_cast<const uint8_t*>(col.getBlob()), static_cast<size_t>(col.size())});
  auto parsed =
      text ? bom::ParseColumnMappings(nlohmann::json::parse(*text, nullptr, false), bom::Limits{})
           : util::Result<bom::ColumnMappings>(Status::Internal());
  if (!parsed.ok()) {
    util::log::Error("org.mappings_unreadable").Ref("org_id", crypto.org());
    return Status::Internal("the column mappings could not be read");
  }
  return parsed;
}

util::Result<bom::ColumnMappings> Orgs::ColumnMappings(const Principal& actor) {
  Status st = access::Refusal(actor, access::Function::kColumnMappingsRead,
                              access::MayUse(actor, access::Function::kColumnMappingsRead));
  if (!st.ok()) return st;
  bom::ColumnMappings out;
  st = db_.Read([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    auto m = LoadColumnMappings(db, *crypto.value());
    if (!m.ok()) return m.status();
    out = std::move(m.value());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<bom::ColumnMappings> Orgs::SetColumnMappings(const Principal& actor,
                                                          const nlohmann::json& list) {
  Status st = access::Refusal(actor, access::Function::kOrgSettingsWrite,
                              access::MayUse(actor, access::Function::kOrgSettingsWrite));
  if (!st.ok()) return st;
  auto mappings = bom::ParseColumnMappings(list, bom::Limits{});
  if (!mappings.ok()) return mappings.status();
  const nlohmann::json after = bom::ColumnMappingsJson(mappings.value());
  st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    auto before = LoadColumnMappings(db, c);
    if (!before.ok()) return before.status();
    const nlohmann::json before_json = bom::ColumnMappingsJson(before.value());
    if (before_json == after) return Status::Ok();
    const crypto::Bytes sealed = c.SealText(kMappingsPurpose, actor.org.str(), after.dump());
    SQLite::Statement u(db,
                        "INSERT INTO org_column_mappings(org_id, sealed, updated_at) VALUES "
                        "(?1, ?2, ?3) ON CONFLICT(org_id) DO UPDATE SET sealed = ?2, "
                        "updated_at = ?3");
    u.bind(1, actor.org.str());
    u.bind(2, sealed.data(), static_cast<int>(sealed.size()));
    u.bind(3, static_cast<int64_t>(util::NowUnix()));
    u.exec();
    RecordAudit(db, &c,
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 "org.column_mappings",
                 {{"mappings", {{"before", before_json}, {"after", after}}}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return mappings;
}

Status Orgs::SetSupportAccess(const Principal& actor, int hours) {
  if (access::MayUse(actor, access::Function::kOrgSettingsWrite) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  if (hours < 0 || hours > 72) {
    return Status::Invalid("invalid_hours", "support access lasts 1 to 72 hours (0 revokes it)");
  }
  return db_.Write([&](store::Db& db) -> Status {
    int64_t until = hours == 0 ? 0 : util::NowUnix() + int64_t{hours} * 3600;
    SQLite::Statement u(db, "UPDATE orgs SET support_until = ? WHERE id = ?");
    u.bind(1, static_cast<int64_t>(until));
    u.bind(2, actor.org.str());
    u.exec();
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    RecordAudit(db, crypto.value().get(),
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 hours == 0 ? "support.revoke" : "support.grant",
                 {{"until", until}}});
    return Status::Ok();
  });
}

util::Result<std::vector<AuditEntry>> Orgs::SearchAudit(const Principal& actor,
                                                        const AuditQuery& query) {
  if (access::MayUse(actor, access::Function::kAuditRead) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  util::Result<std::vector<AuditEntry>> r = Status::Internal();
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    r = QueryAudit(db, *org.value(), query);
    return r.status();
  });
  if (!st.ok()) return st;
  return r;
}

Status Orgs::EnterSupport(const Principal& actor, const util::OrgId& org, const char* what) {
  if (Status st = access::Refusal(actor, access::Function::kSupportRead,
                                  access::MayUse(actor, access::Function::kSupportRead));
      !st.ok()) {
    return st;
  }
  return db_.Write([&](store::Db& db) -> Status {
    SQLite::Statement q(db, "SELECT support_until FROM orgs WHERE id = ?");
    q.bind(1, org.str());
    if (!q.executeStep()) return Status::NotFound();
    int64_t until = q.getColumn(0).getInt64();
    if (access::MayUseSupport(actor, until, util::NowUnix()) != access::Decision::kAllow) {
      return Status(util::Code::kForbidden, "no_support_access",
                    "this organisation has not granted support access, or it has expired");
    }
    auto crypto = keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    RecordAudit(db, crypto.value().get(),
                {"org:" + org.str(), "operator", "support.access", {{"read", what}}});
    util::log::Info("org.support_access").Ref("org_id", org);
    return Status::Ok();
  });
}

util::Result<std::vector<UserView>> Orgs::SupportUsers(const Principal& actor,
                                                       const util::OrgId& org) {
  if (Status st = EnterSupport(actor, org, "users"); !st.ok()) return st;
  return accounts_.ListOrgUsers(org);
}

util::Result<std::vector<AuditEntry>> Orgs::SupportAudit(const Principal& actor,
                                                         const util::OrgId& org,
                                                         const AuditQuery& query) {
  if (Status st = EnterSupport(actor, org, "audit"); !st.ok()) return st;
  util::Result<std::vector<AuditEntry>> r = Status::Internal();
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, org);
    if (!crypto.ok()) return crypto.status();
    r = QueryAudit(db, *crypto.value(), query);
    return r.status();
  });
  if (!st.ok()) return st;
  // The operator never reads org content: a change may name a BOM, its metadata or a person's
  // address, so only ids, times and actions leave here.
  for (AuditEntry& e : r.value()) e.change = nlohmann::json::object();
  return r;
}

}  // namespace bomvault::service
