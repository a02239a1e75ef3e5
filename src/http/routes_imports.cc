// Routes for the organisation's named importer profiles (service/import_profiles.h). The import
// routes themselves live with the BOM routes (routes_boms.cc).
#include "bom/profile.h"
#include "codec/import_profile.h"
#include "http/account_routes.h"
#include "http/api.h"
#include "http/paging.h"
#include "service/import_profiles.h"
#include "util/clock.h"

namespace bomvault::http {

using access::Function;
using util::Result;

namespace {

constexpr size_t kMaxProfileBody = 256 * 1024;

// {id, name, base, mappings, options, created_at, updated_at}
nlohmann::json ProfileJson(const service::ImportProfile& p) {
  nlohmann::json j = codec::ImportProfileJson(p);
  j["id"] = p.id.str();
  j["created_at"] = util::FormatUtc(p.created_at);
  j["updated_at"] = util::FormatUtc(p.updated_at);
  return j;
}

// The body of a create or replace (the route's permission was asked before it is read), parsed
// whole by codec (the settings are codec's type, shared with the stored profile).
const BodySpec<codec::ImportProfileSettings> kProfile{.name = "ImportProfileIn",
                                                      .max_bytes = kMaxProfileBody,
                                                      .whole_parser = codec::ParseImportProfile,
                                                      .whole_schema = ImportProfileSchema};

}  // namespace

void RegisterImportProfileRoutes(Api& api) {
  api.Route(
      {"GET",
       "/api/v1/org/import-profiles",
       "org.import_profiles.list",
       Auth::kSignedIn,
       false,
       "Every member: the org's named importer profiles {profiles: [{id, name, base, "
       "mappings, options, created_at, updated_at}], builtin: [the built-in profile names]}; "
       "import with ?profile=ID or ?profile=NAME",
       {.responses = {{200, "ImportProfiles"}}, .list_max = 1000}},
      [](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
        BV_ASSIGN_OR_RETURN(auto profiles, c.s().import_profiles->List(c.principal));
        return ListPage<service::ImportProfile>(
            c.req, "profiles", std::move(profiles),
            [](const service::ImportProfile& p) { return TimeIdKey(p.created_at, p.id.str()); },
            false, page, ProfileJson, {{"builtin", bom::BuiltinProfileNames()}});
      });

  api.Route({"POST",
             "/api/v1/org/import-profiles",
             "org.import_profiles.create",
             Auth::kSignedIn,
             false,
             "Administrator: save a named importer profile {name, base?: built-in profile, "
             "mappings?: [as column mappings], options?: {charset?, sheet?, on_error?}} → 201",
             {.responses = {{201, "ImportProfile"}}, .errors = {409}, .idempotent = true},
             access::Function::kOrgSettingsWrite},
            kProfile, [](Ctx& c, codec::ImportProfileSettings& settings) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto profile,
                                  c.s().import_profiles->Create(c.principal, std::move(settings)));
              return Reply::Created("/api/v1/org/import-profiles/" + profile.id.str(),
                                    ProfileJson(profile));
            });

  api.Route({"PUT",
             "/api/v1/org/import-profiles/{id}",
             "org.import_profiles.update",
             Auth::kSignedIn,
             false,
             "Administrator: replace a named importer profile",
             {.responses = {{200, "ImportProfile"}}, .errors = {409}},
             access::Function::kOrgSettingsWrite},
            kProfile, [](Ctx& c, codec::ImportProfileSettings& settings) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::ImportProfileId>(1));
              BV_ASSIGN_OR_RETURN(auto profile, c.s().import_profiles->Replace(
                                                    c.principal, id, std::move(settings)));
              return Reply::Json(200, ProfileJson(profile));
            });

  api.Route({"DELETE",
             "/api/v1/org/import-profiles/{id}",
             "org.import_profiles.delete",
             Auth::kSignedIn,
             false,
             "Administrator: delete a named importer profile",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::ImportProfileId>(1));
              BV_RETURN_IF_ERROR(c.s().import_profiles->Delete(c.principal, id));
              return Reply::NoContent();
            });
}

}  // namespace bomvault::http
