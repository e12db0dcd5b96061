#include "gateway/service_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>

namespace edgegw {
namespace {

void notify(const std::string& state) {
  const int sent = sd_notify(0, state.c_str());
  if (sent < 0) spdlog::warn("systemd: cannot notify ({})", std::strerror(-sent));
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::milliseconds(usec / 2000);
    spdlog::info("systemd: watchdog every {} ms", watchdog_interval_->count());
  }
}

void ServiceNotifier::ready(const std::string& status) const {
  notify("READY=1\nSTATUS=" + status);
}

void ServiceNotifier::reloading(const std::string& status) const {
  notify("RELOADING=1\nSTATUS=" + status);
}

void ServiceNotifier::stopping() const {
  notify("STOPPING=1\nSTATUS=stopping");
}

void ServiceNotifier::status(const std::string& status) const {
  notify("STATUS=" + status);
}

void ServiceNotifier::watchdog() const {
  notify("WATCHDOG=1");
}

}  // namespace edgegw
