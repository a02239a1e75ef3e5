// Attachment types: what a BOM's files really are, decided from their bytes, never from the name
// or the Content-Type the client sent.
//
// BOMs carry a thumbnail and derivative files (drawings and documents as PDF or images, models as
// STEP, IGES or STL, 2-D CAD as DXF). SniffAttachment recognises exactly that allowlist from the
// leading bytes (and, for images, reads the pixel size from the header) and refuses everything
// else, so a renamed executable, HTML page or SVG (which can carry script) is never stored and
// never served back with a type a browser would run. This is deliberately not libmagic: we do not
// need to name arbitrary files, only to admit a short list, and libmagic is a large parser of
// untrusted input that needs a database file at run time, which a self-contained binary for
// air-gapped sites should not depend on.
//
// Invariant: a sniffed type is one of the kMediaTypes below; width/height are non-zero only for
// images and then come from the image's own header. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace bomvault::bom {

enum class AttachmentKind { kThumbnail, kDerivative };

struct SniffedType {
  std::string media_type;  // e.g. "image/png", "application/pdf", "model/step"
  std::string extension;   // the usual file extension, without the dot: "png", "pdf", "step"
  uint32_t width = 0;      // images only
  uint32_t height = 0;
  bool image = false;
};

struct AttachmentLimits {
  size_t max_thumbnail_bytes = 2u << 20;
  uint32_t max_thumbnail_side = 4096;  // pixels; protects the browsers that will decode it
  size_t max_derivative_bytes = 64u << 20;
};

// "thumbnail" | "derivative"; nullopt-like failure as Status::Invalid("invalid_kind").
util::Result<AttachmentKind> ParseAttachmentKind(std::string_view text);
std::string_view AttachmentKindName(AttachmentKind kind);

// The type of `bytes`, or Status::Invalid("attachment_type", …) naming what is accepted.
// Thumbnails must be PNG, JPEG or WebP within max_thumbnail_side on both sides; derivatives may
// be any accepted type. Size limits give Status(kPayloadTooLarge, "attachment_too_large").
util::Result<SniffedType> SniffAttachment(std::string_view bytes, AttachmentKind kind,
                                          const AttachmentLimits& limits = {});

// A file name fit to keep and to send back in Content-Disposition: 1–200 bytes of valid UTF-8
// without control characters, direction overrides, path separators or a leading dot; otherwise
// Status::Invalid("invalid_name").
util::Status ValidateAttachmentName(std::string_view name);

// The name's extension must be one the sniffed type is known by (case-insensitive): a PDF named
// "setup.exe" would be saved by the browser as an executable. Status::Invalid("invalid_name")
// naming the expected extension otherwise.
util::Status CheckNameMatchesType(std::string_view name, const SniffedType& type);

}  // namespace bomvault::bom
