// Files compiled into the binary at build time: the web UI (web/) and the schema (schema/).
//
// tools/embed.py generates the arrays; each list ends with an entry whose path is nullptr.
// The data is immutable and may be read from any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace bomvault::util {

struct EmbeddedFile {
  const char* path;          // "/index.html", "/0001_init.sql"
  const char* content_type;  // guessed from the extension
  const unsigned char* data;
  size_t size;

  std::string_view view() const { return {reinterpret_cast<const char*>(data), size}; }
};

extern const EmbeddedFile kWebFiles[];
extern const EmbeddedFile kSchemaFiles[];
extern const EmbeddedFile kPasswordLists[];  // common passwords, one per line

// The entry with this exact path, or nullptr.
inline const EmbeddedFile* FindEmbedded(const EmbeddedFile* files, std::string_view path) {
  for (const EmbeddedFile* f = files; f->path != nullptr; ++f) {
    if (path == f->path) return f;
  }
  return nullptr;
}

}  // namespace bomvault::util
