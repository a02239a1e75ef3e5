#include "codec/import_metadata.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bomvault::codec {

std::string ImportMetadataText(std::string_view source) {
  nlohmann::json meta = nlohmann::json::object();
  if (!source.empty()) meta["source"] = std::string(source);
  return meta.dump();
}

}  // namespace bomvault::codec
