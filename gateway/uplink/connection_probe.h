#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "gateway/uplink/cloud_profile.h"

namespace edgegw {

/// What the probe found: a sentence for the log, and whether the broker took the TLS handshake
/// and the client certificate and then ended the MQTT session (kSessionDroppedFinding): a
/// CONNECT it refused without a CONNACK, or AWS IoT registering a new certificate just in
/// time, which drops the first connection.
struct ProbeFinding {
  std::string text;
  bool session_dropped = false;
};

/// Finds out, for the log, why an MQTT connect failed when Paho only says "failure": connects
/// to the broker itself and, with TLS, does the handshake with the same CA, certificate, key,
/// SNI and host name check, then waits briefly for the broker's verdict on the client
/// certificate (under TLS 1.3 it arrives after the handshake). Runs on `io` without blocking;
/// calls `done` there with a sentence such as "connection refused", "TLS handshake failure:
/// certificate verify failed ..." or "the broker rejected the client certificate (expired)".
void probe_connection(boost::asio::io_context& io, const CloudProfile& profile,
                      std::chrono::milliseconds deadline,
                      std::function<void(const ProbeFinding& finding)> done);

/// The text of a finding with session_dropped.
inline constexpr std::string_view kSessionDroppedFinding =
    "TLS handshake succeeded; the broker refused or dropped the MQTT session";

/// Turns an OpenSSL error text into the words an operator searches for, keeping the original.
std::string describe_tls_error(const std::string& openssl_text);

}  // namespace edgegw
