#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgegw::api {

/// Where the HTTP server listens: an IP literal and a port (0: any free port).
struct ListenAddress {
  std::string host;  ///< "127.0.0.1", "0.0.0.0", "::1" (without brackets)
  std::uint16_t port = 0;
};

/// Parses "host:port" with an IPv4 literal or "[v6]:port". Host names are not resolved, so a
/// typo cannot make the API listen somewhere unexpected. Nothing on a malformed address.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace edgegw::api
