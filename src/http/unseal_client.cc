#include "http/unseal_client.h"

#include <httplib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace bomvault::http {

using util::Status;

util::Result<UnsealReply> SubmitShareTo(const std::string& url, const std::string& share) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Status::Invalid("invalid_url", "the URL must start with http:// or https://");
  }
  httplib::Client client(url);
  client.set_connection_timeout(10);
  client.set_read_timeout(30);
  if (url.rfind("https://", 0) == 0) {
    client.enable_server_certificate_verification(true);
    if (const char* ca = std::getenv("BOMVAULT_CA_FILE")) client.set_ca_cert_path(ca);
  }
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
