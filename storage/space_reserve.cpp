#include "storage/space_reserve.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>

namespace edgegw {

SpaceReserve::SpaceReserve(std::string path, std::int64_t bytes)
    : path_(std::move(path)), bytes_(bytes > 0 ? bytes : 0) {
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  directory_ = parent.empty() ? std::string(".") : parent.string();
}

bool SpaceReserve::take() {
  if (held_ || bytes_ == 0) return held_;
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  // posix_fallocate allocates real blocks (it writes them where the filesystem cannot
  // preallocate); a sparse file would hold nothing.
  const int error = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes_));
  ::close(fd);
  if (error != 0) {
    ::unlink(path_.c_str());  // a partial reserve would only take space from the database
    return false;
  }
  held_ = true;
  return true;
}

void SpaceReserve::release() {
  // Unlinked even when not held: a file left by an earlier run is not ours to keep either.
  ::unlink(path_.c_str());
  held_ = false;
}

std::int64_t SpaceReserve::filesystem_free_bytes() const {
  struct statvfs info {};
  if (::statvfs(directory_.c_str(), &info) != 0) return 0;
  return static_cast<std::int64_t>(info.f_bavail) * static_cast<std::int64_t>(info.f_frsize);
}

}  // namespace edgegw
