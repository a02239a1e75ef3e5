// Reply: what a route handler answers, as a value. A handler (http/api.h, Handler) returns a
// util::Result<Reply>: a Reply built with one of the constructors below when it succeeds, or the
// util::Status of its refusal. The dispatcher (Api::Dispatch) writes the Reply to the response
// after the handler returns, and sends a refusal through SendError, the one place an error body
// is written. So handlers never touch the response, every failure path is a `return status;`,
// and what goes out (compression, streaming of large bodies, headers) is decided here once.
//
// Invariants:
//  * JSON answers carry "application/json; charset=utf-8": httplib 0.11 compresses on its own
//    only bodies whose type is exactly "application/json", so no JSON answer, secrets included,
//    is compressed unless built with Compressible*, which is for answers without secrets (BOM
//    items, exports, lists; util/gzip.h says why).
//  * Bodies of 256 KiB or more go out through a content provider over the Reply's own buffer,
//    not httplib's set_content, which copies (a 100k-item BOM is ~25 MB of JSON).
// Thread-safety: a value; no shared state.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace bomvault::http {

// Answers without secrets at least this large are gzipped for a client that accepts it.
inline constexpr size_t kCompressMinBytes = 1024;

class Reply {
 public:
  static Reply Json(int status, const nlohmann::json& body);
  // A JSON body already serialised.
  static Reply RawJson(int status, std::string body);
  // 201 Created with `Location: location` (the created resource's path under /api/v1, RFC 9110
  // 10.2.2). Every route that creates something answers through this.
  static Reply Created(std::string location, const nlohmann::json& body);
  static Reply NoContent();
  // 304 for a conditional GET whose If-None-Match names `etag` (IsFresh in http/api.h).
  static Reply NotModified(std::string etag);
  // 302 to `location` (a browser flow: single sign-on).
  static Reply Redirect(std::string location);
  // Any body, as it is.
  static Reply Bytes(int status, std::string body, std::string content_type);
  // A body without secrets that may be large: gzip when the client accepts it and the body is
  // at least kCompressMinBytes, with Vary: Accept-Encoding.
  static Reply Compressible(int status, std::string body, std::string content_type);
  static Reply CompressibleJson(int status, std::string body);

  // Adds a response header (ETag, Set-Cookie, Content-Disposition, Link...).
  Reply& With(std::string name, std::string value) &;
  Reply&& With(std::string name, std::string value) &&;

  int status() const { return status_; }
  const std::string& body() const { return body_; }

  // Writes status, headers and body into `res`; `req` decides compression.
  void WriteTo(const httplib::Request& req, httplib::Response& res) &&;

 private:
  Reply(int status, std::string body, std::string content_type)
      : status_(status), body_(std::move(body)), content_type_(std::move(content_type)) {}

  int status_;
  std::string body_;
  std::string content_type_;  // empty: no body (204, 302, 304)
  bool compressible_ = false;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace bomvault::http
