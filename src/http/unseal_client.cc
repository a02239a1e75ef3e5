#include "http/unseal_client.h"

#include <httplib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace bomvault::http {

using util::Status;

namespace {

void Configure(httplib::Client& client, const std::string& url, int read_timeout) {
  client.set_connection_timeout(10);
  client.set_read_timeout(read_timeout);
  if (url.rfind("https://", 0) == 0) {
    client.enable_server_certificate_verification(true);
    if (const char* ca = std::getenv("BOMVAULT_CA_FILE")) client.set_ca_cert_path(ca);
  }
}

bool UrlOk(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

}  // namespace

namespace {

util::Result<nlohmann::json> RequestJson(const std::string& url, const std::string& path,
                                         const std::string& bearer, const nlohmann::json* body,
                                         int read_timeout_seconds) {
  if (!UrlOk(url)) {
    return Status::Invalid("invalid_url", "the URL must start with http:// or https://");
  }
  httplib::Client client(url);
  Configure(client, url, read_timeout_seconds);
  httplib::Headers headers = {{"Authorization", "Bearer " + bearer}};
  auto res = body != nullptr ? client.Post(path, headers, body->dump(), "application/json")
                             : client.Get(path, headers);
  if (!res) {
    return Status(util::Code::kUnavailable, "unreachable",
                  "the server did not answer: " + httplib::to_string(res.error()));
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status < 200 || res->status > 299) {
    std::string message = "the server refused (HTTP " + std::to_string(res->status) + ")";
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      message = j["error"].value("message", message);
    }
    return Status::Invalid("refused", message);
  }
  if (!j.is_object()) return Status::Internal("the server's answer was not JSON");
  return j;
}

}  // namespace

util::Result<nlohmann::json> PostJsonTo(const std::string& url, const std::string& path,
                                        const std::string& bearer, const nlohmann::json& body,
                                        int read_timeout_seconds) {
  return RequestJson(url, path, bearer, &body, read_timeout_seconds);
}

util::Result<nlohmann::json> GetJsonFrom(const std::string& url, const std::string& path,
                                         const std::string& bearer, int read_timeout_seconds) {
  return RequestJson(url, path, bearer, nullptr, read_timeout_seconds);
}

util::Result<UnsealReply> SubmitShareTo(const std::string& url, const std::string& share) {
  if (!UrlOk(url)) {
    return Status::Invalid("invalid_url", "the URL must start with http:// or https://");
  }
  httplib::Client client(url);
  Configure(client, url, 30);
  nlohmann::json body = {{"share", share}};
  auto res = client.Post("/api/v1/unseal", body.dump(), "application/json");
  if (!res) {
    return Status(util::Code::kUnavailable, "unreachable",
                  "the server did not answer: " + httplib::to_string(res.error()));
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::string message = "the server refused the share";
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      message = j["error"].value("message", message);
    }
    return Status::Invalid("refused", message);
  }
  if (!j.is_object()) return Status::Internal("the server's answer was not JSON");
  return UnsealReply{j.value("sealed", true), j.value("progress", 0), j.value("threshold", 0)};
}

}  // namespace bomvault::http
