// The metadata document a BOM made by an import starts with (service/imports.h): {"source": the
// file name or data source it came from}, or {} when the import named none. It is the BOM's
// metadata object (service/boms.h), which people edit afterwards like any other.
// Pure function: thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bomvault::codec {

// As JSON text, the form Boms::Create takes.
std::string ImportMetadataText(std::string_view source);

}  // namespace bomvault::codec
