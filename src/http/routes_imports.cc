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
using util::Status;

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

// The body of a create or replace, for an actor who may change the org's settings: refused
// before the body is read, as the service would refuse it.
std::optional<codec::ImportProfileSettings> ProfileBody(Ctx& c) {
  auto body = JsonBody(c, kMaxProfileBody);
  if (!body) return std::nullopt;
  auto settings = codec::ParseImportProfile(*body);
  if (!settings.ok()) {
    SendError(c, settings.status());
    return std::nullopt;
  }
  return std::move(settings.value());
}

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
      [](Ctx& c) {
        auto page = PageParams(c, 1000, 1000);
        if (!page) return;
        auto r = c.s().import_profiles->List(c.principal);
        if (!r.ok()) return SendError(c, r.status());
        SendPage<service::ImportProfile>(
            c, "profiles", std::move(r.value()),
            [](const service::ImportProfile& p) { return TimeIdKey(p.created_at, p.id.str()); },
            false, *page, ProfileJson, {{"builtin", bom::BuiltinProfileNames()}});
      });

  api.Route({"POST",
             "/api/v1/org/import-profiles",
             "org.import_profiles.create",
             Auth::kSignedIn,
             false,
             "Administrator: save a named importer profile {name, base?: built-in profile, "
             "mappings?: [as column mappings], options?: {charset?, sheet?, on_error?}} → 201",
             {.request = "ImportProfileIn",
              .responses = {{201, "ImportProfile"}},
              .errors = {409},
              .idempotent = true},
             access::Function::kOrgSettingsWrite},
            [](Ctx& c) {
              auto settings = ProfileBody(c);
              if (!settings) return;
              auto r = c.s().import_profiles->Create(c.principal, std::move(*settings));
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/org/import-profiles/" + r->id.str(), ProfileJson(r.value()));
            });

  api.Route({"PUT",
             "/api/v1/org/import-profiles/{id}",
             "org.import_profiles.update",
             Auth::kSignedIn,
             false,
             "Administrator: replace a named importer profile",
             {.request = "ImportProfileIn", .responses = {{200, "ImportProfile"}}, .errors = {409}},
             access::Function::kOrgSettingsWrite},
            [](Ctx& c) {
              auto id = PathId<util::ImportProfileId>(c, 1);
              if (!id) return;
              auto settings = ProfileBody(c);
              if (!settings) return;
              auto r = c.s().import_profiles->Replace(c.principal, *id, std::move(*settings));
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, ProfileJson(r.value()));
            });

  api.Route({"DELETE",
             "/api/v1/org/import-profiles/{id}",
             "org.import_profiles.delete",
             Auth::kSignedIn,
             false,
             "Administrator: delete a named importer profile",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) {
              auto id = PathId<util::ImportProfileId>(c, 1);
              if (!id) return;
              Status st = c.s().import_profiles->Delete(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });
}

}  // namespace bomvault::http
