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

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace edgegw
