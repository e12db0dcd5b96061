#include "gateway/api/listen_address.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace edgegw::api {

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    bracketed = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }

  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  // An IPv6 literal must be bracketed so its colons cannot be mistaken for the port's.
  if (ec || address.is_v6() != bracketed) return std::nullopt;

  unsigned value = 0;
  const auto* end = port.data() + port.size();
  auto [stop, error] = std::from_chars(port.data(), end, value);
  if (port.empty() || error != std::errc{} || stop != end || value > 65535) return std::nullopt;
  return ListenAddress{.host = address.to_string(), .port = static_cast<std::uint16_t>(value)};
}

}  // namespace edgegw::api
