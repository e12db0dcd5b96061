#include "gateway/uplink/directory_transport.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgegw {

namespace {

/// Writes `payload` to `path` so that a reader sees the whole file or none of it.
bool write_durably(const std::filesystem::path& path, std::string_view payload) {
  auto temp = path;
  temp += ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    spdlog::error("cannot create {}: {}", temp.string(), std::strerror(errno));
    return false;
  }
  const char* data = payload.data();
  std::size_t left = payload.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::error("cannot write {}: {}", temp.string(), std::strerror(errno));
      ::close(fd);
      return false;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temp.c_str(), path.c_str()) != 0) {
    spdlog::error("cannot store {}: {}", path.string(), std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

DirectoryTransport::DirectoryTransport(std::filesystem::path directory)
    : directory_(std::move(directory)) {
  std::filesystem::create_directories(directory_);
}

void DirectoryTransport::start(Handlers handlers) {
  {
    std::lock_guard lock(mutex_);
    handlers_ = std::move(handlers);
    started_ = true;
  }
  handlers_.on_connection(true, "directory " + directory_.string());
}

void DirectoryTransport::stop() {
  std::lock_guard lock(mutex_);
  started_ = false;
}

bool DirectoryTransport::publish(const std::string&, std::string_view payload,
                                 std::uint64_t token) {
  std::lock_guard lock(mutex_);
  if (!started_) return false;
  const std::string name = (token & kAlarmTokenBit) != 0
                               ? "alarm-" + std::to_string(token & ~kAlarmTokenBit) + ".json"
                               : std::to_string(token) + ".bundle";
  // A failed write (disk full) is refused like a publish while offline: the uplink keeps the
  // bundle in flight and tries again shortly.
  if (!write_durably(directory_ / name, payload)) return false;
  handlers_.on_result(token, {});
  return true;
}

}  // namespace edgegw
