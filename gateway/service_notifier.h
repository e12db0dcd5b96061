#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace edgegw {

/// Tells the service manager how the daemon stands, through sd_notify (systemd's
/// Type=notify, deploy/systemd/edgegw.service): READY=1 once the gateway runs, RELOADING=1
/// then READY=1 around a SIGHUP and a restart in place, STOPPING=1, STATUS= lines, and WATCHDOG=1
/// pings when the unit has WatchdogSec. Not under systemd (no NOTIFY_SOCKET) every call does
/// nothing.
class ServiceNotifier {
 public:
  ServiceNotifier();

  void ready(const std::string& status) const;
  void reloading(const std::string& status) const;
  void stopping() const;
  void status(const std::string& status) const;
  /// How often to ping: half of what the service manager allows; none without a watchdog.
  std::optional<std::chrono::milliseconds> watchdog_interval() const { return watchdog_interval_; }
  /// "Still alive": to be sent only when the gateway's event loop answers.
  void watchdog() const;

 private:
  std::optional<std::chrono::milliseconds> watchdog_interval_;
};

}  // namespace edgegw
