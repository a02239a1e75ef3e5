// /api/v1/openapi.json, generated from the route table (RouteSpec and its Doc), and the JSON
// Schema of every body type the typed routes take or send. The schemas describe what the handlers
// really parse and write (bom/json_body.cc, http/json_out.cc, the routes_*.cc writers); the
// conformance test (tests/integration/test_openapi.py) drives the real binary and checks every
// answer's status and body against this document.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "http/api.h"

namespace bomvault::http {

namespace {

using nlohmann::json;

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json Str() { return {{"type", "string"}}; }
json Int() { return {{"type", "integer"}}; }
json Bool() { return {{"type", "boolean"}}; }
json Time() { return {{"type", "string"}, {"format", "date-time"}}; }
json ArrayOf(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
json Obj(json properties, json required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}};
}

json BuildSchemas() {
  json s = json::object();
  s["Error"] = Obj({{"error", Obj({{"code", Str()},
                                   {"message", Str()},
                                   {"details", ArrayOf(json::object())},
                                   {"warnings", ArrayOf(json::object())}},
                                  {"code", "message"})}},
                   {"error"});
  s["Health"] = Obj(
      {{"status", {{"type", "string"}, {"enum", {"ok"}}}}, {"sealed", Bool()}, {"version", Str()}},
      {"status", "sealed", "version"});
  s["OpenApiDocument"] =
      Obj({{"openapi", Str()}, {"info", json::object()}, {"paths", json::object()}},
          {"openapi", "info", "paths"});
  // bom/json_body.cc: ref and part_number required text; quantity a number or a decimal string;
  // properties' values text or numbers; the other fields text; dnp a boolean or null.
  json maker = Obj({{"name", Str()}, {"mpn", Str()}}, json::array());
  s["ItemIn"] = Obj(
      {{"ref", Str()},
       {"parent", {{"type", "string"}, {"nullable", true}}},
       {"find_number", Str()},
       {"part_number", Str()},
       {"description", Str()},
       {"quantity", {{"oneOf", {{{"type", "number"}, {"minimum", 0}}, Str()}}}},
       {"unit", Str()},
       {"refdes", Str()},
       {"properties",
        {{"type", "object"}, {"additionalProperties", {{"oneOf", {Str(), {{"type", "number"}}}}}}}},
       {"manufacturers", ArrayOf(maker)},
       {"dnp", {{"type", "boolean"}, {"nullable", true}}}},
      {"ref", "part_number", "quantity"});
  // http/json_out.cc AppendItem: every field always present; quantity the canonical decimal,
  // written as a JSON number.
  s["Item"] =
      Obj({{"ref", Str()},
           {"parent", {{"type", "string"}, {"nullable", true}}},
           {"find_number", Str()},
           {"part_number", Str()},
           {"description", Str()},
           {"quantity", {{"type", "number"}}},
           {"unit", Str()},
           {"refdes", Str()},
           {"properties", {{"type", "object"}, {"additionalProperties", Str()}}},
           {"manufacturers", ArrayOf(Obj({{"name", Str()}, {"mpn", Str()}}, {"name", "mpn"}))},
           {"dnp", Bool()}},
          {"ref", "parent", "find_number", "part_number", "description", "quantity", "unit",
           "refdes", "properties", "manufacturers", "dnp"});
  s["Items"] = Obj({{"items", ArrayOf(Ref("Item"))}}, {"items"});
  s["BomCreate"] = Obj({{"name", Str()},
                        {"items", ArrayOf(Ref("ItemIn"))},
                        {"metadata", {{"type", "object"}}},
                        {"source", Str()}},
                       {"name", "items"});
  s["BomChange"] = Obj({{"name", Str()},
                        {"items", ArrayOf(Ref("ItemIn"))},
                        {"metadata", {{"type", "object"}}},
                        {"source", Str()}},
                       json::array());
  s["BomCreated"] = Obj({{"id", Str()}, {"items", Int()}}, {"id", "items"});
  // routes_boms.cc SummaryText.
  s["BomSummary"] = Obj({{"id", Str()},
                         {"name", Str()},
                         {"owner_id", Str()},
                         {"items", Int()},
                         {"metadata", {{"type", "object"}}},
                         {"my_access", Str()},
                         {"attachments", Int()},
                         {"thumbnail_id", {{"type", "string"}, {"nullable", true}}},
                         {"created_at", Time()},
                         {"updated_at", Time()},
                         {"last_interacted_at", Time()}},
                        {"id", "name", "owner_id", "items", "metadata", "my_access", "attachments",
                         "thumbnail_id", "created_at", "updated_at", "last_interacted_at"});
  s["BomList"] = Obj({{"boms", ArrayOf(Ref("BomSummary"))}}, {"boms"});
  json access = {{"type", "string"}, {"enum", {"view", "edit"}}};
  s["Shares"] =
      Obj({{"shares", ArrayOf(Obj({{"user_id", Str()}, {"access", access}, {"created_at", Time()}},
                                  {"user_id", "access", "created_at"}))}},
          {"shares"});
  s["ShareRequest"] = Obj({{"user_id", Str()}, {"access", access}}, {"user_id", "access"});
  s["Share"] = Obj({{"user_id", Str()}, {"access", access}}, {"user_id", "access"});
  s["TransferRequest"] = Obj({{"user_id", Str()}}, {"user_id"});
  s["Transferred"] = Obj({{"id", Str()}, {"owner_id", Str()}}, {"id", "owner_id"});
  // api.cc SendAuditEntries; "change" is whatever the action recorded.
  s["AuditEntries"] =
      Obj({{"entries", ArrayOf(Obj({{"id", Int()},
                                    {"at", Time()},
                                    {"object", Str()},
                                    {"actor_id", Str()},
                                    {"action", Str()},
                                    {"change", json::object()}},
                                   {"id", "at", "object", "actor_id", "action", "change"}))},
           {"next_before", Int()}},
          {"entries"});
  // routes_accounts.cc sessions.create: email and password required text, totp and
  // recovery_code optional text, cookie a boolean (or null).
  s["SignIn"] = Obj({{"email", Str()},
                     {"password", Str()},
                     {"totp", Str()},
                     {"recovery_code", Str()},
                     {"cookie", {{"type", "boolean"}, {"nullable", true}}}},
                    {"email", "password"});
  s["Session"] = Obj(
      {{"token", {{"type", "string"}, {"description", "empty with cookie: true"}}},
       {"cookie", Bool()},
       {"user", Obj({{"id", Str()}, {"org_id", Str()}, {"role", Str()}}, {"id", "org_id", "role"})},
       {"expires_at", Time()},
       {"mfa_enrolment_required", Bool()}},
      {"token", "user", "expires_at", "mfa_enrolment_required"});
  s["Reauth"] = Obj({{"password", Str()}, {"totp", Str()}, {"recovery_code", Str()}}, {"password"});
  s["Reauthenticated"] = Obj({{"authenticated_at", Time()},
                              {"reauth_until",
                               {{"type", "string"},
                                {"format", "date-time"},
                                {"description", "sensitive operations are open until then"}}}},
                             {"authenticated_at", "reauth_until"});
  s["UnsealRequest"] = Obj({{"share", Str()}, {"reset", Bool()}}, {"share"});
  s["UnsealStatus"] = Obj({{"sealed", Bool()},
                           {"progress", Int()},
                           {"threshold", Int()},
                           {"shares", Int()},
                           {"shares_in", ArrayOf(Int())}},
                          {"sealed", "progress", "threshold", "shares", "shares_in"});
  s["Sealed"] = Obj({{"sealed", {{"type", "boolean"}, {"enum", {true}}}}}, {"sealed"});
  // routes_accounts.cc: orgs, users (UserJson), tokens (TokenJson).
  s["OrgCreate"] = Obj({{"name", Str()}, {"admin_email", Str()}, {"admin_password", Str()}},
                       {"name", "admin_email", "admin_password"});
  s["OrgCreated"] = Obj({{"id", Str()}, {"admin_user_id", Str()}}, {"id", "admin_user_id"});
  s["Orgs"] = Obj(
      {{"orgs",
        ArrayOf(Obj({{"id", Str()},
                     {"name", Str()},
                     {"users", Int()},
                     {"created_at", Time()},
                     {"support_access_until",
                      {{"type", "string"}, {"description", "a date-time, or empty when closed"}}}},
                    {"id", "name", "users", "created_at", "support_access_until"}))}},
      {"orgs"});
  json role = {{"type", "string"}, {"enum", {"administrator", "editor", "viewer"}}};
  s["User"] =
      Obj({{"id", Str()},
           {"org_id", Str()},
           {"email", Str()},
           {"display_name", Str()},
           {"role", role},
           {"email_verified", Bool()},
           {"disabled", Bool()},
           {"mfa_enabled", Bool()},
           {"recovery_codes_left", Int()},
           {"passkeys", Int()},
           {"created_at", Time()},
           {"last_active_at", Time()}},
          {"id", "org_id", "email", "display_name", "role", "email_verified", "disabled",
           "mfa_enabled", "recovery_codes_left", "passkeys", "created_at", "last_active_at"});
  s["Users"] = Obj({{"users", ArrayOf(Ref("User"))}}, {"users"});
  s["UserCreate"] =
      Obj({{"email", Str()}, {"password", Str()}, {"role", role}}, {"email", "password", "role"});
  s["UserCreated"] = Obj({{"id", Str()}}, {"id"});
  s["UserChange"] = Obj({{"role", role}, {"disabled", Bool()}}, json::array());
  json token = {
      {"id", Str()},          {"kind", {{"type", "string"}, {"enum", {"session", "api"}}}},
      {"name", Str()},        {"scope", Str()},
      {"created_at", Time()}, {"last_seen_at", Time()},
      {"expires_at", Time()}, {"current", Bool()}};
  json token_required = {"id",         "kind",         "name",       "scope",
                         "created_at", "last_seen_at", "expires_at", "current"};
  s["Token"] = Obj(token, token_required);
  s["Tokens"] = Obj({{"tokens", ArrayOf(Ref("Token"))}}, {"tokens"});
  token["token"] = {{"type", "string"}, {"description", "the secret, shown this once"}};
  token_required.push_back("token");
  s["TokenCreated"] = Obj(token, token_required);
  s["TokenCreate"] = Obj({{"name", Str()},
                          {"scope", {{"type", "string"}, {"enum", {"read", "write"}}}},
                          {"days", Int()}},
                         {"name", "scope"});
  s["People"] =
      Obj({{"people", ArrayOf(Obj({{"id", Str()}, {"display_name", Str()}, {"email", Str()}},
                                  {"id", "display_name", "email"}))}},
          {"people"});
  s["Revisions"] = Obj({{"revisions", ArrayOf(Obj({{"revision", Int()},
                                                   {"at", Time()},
                                                   {"actor_id", Str()},
                                                   {"items", Int()},
                                                   {"via", Str()},
                                                   {"source", Str()},
                                                   {"profile", Str()},
                                                   {"current", Bool()}},
                                                  {"revision", "at", "actor_id", "items", "via",
                                                   "source", "profile", "current"}))}},
                       {"revisions"});
  return s;
}

json ErrorResponse(int status) {
  static const std::map<int, const char*> kWhat = {
      {400, "Malformed input"},
      {401, "Sign-in required or the token is invalid"},
      {403, "Not permitted"},
      {404, "Not found, or not visible to the caller"},
      {409, "Conflict"},
      {412, "Precondition failed: the object changed since the If-Match tag was read"},
      {413, "Body too large"},
      {415, "Not JSON"},
      {422, "Unprocessable"},
      {424, "A dependency failed"},
      {429, "Too many requests (Retry-After)"},
      {503, "Sealed or busy"}};
  auto it = kWhat.find(status);
  return {{"description", it == kWhat.end() ? "Error" : it->second},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
}

std::string Tag(const char* path) {
  // /api/v1/<first segment>
  std::string p = path;
  const std::string prefix = "/api/v1/";
  if (p.rfind(prefix, 0) != 0) return "system";
  p = p.substr(prefix.size());
  p = p.substr(0, p.find('/'));
  if (p == "health" || p == "unseal" || p == "seal" || p == "openapi.json") return "system";
  return p;
}

}  // namespace

std::vector<DocQuery> AuditQueryDoc() {
  return {{"object", "string", "instance, or kind:id such as bom:bom_…"},
          {"actor", "string", "an actor's id"},
          {"action", "string", "an action name"},
          {"from", "integer", "unix seconds", 0},
          {"to", "integer", "unix seconds", 0},
          {"before", "integer", "the next_before of the previous page (cursor is preferred)", 0},
          {"limit", "integer", "page size (default 100)", 1, 500}};
}

const nlohmann::json& OpenApiSchemas() {
  static const nlohmann::json kSchemas = BuildSchemas();
  return kSchemas;
}

nlohmann::json Api::OpenApi() const {
  json paths = json::object();
  std::set<std::string> tags;
  const json signed_in = json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}});
  for (const RouteSpec& r : routes_) {
    std::string method = r.method;
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string tag = Tag(r.path);
    tags.insert(tag);
    json op = {{"summary", r.summary},
               {"operationId", r.name.s},
               {"tags", {tag}},
               {"x-while-sealed", r.while_sealed}};
    op["security"] = r.auth != Auth::kNone ? signed_in : json::array();
    if (r.auth == Auth::kRecent) {
      op["x-reauth"] = true;
      op["description"] =
          "Sensitive: a browser session must have proved who it is within the last " +
          std::to_string(options_.reauth_window_seconds) +
          " seconds (the sign-in itself counts; POST /api/v1/sessions/current/reauth proves it "
          "again), else 403 reauth_required and nothing changes. API tokens get 403 "
          "interactive_session_required.";
    }
    json params = json::array();
    for (const char* p = r.path; *p != 0; ++p) {
      if (*p == '{') {
        const char* e = p;
        while (*e != 0 && *e != '}') ++e;
        params.push_back({{"name", std::string(p + 1, e)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}, {"maxLength", 200}}}});
        p = e;
        if (*p == 0) break;
      }
    }
    const bool has_path_ids = !params.empty();
    for (const DocQuery& q : r.doc.query) {
      json schema = {{"type", q.type}};
      if (q.minimum >= 0) schema["minimum"] = q.minimum;
      if (q.maximum >= 0) schema["maximum"] = q.maximum;
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", false},
                        {"description", q.description},
                        {"schema", schema}});
    }
    auto header_param = [&](const char* name, const char* description) {
      params.push_back({{"name", name},
                        {"in", "header"},
                        {"required", false},
                        {"description", description},
                        {"schema", Str()}});
    };
    if (r.doc.etag && method == "get") {
      header_param("If-None-Match", "an ETag from an earlier read: 304 while it is still current");
    } else if (r.doc.etag) {
      header_param("If-Match",
                   "the ETag this change is based on (or *): 412 precondition_failed, nothing "
                   "changed, when the object changed since; absent, the change is unconditional");
    }
    if (r.doc.idempotent) {
      header_param("Idempotency-Key",
                   "1-255 visible ASCII characters: a retry with the same key, path, query and "
                   "body within 24 hours answers the first 2xx again (Idempotent-Replayed: "
                   "true); the same key with another request is 422, while it runs 409");
    }
    if (r.doc.list_max > 0) {
      const bool has_limit =
          std::any_of(r.doc.query.begin(), r.doc.query.end(),
                      [](const DocQuery& q) { return q.name == std::string("limit"); });
      if (!has_limit) {
        params.push_back(
            {{"name", "limit"},
             {"in", "query"},
             {"required", false},
             {"description", "page size"},
             {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", r.doc.list_max}}}});
      }
      params.push_back({{"name", "cursor"},
                        {"in", "query"},
                        {"required", false},
                        {"description", "the next_cursor of the previous page"},
                        {"schema", Str()}});
    }
    if (!params.empty()) op["parameters"] = params;
    const bool has_body = method == "post" || method == "patch" || method == "put";
    if (r.doc.request != nullptr) {
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", Ref(r.doc.request)}}}}}};
    }
    json responses = json::object();
    if (r.doc.typed()) {
      for (const DocResponse& d : r.doc.responses) {
        json resp = {{"description", d.status == 201   ? "Created"
                                     : d.status == 204 ? "No content"
                                                       : "Success"}};
        if (d.schema != nullptr) {
          resp["content"] = {{"application/json", {{"schema", Ref(d.schema)}}}};
        }
        if (d.schema != nullptr && r.doc.list_max > 0 && d.status == 200) {
          // Every list answers its body plus next_cursor, and the next page as a Link header.
          resp["content"]["application/json"]["schema"] = {
              {"allOf",
               {Ref(d.schema),
                Obj({{"next_cursor",
                      {{"type", "string"}, {"description", "absent on the last page"}}}},
                    json::array())}}};
          resp["headers"]["Link"] = {{"description", "<next page URL>; rel=\"next\""},
                                     {"required", false},
                                     {"schema", Str()}};
        }
        if (d.status == 201) {
          resp["headers"]["Location"] = {
              {"description", "the created resource's path under /api/v1"},
              {"required", true},
              {"schema", Str()}};
        }
        if (d.status == 201 && r.doc.idempotent) {
          resp["headers"]["Idempotent-Replayed"] = {
              {"description", "\"true\" on the replay of an earlier answer to the same key"},
              {"required", false},
              {"schema", Str()}};
        }
        if (r.doc.etag && (method == "get" || method == "patch") && d.status == 200) {
          resp["headers"]["ETag"] = {{"description", "the object's entity tag (strong)"},
                                     {"required", true},
                                     {"schema", Str()}};
        }
        responses[std::to_string(d.status)] = resp;
      }
      std::set<int> errors(r.doc.errors.begin(), r.doc.errors.end());
      if (r.doc.etag && method != "get") errors.insert(412);
      if (r.doc.idempotent) errors.insert({409, 422});
      errors.insert(429);
      if (!r.doc.query.empty() || has_body) errors.insert(400);
      if (has_body) errors.insert({413, 415});
      // A session cookie sent without X-Bomvault-Csrf is refused on every write (api.cc).
      if (method != "get") errors.insert(403);
      if (r.auth != Auth::kNone) errors.insert({401, 403});
      if (has_path_ids) errors.insert(404);
      if (!r.while_sealed) errors.insert(503);
      for (int e : errors) responses[std::to_string(e)] = ErrorResponse(e);
    } else {
      // Routes not yet given their Doc: the success body is described by the summary only.
      responses["2XX"] = {{"description", "Success; see the summary"}};
      responses["4XX"] = ErrorResponse(400);
      responses["4XX"]["description"] = "Refused";
    }
    if (r.doc.etag && method == "get") {
      responses["304"] = {
          {"description", "Not modified: If-None-Match names the current ETag"},
          {"headers",
           {{"ETag",
             {{"description", "the current entity tag"}, {"required", true}, {"schema", Str()}}}}}};
    }
    if (!r.doc.typed() && r.doc.etag && method != "get") responses["412"] = ErrorResponse(412);
    paths[r.path][method] = op;
    paths[r.path][method]["responses"] = responses;
  }
  json tag_list = json::array();
  for (const std::string& t : tags) tag_list.push_back({{"name", t}});
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "bomvault"},
        {"version", BOMVAULT_VERSION},
        {"description", "The JSON API of bomvault. Errors are {\"error\":{\"code\",\"message\"}}."},
        {"license",
         {{"name", "Apache-2.0"}, {"url", "https://www.apache.org/licenses/LICENSE-2.0"}}}}},
      {"servers", {{{"url", "/"}}}},
      {"tags", tag_list},
      {"components",
       {{"securitySchemes",
         {{"bearer",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description", "An API token or a session token (POST /api/v1/sessions)"}}},
          {"cookie",
           {{"type", "apiKey"},
            {"in", "cookie"},
            {"name", SessionCookieName(options_.tls)},
            {"description",
             "The session cookie; writes also need the header X-Bomvault-Csrf: 1"}}}}},
        {"schemas", OpenApiSchemas()}}},
      {"paths", paths}};
}

}  // namespace bomvault::http
