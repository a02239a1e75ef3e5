// The JSON API and the bundled UI, mounted on an Engine. The only layer that sees HTTP.
//
// Every route is declared once in a RouteSpec (method, path, auth, summary, and its Doc: response
// schemas, statuses, query parameters) through Api::Route, with its JSON body's BodySpec
// (http/body.h) when it takes one: the body's parser and schema in one declaration, parsed before
// the handler runs. The same list produces /api/v1/openapi.json and is what the route × role test
// walks, so a route cannot exist without a row. The middleware chain, in order, for every request:
//   1. pre-routing refusals (Range on the API, request Transfer-Encoding or Content-Encoding):
//      4xx JSON and the connection is closed, so an unread body can't be parsed as a request;
//   2. security headers (CSP without inline script, nosniff, frame-ancestors, Referrer-Policy,
//      no-store on the API, HSTS over TLS) and a request id;
//   3. the seal gate: while sealed only routes marked while_sealed answer, the rest 503 "sealed";
//   4. rate limits per address and per token (429 + Retry-After);
//   5. authentication (Bearer token, or the session cookie plus the CSRF header), then the
//      re-authentication of Auth::kRecent routes;
//   6. the route's permission (RouteSpec::permission), refused before the handler: access::MayUse,
//      or for a write on one BOM (RouteSpec::target, OnBom) access::MayOnBom on that BOM's facts,
//      read without opening anything sealed (a BOM the caller may not see, or an id that is not
//      one, is the 404 of a missing BOM, before any 403), or for a route on one user who may be
//      oneself (OnUser) MayUse of the function access::UserFunction picks;
//   7. the Idempotency-Key claim of Doc::idempotent routes;
//   8. the handler; its service asks access:: again before touching data (services are also
//      called by the scheduler and by sources, which have no dispatcher in front of them);
//   9. any exception becomes the generic 500 JSON error with the request id, nothing else.
// A handler returns util::Result<Reply> (http/reply.h) and never writes the response: the
// dispatcher writes the Reply, or sends the refusal through SendError, where status codes come
// from util::Status codes in one table (tests/layers.py rule 6 keeps route files to that).
// Thread-safe: handlers run on engine workers; the Api object is immutable once routes are
// registered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "access/permissions.h"
#include "http/body.h"
#include "http/engine.h"
#include "http/reply.h"
#include "http/router.h"
#include "service/instance.h"
#include "service/limiter.h"
#include "util/etag.h"
#include "util/ids.h"
#include "util/log.h"
#include "util/status.h"

namespace bomvault::http {

// kRecent: signed in, and for a browser session a proof of identity (the sign-in itself or
// POST /api/v1/sessions/current/reauth) at most ApiOptions::reauth_window_seconds old; API tokens
// are refused (access::RecentProof). Checked before the handler runs, so nothing changes on a
// refusal. Declared on the routes that change how one signs in, end other sessions, create
// credentials, manage people, or destroy or give away data.
enum class Auth { kNone, kSignedIn, kRecent };

struct ApiOptions {
  double rate_per_address = 200;  // requests per second, 0 = no limit
  double rate_per_token = 200;
  bool tls = false;
  size_t max_json_body = 1 << 20;
  size_t max_import_body = 64 << 20;
  // How long a proof of identity opens Auth::kRecent routes (`serve --reauth-window SECONDS`).
  int64_t reauth_window_seconds = 600;
  // Peer addresses (IP literals, normalised by NormaliseIp) whose X-Forwarded-For is believed:
  // for their requests the client address is the right-most X-Forwarded-For entry that is not
  // itself a trusted proxy. Everyone else's X-Forwarded-For is ignored.
  std::vector<std::string> trusted_proxies;
};

// The canonical text of an IPv4 or IPv6 literal (IPv4-mapped IPv6 as dotted IPv4, as the
// engine reports peers), or nullopt if `text` is not one.
std::optional<std::string> NormaliseIp(std::string_view text);

struct Ctx {
  const httplib::Request& req;
  httplib::Response& res;
  util::RequestId request_id;
  access::Principal principal;
  std::string bearer;
  bool cookie_session = false;
  std::optional<service::Instance::Hold> services;  // set when the instance is unsealed
  service::Instance& instance;

  service::Services& s() { return **services; }
  std::vector<std::string> params;  // the {…} segments of the route's path, in order
  // 1-based, like the route's {…} segments.
  std::string Param(size_t i) const { return i >= 1 && i <= params.size() ? params[i - 1] : ""; }
  // The typed id in {…} segment i; a malformed one is 404, as a missing object is.
  template <class Id>
  util::Result<Id> PathId(size_t i) const {
    if (auto id = Id::Parse(Param(i))) return *id;
    return util::Status::NotFound();
  }
};

// A route's handler: the Reply to send, or the Status of its refusal, which the dispatcher sends
// (SendError). Handlers do not write to the response (http/reply.h).
using Handler = std::function<util::Result<Reply>(Ctx&)>;

// What an operation documents beyond its method, path and summary, published in
// /api/v1/openapi.json. Every route lists its success responses (the conformance test fails on a
// route without them). Response schema names are keys of OpenApiSchemas(), each answer's type
// declared once there and referenced by every route that sends it; request bodies are declared
// by their BodySpec (Api::Route with a body). Statuses every route of its kind
// can send are added by the generator and need not be listed: 400 (malformed query or body, a
// list's limit or cursor), 413 and 415 (bodies; 415 for JSON bodies only), 401 and 403 (signed-in
// routes, and 403 for a cookie write without the CSRF header), 404 (path ids), 409 and 422
// (Idempotency-Key), 412 (If-Match), 429, 503 (routes refused while sealed); all errors carry the
// Error schema.
struct DocResponse {
  int status;
  const char* schema;  // nullptr: no body (204, a redirect), or a `media` body
  // The body's media type when it is not JSON (text/csv, text/plain, "*/*" for an attachment's
  // own sniffed type); nullptr: application/json with `schema`. One status may be listed twice,
  // once per media type it can answer in. A 3xx documents its Location header.
  const char* media = nullptr;
};
struct DocQuery {
  const char* name;
  const char* type;  // "string", "integer" or "boolean"
  const char* description;
  int64_t minimum = -1;  // for integers; -1: none
  int64_t maximum = -1;
  bool required = false;  // a request without it is refused (400)
};
struct Doc {
  // The JSON body's schema: set by Api::Route from the route's BodySpec; named by hand only for
  // the BOM bodies bom/json_body.cc parses as a stream (tests/layers.py rule 7). nullptr: none.
  const char* request = nullptr;
  // A raw body instead (a file to import or attach): its media type, the bytes taken as they are.
  const char* request_media = nullptr;
  std::vector<DocResponse> responses = {};
  std::vector<int> errors = {};  // statuses this route sends besides the ones added for all
  std::vector<DocQuery> query = {};
  // A create that honours Idempotency-Key (docs/api.md): the dispatcher claims the key before the
  // handler runs and replays the first 2xx answer to a retry with the same key and request.
  bool idempotent = false;
  // Conditional requests (docs/api.md): a GET that answers ETag and 304 on If-None-Match, or a
  // write that honours If-Match (412 when stale).
  bool etag = false;
  // A list (http/paging.h): its largest `limit`; 0 for a route that is not a list.
  int64_t list_max = 0;
};

// The object a route acts on, when its permission depends on which one (RouteSpec::target): the
// kind, and the {…} segment of the route's path (1-based, as Ctx::Param) that holds its id.
struct Target {
  enum class Kind { kNone, kBom, kUser };
  Kind kind = Kind::kNone;
  size_t segment = 0;
  // kUser: the function asked when the user is the caller (RouteSpec::permission otherwise).
  std::optional<access::Function> self = std::nullopt;
};
// RouteSpec::permission is asked of access::MayOnBom on the BOM whose id is segment `segment`.
constexpr Target OnBom(size_t segment) { return {Target::Kind::kBom, segment, std::nullopt}; }
// RouteSpec::permission, or `self` when the user whose id is segment `segment` is the caller.
constexpr Target OnUser(size_t segment, access::Function self) {
  return {Target::Kind::kUser, segment, self};
}

struct RouteSpec {
  const char* method;  // "GET", "POST", "PATCH", "DELETE"
  const char* path;    // OpenAPI form: /api/v1/boms/{id}
  util::log::Literal name;
  Auth auth;
  bool while_sealed;
  const char* summary;
  Doc doc = {};
  // The function the route performs, in access/permissions.h's table. The dispatcher asks after
  // authentication (and the re-authentication of Auth::kRecent routes), before the Idempotency-Key
  // claim and the handler, and refuses with access::Refusal, so a caller who may not use the
  // function runs no handler and has no body read. How it asks depends on `target`:
  //  * none: access::MayUse (question 1: may this principal use the function at all);
  //  * OnBom(n): access::MayOnBom on the BOM whose id is path segment n (question 2), through
  //    service::Boms::Check: the store's row and the caller's share, nothing sealed opened. An id
  //    that does not parse, a missing BOM and one the caller may not see all answer the same 404
  //    body, and only a visible BOM can answer 403; so a stranger's malformed body, oversized body
  //    or bad Idempotency-Key is 404, never 400, and a view-share's write is 403, never 400.
  //    A read (GET, HEAD) is asked only question 1 here: it has no body or key to refuse first,
  //    and its service takes the same question-2 decision as the first step of the one read
  //    transaction that reads the BOM (a second transaction here cost ~20% of GET /boms/{id});
  //  * OnUser(n, self): access::MayUse of `self` when the user whose id is path segment n is the
  //    caller, else of `permission` (access::UserFunction); an id that does not parse is 404.
  // The services keep their own check (defence in depth, and the scheduler, imports and sources
  // call them with no dispatcher in front): the dispatcher's answer comes first, theirs is the
  // same decision taken again inside the transaction that touches the data.
  // A route on two BOMs (compare) names the first; its service decides the second. nullopt: a
  // public route, or one whose service still asks (GET /me answers the operator too).
  std::optional<access::Function> permission = std::nullopt;
  Target target = {};
};

// The query parameters AuditQueryParams reads, for the Doc of every audit route.
std::vector<DocQuery> AuditQueryDoc();

// components/schemas of the published document: JSON Schema for every body type
// (http/openapi_schemas.cc).
const nlohmann::json& OpenApiSchemas();
// The JSON Schema of a source's create (create: name and kind required) or change body, which
// codec::DecodeSourceSettingsPatch parses whole.
nlohmann::json SourceSettingsSchema(bool create);
// The JSON Schema of an importer profile's body, which codec::ParseImportProfile parses whole.
nlohmann::json ImportProfileSchema();

// "bv_session", or "__Host-bv_session" over TLS (Secure, host-only).
std::string SessionCookieName(bool tls);
// A cookie's value from the request's Cookie header ("" when absent).
std::string CookieValue(const httplib::Request& req, const std::string& name);

// Requests whose body is over kHeavyBodyBytes (imports, BOM bodies, attachments) need several
// times that body in memory while they parse or seal it, so at most kHeavySlots do that at once
// in the whole process; the others wait up to kHeavyWait for a slot, then get 503 "busy" with
// Retry-After. Small bodies pass straight through. Hold the returned slot until the work is done.
inline constexpr size_t kHeavyBodyBytes = 4u << 20;
inline constexpr int kHeavySlots = 2;
inline constexpr std::chrono::seconds kHeavyWait{30};
class HeavySlot {
 public:
  explicit HeavySlot(bool held) : held_(held) {}
  HeavySlot(HeavySlot&& other) noexcept : held_(std::exchange(other.held_, false)) {}
  HeavySlot& operator=(HeavySlot&&) = delete;
  ~HeavySlot();

 private:
  bool held_;
};
// A slot, or 503 ("busy", or "sealed" when a seal begins while waiting).
util::Result<HeavySlot> EnterHeavy(const httplib::Request& req, service::Instance& instance);

// A refusal as a Reply: its HTTP status (from the Status code, in one table), the JSON error
// body, and WWW-Authenticate or Retry-After where they apply. SendError sends it; a handler
// returns it only for a refusal that must carry another header too (the single sign-on callback
// clears its binding cookie however the flow ends), adding that with With().
Reply ErrorReply(const Ctx& c, const util::Status& status);
// Sends ErrorReply(c, status). The dispatcher's one error path.
void SendError(Ctx& c, const util::Status& status);

// Conditional requests (util/etag.h, docs/api.md). A read of an object with an entity tag asks
// IsFresh() before it builds its answer: when If-None-Match names the tag it returns
// Reply::NotModified(tag), otherwise its Reply carries `ETag: tag`. A write passes IfMatchOf(c)
// to its service, which compares it with the current tag inside the write's transaction (412
// when stale).
bool IsFresh(const httplib::Request& req, const std::string& etag);
util::IfMatch IfMatchOf(const Ctx& c);

// Request bodies and parameters. Each refuses what it cannot take with a 4xx Status.
// The body's size (413) and Content-Type (415), for routes that parse it themselves.
util::Status AcceptJsonBody(const httplib::Request& req, size_t max_bytes);
// The body as a JSON object (400 when it is not one); an empty body is {}. max_bytes 0: 1 MiB.
util::Result<nlohmann::json> JsonBody(const httplib::Request& req, size_t max_bytes = 0);
// A body-less confirmation, a password proof and a role: bodies several routes share.
const BodySpec<NoFields>& EmptyBody();
struct PasswordProof {
  std::string password;
};
const BodySpec<PasswordProof>& PasswordProofBody();
// A role by its name (administrator, editor, viewer); any other is 400 invalid_role.
template <class T, class M>
BodyField<T> RoleName(const char* name, M T::*member, Need need) {
  return Choice(name, member, need, {"administrator", "editor", "viewer"}, "invalid_role");
}
// A whole-number query parameter in [lo, hi] (dflt when absent); 400 when it is not one.
util::Result<int64_t> IntParam(const httplib::Request& req, const char* name, int64_t lo,
                               int64_t hi, int64_t dflt);
// The audit search parameters shared by every audit route: object, actor, action (each at most
// 100 characters), from, to (unix seconds), before or cursor, limit (1-500).
util::Result<service::AuditQuery> AuditQueryParams(const httplib::Request& req);
// {"entries":[...], "next_before"?: id, "next_cursor"?} for a page of `limit` entries, newest
// first.
Reply AuditEntriesReply(const httplib::Request& req,
                        const std::vector<service::AuditEntry>& entries, int limit);

class Api {
 public:
  Api(Engine& engine, service::Instance& instance, ApiOptions options);

  const std::vector<RouteSpec>& routes() const { return routes_; }
  const ApiOptions& options() const { return options_; }
  service::Instance& instance() { return instance_; }

  void Route(const RouteSpec& spec, Handler handler);
  // A route with a JSON body of `body`'s type: its schema is the operation's request, and the
  // dispatcher's handler reads the body (413, 415, 400 as JsonBody) and parses it (ParseBody)
  // before `handler(Ctx&, T&)` runs.
  template <class T, class F>
  void Route(RouteSpec spec, const BodySpec<T>& body, F handler) {
    DeclareBody(spec, body.name, BodySchema(body));
    Route(spec, [body, handler = std::move(handler)](Ctx& c) -> util::Result<Reply> {
      BV_ASSIGN_OR_RETURN(auto json, JsonBody(c.req, body.max_bytes));
      BV_ASSIGN_OR_RETURN(T parsed, ParseBody(body, json));
      return handler(c, parsed);
    });
  }

 private:
  struct Bound {
    RouteSpec spec;
    Handler handler;
  };
  // Our own router (http/router.h), not httplib's regex per route.
  void Route(const httplib::Request& req, httplib::Response& res);
  void Dispatch(const Bound& route, std::vector<std::string> params, const httplib::Request& req,
                httplib::Response& res);
  void RegisterAll();
  void ServeUi(const httplib::Request& req, httplib::Response& res);
  nlohmann::json OpenApi() const;
  // Sets spec.doc.request to `name` and publishes `schema` under it; the same name declared again
  // must have the same schema, and must not be one of OpenApiSchemas()'s (std::logic_error).
  void DeclareBody(RouteSpec& spec, const char* name, nlohmann::json schema);

  Engine& engine_;
  service::Instance& instance_;
  ApiOptions options_;
  std::vector<RouteSpec> routes_;
  nlohmann::json body_schemas_ = nlohmann::json::object();  // DeclareBody's, by name
  std::vector<Bound> bound_;                                // in the order of table_'s indices
  RouteTable table_;
  service::TokenBucket per_address_;
  service::TokenBucket per_token_;

  friend void RegisterSystemRoutes(Api& api);
};

void RegisterSystemRoutes(Api& api);
void RegisterAccountRoutes(Api& api);
void RegisterSessionRoutes(Api& api);
void RegisterUserRoutes(Api& api);
void RegisterMfaRoutes(Api& api);
void RegisterSettingsRoutes(Api& api);
void RegisterBomRoutes(Api& api);
void RegisterAttachmentRoutes(Api& api);
void RegisterImportProfileRoutes(Api& api);
void RegisterLifecycleRoutes(Api& api);
void RegisterSourceRoutes(Api& api);
void RegisterSsoRoutes(Api& api);
void RegisterPasskeyRoutes(Api& api);

}  // namespace bomvault::http
