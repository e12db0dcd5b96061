#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/temp_dir.h"

namespace edgegw {

/// A really full disk, not a simulated one: a tmpfs of `bytes` mounted on a fresh directory,
/// unmounted at scope exit. Mounting needs root (CI runs as root); check can_mount() first.
class SmallFilesystem {
 public:
  explicit SmallFilesystem(std::size_t bytes) {
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) !=
        0) {
      throw std::runtime_error("mount tmpfs on " + dir_.path().string() + ": " +
                               std::strerror(errno));
    }
  }
  ~SmallFilesystem() { ::umount2(dir_.path().c_str(), MNT_DETACH); }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  /// Whether this process may mount one (it is root).
  static bool can_mount() { return ::geteuid() == 0; }

  std::string file(const std::string& name) const { return dir_.file(name); }
  std::string path() const { return dir_.path().string(); }

  /// Bytes an unprivileged writer could still allocate.
  std::size_t free_bytes() const {
    struct statvfs info {};
    if (::statvfs(dir_.path().c_str(), &info) != 0) return 0;
    return static_cast<std::size_t>(info.f_bavail) * info.f_frsize;
  }

  /// Writes `name` until the filesystem says ENOSPC, as someone else's log would; returns the
  /// bytes it holds. The file stays until remove() frees the space again.
  std::size_t fill(const std::string& name) const {
    const int fd = ::open(file(name).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) throw std::runtime_error("open " + file(name) + ": " + std::strerror(errno));
    const std::vector<char> block(4096, 'x');
    std::size_t written = 0;
    for (;;) {
      const ssize_t n = ::write(fd, block.data(), block.size());
      if (n <= 0) break;  // ENOSPC, or a short write just before it
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return written;
  }

  void remove(const std::string& name) const { ::unlink(file(name).c_str()); }

 private:
  TempDir dir_;
};

}  // namespace edgegw
