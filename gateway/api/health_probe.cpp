#include "gateway/api/health_probe.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/api/listen_address.h"

namespace edgegw::api {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

/// Where a client on this box reaches an API listening at `host`.
std::string reachable_host(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

template <class Stream>
asio::awaitable<void> ask(Stream& stream, const std::string& host, HealthProbeResult& result) {
  http::request<http::empty_body> request{http::verb::get, "/healthz", 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "edgegw-healthcheck");
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  result.healthy = response.result() == http::status::ok;
  result.detail = std::to_string(response.result_int()) + " " + std::string(response.reason());
}

}  // namespace

HealthProbeResult probe_health(const ApiOptions& options, std::chrono::milliseconds deadline) {
  HealthProbeResult result;
  const auto listen = parse_listen_address(options.listen);
  if (!listen || listen->port == 0) {
    result.detail = "[api] listen \"" + options.listen + "\" names no fixed port to ask";
    return result;
  }
  const tcp::endpoint endpoint(asio::ip::make_address(reachable_host(listen->host)), listen->port);
  const std::string where = "http" + std::string(options.tls ? "s" : "") + "://" +
                            endpoint.address().to_string() + ":" + std::to_string(listen->port);
  result.detail =
      "no answer from " + where + "/healthz within " + std::to_string(deadline.count()) + " ms";

  // The gateway's own API on this box, named by its own config: the probe asks whether it
  // answers, not who it is, so the server's certificate is not verified (a client certificate,
  // where [api.tls] client_ca_file demands one, is not offered: the probe then reports the
  // handshake's failure).
  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);
  // After the context: a coroutine still waiting at the deadline is destroyed with `io`.
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          beast::tcp_stream tcp_stream(io);
          co_await tcp_stream.async_connect(endpoint, asio::use_awaitable);
          if (options.tls) {
            beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
            co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
            co_await ask(stream, endpoint.address().to_string(), result);
          } else {
            co_await ask(tcp_stream, endpoint.address().to_string(), result);
          }
        } catch (const boost::system::system_error& error) {
          // code().message(): what() also names the Boost source line that threw.
          result.detail = where + "/healthz: " + error.code().message();
        }
      },
      asio::detached);
  io.run_for(deadline);
  return result;
}

}  // namespace edgegw::api
