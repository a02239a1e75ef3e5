// Fuzz target: the streaming JSON body of BOM create/change requests (bom/json_body.h).
// Invariants checked on every input, beyond "no crash, no sanitizer report":
//  * a failure carries one of the machine codes json_body.h documents;
//  * ParseBomBody agrees with nlohmann's own DOM parser on what is JSON at all: a body the DOM
//    parser rejects (or that is not an object) never parses, and a body that is a shallow object
//    the DOM parser accepts never fails as "invalid_json";
//  * every quantity returned is canonical decimal text (the export and the store rely on it).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bom/decimal.h"
#include "bom/json_body.h"
#include "fuzz/fuzz_check.h"

using namespace bomvault::bom;

namespace {

size_t Depth(const nlohmann::json& j) {
  size_t deepest = 0;
  if (j.is_structured()) {
    for (const auto& v : j) deepest = std::max(deepest, Depth(v));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_items = 200;
  auto body = ParseBomBody(text, limits);
  if (!body.ok()) {
    static const char* const kCodes[] = {
        "invalid_json",       "invalid_field", "invalid_metadata", "missing_field",
        "bom_too_many_items", "invalid_item",  "bom_bad_quantity"};
    bool known = false;
    for (const char* c : kCodes) known = known || body.status().machine_code() == c;
    FUZZ_CHECK(known);
  }
  if (text.empty()) {
    FUZZ_CHECK(body.ok());
    return 0;
  }
  auto dom = nlohmann::json::parse(text, nullptr, false);
  if (dom.is_discarded() || !dom.is_object()) {
    FUZZ_CHECK(!body.ok());
  } else if (Depth(dom) <= kMaxMetadataDepth) {
    FUZZ_CHECK(body.ok() || body.status().machine_code() != "invalid_json");
  }
  if (body.ok() && body->items) {
    for (const Item& item : *body->items) {
      auto canonical = CanonicalQuantity(item.quantity);
      FUZZ_CHECK(canonical.ok() && canonical.value() == item.quantity);
    }
  }
  return 0;
}
