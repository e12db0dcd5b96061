#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gateway/api/router.h"
#include "gateway/config/config.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace edgegw::api {

class HttpServerCore;

/// Limits and timeouts of the HTTP server. The defaults suit a local diagnostics API.
struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  ///< "host:port" or "[v6]:port"; port 0: any
  std::size_t body_limit = 1024 * 1024;   ///< larger bodies answer 413
  std::size_t header_limit = 8 * 1024;    ///< larger request heads answer 431
  /// Beyond this a new connection is answered 503 at once, without reading its request, and
  /// closed; beyond twice this it is closed unanswered, so a flood costs no more than that.
  std::size_t max_connections = 64;
  /// To receive one whole request, counted from when the connection is ready for it. A client
  /// that sent part of a request by then is answered 408 and closed; an idle keep-alive
  /// connection is closed without a word. Also bounds the TLS handshake.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);  ///< to send one response
  /// After answering and closing, how long unread input is drained so the client sees the
  /// answer rather than a connection reset.
  std::chrono::milliseconds linger_timeout = std::chrono::seconds(2);
  /// Set: HTTPS only (TLS 1.2 or newer), with these files; see [api.tls].
  std::optional<ApiTlsOptions> tls;
};

/// The server options [api] configures (listen, max_body_bytes, max_connections,
/// read_timeout_s, [api.tls]); the rest keep their defaults.
HttpServerOptions server_options(const ApiOptions& api);

/// HTTP/1.1 server, optionally over TLS, on the caller's io_context: keep-alive, one request at
/// a time per connection (pipelined requests are answered in order), body/header limits and
/// timeouts.
/// Requests go to the router; a handler may answer from any thread. Run the io_context on one
/// thread; the io_context must outlive the server.
class HttpServer {
 public:
  /// Loads the TLS files if options.tls is set: throws SecretFileError or std::runtime_error,
  /// naming the [api.tls] setting, for a file it cannot use.
  HttpServer(boost::asio::io_context& io, Router router, HttpServerOptions options = {});
  /// Stops the server (see stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts accepting. Throws std::invalid_argument for a malformed listen address,
  /// std::system_error when the address cannot be bound and std::logic_error after stop().
  void start();
  /// The bound port; after start(), the real one when options.listen asked for port 0.
  std::uint16_t port() const { return port_; }
  /// Closes the listener and every connection, and drops replies still pending. Safe from any
  /// thread; the closing runs on the io_context, after which it has no work left from this
  /// server. Calling it again does nothing.
  void stop();

 private:
  boost::asio::io_context& io_;
  // Shared with the pending asynchronous operations, which may outlive this handle.
  std::shared_ptr<HttpServerCore> core_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace edgegw::api
