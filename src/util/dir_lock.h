// An exclusive advisory lock on a data directory (flock on DIR/bomvault.lock), so that commands
// which rewrite the keyring (`rekey`) never run beside a server that has it in memory, and two
// servers never share one store. The lock dies with the process (kill -9 included), so a crash
// never leaves a stale lock behind. Not thread-related: one per process and directory.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace bomvault::util {

class DirLock {
 public:
  DirLock() = default;
  DirLock(DirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DirLock& operator=(DirLock&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  DirLock(const DirLock&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }

  // False if another process holds the lock (or the file cannot be made). The lock file belongs
  // to the data directory's owner even when root makes it, so the service can still take it.
  bool TryAcquire(const std::string& data_dir) {
    std::string path = data_dir + "/bomvault.lock";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
      struct stat sb {};
      if (fd >= 0 && ::stat(data_dir.c_str(), &sb) == 0 && sb.st_uid != ::geteuid()) {
        (void)::fchown(fd, sb.st_uid, sb.st_gid);
      }
    }
    if (fd < 0) return false;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return false;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return true;
  }
  bool held() const { return fd_ >= 0; }

  // True if some process holds the lock now; creates nothing.
  static bool HeldByOther(const std::string& data_dir) {
    int fd = ::open((data_dir + "/bomvault.lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    ::close(fd);
    return held;
  }

 private:
  int fd_ = -1;
};

}  // namespace bomvault::util
