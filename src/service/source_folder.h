// The folder kind of data source: a directory on the server where a PDM or PLM export job drops
// files, for sites with no network path to those systems.
//
// Where: only under the drop root the operator gives on the command line (`serve --source-dir
// ROOT`), and there only under ROOT/<org id>/, so one organisation's Administrators can never name
// another's files. A source names a relative path below that (`path`, e.g. "plm/released"): 1-16
// components of A-Z a-z 0-9 . _ - (no "." or ".." component, nothing hidden). Every component is
// opened with O_NOFOLLOW|O_DIRECTORY from the root's own descriptor, so a symbolic link anywhere
// below the root is refused ("source_folder_refused"), and nothing resolves outside it.
// What: regular files only, opened with O_NOFOLLOW, with one link (a hard link could bring in a
// file from elsewhere on the same disk), at most kMaxFileBytes; names starting with "." and the
// usual partial-write names (*.tmp, *.part, *.partial, *~) are not listed: an export job writes
// under such a name and renames when done. A file whose size or modification time changes while
// it is read is refused ("source_file_changing"), since the export was not finished.
// Errors never name the root, the path or the file.
// Pure functions over the file system; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/ids.h"
#include "util/status.h"

namespace bomvault::service {

struct FolderFile {
  std::string name;
  int64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch
};

struct FolderRead {
  std::string bytes;
  int64_t size = 0, mtime = 0;
  std::string sha256;  // lower-case hex
};

class SourceFolder {
 public:
  static constexpr size_t kMaxFiles = 1000;
  static constexpr int64_t kMaxFileBytes = int64_t{64} << 20;  // the import route's limit

  // root: the absolute drop root ("" = folder sources are off).
  explicit SourceFolder(std::string root) : root_(std::move(root)) {}
  bool enabled() const { return !root_.empty(); }

  static bool ValidPath(std::string_view path);
  static bool ValidName(std::string_view name);

  // The directory exists and is reachable without a symbolic link.
  util::Status Check(const util::OrgId& org, std::string_view path) const;
  // Its files, sorted by name (at most kMaxFiles).
  util::Result<std::vector<FolderFile>> List(const util::OrgId& org, std::string_view path) const;
  // One file's bytes, size, modification time and SHA-256.
  util::Result<FolderRead> Read(const util::OrgId& org, std::string_view path,
                                std::string_view name) const;
  // Only the SHA-256 (to tell a touched file from a changed one).
  util::Result<std::string> Hash(const util::OrgId& org, std::string_view path,
                                 std::string_view name) const;

 private:
  std::string root_;
};

}  // namespace bomvault::service
