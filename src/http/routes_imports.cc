// Routes for the organisation's named importer profiles (service/import_profiles.h). The import
// routes themselves live with the BOM routes (routes_boms.cc).
#include "bom/profile.h"
#include "http/api.h"
#include "http/paging.h"
#include "service/import_profiles.h"

namespace bomvault::http {

using util::Status;

namespace {

constexpr size_t kMaxProfileBody = 256 * 1024;

}  // namespace

void RegisterImportProfileRoutes(Api& api) {
  api.Route({"GET",
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
              SendPage<service::ImportProfile>(c, "profiles", std::move(r.value()),
                                               [](const service::ImportProfile& p) {
                                                 return TimeIdKey(p.created_at, p.id.str());
                                               },
                                               false, *page, service::ImportProfiles::ToJson,
                                               {{"builtin", bom::BuiltinProfileNames()}});
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
              .idempotent = true}},
            [](Ctx& c) {
              auto body = JsonBody(c, kMaxProfileBody);
              if (!body) return;
              auto r = c.s().import_profiles->Create(c.principal, *body);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/org/import-profiles/" + r->id.str(),
                          service::ImportProfiles::ToJson(r.value()));
            });

  api.Route(
      {"PUT",
       "/api/v1/org/import-profiles/{id}",
       "org.import_profiles.update",
       Auth::kSignedIn,
       false,
       "Administrator: replace a named importer profile",
       {.request = "ImportProfileIn", .responses = {{200, "ImportProfile"}}, .errors = {409}}},
      [](Ctx& c) {
        auto id = PathId<util::ImportProfileId>(c, 1);
        if (!id) return;
        auto body = JsonBody(c, kMaxProfileBody);
        if (!body) return;
        auto r = c.s().import_profiles->Replace(c.principal, *id, *body);
        if (!r.ok()) return SendError(c, r.status());
        SendJson(c, 200, service::ImportProfiles::ToJson(r.value()));
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
