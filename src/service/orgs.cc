#include "service/orgs.h"

#include "codec/column_mappings.h"
#include "service/audit.h"
#include "store/orgs_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Principal;
using util::Status;

namespace {

// The settings as audited (the keys PATCH /org/settings takes).
AuditChange AuditedSettings(const OrgSettings& s) {
  return {{"sharing_enabled", s.sharing_enabled},
          {"audit_depth", s.audit_depth},
          {"mfa_policy", s.mfa_policy},
          {"purge_notice", s.purge_notice},
          {"purge_days", s.purge_days}};
}

Status BadSetting(std::string_view key) {
  return Status::Invalid("invalid_settings", "unknown setting or value out of range: " +
                                                 std::string(key.substr(0, 40)));
}

}  // namespace

OrgSettings Orgs::LoadSettings(store::Db& db, const util::OrgId& org) {
  return store::LoadOrgSettings(db, org);
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
    store::InsertOrg(db, org, now);
    auto crypto = keys_.Create(db, org);
    store::SetOrgNameSealed(db, org, crypto->SealText("org-name", org.str(), name));
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
    for (store::OrgRow& row : store::ListOrgs(db, 1000)) {
      OrgView v;
      v.id = std::move(row.id);
      auto crypto = keys_.Get(db, v.id);
      if (!crypto.ok()) return crypto.status();
      // The operator sees the name it gave the org (to manage it), never the org's content.
      v.name = crypto.value()->OpenText("org-name", v.id.str(), row.name_sealed).value_or("");
      v.created_at = row.created_at;
      v.support_until = row.support_until;
      v.users = row.users;
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
  return store::DeleteOrgRows(db, org);
}

util::Result<OrgSettings> Orgs::Settings(const Principal& actor, int64_t* version) {
  if (access::MayUse(actor, access::Function::kOrgSettingsRead) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  OrgSettings s;
  Status st = db_.Read([&](store::Db& db) -> Status {
    s = LoadSettings(db, actor.org);
    if (version != nullptr) *version = store::OrgSettingsVersion(db, actor.org);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return s;
}

util::Result<OrgSettings> Orgs::UpdateSettings(const Principal& actor,
                                               const OrgSettingsPatch& patch,
                                               const util::IfMatch& if_match, int64_t* version) {
  if (access::MayUse(actor, access::Function::kOrgSettingsWrite) != access::Decision::kAllow) {
    return Status::Forbidden();
  }
  // In key order, so the first bad key named is the one a reader of the body meets first.
  if (patch.audit_depth &&
      (*patch.audit_depth < store::kMinAuditDepth || *patch.audit_depth > store::kMaxAuditDepth)) {
    return BadSetting("audit_depth");
  }
  if (patch.mfa_policy && !store::IsMfaPolicy(*patch.mfa_policy)) return BadSetting("mfa_policy");
  if (patch.purge_days &&
      (*patch.purge_days < store::kMinPurgeDays || *patch.purge_days > store::kMaxPurgeDays)) {
    return BadSetting("purge_days");
  }
  OrgSettings result;
  Status st = db_.Write([&](store::Db& db) -> Status {
    const OrgSettings before = store::LoadOrgSettings(db, actor.org);
    if (!if_match.Holds(util::EntityTag(store::OrgSettingsVersion(db, actor.org)))) {
      return Status::PreconditionFailed();
    }
    result = before;
    if (patch.sharing_enabled) result.sharing_enabled = *patch.sharing_enabled;
    if (patch.audit_depth) result.audit_depth = *patch.audit_depth;
    if (patch.mfa_policy) result.mfa_policy = *patch.mfa_policy;
    if (patch.purge_notice) result.purge_notice = *patch.purge_notice;
    if (patch.purge_days) result.purge_days = *patch.purge_days;
    AuditChange change;
    const AuditChange b = AuditedSettings(before), a = AuditedSettings(result);
    for (size_t i = 0; i < a.fields().size(); ++i) {
      const codec::AuditField &was = b.fields()[i], &now = a.fields()[i];
      if (!(was.value == now.value))
        change.Set(now.key, {{"before", was.value}, {"after", now.value}});
    }
    store::SaveOrgSettings(db, actor.org, result);
    if (version != nullptr) *version = store::OrgSettingsVersion(db, actor.org);
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
  auto sealed = store::OrgColumnMappings(db, crypto.org());
  if (!sealed) return bom::ColumnMappings{};
  auto text = crypto.OpenText(kMappingsPurpose, crypto.org().str(), *sealed);
  auto parsed = text ? codec::DecodeColumnMappings(*text, bom::Limits{})
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
                                                          bom::ColumnMappings mappings) {
  Status st = access::Refusal(actor, access::Function::kOrgSettingsWrite,
                              access::MayUse(actor, access::Function::kOrgSettingsWrite));
  if (!st.ok()) return st;
  const std::string after = codec::EncodeColumnMappings(mappings);
  st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    auto before = LoadColumnMappings(db, c);
    if (!before.ok()) return before.status();
    const std::string before_text = codec::EncodeColumnMappings(before.value());
    if (before_text == after) return Status::Ok();
    const crypto::Bytes sealed = c.SealText(kMappingsPurpose, actor.org.str(), after);
    store::SaveOrgColumnMappings(db, actor.org, sealed, util::NowUnix());
    RecordAudit(
        db, &c,
        {"org:" + actor.org.str(),
         actor.user.str(),
         "org.column_mappings",
         {{"mappings",
           {{"before", codec::JsonText{before_text}}, {"after", codec::JsonText{after}}}}}});
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
    store::SetSupportUntil(db, actor.org, until);
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
    std::optional<int64_t> until = store::SupportUntil(db, org);
    if (!until) return Status::NotFound();
    if (access::MayUseSupport(actor, *until, util::NowUnix()) != access::Decision::kAllow) {
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
  for (AuditEntry& e : r.value()) e.change = "{}";
  return r;
}

}  // namespace bomvault::service
