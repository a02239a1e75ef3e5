#include "http/api.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <regex>
#include <semaphore>
#include <stdexcept>

#include "bom/item.h"
#include "http/paging.h"
#include "util/clock.h"
#include "util/embedded.h"
#include "util/gzip.h"

namespace bomvault::http {

using util::Code;
using util::Status;

namespace {

constexpr const char* kRangeRefusedHeader = "X-Bomvault-Range-Refused";

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

int HttpStatus(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalid:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kConflict:
      return 409;
    case Code::kPreconditionFailed:
      return 412;
    case Code::kPayloadTooLarge:
      return 413;
    case Code::kUnsupportedMediaType:
      return 415;
    case Code::kUnprocessable:
      return 422;
    case Code::kTooManyRequests:
      return 429;
    case Code::kFailedDependency:
      return 424;
    case Code::kSealed:
      return 503;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

nlohmann::json ErrorBody(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

void EarlyRefusal(httplib::Response& res, int status, const char* code, const char* message) {
  Engine::CloseAfterResponse();
  res.status = status;
  res.set_header("Connection", "close");
  res.set_header("Cache-Control", "no-store");
  res.set_content(ErrorBody(code, message).dump(), "application/json");
}

bool IsTrusted(const std::vector<std::string>& proxies, const std::string& ip) {
  return std::find(proxies.begin(), proxies.end(), ip) != proxies.end();
}

// A trusted proxy appends the address it saw to X-Forwarded-For, so the right-most entry that
// is not one of our proxies is the client; anything further left was written by the client and
// is ignored. Returns true when req.remote_addr was replaced.
bool ClientBehindProxy(const std::vector<std::string>& proxies, httplib::Request& req) {
  if (!IsTrusted(proxies, req.remote_addr)) return false;
  std::string chain;
  for (auto [it, end] = req.headers.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!chain.empty()) chain += ',';
    chain += it->second;
  }
  std::string_view rest(chain);
  while (!rest.empty()) {
    size_t comma = rest.rfind(',');
    std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t'))
      entry.remove_prefix(1);
    while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
    auto ip = NormaliseIp(entry);
    if (!ip) return false;  // garbage in the part our proxies wrote: keep the proxy's address
    if (IsTrusted(proxies, *ip)) continue;
    req.remote_addr = *ip;
    return true;
  }
  return false;
}

}  // namespace

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    size_t start = part.find_first_not_of(' ');
    if (start != std::string::npos) part = part.substr(start);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

std::optional<std::string> NormaliseIp(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  char out[INET6_ADDRSTRLEN] = {};
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    inet_ntop(AF_INET, &v4, out, sizeof(out));
    return std::string(out);
  }
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      inet_ntop(AF_INET, &v6.s6_addr[12], out, sizeof(out));
    } else {
      inet_ntop(AF_INET6, &v6, out, sizeof(out));
    }
    return std::string(out);
  }
  return std::nullopt;
}

std::string SessionCookieName(bool tls) { return tls ? "__Host-bv_session" : "bv_session"; }

namespace {
std::counting_semaphore<kHeavySlots> heavy_slots(kHeavySlots);
}  // namespace

HeavySlot::~HeavySlot() {
  if (held_) heavy_slots.release();
}

util::Result<HeavySlot> EnterHeavy(const httplib::Request& req, service::Instance& instance) {
  if (req.body.size() <= kHeavyBodyBytes) return HeavySlot(false);
  // Polled so that a seal does not wait behind this queue (Instance::closing()).
  auto until = std::chrono::steady_clock::now() + kHeavyWait;
  while (!instance.closing() && std::chrono::steady_clock::now() < until) {
    if (heavy_slots.try_acquire_for(std::chrono::milliseconds(20))) {
      if (!instance.closing()) return HeavySlot(true);
      heavy_slots.release();
    }
  }
  if (instance.closing()) return Status(Code::kSealed, "sealed", "the vault is being sealed");
  return Status(Code::kUnavailable, "busy",
                "the server is busy with other large uploads; try again shortly")
      .WithRetryAfter(10);
}

Reply ErrorReply(const Ctx& c, const Status& st) {
  int status = HttpStatus(st.code());
  std::string message = st.message();
  if (status >= 500 && st.code() != Code::kSealed && st.code() != Code::kUnavailable) {
    // Internal faults never describe themselves to the caller; the request id finds the log line.
    message = "internal error (request " + c.request_id.str() + ")";
  }
  Reply reply = Reply::Json(
      status, ErrorBody(st.machine_code().empty() ? "error" : st.machine_code(), message));
  if (status == 401) {
    // RFC 6750: a bearer-token API names its scheme; a token that was sent and refused says so.
    reply.With("WWW-Authenticate", c.bearer.empty()
                                       ? "Bearer realm=\"bomvault\""
                                       : "Bearer realm=\"bomvault\", error=\"invalid_token\"");
  }
  if ((st.code() == Code::kTooManyRequests || st.code() == Code::kUnavailable ||
       st.code() == Code::kFailedDependency) &&
      st.retry_after() > 0) {
    reply.With("Retry-After", std::to_string(st.retry_after()));
  }
  return reply;
}

void SendError(Ctx& c, const Status& st) { ErrorReply(c, st).WriteTo(c.req, c.res); }

bool IsFresh(const httplib::Request& req, const std::string& etag) {
  const std::string& inm = req.get_header_value("If-None-Match");
  return !inm.empty() && util::TagListMatches(inm, etag, /*weak=*/true);
}

util::IfMatch IfMatchOf(const Ctx& c) { return {c.req.get_header_value("If-Match")}; }

Status AcceptJsonBody(const httplib::Request& req, size_t max_bytes) {
  if (req.body.size() > max_bytes) {
    return Status(Code::kPayloadTooLarge, "payload_too_large", "the request body is too large");
  }
  std::string type = req.get_header_value("Content-Type");
  if (!req.body.empty() && !type.empty() && type.rfind("application/json", 0) != 0) {
    return Status(Code::kUnsupportedMediaType, "unsupported_media_type",
                  "send the body as application/json");
  }
  return Status::Ok();
}

util::Result<nlohmann::json> JsonBody(const httplib::Request& req, size_t max_bytes) {
  if (max_bytes == 0) max_bytes = 1 << 20;
  BV_RETURN_IF_ERROR(AcceptJsonBody(req, max_bytes));
  if (req.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded())
    return Status::Invalid("invalid_json", "the request body is not valid JSON");
  if (!j.is_object()) {
    return Status::Invalid("invalid_json", "the request body must be a JSON object");
  }
  return j;
}

const BodySpec<NoFields>& EmptyBody() {
  static const BodySpec<NoFields> body{"Empty", 1024};
  return body;
}

const BodySpec<PasswordProof>& PasswordProofBody() {
  static const BodySpec<PasswordProof> body{
      "PasswordProof", 8192, {Text("password", &PasswordProof::password, Need::kRequired)}};
  return body;
}

void Api::DeclareBody(RouteSpec& spec, const char* name, nlohmann::json schema) {
  if (OpenApiSchemas().contains(name)) {
    throw std::logic_error(std::string("body ") + name + " is also in OpenApiSchemas()");
  }
  auto it = body_schemas_.find(name);
  if (it != body_schemas_.end() && *it != schema) {
    throw std::logic_error(std::string("body ") + name + " is declared twice, differently");
  }
  body_schemas_[name] = std::move(schema);
  spec.doc.request = name;
}

util::Result<int64_t> IntParam(const httplib::Request& req, const char* name, int64_t lo,
                               int64_t hi, int64_t dflt) {
  if (!req.has_param(name)) return dflt;
  std::string v = req.get_param_value(name);
  // Exactly an optional minus and 1-18 digits: no spaces, no '+', no trailing text.
  std::string_view digits(v);
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (!digits.empty() && digits.size() <= 18 &&
      digits.find_first_not_of("0123456789") == std::string_view::npos) {
    long long n = std::stoll(v);
    if (n >= lo && n <= hi) return static_cast<int64_t>(n);
  }
  return Status::Invalid("invalid_parameter", std::string("\"") + name +
                                                  "\" must be a whole number from " +
                                                  std::to_string(lo) + " to " + std::to_string(hi));
}

namespace {

// The audit object names RecordAudit writes: "instance", "audit_chain", or kind:id.
bool ValidAuditObject(std::string_view object) {
  if (object == "instance" || object == "audit_chain") return true;
  size_t colon = object.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view kind = object.substr(0, colon), id = object.substr(colon + 1);
  if (kind == "bom") return util::BomId::Parse(id).has_value();
  if (kind == "user") return util::UserId::Parse(id).has_value();
  if (kind == "org" || kind == "blocklist") return util::OrgId::Parse(id).has_value();
  if (kind == "invitation") return util::InvitationId::Parse(id).has_value();
  if (kind == "source") return util::SourceId::Parse(id).has_value();
  return false;
}

}  // namespace

util::Result<service::AuditQuery> AuditQueryParams(const httplib::Request& req) {
  service::AuditQuery q;
  q.object = req.get_param_value("object");
  q.actor_id = req.get_param_value("actor");
  q.action = req.get_param_value("action");
  if (q.object.size() > 100 || q.actor_id.size() > 100 || q.action.size() > 100) {
    return Status::Invalid("invalid_parameter", "filter too long");
  }
  if (!q.object.empty() && !ValidAuditObject(q.object)) {
    return Status::Invalid("invalid_parameter",
                           "\"object\" must be \"instance\" or kind:id, e.g. bom:bom_…");
  }
  BV_ASSIGN_OR_RETURN(q.from, IntParam(req, "from", 0, INT64_MAX / 2, 0));
  BV_ASSIGN_OR_RETURN(q.to, IntParam(req, "to", 0, INT64_MAX / 2, 0));
  BV_ASSIGN_OR_RETURN(q.before_id, IntParam(req, "before", 0, INT64_MAX / 2, 0));
  BV_ASSIGN_OR_RETURN(int64_t limit, IntParam(req, "limit", 1, 500, 100));
  q.limit = static_cast<int>(limit);
  if (req.has_param("cursor")) {
    // The list contract's cursor (http/paging.h): base64url of the last entry's id, decimal.
    auto key = DecodeCursor(req.get_param_value("cursor"));
    if (!key || key->size() > 18 || key->find_first_not_of("0123456789") != std::string::npos) {
      return Status::Invalid("invalid_cursor",
                             "\"cursor\" must be the next_cursor of a previous page");
    }
    q.before_id = std::stoll(*key);
  }
  return q;
}

namespace {

// An entry's stored change text as the JSON it holds ({} if it is not JSON: never expected, as
// only RecordAudit writes it).
nlohmann::json AuditChangeJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

}  // namespace

Reply AuditEntriesReply(const httplib::Request& req,
                        const std::vector<service::AuditEntry>& entries, int limit) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : entries) {
    out.push_back({{"id", e.id},
                   {"at", util::FormatUtc(e.at)},
                   {"object", e.object},
                   {"actor_id", e.actor_id},
                   {"action", e.action},
                   {"change", AuditChangeJson(e.change)}});
  }
  nlohmann::json body = {{"entries", out}};
  std::optional<std::string> next;
  if (!entries.empty() && static_cast<int>(entries.size()) == limit) {
    body["next_before"] = entries.back().id;
    next = std::to_string(entries.back().id);
  }
  return ListReply(req, std::move(body), next);
}

Api::Api(Engine& engine, service::Instance& instance, ApiOptions options)
    : engine_(engine),
      instance_(instance),
      options_(options),
      per_address_(options.rate_per_address, options.rate_per_address * 5),
      per_token_(options.rate_per_token, options.rate_per_token * 5) {
  httplib::Headers headers = {
      {"Content-Security-Policy", kCsp},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
  };
  if (options_.tls) {
    headers.emplace("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  }
  engine_.set_default_headers(headers);
  engine_.set_payload_max_length(options_.max_import_body);

  // httplib parses Range before routing and would slice even an error answer into a multipart
  // response, so the ranges are dropped here, before routing, and the refusal is marked for the
  // pre-routing handler. A client cannot forge the mark: any copy it sends is erased first.
  engine_.SetRequestSetup([proxies = options_.trusted_proxies](httplib::Request& req) {
    if (!proxies.empty() && ClientBehindProxy(proxies, req)) {
      req.headers.erase("REMOTE_ADDR");
      req.headers.emplace("REMOTE_ADDR", req.remote_addr);
    }
    req.headers.erase(kRangeRefusedHeader);
    if (req.has_header("Range") || !req.ranges.empty()) {
      req.ranges.clear();
      req.headers.erase("Range");
      req.headers.emplace(kRangeRefusedHeader, "1");
    }
  });
  engine_.set_pre_routing_handler([max_body = options_.max_import_body](const httplib::Request& req,
                                                                        httplib::Response& res) {
    using R = httplib::Server::HandlerResponse;
    // httplib would drain an oversized body before answering 413 (reading up to the declared
    // length, one read timeout at a time): refuse from the header alone and close instead.
    if (req.has_header("Content-Length")) {
      const std::string& text = req.get_header_value("Content-Length");
      bool digits = !text.empty() && text.size() <= 19 &&
                    text.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) {
        EarlyRefusal(res, 400, "bad_request", "Content-Length must be a whole number");
        return R::Handled;
      }
      if (std::stoull(text) > max_body) {
        EarlyRefusal(res, 413, "payload_too_large", "the request body is too large");
        return R::Handled;
      }
    }
    // httplib 0.11.4 ignores its payload limit for chunked bodies and inflates encoded bodies
    // without bound: refuse both before the body is read, and close the connection.
    if (req.has_header("Transfer-Encoding")) {
      EarlyRefusal(res, 411, "length_required",
                   "chunked request bodies are not accepted; send Content-Length");
      return R::Handled;
    }
    if (req.has_header("Content-Encoding")) {
      EarlyRefusal(res, 415, "encoding_not_supported", "encoded request bodies are not accepted");
      return R::Handled;
    }
    // Overlapping ranges multiply a response in memory; nothing here needs partial content.
    if (req.has_header(kRangeRefusedHeader)) {
      EarlyRefusal(res, 416, "range_not_supported", "range requests are not supported");
      return R::Handled;
    }
    return R::Unhandled;
  });
  engine_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(ErrorBody("internal", "internal error").dump(), "application/json");
      });
  engine_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // httplib answers these itself without reading the body: whatever follows on the connection
    // is not a request, so the connection must end here.
    if (res.status == 400 || res.status == 413 || res.status == 414) Engine::CloseAfterResponse();
    if (!res.body.empty()) return;
    const char* code = "error";
    const char* message = "the request could not be served";
    switch (res.status) {
      case 400:
        code = "bad_request";
        message = "the request is malformed";
        break;
      case 404:
        code = "not_found";
        message = "no such route";
        break;
      case 413:
        code = "payload_too_large";
        message = "the request body is too large";
        break;
      case 416:
        code = "range_not_supported";
        message = "range requests are not supported";
        break;
      default:
        break;
    }
    (void)req;
    res.set_header("Cache-Control", "no-store");
    res.set_content(ErrorBody(code, message).dump(), "application/json");
  });
  RegisterAll();
}

namespace {

// Why a RouteSpec's target cannot be asked as declared ("" when it can): a mistake in a route
// table, refused when the route is registered so that no server starts with it.
std::string TargetProblem(const RouteSpec& spec) {
  if (spec.target.kind == Target::Kind::kNone) return "";
  if (!spec.permission) return "a target needs the permission asked of it";
  const size_t segments =
      static_cast<size_t>(std::count(spec.path, spec.path + std::strlen(spec.path), '{'));
  if (spec.target.segment < 1 || spec.target.segment > segments) {
    return "the target's segment is not one of the path's {…} segments";
  }
  if (spec.target.kind == Target::Kind::kUser && !spec.target.self) {
    return "a user target names the function asked when the user is the caller";
  }
  // The BOM's facts are in the store: there is none to read while sealed.
  if (spec.target.kind == Target::Kind::kBom && spec.while_sealed) {
    return "a BOM route cannot answer while sealed";
  }
  return "";
}

}  // namespace

void Api::Route(const RouteSpec& spec, Handler handler) {
  if (std::string problem = TargetProblem(spec); !problem.empty()) {
    throw std::logic_error(std::string(spec.method) + " " + spec.path + ": " + problem);
  }
  routes_.push_back(spec);
  table_.Add(spec.method, spec.path);
  bound_.push_back(Bound{spec, std::move(handler)});
}

void Api::Route(const httplib::Request& req, httplib::Response& res) {
  RouteTable::Match m = table_.Find(req.method, req.path);
  if (m.route) {
    Dispatch(bound_[*m.route], std::move(m.params), req, res);
    return;
  }
  const bool other_method = !m.allow.empty();
  res.status = other_method ? 405 : 404;
  if (other_method) res.set_header("Allow", m.allow);
  res.set_header("X-Request-Id", util::RequestId::Generate().str());
  res.set_header("Cache-Control", "no-store");
  res.set_content(ErrorBody(other_method ? "method_not_allowed" : "not_found",
                            other_method ? "this route does not take that method" : "no such route")
                      .dump(),
                  "application/json");
}

namespace {

// Idempotency-Key (service/idempotency.h): 1-255 visible ASCII characters, so a UUID, a ULID or
// any client's retry token fits. Returns the claim when the handler is to run; otherwise the
// answer (a replay, 409, 422, 400) has been sent.
std::optional<service::Idempotency::Claim> ClaimIdempotencyKey(Ctx& c) {
  const std::string& key = c.req.get_header_value("Idempotency-Key");
  bool visible = !key.empty() && key.size() <= 255;
  for (unsigned char ch : key) visible = visible && ch > 0x20 && ch < 0x7f;
  if (!visible) {
    SendError(c, Status::Invalid("invalid_idempotency_key",
                                 "Idempotency-Key must be 1 to 255 visible ASCII characters"));
    return std::nullopt;
  }
  std::string query;
  for (const auto& [name, value] : c.req.params) query += name + "=" + value + "&";
  auto r = c.s().idempotency->Begin(c.principal, c.req.method, c.req.path, key, query, c.req.body);
  if (!r.ok()) {
    SendError(c, r.status());
    return std::nullopt;
  }
  using Outcome = service::Idempotency::Outcome;
  switch (r->outcome) {
    case Outcome::kRun:
      return std::move(r.value());
    case Outcome::kMismatch:
      SendError(c, Status::Unprocessable(
                       "idempotency_key_reused",
                       "this Idempotency-Key was used with a different request; use a new key"));
      return std::nullopt;
    case Outcome::kRunning:
      SendError(c, Status::Conflict("idempotency_key_in_use",
                                    "a request with this Idempotency-Key is still running; retry "
                                    "when it has answered"));
      return std::nullopt;
    case Outcome::kReplay: {
      const service::StoredAnswer& a = r->answer;
      if (!a.location.empty()) c.res.set_header("Location", a.location);
      c.res.set_header("Idempotent-Replayed", "true");
      Reply::Bytes(a.status, a.body, a.content_type).WriteTo(c.req, c.res);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// RouteSpec::permission for this request, as RouteSpec's comment says: Ok, or the refusal.
Status Permit(Ctx& c, const RouteSpec& spec) {
  const access::Principal& p = c.principal;
  const access::Function f = *spec.permission;
  switch (spec.target.kind) {
    case Target::Kind::kNone:
      break;
    case Target::Kind::kBom: {
      // Not a BOM id: the same 404 as a BOM that is missing or unseen.
      auto bom = util::BomId::Parse(c.Param(spec.target.segment));
      if (!bom) return Status::NotFound();
      // A read (GET, HEAD) has no body to parse and no key to claim before the handler, whose
      // service decides question 2 as the first step of the one read transaction that also reads
      // the BOM: the same decision, so it is not asked twice. Asking here too measured +12 µs of
      // server CPU, about 20% of GET /boms/{id}. Question 1 is still asked below.
      if (c.req.method == "GET" || c.req.method == "HEAD") break;
      return c.s().boms->Check(p, *bom, f);
    }
    case Target::Kind::kUser: {
      auto user = util::UserId::Parse(c.Param(spec.target.segment));
      if (!user) return Status::NotFound();
      const access::Function asked = access::UserFunction(p, *user, *spec.target.self, f);
      return access::Refusal(p, asked, access::MayUse(p, asked));
    }
  }
  return access::Refusal(p, f, access::MayUse(p, f));
}

// After the handler: a 2xx answer held in memory is sealed and kept for replay; anything else
// (a refusal, a streamed answer) releases the key, so a retry runs the request again.
void SettleIdempotencyKey(Ctx& c, const service::Idempotency::Claim& claim) {
  const bool keep = c.res.status >= 200 && c.res.status < 300 && !c.res.content_provider_ &&
                    !c.res.has_header("Content-Encoding");
  Status st = Status::Ok();
  if (keep) {
    service::StoredAnswer a{c.res.status, c.res.get_header_value("Location"),
                            c.res.get_header_value("Content-Type"), c.res.body};
    st = c.s().idempotency->Finish(c.principal, claim, a);
  } else {
    st = c.s().idempotency->Abandon(claim);
  }
  if (!st.ok()) util::log::Error("idempotency.settle_failed").Ref("request_id", c.request_id);
}

}  // namespace

void Api::Dispatch(const Bound& route, std::vector<std::string> params, const httplib::Request& req,
                   httplib::Response& res) {
  const RouteSpec& spec = route.spec;
  const Handler& handler = route.handler;
  auto started = std::chrono::steady_clock::now();
  Ctx c{req,          res,       util::RequestId::Generate(),
        {},           "",        false,
        std::nullopt, instance_, std::move(params)};
  res.set_header("X-Request-Id", c.request_id.str());
  res.set_header("Cache-Control", "no-store");
  std::optional<service::Idempotency::Claim> claim;
  try {
    if (options_.rate_per_address > 0) {
      if (int64_t wait = per_address_.Take(req.remote_addr); wait > 0) {
        SendError(c, Status(Code::kTooManyRequests, "rate_limited", "too many requests; slow down")
                         .WithRetryAfter(wait));
        return;
      }
    }
    // Every handler may treat query parameters as text: invalid UTF-8 is refused here, once.
    for (const auto& [key, value] : req.params) {
      if (bom::Utf8ErrorOffset(key) != std::string_view::npos ||
          bom::Utf8ErrorOffset(value) != std::string_view::npos) {
        SendError(c, Status::Invalid("invalid_parameter", "query parameters must be UTF-8"));
        return;
      }
    }
    c.services = instance_.Acquire();
    if (!c.services && !spec.while_sealed) {
      SendError(c, Status(Code::kSealed, "sealed",
                          "the vault is sealed; unseal it with the key shares first"));
      return;
    }
    std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) {
      c.bearer = auth.substr(7);
    } else {
      c.bearer = CookieValue(req, SessionCookieName(options_.tls));
      c.cookie_session = !c.bearer.empty();
    }
    if (!c.bearer.empty() && c.services) c.principal = c.s().accounts->Resolve(c.bearer);
    const bool reads = req.method == "GET" || req.method == "HEAD";
    if (c.cookie_session && !reads && req.get_header_value("X-Bomvault-Csrf") != "1") {
      SendError(
          c, Status(Code::kForbidden, "csrf", "a cookie session needs the X-Bomvault-Csrf header"));
      return;
    }
    if (spec.auth != Auth::kNone && c.principal.kind == access::PrincipalKind::kAnonymous) {
      SendError(c,
                Status::Unauthenticated(c.bearer.empty() ? "sign-in required"
                                                         : "the token is invalid or has expired"));
      return;
    }
    if (options_.rate_per_token > 0 && c.principal.kind != access::PrincipalKind::kAnonymous) {
      std::string key = c.principal.kind == access::PrincipalKind::kOperator
                            ? "operator"
                            : c.principal.user.str();
      if (int64_t wait = per_token_.Take(key); wait > 0) {
        SendError(c, Status(Code::kTooManyRequests, "rate_limited", "too many requests; slow down")
                         .WithRetryAfter(wait));
        return;
      }
    }
    if (spec.auth == Auth::kRecent) {
      Status recent =
          access::RecentProof(c.principal, util::NowUnix(), options_.reauth_window_seconds);
      if (!recent.ok()) {
        util::log::Info("http.reauth_required")
            .Text("route", spec.name)
            .Ref("request_id", c.request_id);
        SendError(c, recent);
        return;
      }
    }
    if (spec.permission) {
      if (Status allowed = Permit(c, spec); !allowed.ok()) {
        SendError(c, allowed);
        return;
      }
    }
    if (spec.doc.idempotent && req.has_header("Idempotency-Key") &&
        c.principal.kind == access::PrincipalKind::kUser) {
      claim = ClaimIdempotencyKey(c);
      if (!claim || claim->outcome != service::Idempotency::Outcome::kRun) return;
    }
    util::Result<Reply> reply = handler(c);
    if (reply.ok()) {
      std::move(reply).value().WriteTo(req, res);
    } else {
      // A handler that returns Status::Ok() where a Reply belongs is a bug, never a 200.
      SendError(c, reply.status().ok() ? Status::Internal() : reply.status());
    }
    if (claim) SettleIdempotencyKey(c, *claim);
  } catch (...) {
    if (claim && c.services) (void)c.s().idempotency->Abandon(*claim);
    SendError(c, Status::Internal());
    util::log::Error("http.handler_exception")
        .Text("route", spec.name)
        .Ref("request_id", c.request_id);
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  // Every change and every failure is logged; successful reads are counted, not logged: a line
  // per GET measured ~7% of a small read, and reads that matter are audited or watched.
  if (req.method != "GET" || res.status >= 400) {
    util::log::Line line(res.status >= 500 ? util::log::Level::kError : util::log::Level::kInfo,
                         "http.request");
    line.Text("route", spec.name)
        .Num("status", res.status)
        .Num("ms", ms)
        .Ref("request_id", c.request_id);
    if (c.principal.kind == access::PrincipalKind::kUser) line.Ref("user_id", c.principal.user);
  }
  instance_.monitor().CountRequest(spec.name.s, res.status);
}

void Api::ServeUi(const httplib::Request& req, httplib::Response& res) {
  std::string path = req.path;
  const util::EmbeddedFile* f = util::FindEmbedded(util::kWebFiles, path);
  if (f == nullptr && path.rfind("/api/", 0) != 0 && path.find('.') == std::string::npos) {
    f = util::FindEmbedded(util::kWebFiles, "/index.html");  // client-side routes
  }
  if (f == nullptr) {
    res.status = 404;
    res.set_header("Cache-Control", "no-store");
    res.set_content(ErrorBody("not_found", "no such route").dump(), "application/json");
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_content(reinterpret_cast<const char*>(f->data), f->size, f->content_type);
}

void Api::RegisterAll() {
  RegisterSystemRoutes(*this);
  RegisterAccountRoutes(*this);
  RegisterSessionRoutes(*this);
  RegisterUserRoutes(*this);
  RegisterMfaRoutes(*this);
  RegisterSettingsRoutes(*this);
  RegisterBomRoutes(*this);
  RegisterAttachmentRoutes(*this);
  RegisterImportProfileRoutes(*this);
  RegisterLifecycleRoutes(*this);
  RegisterSourceRoutes(*this);
  RegisterSsoRoutes(*this);
  RegisterPasskeyRoutes(*this);
  auto api = [this](const httplib::Request& req, httplib::Response& res) { Route(req, res); };
  engine_.Get("/api/.*", api);
  engine_.Post("/api/.*", api);
  engine_.Patch("/api/.*", api);
  engine_.Put("/api/.*", api);
  engine_.Delete("/api/.*", api);
  // Last: everything else under GET is the UI (embedded files only; nothing is read from disk).
  engine_.Get(".*",
              [this](const httplib::Request& req, httplib::Response& res) { ServeUi(req, res); });
}

}  // namespace bomvault::http
