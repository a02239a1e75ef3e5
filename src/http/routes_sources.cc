// Routes for data sources, each user's own connection to them, pulls, sends and their jobs.
// What an Editor or a Viewer gets about a source is written here and nowhere else: exactly id,
// name, kind and their own `connected` flag.
#include <map>

#include "codec/source_config.h"
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Status;

namespace {

nlohmann::json SourceJson(const service::SourceView& v) {
  nlohmann::json j = {
      {"id", v.id.str()}, {"name", v.name}, {"kind", v.kind}, {"connected", v.connected}};
  if (v.config) {
    // Administrators: the configuration too. Nothing in it is a user's credential.
    nlohmann::json c = codec::SourceSettingsJson(*v.config, false);
    for (auto& [k, val] : c.items()) {
      if (k != "name" && k != "kind") j[k] = val;
    }
    j["created_at"] = util::FormatUtc(v.created_at);
    j["updated_at"] = util::FormatUtc(v.updated_at);
  }
  return j;
}

nlohmann::json JobResultJson(const service::JobResult& r) {
  nlohmann::json j = nlohmann::json::object();
  auto put = [&j](const char* key, const auto& member) {
    if (member) j[key] = *member;
  };
  put("bom_id", r.bom_id);
  put("revision", r.revision);
  put("items", r.items);
  put("changed", r.changed);
  if (r.changes) {
    j["changes"] = {{"added", r.changes->added},
                    {"removed", r.changes->removed},
                    {"changed", r.changes->changed}};
  }
  put("previous_revision", r.previous_revision);
  put("compare", r.compare);
  put("file", r.file);
  put("sha256", r.sha256);
  put("profile", r.profile);
  put("warnings", r.warnings);
  put("remote_id", r.remote_id);
  return j;
}

// A connection body's members as given (service::Sources::Connect decides which it takes).
service::SourceCredentials CredentialsOf(const nlohmann::json& body) {
  service::SourceCredentials out;
  out.is_object = body.is_object();
  if (!out.is_object) return out;
  for (const auto& item : body.items()) {
    std::optional<std::string> text;
    if (item.value().is_string()) text = item.value().get<std::string>();
    out.members.emplace_back(item.key(), std::move(text));
  }
  return out;
}

// The body of a create or an update. Both routes need kSourceManage, which the dispatcher asks
// before the body is read (so anyone else learns nothing from how a body is refused).
std::optional<codec::SourceSettingsPatch> SettingsBody(Ctx& c, const nlohmann::json& body) {
  auto settings = codec::DecodeSourceSettingsPatch(body);
  if (!settings.ok()) {
    SendError(c, settings.status());
    return std::nullopt;
  }
  return std::move(settings.value());
}

nlohmann::json JobJson(const service::JobView& v) {
  nlohmann::json j = {{"id", v.id.str()},
                      {"kind", v.kind},
                      {"state", v.state},
                      {"progress", v.progress},
                      {"created_at", util::FormatUtc(v.created_at)}};
  if (v.state == "done") j["result"] = JobResultJson(v.result);
  if (v.state == "failed") {
    j["error"] = {{"code", v.error.machine_code()}, {"message", v.error.message()}};
  }
  return j;
}

}  // namespace

void RegisterSourceRoutes(Api& api) {
  api.Route({"POST",
             "/api/v1/sources",
             "sources.create",
             Auth::kSignedIn,
             false,
             "Administrator: create a data source {name, kind: tryton|rest|folder, base_url, "
             "database (tryton), auth_method, authorize_url, token_url, revocation_url, "
             "client_id, client_secret, scopes, api_key_header, items_path, send_path (rest), "
             "ca_pem?, internal?, proxy?, max_response_bytes?, timeout_seconds?, "
             "rules?{skip_part_numbers[], units{}}}; a folder source {name, kind: folder, path "
             "(below the drop root's org directory), profile?, rules?}",
             {.request = "SourceCreate",
              .responses = {{201, "SourceCreated"}},
              .errors = {409},
              .idempotent = true},
             access::Function::kSourceManage},
            [](Ctx& c) {
              auto body = JsonBody(c);
              if (!body) return;
              auto settings = SettingsBody(c, *body);
              if (!settings) return;
              auto r = c.s().sources->Create(c.principal, *settings);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/sources/" + r->str(), {{"id", r->str()}});
            });

  api.Route({"GET",
             "/api/v1/sources",
             "sources.list",
             Auth::kSignedIn,
             false,
             "The org's sources: Editors and Viewers get id, name, kind and their own "
             "`connected`; Administrators also the configuration",
             {.responses = {{200, "Sources"}}, .list_max = 1000}},
            [](Ctx& c) {
              auto page = PageParams(c, 1000, 1000);
              if (!page) return;
              auto r = c.s().sources->List(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              SendPage<service::SourceView>(
                  c, "sources", std::move(r.value()),
                  [](const service::SourceView& v) { return TimeIdKey(v.created_at, v.id.str()); },
                  false, *page, SourceJson);
            });

  api.Route({"GET",
             "/api/v1/sources/{id}",
             "sources.get",
             Auth::kSignedIn,
             false,
             "One source, as in the list",
             {.responses = {{200, "Source"}}}},
            [](Ctx& c) {
              auto id = PathId<util::SourceId>(c, 1);
              if (!id) return;
              auto r = c.s().sources->Get(c.principal, *id);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, SourceJson(r.value()));
            });

  api.Route({"PATCH",
             "/api/v1/sources/{id}",
             "sources.update",
             Auth::kSignedIn,
             false,
             "Administrator: change a source's configuration (any subset; kind is fixed). A "
             "change of base_url, database, ca_pem, proxy or internal deletes every connection",
             {.request = "SourceChange", .responses = {{200, "Source"}}, .errors = {409}},
             access::Function::kSourceManage},
            [](Ctx& c) {
              auto id = PathId<util::SourceId>(c, 1);
              if (!id) return;
              auto body = JsonBody(c);
              if (!body) return;
              auto patch = SettingsBody(c, *body);
              if (!patch) return;
              auto r = c.s().sources->Update(c.principal, *id, *patch);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, SourceJson(r.value()));
            });

  api.Route({"DELETE",
             "/api/v1/sources/{id}",
             "sources.delete",
             Auth::kSignedIn,
             false,
             "Administrator: delete a source with every connection to it",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) {
              auto id = PathId<util::SourceId>(c, 1);
              if (!id) return;
              Status st = c.s().sources->Delete(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  api.Route(
      {"PUT",
       "/api/v1/sources/{id}/connection",
       "sources.connect",
       Auth::kSignedIn,
       false,
       "Connect with your own credentials: {username, password} (Tryton, REST basic), "
       "{api_key}, {client_id, client_secret} (client credentials) or {code, state} (OAuth "
       "code + PKCE); checked at the source where it can be, sealed, never returned. An "
       "empty object asks what to give: 400 credentials_required with error.needs = "
       "password|api_key|client_credentials|oauth, and changes nothing",
       {.request = "SourceConnect", .responses = {{204, nullptr}}, .errors = {409, 422, 424}}},
      [](Ctx& c) {
        auto id = PathId<util::SourceId>(c, 1);
        if (!id) return;
        auto body = JsonBody(c);
        if (!body) return;
        if (body->is_object() && body->empty()) {
          // The probe (docs/sources.md, "Connect"): Editors and Viewers learn which of
          // their own credentials to enter, nothing about how the source is configured.
          auto needs = c.s().sources->ConnectionNeeds(c.principal, *id);
          if (!needs.ok()) return SendError(c, needs.status());
          static const std::map<std::string, std::string> kAsk = {
              {"password", "give your own user name and password for this source"},
              {"api_key", "give your own API key for this source"},
              {"client_credentials", "give your own OAuth client id and client secret"},
              {"oauth", "sign in at the source: POST .../connection/authorize first"}};
          return SendJson(c, 400,
                          {{"error",
                            {{"code", "credentials_required"},
                             {"message", kAsk.at(needs.value())},
                             {"needs", needs.value()}}}});
        }
        Status st = c.s().sources->Connect(c.principal, *id, CredentialsOf(*body));
        if (!st.ok()) return SendError(c, st);
        SendNoContent(c);
      });

  api.Route({"POST",
             "/api/v1/sources/{id}/connection/authorize",
             "sources.authorize",
             Auth::kSignedIn,
             false,
             "OAuth 2.0 code + PKCE sources: {redirect_uri} → {authorize_url, state}; sign in "
             "there, then PUT .../connection {code, state}",
             {.request = "AuthorizeRequest", .responses = {{200, "Authorization"}}}},
            [](Ctx& c) {
              auto id = PathId<util::SourceId>(c, 1);
              if (!id) return;
              auto body = JsonBody(c);
              if (!body) return;
              auto redirect = StringField(c, *body, "redirect_uri", true);
              if (!redirect) return;
              auto r = c.s().sources->StartAuthorization(c.principal, *id, *redirect);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, {{"authorize_url", r->authorize_url}, {"state", r->state}});
            });

  api.Route({"DELETE",
             "/api/v1/sources/{id}/connection",
             "sources.disconnect",
             Auth::kSignedIn,
             false,
             "Disconnect: your credentials for this source are deleted",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) {
              auto id = PathId<util::SourceId>(c, 1);
              if (!id) return;
              Status st = c.s().sources->Disconnect(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  api.Route(
      {"POST",
       "/api/v1/sources/{id}/pull",
       "sources.pull",
       Auth::kSignedIn,
       false,
       "Administrator, Editor with their own connection: pull {remote_id, bom_id?} as a "
       "job; with bom_id a refresh of that BOM (remote_id defaults to where it came from): a new "
       "revision when anything changed (the job's result: revision, changes, compare), "
       "none when nothing did",
       {.request = "PullRequest", .responses = {{202, "JobSubmitted"}}, .errors = {409}}},
      [](Ctx& c) {
        auto id = PathId<util::SourceId>(c, 1);
        if (!id) return;
        auto body = JsonBody(c);
        if (!body) return;
        auto remote = StringField(c, *body, "remote_id", false);
        if (!remote) return;
        auto bom_text = StringField(c, *body, "bom_id", false);
        if (!bom_text) return;
        std::optional<util::BomId> bom;
        if (!bom_text->empty()) {
          bom = util::BomId::Parse(*bom_text);
          if (!bom) return SendError(c, Status::NotFound());
        }
        if (remote->size() > 256) {
          return SendError(c, Status::Invalid("invalid_remote_id", "remote_id is too long"));
        }
        auto r = c.s().sources->SubmitPull(c.principal, *id, *remote, bom);
        if (!r.ok()) return SendError(c, r.status());
        SendJson(c, 202, {{"job_id", r->str()}});
      });

  api.Route({"GET",
             "/api/v1/sources/{id}/files",
             "sources.files",
             Auth::kSignedIn,
             false,
             "Administrator, Editor: a folder source's files {files: [{name, size, modified_at, "
             "state: new|changed|pulled}]}, by name; pull one with POST .../pull {remote_id: name}",
             {.responses = {{200, "SourceFiles"}}, .errors = {422}, .list_max = 1000}},
            [](Ctx& c) {
              auto id = PathId<util::SourceId>(c, 1);
              if (!id) return;
              auto page = PageParams(c, 1000, 1000);
              if (!page) return;
              auto r = c.s().sources->ListFiles(c.principal, *id);
              if (!r.ok()) return SendError(c, r.status());
              using File = std::decay_t<decltype(r.value().front())>;
              SendPage<File>(
                  c, "files", std::move(r.value()), [](const File& f) { return f.name; }, false,
                  *page,
                  [](const File& f) -> nlohmann::json {
                    return {{"name", f.name},
                            {"size", f.size},
                            {"modified_at", util::FormatUtc(f.modified_at)},
                            {"state", f.state}};
                  });
            });

  api.Route({"POST",
             "/api/v1/boms/{id}/send",
             "boms.send",
             Auth::kSignedIn,
             false,
             "Whoever may read the BOM, with their own connection: send it to {source_id} as a "
             "job",
             {.request = "SendRequest", .responses = {{202, "JobSubmitted"}}, .errors = {409, 422}},
             access::Function::kBomSend,
             OnBom(1)},
            [](Ctx& c) {
              auto id = PathId<util::BomId>(c, 1);
              if (!id) return;
              auto body = JsonBody(c);
              if (!body) return;
              auto source_text = StringField(c, *body, "source_id", true);
              if (!source_text) return;
              auto source = util::SourceId::Parse(*source_text);
              if (!source) return SendError(c, Status::NotFound());
              auto r = c.s().sources->SubmitSend(c.principal, *id, *source);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 202, {{"job_id", r->str()}});
            });

  api.Route({"GET",
             "/api/v1/jobs/{id}",
             "jobs.get",
             Auth::kSignedIn,
             false,
             "The job's owner: state, progress 0..1, result or error",
             {.responses = {{200, "Job"}}},
             access::Function::kJobRead},
            [](Ctx& c) {
              auto id = PathId<util::JobId>(c, 1);
              if (!id) return;
              auto r = c.s().jobs->Get(c.principal, *id);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, JobJson(r.value()));
            });

  api.Route({"DELETE",
             "/api/v1/jobs/{id}",
             "jobs.cancel",
             Auth::kSignedIn,
             false,
             "The job's owner: cancel a queued or running job (it ends failed, code cancelled)",
             {.responses = {{204, nullptr}}, .errors = {409}},
             access::Function::kJobRead},
            [](Ctx& c) {
              auto id = PathId<util::JobId>(c, 1);
              if (!id) return;
              Status st = c.s().jobs->Cancel(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });
}

}  // namespace bomvault::http
