#pragma once
// HTTP clients for tests. HttpTestClient / HttpsTestClient: blocking, over plain TCP or TLS, with
// a deadline on every operation, for scripted conversations (keep-alive, pipelining, raw
// bytes). http_request(): one request on a fresh connection.

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace edgegw {

/// Long enough for a loaded CI machine, short enough that a hang fails the test instead.
inline constexpr auto kHttpTestDeadline = std::chrono::seconds(10);

/// A blocking HTTP client whose every operation runs its own io_context for at most
/// kHttpTestDeadline, so a server that never answers fails the test instead of hanging it.
/// Errors are kept in last_error(), not thrown, so tests can assert on them.
template <class Stream>
class BasicHttpTestClient {
  static constexpr bool kTls = !std::is_same_v<Stream, boost::beast::tcp_stream>;

 public:
  using tcp = boost::asio::ip::tcp;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  /// Connects to 127.0.0.1:`port`.
  explicit BasicHttpTestClient(std::uint16_t port) requires(!kTls)
      : BasicHttpTestClient(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port)) {}
  explicit BasicHttpTestClient(const tcp::endpoint& endpoint) requires(!kTls) : stream_(io_) {
    connect(endpoint);
  }
  /// Connects and shakes hands, checking that the server's certificate is from `context`'s
  /// CAs and names `server_name` (a host name or an IP address).
  BasicHttpTestClient(const tcp::endpoint& endpoint, boost::asio::ssl::context& context,
                      const std::string& server_name) requires kTls : stream_(io_, context) {
    if (!connect(endpoint)) return;
    boost::system::error_code not_an_address;
    boost::asio::ip::make_address(server_name, not_an_address);
    if (not_an_address) {  // SNI carries host names only
      SSL_set_tlsext_host_name(stream_.native_handle(), server_name.c_str());
    }
    stream_.set_verify_mode(boost::asio::ssl::verify_peer);
    stream_.set_verify_callback(boost::asio::ssl::host_name_verification(server_name));
    last_error_ = run([&](auto done) {
      stream_.async_handshake(boost::asio::ssl::stream_base::client,
                              [done](boost::beast::error_code ec) { done(ec, 0); });
    });
  }

  /// Whether connecting (and the TLS handshake) succeeded; if not, last_error() says why.
  bool connected() const { return connected_; }

  void send(Request request) {
    request.prepare_payload();
    last_error_ = run([&](auto done) { boost::beast::http::async_write(stream_, request, done); });
    if (last_error_) throw std::runtime_error("sending a request failed: " + last_error_.message());
  }

  void send_raw(const std::string& bytes) {
    last_error_ = run(
        [&](auto done) { boost::asio::async_write(stream_, boost::asio::buffer(bytes), done); });
    if (last_error_) throw std::runtime_error("sending bytes failed: " + last_error_.message());
  }

  /// The next response; nothing on error (the error is kept in last_error()).
  std::optional<Response> receive(bool head = false) {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head);
    last_error_ =
        run([&](auto done) { boost::beast::http::async_read(stream_, buffer_, parser, done); });
    if (last_error_) return std::nullopt;
    return parser.release();
  }

  /// Reads the head of an interim response such as "100 Continue".
  std::string receive_head_raw() {
    std::string head;
    auto dynamic = boost::asio::dynamic_buffer(head);
    last_error_ =
        run([&](auto done) { boost::asio::async_read_until(stream_, dynamic, "\r\n\r\n", done); });
    return head;
  }

  std::optional<Response> get(const std::string& target) {
    send({boost::beast::http::verb::get, target, 11});
    return receive();
  }

  /// Whether the server closed the connection (the next read ends without data); last_error()
  /// then tells how (eof: cleanly, with close_notify over TLS).
  bool closed_by_server() {
    std::array<char, 256> scratch;
    if (buffer_.size() > 0) return false;  // unread data is not a close
    last_error_ =
        run([&](auto done) { stream_.async_read_some(boost::asio::buffer(scratch), done); });
    return last_error_ == boost::asio::error::eof ||
           last_error_ == boost::asio::error::connection_reset ||
           last_error_ == boost::asio::ssl::error::stream_truncated;
  }

  const boost::beast::error_code& last_error() const { return last_error_; }

 private:
  bool connect(const tcp::endpoint& endpoint) {
    last_error_ = run([&](auto done) {
      boost::beast::get_lowest_layer(stream_).async_connect(
          endpoint, [done](boost::beast::error_code ec) { done(ec, 0); });
    });
    connected_ = !last_error_;
    return connected_;
  }

  template <class Start>
  boost::beast::error_code run(Start start) {
    boost::beast::error_code result = boost::asio::error::timed_out;
    bool finished = false;
    start([&](boost::beast::error_code ec, std::size_t) {
      result = ec;
      finished = true;
    });
    io_.restart();
    io_.run_for(kHttpTestDeadline);
    if (!finished) {
      boost::beast::get_lowest_layer(stream_).cancel();
      io_.restart();
      io_.run();
    }
    return finished ? result : boost::beast::error_code(boost::asio::error::timed_out);
  }

  boost::asio::io_context io_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::error_code last_error_;
  bool connected_ = false;
};

using HttpTestClient = BasicHttpTestClient<boost::beast::tcp_stream>;
using HttpsTestClient = BasicHttpTestClient<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

struct HttpResult {
  int status = 0;
  std::string body;
};

/// One request to 127.0.0.1:`port` on a fresh connection. Throws when no response arrives.
inline HttpResult http_request(std::uint16_t port, boost::beast::http::verb method,
                               const std::string& target, const std::string& body = "",
                               const std::string& content_type = "application/json") {
  HttpTestClient client(port);
  if (!client.connected()) {
    throw std::runtime_error("cannot connect to port " + std::to_string(port) + ": " +
                             client.last_error().message());
  }
  HttpTestClient::Request request{method, target, 11};
  request.set(boost::beast::http::field::host, "127.0.0.1");
  if (!body.empty()) {
    request.set(boost::beast::http::field::content_type, content_type);
    request.body() = body;
  }
  client.send(std::move(request));
  auto response = client.receive();
  if (!response) {
    throw std::runtime_error("no response to " + target + ": " + client.last_error().message());
  }
  return {static_cast<int>(response->result_int()), response->body()};
}

}  // namespace edgegw
