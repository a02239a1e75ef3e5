// A BOM's metadata and its revisions' notes, as the store keeps them (sealed by service/boms.h).
//
// Metadata is a free-form JSON object the API's clients own: the services carry it as its JSON
// text, made canonical here (keys sorted, no spaces), at most kMaxBomMetadata bytes. Equal
// metadata therefore has equal text, which is how an update tells a change from a no-op.
// A revision note ({"via", "source", "profile"}) says how a revision's items came in.
// Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace bomvault::codec {

inline constexpr size_t kMaxBomMetadata = 16 * 1024;

// The canonical text of `text`; Invalid("invalid_metadata", …) unless it is a JSON object whose
// canonical text fits kMaxBomMetadata.
util::Result<std::string> CanonicalBomMetadata(std::string_view text);

// `patch`'s members replace or add to `stored`'s, key by key (a PATCH with merge). When `stored`
// is not an object (never written so), `patch` replaces it. Same errors as above.
util::Result<std::string> MergeBomMetadata(std::string_view stored, std::string_view patch);

// The metadata's "source" member when it is a string, else "".
std::string BomMetadataSource(std::string_view text);

struct RevisionNoteText {
  std::string via, source, profile;  // empty source/profile are left out of the text
};
// Invalid UTF-8 is replaced by U+FFFD, so encoding never fails.
std::string EncodeRevisionNote(const RevisionNoteText& note);
// Members that are missing or not strings read as empty; nullopt when the text is no object.
std::optional<RevisionNoteText> DecodeRevisionNote(std::string_view text);

}  // namespace bomvault::codec
