#include "gateway/uplink/directory_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgegw {

DirectorySink::DirectorySink(std::filesystem::path directory, std::size_t metered_overhead_bytes)
    : directory_(std::move(directory)), overhead_(metered_overhead_bytes) {
  std::filesystem::create_directories(directory_);
}

bool DirectorySink::deliver(const InflightBundle& bundle) {
  auto final_path = directory_ / (std::to_string(bundle.bundle_seq) + ".bundle");
  auto temp_path = directory_ / (std::to_string(bundle.bundle_seq) + ".bundle.tmp");
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    spdlog::error("bundle {}: cannot create {}: {}", bundle.bundle_seq, temp_path.string(),
                  std::strerror(errno));
    return false;
  }
  const char* data = bundle.payload.data();
  std::size_t left = bundle.payload.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::error("bundle {}: cannot write {}: {}", bundle.bundle_seq, temp_path.string(),
                    std::strerror(errno));
      ::close(fd);
      return false;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    spdlog::error("bundle {}: cannot store {}: {}", bundle.bundle_seq, final_path.string(),
                  std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace edgegw
