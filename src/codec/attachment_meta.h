// The sealed part of an attachment's row (service/attachments.h): its file name and SHA-256, as
// the JSON object text {"name", "sha256"}. Pure functions: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bomvault::codec {

struct AttachmentMeta {
  std::string name;
  std::string sha256;  // hex
};

std::string EncodeAttachmentMeta(const AttachmentMeta& meta);
// nullopt unless the text is an object with string members "name" and "sha256".
std::optional<AttachmentMeta> DecodeAttachmentMeta(std::string_view text);

}  // namespace bomvault::codec
