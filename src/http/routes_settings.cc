// Routes for the organisation's settings (Administrators): policy settings, column mappings and
// the operator's support access window. The dispatcher asks access:: (each route's permission)
// before a handler reads the body.
#include "codec/column_mappings.h"
#include "http/account_routes.h"
#include "http/api.h"

namespace bomvault::http {

using access::Function;
using util::Result;
using util::Status;

namespace {

nlohmann::json SettingsJson(const service::OrgSettings& s) {
  return {{"sharing_enabled", s.sharing_enabled},
          {"audit_depth", s.audit_depth},
          {"mfa_policy", s.mfa_policy},
          {"purge_notice", s.purge_notice},
          {"purge_days", s.purge_days}};
}

// PATCH /org/settings: each key with its type and range, in key order (the first bad key is
// named).
util::Result<service::OrgSettingsPatch> SettingsPatch(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Invalid("invalid_settings", "settings must be an object");
  service::OrgSettingsPatch p;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "sharing_enabled" && v.is_boolean()) {
      p.sharing_enabled = v.get<bool>();
    } else if (k == "purge_notice" && v.is_boolean()) {
      p.purge_notice = v.get<bool>();
    } else if (k == "audit_depth" && v.is_number_integer() &&
               v.get<int64_t>() >= service::kMinAuditDepth &&
               v.get<int64_t>() <= service::kMaxAuditDepth) {
      p.audit_depth = v.get<int>();
    } else if (k == "purge_days" && v.is_number_integer() &&
               v.get<int64_t>() >= service::kMinPurgeDays &&
               v.get<int64_t>() <= service::kMaxPurgeDays) {
      p.purge_days = v.get<int>();
    } else if (k == "mfa_policy" && v.is_string() &&
               service::IsMfaPolicy(v.get_ref<const std::string&>())) {
      p.mfa_policy = v.get<std::string>();
    } else {
      return Status::Invalid("invalid_settings",
                             "unknown setting or value out of range: " + k.substr(0, 40));
    }
  }
  return p;
}

}  // namespace

void RegisterSettingsRoutes(Api& api) {
  // --- Organisation settings (Administrators) ---
  api.Route({"GET",
             "/api/v1/org/settings",
             "org.settings.get",
             Auth::kSignedIn,
             false,
             "Administrator: the organisation's policy settings",
             {.responses = {{200, "OrgSettings"}}, .etag = true},
             Function::kOrgSettingsRead},
            [](Ctx& c) -> Result<Reply> {
              int64_t version = 0;
              BV_ASSIGN_OR_RETURN(auto settings, c.s().orgs->Settings(c.principal, &version));
              const std::string tag = util::EntityTag(version);
              if (IsFresh(c.req, tag)) return Reply::NotModified(tag);
              return Reply::Json(200, SettingsJson(settings)).With("ETag", tag);
            });

  api.Route(
      {"PATCH",
       "/api/v1/org/settings",
       "org.settings.update",
       Auth::kRecent,
       false,
       "Administrator: change settings {sharing_enabled, audit_depth, mfa_policy, "
       "purge_notice, purge_days}",
       {.request = "OrgSettingsChange", .responses = {{200, "OrgSettings"}}, .etag = true},
       Function::kOrgSettingsWrite},
      [](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto body, JsonBody(c.req, 4096));
        BV_ASSIGN_OR_RETURN(auto patch, SettingsPatch(body));
        int64_t version = 0;
        BV_ASSIGN_OR_RETURN(auto settings,
                            c.s().orgs->UpdateSettings(c.principal, patch, IfMatchOf(c), &version));
        return Reply::Json(200, SettingsJson(settings)).With("ETag", util::EntityTag(version));
      });

  api.Route({"GET",
             "/api/v1/org/column-mappings",
             "org.column_mappings.get",
             Auth::kSignedIn,
             false,
             "Every member: how the org's CSV/XLSX imports map column names {mappings: [{column, "
             "field | property | ignore}]}",
             {.responses = {{200, "ColumnMappings"}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto mappings, c.s().orgs->ColumnMappings(c.principal));
              return Reply::Json(200, {{"mappings", codec::ColumnMappingsJson(mappings)}});
            });

  api.Route({"PUT",
             "/api/v1/org/column-mappings",
             "org.column_mappings.update",
             Auth::kSignedIn,
             false,
             "Administrator: replace the column mappings {mappings: [{column, field: "
             "ref|parent|level|find_number|part_number|description|quantity|unit|refdes} | "
             "{column, property: key} | {column, ignore: true}]} (at most 256)",
             {.request = "ColumnMappings", .responses = {{200, "ColumnMappings"}}},
             Function::kOrgSettingsWrite},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto body, JsonBody(c.req, 256 * 1024));
              auto list = body.find("mappings");
              BV_ASSIGN_OR_RETURN(
                  auto mappings, codec::ParseColumnMappings(
                                     list == body.end() ? nlohmann::json() : *list, bom::Limits{}));
              BV_ASSIGN_OR_RETURN(auto saved,
                                  c.s().orgs->SetColumnMappings(c.principal, std::move(mappings)));
              return Reply::Json(200, {{"mappings", codec::ColumnMappingsJson(saved)}});
            });

  api.Route({"POST",
             "/api/v1/org/support-access",
             "org.support_access",
             Auth::kRecent,
             false,
             "Administrator: grant the operator support access for {hours} (1-72), 0 revokes",
             {.request = "SupportAccess", .responses = {{200, "SupportAccessSet"}}},
             Function::kOrgSettingsWrite},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto body, JsonBody(c.req, 1024));
              if (!body.contains("hours") || !body["hours"].is_number_integer()) {
                return Status::Invalid("invalid_field", "\"hours\" must be a whole number");
              }
              int64_t hours = body["hours"].get<int64_t>();
              BV_RETURN_IF_ERROR(c.s().orgs->SetSupportAccess(
                  c.principal, static_cast<int>(std::clamp<int64_t>(hours, -1, 1000))));
              return Reply::Json(200, {{"hours", hours}});
            });
}

}  // namespace bomvault::http
