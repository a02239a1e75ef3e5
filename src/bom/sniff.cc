#include "bom/sniff.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <vector>

#include "bom/item.h"

namespace bomvault::bom {
namespace {

using util::Status;

uint32_t Be16(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 8) |
         static_cast<unsigned char>(b[at + 1]);
}
uint32_t Be32(std::string_view b, size_t at) { return (Be16(b, at) << 16) | Be16(b, at + 2); }
uint32_t Le16(std::string_view b, size_t at) {
  return static_cast<unsigned char>(b[at]) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8);
}
uint32_t Le24(std::string_view b, size_t at) {
  return Le16(b, at) | (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16);
}
uint32_t Le32(std::string_view b, size_t at) { return Le16(b, at) | (Le16(b, at + 2) << 16); }

bool StartsWith(std::string_view b, std::string_view prefix) {
  return b.substr(0, prefix.size()) == prefix;
}

// Leading UTF-8 byte-order mark and whitespace, which text formats tolerate before their magic.
std::string_view SkipTextLead(std::string_view b) {
  if (StartsWith(b, "\xEF\xBB\xBF")) b.remove_prefix(3);
  size_t i = 0;
  while (i < b.size() && i < 4096 && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
    ++i;
  return b.substr(i);
}

SniffedType Image(const char* media_type, const char* ext, uint32_t w, uint32_t h) {
  return SniffedType{media_type, ext, w, h, true};
}

std::optional<SniffedType> Png(std::string_view b) {
  if (!StartsWith(b, "\x89PNG\r\n\x1A\n") || b.size() < 24 || b.substr(12, 4) != "IHDR")
    return std::nullopt;
  return Image("image/png", "png", Be32(b, 16), Be32(b, 20));
}

// Walks the marker segments to the first frame header (SOFn), which holds the pixel size.
std::optional<SniffedType> Jpeg(std::string_view b) {
  if (!StartsWith(b, "\xFF\xD8\xFF")) return std::nullopt;
  size_t pos = 2;
  while (pos + 4 <= b.size()) {
    if (static_cast<unsigned char>(b[pos]) != 0xFF) return std::nullopt;
    while (pos < b.size() && static_cast<unsigned char>(b[pos]) == 0xFF) ++pos;  // fill bytes
    if (pos + 3 > b.size()) return std::nullopt;
    const auto marker = static_cast<unsigned char>(b[pos++]);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no payload
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;           // no frame before scan
    const uint32_t length = Be16(b, pos);
    const bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (length < 8 || pos + 7 > b.size()) return std::nullopt;
      return Image("image/jpeg", "jpg", Be16(b, pos + 5), Be16(b, pos + 3));
    }
    if (length < 2) return std::nullopt;
    pos += length;
  }
  return std::nullopt;
}

std::optional<SniffedType> Webp(std::string_view b) {
  if (b.size() < 30 || !StartsWith(b, "RIFF") || b.substr(8, 4) != "WEBP") return std::nullopt;
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8 ") {
    if (b.substr(23, 3) != "\x9D\x01\x2A") return std::nullopt;
    return Image("image/webp", "webp", Le16(b, 26) & 0x3FFF, Le16(b, 28) & 0x3FFF);
  }
  if (chunk == "VP8L") {
    if (static_cast<unsigned char>(b[20]) != 0x2F) return std::nullopt;
    const uint32_t bits = Le32(b, 21);
    return Image("image/webp", "webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  }
  if (chunk == "VP8X") {
    return Image("image/webp", "webp", Le24(b, 24) + 1, Le24(b, 27) + 1);
  }
  return std::nullopt;
}

bool IsPdf(std::string_view b) { return StartsWith(b, "%PDF-1.") || StartsWith(b, "%PDF-2."); }

bool IsStep(std::string_view b) { return StartsWith(SkipTextLead(b), "ISO-10303-21;"); }

// IGES: fixed 80-column records; the first is a Start record, 'S' in column 73, sequence 1.
bool IsIges(std::string_view b) {
  if (b.size() < 80) return false;
  const std::string_view first = b.substr(0, 80);
  if (!std::all_of(first.begin(), first.end(), [](char c) { return c >= 0x20 && c < 0x7F; })) {
    return false;
  }
  if (first[72] != 'S') return false;
  const std::string_view seq = first.substr(73, 7);
  const size_t digits = seq.find_first_not_of(' ');
  return digits != std::string_view::npos && seq.substr(digits) == "1";
}

// Binary STL: an 80-byte header, a triangle count, and exactly 50 bytes per triangle.
bool IsBinaryStl(std::string_view b) {
  if (b.size() < 84) return false;
  const uint64_t triangles = Le32(b, 80);
  return triangles > 0 && b.size() == 84 + 50 * triangles;
}

bool IsAsciiStl(std::string_view b) {
  const std::string_view t = SkipTextLead(b);
  if (!StartsWith(t, "solid")) return false;
  const std::string_view head = t.substr(0, 4096);
  return head.find("facet") != std::string_view::npos ||
         head.find("endsolid") != std::string_view::npos;
}

bool IsDxf(std::string_view b) {
  if (StartsWith(b, std::string_view("AutoCAD Binary DXF\r\n\x1A\0", 22))) return true;
  std::string_view t = SkipTextLead(b);
  if (!StartsWith(t, "0")) return false;
  t.remove_prefix(1);
  if (StartsWith(t, "\r")) t.remove_prefix(1);
  if (!StartsWith(t, "\n")) return false;
  t.remove_prefix(1);
  return StartsWith(t, "SECTION");
}

std::optional<SniffedType> Sniff(std::string_view b) {
  if (auto t = Png(b)) return t;
  if (auto t = Jpeg(b)) return t;
  if (auto t = Webp(b)) return t;
  if (IsPdf(b)) return SniffedType{"application/pdf", "pdf"};
  if (IsStep(b)) return SniffedType{"model/step", "step"};
  if (IsBinaryStl(b) || IsAsciiStl(b)) return SniffedType{"model/stl", "stl"};
  if (IsIges(b)) return SniffedType{"model/iges", "igs"};
  if (IsDxf(b)) return SniffedType{"image/vnd.dxf", "dxf"};
  return std::nullopt;
}

// Every extension a type is commonly saved with; the first is the one suggested in messages.
std::vector<std::string_view> ExtensionsOf(std::string_view media_type) {
  if (media_type == "application/pdf") return {"pdf"};
  if (media_type == "image/png") return {"png"};
  if (media_type == "image/jpeg") return {"jpg", "jpeg", "jpe", "jfif"};
  if (media_type == "image/webp") return {"webp"};
  if (media_type == "model/step") return {"step", "stp", "p21"};
  if (media_type == "model/iges") return {"igs", "iges"};
  if (media_type == "model/stl") return {"stl"};
  if (media_type == "image/vnd.dxf") return {"dxf"};
  return {};
}

}  // namespace

util::Status CheckNameMatchesType(std::string_view name, const SniffedType& type) {
  const size_t dot = name.rfind('.');
  std::string ext = dot == std::string_view::npos ? "" : std::string(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::vector<std::string_view> known = ExtensionsOf(type.media_type);
  if (std::find(known.begin(), known.end(), ext) != known.end()) return Status::Ok();
  return Status::Invalid("invalid_name", "the file is " + type.media_type +
                                             ", so its name must end in ." +
                                             std::string(known.empty() ? "" : known.front()));
}

util::Result<AttachmentKind> ParseAttachmentKind(std::string_view text) {
  if (text == "thumbnail") return AttachmentKind::kThumbnail;
  if (text == "derivative") return AttachmentKind::kDerivative;
  return Status::Invalid("invalid_kind", "kind must be \"thumbnail\" or \"derivative\"");
}

std::string_view AttachmentKindName(AttachmentKind kind) {
  return kind == AttachmentKind::kThumbnail ? "thumbnail" : "derivative";
}

util::Result<SniffedType> SniffAttachment(std::string_view bytes, AttachmentKind kind,
                                          const AttachmentLimits& limits) {
  const bool thumbnail = kind == AttachmentKind::kThumbnail;
  const size_t max = thumbnail ? limits.max_thumbnail_bytes : limits.max_derivative_bytes;
  if (bytes.size() > max) {
    return Status(util::Code::kPayloadTooLarge, "attachment_too_large",
                  std::string(thumbnail ? "a thumbnail" : "an attachment") + " may hold at most " +
                      std::to_string(max >> 20) + " MiB");
  }
  if (bytes.empty()) return Status::Invalid("attachment_empty", "the file is empty");
  std::optional<SniffedType> type = Sniff(bytes);
  if (thumbnail) {
    if (!type || !type->image) {
      return Status::Invalid("attachment_type", "a thumbnail must be a PNG, JPEG or WebP image");
    }
    if (type->width == 0 || type->height == 0 || type->width > limits.max_thumbnail_side ||
        type->height > limits.max_thumbnail_side) {
      return Status::Invalid("attachment_type", "a thumbnail may be at most " +
                                                    std::to_string(limits.max_thumbnail_side) +
                                                    " pixels on a side");
    }
    return *type;
  }
  if (!type) {
    return Status::Invalid("attachment_type",
                           "accepted files are PDF, PNG, JPEG, WebP, STEP, IGES, STL and DXF");
  }
  return *type;
}

util::Status ValidateAttachmentName(std::string_view name) {
  if (name.empty() || name.size() > 200 || Utf8ErrorOffset(name) != std::string_view::npos) {
    return Status::Invalid("invalid_name", "a file name needs 1 to 200 bytes of UTF-8 text");
  }
  if (name.front() == '.' || name.front() == ' ' || name.back() == ' ') {
    return Status::Invalid("invalid_name",
                           "a file name cannot start with a dot, or start or end with a space");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F || c == '/' || c == '\\') {
      return Status::Invalid("invalid_name",
                             "a file name cannot hold control characters, '/' or '\\'");
    }
  }
  // C1 controls and the invisible direction marks and overrides that make "gpj.exe" display
  // as "exe.jpg" (the text is valid UTF-8 here, so sequences are well formed).
  for (size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    const size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(name[i + k]) & 0x3F);
    i += len;
    if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
        (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF) {
      return Status::Invalid("invalid_name",
                             "a file name cannot hold invisible control or direction characters");
    }
  }
  return Status::Ok();
}

}  // namespace bomvault::bom
