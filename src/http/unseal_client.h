// The client side of `bomvault unseal --url URL`: submits one share to a running server.
// Plain HTTP only to loopback; otherwise HTTPS with certificate verification (system CAs, or
// the file named by BOMVAULT_CA_FILE for an on-prem CA). Thread-compatible; used by the CLI.
#pragma once

#include <string>

#include "util/status.h"

namespace bomvault::http {

struct UnsealReply {
  bool sealed = true;
  int progress = 0;
  int threshold = 0;
};

util::Result<UnsealReply> SubmitShareTo(const std::string& url, const std::string& share);

}  // namespace bomvault::http
