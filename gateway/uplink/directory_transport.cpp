#include "gateway/uplink/directory_transport.h"

#include <spdlog/spdlog.h>

#include "gateway/durable_file.h"

namespace edgegw {

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
  try {
    write_file_durably(directory_ / name, payload);
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return false;
  }
  handlers_.on_result(token, {});
  return true;
}

}  // namespace edgegw
