#include "http/reply.h"

#include <algorithm>
#include <memory>

#include "util/gzip.h"

namespace bomvault::http {

namespace {

constexpr const char* kJsonType = "application/json; charset=utf-8";
constexpr size_t kStreamFromBytes = 256u << 10;

void Provide(httplib::Response& res, std::string body, const std::string& content_type) {
  auto shared = std::make_shared<std::string>(std::move(body));
  res.set_content_provider(shared->size(), content_type,
                           [shared](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(shared->data() + offset,
                                               std::min(length, shared->size() - offset));
                           });
}

}  // namespace

Reply Reply::Json(int status, const nlohmann::json& body) {
  return RawJson(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Reply Reply::RawJson(int status, std::string body) {
  return Reply(status, std::move(body), kJsonType);
}

Reply Reply::Created(std::string location, const nlohmann::json& body) {
  return Json(201, body).With("Location", std::move(location));
}

Reply Reply::NoContent() { return Reply(204, "", ""); }

Reply Reply::NotModified(std::string etag) {
  return Reply(304, "", "").With("ETag", std::move(etag));
}

Reply Reply::Redirect(std::string location) {
  return Reply(302, "", "").With("Location", std::move(location));
}

Reply Reply::Bytes(int status, std::string body, std::string content_type) {
  return Reply(status, std::move(body), std::move(content_type));
}

Reply Reply::Compressible(int status, std::string body, std::string content_type) {
  Reply r(status, std::move(body), std::move(content_type));
  r.compressible_ = true;
  return r;
}

Reply Reply::CompressibleJson(int status, std::string body) {
  return Compressible(status, std::move(body), kJsonType);
}

Reply& Reply::With(std::string name, std::string value) & {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

Reply&& Reply::With(std::string name, std::string value) && {
  headers_.emplace_back(std::move(name), std::move(value));
  return std::move(*this);
}

void Reply::WriteTo(const httplib::Request& req, httplib::Response& res) && {
  res.status = status_;
  for (auto& [name, value] : headers_) res.set_header(name, value);
  if (content_type_.empty()) {
    res.body.clear();
    return;
  }
  if (compressible_) {
    res.set_header("Vary", "Accept-Encoding");
    if (body_.size() >= kCompressMinBytes &&
        util::AcceptsGzip(req.get_header_value("Accept-Encoding"))) {
      if (auto packed = util::Gzip(body_)) {
        res.set_header("Content-Encoding", "gzip");
        // Always through a provider: httplib leaves those alone, so a text/* body is never
        // compressed a second time.
        Provide(res, std::move(*packed), content_type_);
        return;
      }
    }
  }
  if (body_.size() < kStreamFromBytes) {
    res.set_content(std::move(body_), content_type_);
    return;
  }
  Provide(res, std::move(body_), content_type_);
}

}  // namespace bomvault::http
