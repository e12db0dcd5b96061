#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace edgegw {

/// Publish tokens: a bundle's token is its bundle_seq; an alarm's is its id with this bit set.
inline constexpr std::uint64_t kAlarmTokenBit = std::uint64_t{1} << 63;

/// What the uplink publishes through: an MQTT client to the cloud, or a directory.
/// Implementations deliver events from whatever thread they like; the handlers only enqueue.
class Transport {
 public:
  struct Handlers {
    /// The publish identified by `token` is held by the far side (MQTT: its PUBACK arrived).
    std::function<void(std::uint64_t token)> on_acked;
    /// The connection came up (true) or went down (false), with a reason for the log. Every
    /// publish not yet acknowledged when it goes down is lost and must be sent again.
    std::function<void(bool connected, const std::string& reason)> on_connection;
  };

  virtual ~Transport() = default;
  /// Starts connecting (and reconnecting after any loss) until stop().
  virtual void start(Handlers handlers) = 0;
  virtual void stop() = 0;
  /// Queues a QoS 1 publish. Returns false, and queues nothing, when it cannot take it now
  /// (not connected); the caller tries again later.
  virtual bool publish(const std::string& topic, std::string_view payload, std::uint64_t token) = 0;
};

}  // namespace edgegw
