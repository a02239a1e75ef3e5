// Routes for data sources, each user's own connection to them, pulls, sends and their jobs.
// What an Editor or a Viewer gets about a source is written here and nowhere else: exactly id,
// name, kind and their own `connected` flag.
#include <map>

#include "codec/source_config.h"
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Result;
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

// A connection body's members as given (service::Sources::Connect decides which it takes); the
// body is an object, ParseBody checked that first.
Result<service::SourceCredentials> CredentialsOf(const nlohmann::json& body) {
  service::SourceCredentials out;
  for (const auto& item : body.items()) {
    std::optional<std::string> text;
    if (item.value().is_string()) text = item.value().get<std::string>();
    out.members.emplace_back(item.key(), std::move(text));
  }
  return out;
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

// A source's create and change bodies: codec::DecodeSourceSettingsPatch takes them whole (the
// settings are codec's type, shared with the stored configuration).
const BodySpec<codec::SourceSettingsPatch> kSourceCreate{
    .name = "SourceCreate",
    .max_bytes = 1 << 20,
    .whole_parser = codec::DecodeSourceSettingsPatch,
    .whole_schema = [] { return SourceSettingsSchema(true); }};
const BodySpec<codec::SourceSettingsPatch> kSourceChange{
    .name = "SourceChange",
    .max_bytes = 1 << 20,
    .whole_parser = codec::DecodeSourceSettingsPatch,
    .whole_schema = [] { return SourceSettingsSchema(false); }};

// The credentials of a connection, whichever the source's method takes; {} is the probe.
const BodySpec<service::SourceCredentials> kConnect{
    .name = "SourceConnect",
    .max_bytes = 1 << 20,
    .whole_parser = CredentialsOf,
    .whole_schema = [] {
      nlohmann::json properties = nlohmann::json::object();
      for (const char* m :
           {"username", "password", "api_key", "client_id", "client_secret", "code", "state"}) {
        properties[m] = {{"type", "string"}};
      }
      return nlohmann::json{{"type", "object"}, {"properties", properties}};
    }};

struct AuthorizeIn {
  std::string redirect_uri;
};
const BodySpec<AuthorizeIn> kAuthorize{
    "AuthorizeRequest",
    1 << 20,
    {Text("redirect_uri", &AuthorizeIn::redirect_uri, Need::kRequired)}};

struct PullIn {
  std::string remote_id, bom_id;
};
const BodySpec<PullIn> kPull{
    "PullRequest",
    1 << 20,
    {Text("remote_id", &PullIn::remote_id, Need::kOptional, 0, 256, "invalid_remote_id"),
     Text("bom_id", &PullIn::bom_id, Need::kOptional)}};

struct SendIn {
  std::string source_id;
};
const BodySpec<SendIn> kSend{
    "SendRequest", 1 << 20, {Text("source_id", &SendIn::source_id, Need::kRequired)}};

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
             {.responses = {{201, "SourceCreated"}}, .errors = {409}, .idempotent = true},
             access::Function::kSourceManage},
            // kSourceManage is asked by the dispatcher before the body is read, so anyone else
            // learns nothing from how a body is refused.
            kSourceCreate, [](Ctx& c, codec::SourceSettingsPatch& settings) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto source, c.s().sources->Create(c.principal, settings));
              return Reply::Created("/api/v1/sources/" + source.str(), {{"id", source.str()}});
            });

  api.Route({"GET",
             "/api/v1/sources",
             "sources.list",
             Auth::kSignedIn,
             false,
             "The org's sources: Editors and Viewers get id, name, kind and their own "
             "`connected`; Administrators also the configuration",
             {.responses = {{200, "Sources"}}, .list_max = 1000}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              BV_ASSIGN_OR_RETURN(auto sources, c.s().sources->List(c.principal));
              return ListPage<service::SourceView>(
                  c.req, "sources", std::move(sources),
                  [](const service::SourceView& v) { return TimeIdKey(v.created_at, v.id.str()); },
                  false, page, SourceJson);
            });

  api.Route({"GET",
             "/api/v1/sources/{id}",
             "sources.get",
             Auth::kSignedIn,
             false,
             "One source, as in the list",
             {.responses = {{200, "Source"}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
              BV_ASSIGN_OR_RETURN(auto source, c.s().sources->Get(c.principal, id));
              return Reply::Json(200, SourceJson(source));
            });

  api.Route({"PATCH",
             "/api/v1/sources/{id}",
             "sources.update",
             Auth::kSignedIn,
             false,
             "Administrator: change a source's configuration (any subset; kind is fixed). A "
             "change of base_url, database, ca_pem, proxy or internal deletes every connection",
             {.responses = {{200, "Source"}}, .errors = {409}},
             access::Function::kSourceManage},
            // As the create: the dispatcher asked kSourceManage before the body is read.
            kSourceChange, [](Ctx& c, codec::SourceSettingsPatch& patch) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
              BV_ASSIGN_OR_RETURN(auto source, c.s().sources->Update(c.principal, id, patch));
              return Reply::Json(200, SourceJson(source));
            });

  api.Route({"DELETE",
             "/api/v1/sources/{id}",
             "sources.delete",
             Auth::kSignedIn,
             false,
             "Administrator: delete a source with every connection to it",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
              BV_RETURN_IF_ERROR(c.s().sources->Delete(c.principal, id));
              return Reply::NoContent();
            });

  api.Route({"PUT",
             "/api/v1/sources/{id}/connection",
             "sources.connect",
             Auth::kSignedIn,
             false,
             "Connect with your own credentials: {username, password} (Tryton, REST basic), "
             "{api_key}, {client_id, client_secret} (client credentials) or {code, state} (OAuth "
             "code + PKCE); checked at the source where it can be, sealed, never returned. An "
             "empty object asks what to give: 400 credentials_required with error.needs = "
             "password|api_key|client_credentials|oauth, and changes nothing",
             {.responses = {{204, nullptr}}, .errors = {409, 422, 424}}},
            kConnect, [](Ctx& c, service::SourceCredentials& credentials) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
              if (credentials.members.empty()) {
                // The probe (docs/sources.md, "Connect"): Editors and Viewers learn which of
                // their own credentials to enter, nothing about how the source is configured.
                BV_ASSIGN_OR_RETURN(auto needs, c.s().sources->ConnectionNeeds(c.principal, id));
                static const std::map<std::string, std::string> kAsk = {
                    {"password", "give your own user name and password for this source"},
                    {"api_key", "give your own API key for this source"},
                    {"client_credentials", "give your own OAuth client id and client secret"},
                    {"oauth", "sign in at the source: POST .../connection/authorize first"}};
                // An error body with one member more than a refusal's (needs), so a Reply.
                return Reply::Json(400, {{"error",
                                          {{"code", "credentials_required"},
                                           {"message", kAsk.at(needs)},
                                           {"needs", needs}}}});
              }
              BV_RETURN_IF_ERROR(c.s().sources->Connect(c.principal, id, std::move(credentials)));
              return Reply::NoContent();
            });

  api.Route({"POST",
             "/api/v1/sources/{id}/connection/authorize",
             "sources.authorize",
             Auth::kSignedIn,
             false,
             "OAuth 2.0 code + PKCE sources: {redirect_uri} → {authorize_url, state}; sign in "
             "there, then PUT .../connection {code, state}",
             {.responses = {{200, "Authorization"}}}},
            kAuthorize, [](Ctx& c, AuthorizeIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
              BV_ASSIGN_OR_RETURN(auto started, c.s().sources->StartAuthorization(c.principal, id,
                                                                                  in.redirect_uri));
              return Reply::Json(
                  200, {{"authorize_url", started.authorize_url}, {"state", started.state}});
            });

  api.Route({"DELETE",
             "/api/v1/sources/{id}/connection",
             "sources.disconnect",
             Auth::kSignedIn,
             false,
             "Disconnect: your credentials for this source are deleted",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
              BV_RETURN_IF_ERROR(c.s().sources->Disconnect(c.principal, id));
              return Reply::NoContent();
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
       {.responses = {{202, "JobSubmitted"}}, .errors = {409}}},
      kPull, [](Ctx& c, PullIn& in) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
        std::optional<util::BomId> bom;
        if (!in.bom_id.empty()) {
          bom = util::BomId::Parse(in.bom_id);
          if (!bom) return Status::NotFound();
        }
        BV_ASSIGN_OR_RETURN(auto job,
                            c.s().sources->SubmitPull(c.principal, id, in.remote_id, bom));
        return Reply::Json(202, {{"job_id", job.str()}});
      });

  api.Route({"GET",
             "/api/v1/sources/{id}/files",
             "sources.files",
             Auth::kSignedIn,
             false,
             "Administrator, Editor: a folder source's files {files: [{name, size, modified_at, "
             "state: new|changed|pulled}]}, by name; pull one with POST .../pull {remote_id: name}",
             {.responses = {{200, "SourceFiles"}}, .errors = {422}, .list_max = 1000}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SourceId>(1));
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              BV_ASSIGN_OR_RETURN(auto files, c.s().sources->ListFiles(c.principal, id));
              using File = std::decay_t<decltype(files.front())>;
              return ListPage<File>(
                  c.req, "files", std::move(files), [](const File& f) { return f.name; }, false,
                  page,
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
             {.responses = {{202, "JobSubmitted"}}, .errors = {409, 422}},
             access::Function::kBomSend,
             OnBom(1)},
            kSend, [](Ctx& c, SendIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              auto source = util::SourceId::Parse(in.source_id);
              if (!source) return Status::NotFound();
              BV_ASSIGN_OR_RETURN(auto job, c.s().sources->SubmitSend(c.principal, id, *source));
              return Reply::Json(202, {{"job_id", job.str()}});
            });

  api.Route({"GET",
             "/api/v1/jobs/{id}",
             "jobs.get",
             Auth::kSignedIn,
             false,
             "The job's owner: state, progress 0..1, result or error",
             {.responses = {{200, "Job"}}},
             access::Function::kJobRead},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::JobId>(1));
              BV_ASSIGN_OR_RETURN(auto job, c.s().jobs->Get(c.principal, id));
              return Reply::Json(200, JobJson(job));
            });

  api.Route({"DELETE",
             "/api/v1/jobs/{id}",
             "jobs.cancel",
             Auth::kSignedIn,
             false,
             "The job's owner: cancel a queued or running job (it ends failed, code cancelled)",
             {.responses = {{204, nullptr}}, .errors = {409}},
             access::Function::kJobRead},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::JobId>(1));
              BV_RETURN_IF_ERROR(c.s().jobs->Cancel(c.principal, id));
              return Reply::NoContent();
            });
}

}  // namespace bomvault::http
