// Routes for the organisation's settings (Administrators): policy settings, column mappings and
// the operator's support access window. The dispatcher asks access:: (each route's permission)
// before a handler reads the body.
#include "codec/column_mappings.h"
#include "http/account_routes.h"
#include "http/api.h"

namespace bomvault::http {

using access::Function;
using util::Result;

namespace {

nlohmann::json SettingsJson(const service::OrgSettings& s) {
  return {{"sharing_enabled", s.sharing_enabled},
          {"audit_depth", s.audit_depth},
          {"mfa_policy", s.mfa_policy},
          {"purge_notice", s.purge_notice},
          {"purge_days", s.purge_days}};
}

// PATCH /org/settings: any subset of the settings, each with its type and range (a value out of
// range is 400 invalid_settings); a member that is not a setting is 400 unknown_field.
using SettingsIn = service::OrgSettingsPatch;
const BodySpec<SettingsIn> kSettings{
    .name = "OrgSettingsChange",
    .max_bytes = 4096,
    .fields = {Flag("sharing_enabled", &SettingsIn::sharing_enabled, Need::kOptional),
               Whole("audit_depth", &SettingsIn::audit_depth, Need::kOptional,
                     service::kMinAuditDepth, service::kMaxAuditDepth, "invalid_settings"),
               Choice("mfa_policy", &SettingsIn::mfa_policy, Need::kOptional,
                      {"optional", "administrators", "everyone"}, "invalid_settings"),
               Flag("purge_notice", &SettingsIn::purge_notice, Need::kOptional),
               Whole("purge_days", &SettingsIn::purge_days, Need::kOptional, service::kMinPurgeDays,
                     service::kMaxPurgeDays, "invalid_settings")},
    .closed = true};

// PUT /org/column-mappings: {mappings: [...]}, parsed by codec against bom::Limits.
struct MappingsIn {
  bom::ColumnMappings mappings;
};
const BodySpec<MappingsIn> kMappings{
    "ColumnMappingsIn",
    256 * 1024,
    {Nested("mappings", &MappingsIn::mappings, Need::kRequired,
            {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/ColumnMapping"}}}},
            [](const nlohmann::json& v) { return codec::ParseColumnMappings(v, bom::Limits{}); })}};

struct SupportAccessIn {
  int hours = 0;
};
const BodySpec<SupportAccessIn> kSupportAccess{
    "SupportAccess",
    1024,
    {Whole("hours", &SupportAccessIn::hours, Need::kRequired, 0, 72, "invalid_hours")}};

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
       {.responses = {{200, "OrgSettings"}}, .etag = true},
       Function::kOrgSettingsWrite},
      kSettings, [](Ctx& c, SettingsIn& patch) -> Result<Reply> {
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
             {.responses = {{200, "ColumnMappings"}}},
             Function::kOrgSettingsWrite},
            kMappings, [](Ctx& c, MappingsIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(
                  auto saved, c.s().orgs->SetColumnMappings(c.principal, std::move(in.mappings)));
              return Reply::Json(200, {{"mappings", codec::ColumnMappingsJson(saved)}});
            });

  api.Route({"POST",
             "/api/v1/org/support-access",
             "org.support_access",
             Auth::kRecent,
             false,
             "Administrator: grant the operator support access for {hours} (1-72), 0 revokes",
             {.responses = {{200, "SupportAccessSet"}}},
             Function::kOrgSettingsWrite},
            kSupportAccess, [](Ctx& c, SupportAccessIn& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().orgs->SetSupportAccess(c.principal, in.hours));
              return Reply::Json(200, {{"hours", in.hours}});
            });
}

}  // namespace bomvault::http
