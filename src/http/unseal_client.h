// The client side of `bomvault unseal --url URL` (submits one share to a running server) and of
// `bomvault backup` (asks the running server to write a backup).
// Plain HTTP only to loopback; otherwise HTTPS with certificate verification (system CAs, or
// the file named by BOMVAULT_CA_FILE for an on-prem CA). Thread-compatible; used by the CLI.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "util/status.h"

namespace bomvault::http {

struct UnsealReply {
  bool sealed = true;
  int progress = 0;
  int threshold = 0;
};

util::Result<UnsealReply> SubmitShareTo(const std::string& url, const std::string& share);

// POSTs a JSON body with a bearer token (`bomvault backup`); the JSON answer of a 2xx, else the
// server's error message as a Status.
util::Result<nlohmann::json> PostJsonTo(const std::string& url, const std::string& path,
                                        const std::string& bearer, const nlohmann::json& body,
                                        int read_timeout_seconds);
// GETs a JSON answer with a bearer token (`bomvault rotate-keys --wait`), same error handling.
util::Result<nlohmann::json> GetJsonFrom(const std::string& url, const std::string& path,
                                         const std::string& bearer, int read_timeout_seconds);

}  // namespace bomvault::http
