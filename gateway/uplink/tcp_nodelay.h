#pragma once

#include <vector>

namespace edgegw {

/// Turns Nagle's algorithm off (TCP_NODELAY) on every TCP socket of this process connected to
/// a peer on `peer_port`; returns the descriptors it set it on.
///
/// Why: Paho's C library as Debian 12 ships it (1.3.11) leaves Nagle on for its socket and has
/// no option to turn it off (paho.mqtt.c issue 530, an option only since 2026). A publish written
/// in more than one segment then waits for the broker's delayed ACK, up to 40 ms on Linux: a
/// drain is capped at one in-flight window per 40 ms, and an alarm may wait as long. The
/// transport calls this once its connection is up; a socket of another MQTT client of the process
/// to the same port only gets the same fix.
std::vector<int> disable_nagle_towards(int peer_port);

/// The descriptors of this process's TCP sockets connected to a peer on `peer_port`.
std::vector<int> tcp_sockets_towards(int peer_port);

/// Whether TCP_NODELAY is set on `fd` (false for anything that is not a TCP socket).
bool nagle_disabled(int fd);

}  // namespace edgegw
