// /api/v1/openapi.json, generated from the route table (RouteSpec and its Doc): paths, their
// parameters, request bodies and responses, the statuses every route of its kind can send, tags,
// security schemes; the answers' schemas come from http/openapi_schemas.cc, the request bodies'
// from their BodySpec (http/body.h). The conformance test (tests/integration/test_openapi.py)
// drives the real binary and checks every answer's status, headers and body against this document.
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
json Obj(json properties, json required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}};
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
                        {"required", q.required},
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
    // A DELETE may carry a JSON body too (an address to unblock, a password to prove).
    const bool has_body =
        method == "post" || method == "patch" || method == "put" || r.doc.request != nullptr;
    if (r.doc.request != nullptr) {
      // "Empty": the route reads nothing from its body, and no body at all is {} (JsonBody).
      op["requestBody"] = {{"required", std::string(r.doc.request) != "Empty"},
                           {"content", {{"application/json", {{"schema", Ref(r.doc.request)}}}}}};
    } else if (r.doc.request_media != nullptr) {
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{r.doc.request_media, {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
    }
    json responses = json::object();
    {
      for (const DocResponse& d : r.doc.responses) {
        const std::string key = std::to_string(d.status);
        json resp =
            responses.contains(key)
                ? responses[key]
                : json{{"description", d.status == 201   ? "Created"
                                       : d.status == 202 ? "Accepted"
                                       : d.status == 204 ? "No content"
                                       : d.status == 302 ? "Found: the browser goes on to Location"
                                                         : "Success"}};
        if (d.media != nullptr) {
          const bool text = std::string(d.media).rfind("text/", 0) == 0;
          resp["content"][d.media] = {
              {"schema", text ? Str() : json{{"type", "string"}, {"format", "binary"}}}};
        } else if (d.schema != nullptr) {
          resp["content"]["application/json"] = {{"schema", Ref(d.schema)}};
        }
        if (d.status >= 300 && d.status < 400) {
          resp["headers"]["Location"] = {{"description", "where the browser goes next"},
                                         {"required", true},
                                         {"schema", Str()}};
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
        responses[key] = resp;
      }
      std::set<int> errors(r.doc.errors.begin(), r.doc.errors.end());
      if (r.doc.etag && method != "get") errors.insert(412);
      if (r.doc.idempotent) errors.insert({409, 422});
      errors.insert(429);
      if (!r.doc.query.empty() || r.doc.list_max > 0 || has_body) errors.insert(400);
      if (has_body) errors.insert(413);
      // Raw bodies are taken whatever their Content-Type; JSON bodies must say application/json.
      if (has_body && r.doc.request_media == nullptr) errors.insert(415);
      // A session cookie sent without X-Bomvault-Csrf is refused on every write (api.cc).
      if (method != "get") errors.insert(403);
      if (r.auth != Auth::kNone) errors.insert({401, 403});
      if (has_path_ids) errors.insert(404);
      if (!r.while_sealed) errors.insert(503);
      for (int e : errors) responses[std::to_string(e)] = ErrorResponse(e);
    }
    if (r.doc.etag && method == "get") {
      responses["304"] = {
          {"description", "Not modified: If-None-Match names the current ETag"},
          {"headers",
           {{"ETag",
             {{"description", "the current entity tag"}, {"required", true}, {"schema", Str()}}}}}};
    }
    paths[r.path][method] = op;
    paths[r.path][method]["responses"] = responses;
  }
  static const std::map<std::string, const char*> kTagWhat = {
      {"audit", "The organisation's audit log"},
      {"backups", "Operator: verified, encrypted backups"},
      {"boms", "Bills of materials: create, import, read, views, share, transfer, attachments"},
      {"directory", "Colleagues of the organisation, to share with"},
      {"instance", "Operator: the instance's own events"},
      {"invitations", "Invitations by mail, and accepting them"},
      {"jobs", "Pulls from and sends to data sources, as jobs"},
      {"keys", "Operator: data-key rotation"},
      {"me", "The signed-in user: profile, tokens, second factors, passkeys, password"},
      {"metrics", "Operator: Prometheus metrics"},
      {"org", "The organisation's settings, block list, mappings, profiles and single sign-on"},
      {"orgs", "Operator: organisations, support reads, break-glass sessions"},
      {"ready", "Readiness probe"},
      {"sessions", "Sign-in (password, passkey), re-authentication, sign-out"},
      {"sources", "Data sources and each user's own connection to them"},
      {"sso", "Single sign-on through the organisation's OpenID Connect provider"},
      {"system", "Liveness, seal and unseal, this description"},
      {"users", "The organisation's accounts"},
      {"verify-email", "Verifying an address from its mailed link"},
      {"where-used", "The BOMs that use a part"}};
  json tag_list = json::array();
  for (const std::string& t : tags) {
    json tag = {{"name", t}};
    if (auto it = kTagWhat.find(t); it != kTagWhat.end()) tag["description"] = it->second;
    tag_list.push_back(tag);
  }
  // The shared schemas, and each request body's, declared with its parser (http/body.h).
  json schemas = OpenApiSchemas();
  schemas.update(body_schemas_);
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
        {"schemas", schemas}}},
      {"paths", paths}};
}

}  // namespace bomvault::http
