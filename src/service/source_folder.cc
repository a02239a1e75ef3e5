#include "service/source_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "bom/item.h"
#include "crypto/crypto.h"

namespace bomvault::service {

using util::Code;
using util::Status;

namespace {

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

Status Missing() {
  return Status(Code::kUnprocessable, "source_folder_missing",
                "this source's folder does not exist on the server (the drop directory is made "
                "by the site's export job or its operator)");
}

Status Refused() {
  return Status(Code::kUnprocessable, "source_folder_refused",
                "this source's folder is reached through a symbolic link or is not a directory; "
                "only real directories under the drop root are read");
}

Status FileMissing() {
  return Status(Code::kUnprocessable, "source_file_not_found",
                "the file is no longer in this source's folder");
}

bool ComponentOk(std::string_view c) {
  if (c.empty() || c.size() > 128 || c.front() == '.') return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
  });
}

bool PartialName(std::string_view n) {
  for (std::string_view suffix : {".tmp", ".part", ".partial", ".crdownload", "~"}) {
    if (n.size() >= suffix.size() && n.substr(n.size() - suffix.size()) == suffix) return true;
  }
  return false;
}

// ROOT/<org>/<path...>, each step without following a link.
util::Result<Fd> OpenDir(const std::string& root, const util::OrgId& org, std::string_view path) {
  if (root.empty()) {
    return Status(Code::kUnprocessable, "folder_sources_off",
                  "this server has no drop directory for folder sources (serve --source-dir)");
  }
  Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return Missing();
  std::vector<std::string> parts{org.str()};
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    parts.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  for (const auto& p : parts) {
    int next = ::openat(dir.get(), p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return errno == ENOENT ? Missing() : Refused();
    dir = Fd(next);
  }
  return dir;
}

// A regular file with one link, opened without following a link.
util::Result<Fd> OpenFile(int dir, std::string_view name, struct stat* st) {
  if (!SourceFolder::ValidName(name)) return FileMissing();
  const std::string n(name);
  Fd f(::openat(dir, n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (f.get() < 0) {
    if (errno == ENOENT) return FileMissing();
    return Status(Code::kUnprocessable, "source_file_refused",
                  "the file is a symbolic link or cannot be read");
  }
  if (::fstat(f.get(), st) != 0 || !S_ISREG(st->st_mode) || st->st_nlink != 1) {
    return Status(Code::kUnprocessable, "source_file_refused",
                  "only plain files (no links, devices or directories) are read");
  }
  if (st->st_size > SourceFolder::kMaxFileBytes) {
    return Status(Code::kPayloadTooLarge, "file_too_large", "the file is larger than 64 MiB");
  }
  return f;
}

Status Changing() {
  return Status::Conflict("source_file_changing",
                          "the file changed while it was read; try again once the export job "
                          "has finished writing it");
}

}  // namespace

bool SourceFolder::ValidPath(std::string_view path) {
  if (path.empty() || path.size() > 512) return false;
  size_t pos = 0, parts = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (!ComponentOk(path.substr(pos, slash - pos)) || ++parts > 16) return false;
    pos = slash + 1;
  }
  return true;
}

bool SourceFolder::ValidName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.' || PartialName(name)) return false;
  if (bom::Utf8ErrorOffset(name) != std::string_view::npos) return false;
  return std::none_of(name.begin(), name.end(), [](char ch) {
    return ch == '/' || ch == '\\' || (static_cast<unsigned char>(ch) < 0x20) || ch == 0x7f;
  });
}

Status SourceFolder::Check(const util::OrgId& org, std::string_view path) const {
  auto d = OpenDir(root_, org, path);
  return d.ok() ? Status::Ok() : d.status();
}

util::Result<std::vector<FolderFile>> SourceFolder::List(const util::OrgId& org,
                                                         std::string_view path) const {
  auto d = OpenDir(root_, org, path);
  if (!d.ok()) return d.status();
  int dirfd = d->release();
  DIR* dir = ::fdopendir(dirfd);
  if (dir == nullptr) {
    ::close(dirfd);
    return Refused();
  }
  std::vector<FolderFile> out;
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (!ValidName(name)) continue;
    struct stat st {};
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1) continue;
    out.push_back({std::string(name), static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec)});
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(),
            [](const FolderFile& a, const FolderFile& b) { return a.name < b.name; });
  if (out.size() > kMaxFiles) out.resize(kMaxFiles);
  return out;
}

util::Result<FolderRead> SourceFolder::Read(const util::OrgId& org, std::string_view path,
                                            std::string_view name) const {
  auto d = OpenDir(root_, org, path);
  if (!d.ok()) return d.status();
  struct stat st {};
  auto f = OpenFile(d->get(), name, &st);
  if (!f.ok()) return f.status();
  FolderRead out;
  out.size = static_cast<int64_t>(st.st_size);
  out.mtime = static_cast<int64_t>(st.st_mtim.tv_sec);
  out.bytes.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.bytes.size()) {
    ssize_t n = ::read(f->get(), out.bytes.data() + got, out.bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Changing();
    got += static_cast<size_t>(n);
  }
  char extra = 0;
  struct stat after {};
  if (::read(f->get(), &extra, 1) != 0 || ::fstat(f->get(), &after) != 0 ||
      after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
      after.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
    return Changing();
  }
  out.sha256 = crypto::ToHex(crypto::Sha256(crypto::AsBytes(out.bytes)));
  return out;
}

util::Result<std::string> SourceFolder::Hash(const util::OrgId& org, std::string_view path,
                                             std::string_view name) const {
  auto d = OpenDir(root_, org, path);
  if (!d.ok()) return d.status();
  struct stat st {};
  auto f = OpenFile(d->get(), name, &st);
  if (!f.ok()) return f.status();
  crypto::Sha256Stream h;
  uint8_t buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(f->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Changing();
    if (n == 0) break;
    h.Update({buf, static_cast<size_t>(n)});
  }
  return crypto::ToHex(h.Final());
}

}  // namespace bomvault::service
