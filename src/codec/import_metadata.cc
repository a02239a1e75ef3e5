#include "codec/import_metadata.h"

#include <string>

namespace bomvault::codec {

nlohmann::json ImportMetadataJson(std::string_view source) {
  nlohmann::json meta = nlohmann::json::object();
  if (!source.empty()) meta["source"] = std::string(source);
  return meta;
}

}  // namespace bomvault::codec
