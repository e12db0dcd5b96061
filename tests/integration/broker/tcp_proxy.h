#pragma once

#include <cstdint>
#include <memory>

namespace edgegw {

/// A TCP forwarder on loopback that the test can cut: the gateway talks to the broker
/// through it, the test subscriber talks to the broker directly. cut() is a network outage
/// (every connection dropped, new ones refused); restore() ends it, on the same port.
/// Bytes pass through untouched, so TLS works end to end.
class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const;
  void cut();
  void restore();
  /// The next connection is closed as soon as the client, past the TLS handshake, sends its
  /// first application data (TLS 1.2: the MQTT CONNECT), without a word from the broker: what
  /// AWS IoT does to the first connection of a certificate it registers just in time.
  void drop_next_session();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace edgegw
