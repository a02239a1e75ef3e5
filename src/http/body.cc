// The non-template parts of http/body.h: refusals and the schema pieces every field shares.
#include "http/body.h"

#include <algorithm>

namespace bomvault::http::body_detail {

util::Status Refuse(const std::string& code, const std::string& name, const char* what) {
  // An unknown member's name is the client's text: at most 40 bytes of it are echoed, cut at a
  // character's start so the answer stays valid UTF-8.
  size_t cut = std::min<size_t>(name.size(), 40);
  while (cut > 0 && cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  std::string message = "\"" + name.substr(0, cut) + (cut < name.size() ? "…" : "") + "\" ";
  if (code == "missing_field") {
    message += "is required";
  } else if (code == "unknown_field") {
    message += "is not a member of this body";
  } else {
    message += std::string("must be ") + (what != nullptr ? what : "valid");
  }
  return util::Status::Invalid(code, message);
}

nlohmann::json Nullable(nlohmann::json schema, Need need) {
  if (need == Need::kOptional) {
    schema["nullable"] = true;
    // OpenAPI 3.0.3: an enum must list null itself for null to be allowed.
    if (schema.contains("enum")) schema["enum"].push_back(nullptr);
  }
  return schema;
}

nlohmann::json StringSchema(size_t min_len, size_t max_len) {
  nlohmann::json schema = {{"type", "string"}};
  if (min_len > 0) schema["minLength"] = min_len;
  if (max_len > 0) schema["maxLength"] = max_len;
  return schema;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace bomvault::http::body_detail
