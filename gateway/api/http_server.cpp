#include "gateway/api/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "gateway/api/listen_address.h"
#include "gateway/config/config.h"

namespace edgegw::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/// Most bytes read and thrown away while lingering before a close.
constexpr std::size_t kMaxLingerBytes = 4 * 1024 * 1024;
/// How long to pause accepting after an accept error (typically out of file descriptors),
/// so the loop does not spin while the error lasts.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

/// Guards the step from a handler's thread into the io_context. Once the server stops, late
/// replies (say, a storage thread finishing a submit) are dropped instead of posted, so they
/// never touch an io_context that may be gone.
struct ReplyGate {
  std::mutex mutex;
  bool closed = false;
};

/// What every session reads and nobody changes once the server runs.
struct SessionConfig {
  Router router;
  HttpServerOptions options;
};

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

class HttpSession;

}  // namespace

/// The server's state, owned jointly by the HttpServer handle and its pending operations so
/// that handlers still queued on the io_context never see it destroyed. Touched only on the
/// io_context thread once start() returned.
class HttpServerCore : public std::enable_shared_from_this<HttpServerCore> {
 public:
  HttpServerCore(asio::io_context& io, Router router, HttpServerOptions options)
      : config_(std::make_shared<const SessionConfig>(
            SessionConfig{.router = std::move(router), .options = std::move(options)})),
        gate_(std::make_shared<ReplyGate>()),
        acceptor_(io),
        retry_timer_(io) {}

  std::uint16_t listen();
  const std::string& listen_address() const { return config_->options.listen; }
  void accept_next();
  /// Drops replies from now on; callable from any thread.
  void close_gate() {
    std::lock_guard lock(gate_->mutex);
    gate_->closed = true;
  }
  void close();
  void remove(HttpSession* session);

 private:
  void on_accept(beast::error_code ec, tcp::socket socket);

  std::shared_ptr<const SessionConfig> config_;
  std::shared_ptr<ReplyGate> gate_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  // The registry owns idle sessions waiting for a reply, which have no operation pending.
  std::unordered_map<HttpSession*, std::shared_ptr<HttpSession>> sessions_;
  std::size_t serving_ = 0;     // sessions counted against max_connections
  std::size_t overloaded_ = 0;  // sessions only there to answer 503
  bool stopped_ = false;
};

namespace {

/// One connection: reads a request, lets the router answer it, writes the answer, repeats.
/// Only one request is in progress at a time, so pipelined requests wait in buffer_ and are
/// answered in order.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<const SessionConfig> config,
              std::shared_ptr<ReplyGate> gate, std::weak_ptr<HttpServerCore> core, bool overloaded)
      : stream_(std::move(socket)),
        config_(std::move(config)),
        gate_(std::move(gate)),
        core_(std::move(core)),
        overloaded_(overloaded) {}

  void start() {
    if (overloaded_) {
      refuse_overloaded();
      return;
    }
    read_request();
  }
  /// Closes the connection; pending operations complete with an error and end the session.
  void finish();
  bool overloaded() const { return overloaded_; }

 private:
  const HttpServerOptions& options() const { return config_->options; }
  void read_request();
  void on_header(beast::error_code ec);
  void read_body();
  void on_read(beast::error_code ec);
  void on_read_error(beast::error_code ec);
  Reply make_reply();
  void write(HttpResponse response);
  void on_write(beast::error_code ec);
  void respond_and_close(HttpResponse response);
  void refuse_overloaded();
  void linger();
  void drain();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<const SessionConfig> config_;
  std::shared_ptr<ReplyGate> gate_;
  std::weak_ptr<HttpServerCore> core_;
  const bool overloaded_;

  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  std::array<char, 4096> discard_{};
  std::size_t discarded_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool finished_ = false;
};

}  // namespace

// ---- HttpSession ----

void HttpSession::finish() {
  if (finished_) return;
  finished_ = true;
  stream_.close();
  if (auto core = core_.lock()) core->remove(this);
}

void HttpSession::read_request() {
  parser_.emplace();
  parser_->body_limit(options().body_limit);
  parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
  version_ = 11;
  keep_alive_ = false;
  head_ = false;
  stream_.expires_after(options().read_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (finished_) return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  const auto& head = parser_->get();
  // curl and others wait for "100 Continue" before sending a body; without it every larger
  // POST would stall for a second. A body over the limit was already refused above.
  if (head.version() >= 11 && beast::iequals(head[http::field::expect], "100-continue") &&
      !parser_->is_done()) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                        if (self->finished_) return;
                        if (write_ec) {
                          self->on_read_error(write_ec);
                          return;
                        }
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void HttpSession::read_body() {
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void HttpSession::on_read_error(beast::error_code ec) {
  if (ec == http::error::end_of_stream) {  // the client closed between requests
    finish();
    return;
  }
  if (ec == beast::error::timeout) {  // tcp_stream has closed the socket already
    spdlog::debug("api: closing a connection idle for over {} ms", options().read_timeout.count());
    finish();
    return;
  }
  if (ec == http::error::body_limit) {
    respond_and_close(
        json_error(413, "payload_too_large",
                   "the body exceeds " + std::to_string(options().body_limit) + " bytes"));
    return;
  }
  if (ec == http::error::header_limit) {
    respond_and_close(json_error(
        431, "header_too_large",
        "the request head exceeds " + std::to_string(options().header_limit) + " bytes"));
    return;
  }
  if (is_http_parse_error(ec) && ec != http::error::partial_message) {
    spdlog::debug("api: malformed request: {}", ec.message());
    respond_and_close(json_error(400, "bad_request", "malformed HTTP request: " + ec.message()));
    return;
  }
  spdlog::debug("api: reading a request failed: {}", ec.message());
  finish();
}

void HttpSession::on_read(beast::error_code ec) {
  if (finished_) return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  auto& message = parser_->get();
  version_ = message.version();
  keep_alive_ = message.keep_alive();
  head_ = message.method() == http::verb::head;

  HttpRequest request{.method = std::string(message.method_string()),
                      .target = std::string(message.target()),
                      .headers = {},
                      .body = std::move(message.body()),
                      .path_params = {}};
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  // No timer runs while the handler works: the client is waiting for us, not the other way.
  stream_.expires_never();
  config_->router.dispatch(request, make_reply());
}

Reply HttpSession::make_reply() {
  auto answered = std::make_shared<std::atomic<bool>>(false);
  return [weak = weak_from_this(), gate = gate_, answered](HttpResponse response) {
    if (answered->exchange(true)) return;
    std::lock_guard lock(gate->mutex);
    if (gate->closed) return;
    auto self = weak.lock();
    if (!self) return;
    // Always post, even from the io_context thread: the write then never runs inside the
    // handler that is still on the stack, and the session's own executor serialises it.
    auto executor = self->stream_.get_executor();
    asio::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
      self->write(std::move(response));
    });
  };
}

void HttpSession::write(HttpResponse response) {
  if (finished_) return;
  // Handlers never send interim or bodiless statuses; refusing them here keeps Beast from
  // throwing on the io_context thread over a handler's mistake.
  if (response.status < 200 || response.status > 599 || response.status == 204 ||
      response.status == 304) {
    spdlog::warn("api: a handler answered with status {}; sending 500", response.status);
    response = json_error(500, "internal_error", "the request could not be handled");
  }
  response_ = {};
  response_.version(version_);
  response_.result(static_cast<unsigned>(response.status));
  if (!response.content_type.empty()) {
    response_.set(http::field::content_type, response.content_type);
  }
  for (auto& [name, value] : response.headers) response_.insert(name, value);
  response_.body() = std::move(response.body);
  response_.keep_alive(keep_alive_);
  // Content-Length is the body's size even for HEAD, which then sends the head alone.
  response_.prepare_payload();
  serializer_.emplace(response_);
  stream_.expires_after(options().write_timeout);
  auto on_written = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_write(ec);
  };
  if (head_) {
    http::async_write_header(stream_, *serializer_, std::move(on_written));
  } else {
    http::async_write(stream_, *serializer_, std::move(on_written));
  }
}

void HttpSession::on_write(beast::error_code ec) {
  if (finished_) return;
  if (ec) {
    spdlog::debug("api: writing a response failed: {}", ec.message());
    finish();
    return;
  }
  if (!keep_alive_) {
    linger();
    return;
  }
  read_request();
}

void HttpSession::respond_and_close(HttpResponse response) {
  keep_alive_ = false;
  head_ = false;
  write(std::move(response));
}

void HttpSession::refuse_overloaded() {
  // Answered before the request is read: a client that sends slowly (or not at all) must not
  // hold an overflow slot for the whole read timeout, only for the short linger.
  auto response = json_error(503, "overloaded", "too many connections; retry shortly");
  response.headers.emplace_back("Retry-After", "1");
  respond_and_close(std::move(response));
}

void HttpSession::linger() {
  // Closing with unread input makes the kernel send a reset, which can destroy the response
  // before the client reads it; so stop sending, then read until the client closes too.
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    finish();
    return;
  }
  stream_.expires_after(options().linger_timeout);
  drain();
}

void HttpSession::drain() {
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (self->finished_) return;
                            self->discarded_ += n;
                            if (ec || self->discarded_ > kMaxLingerBytes) {
                              self->finish();
                              return;
                            }
                            self->drain();
                          });
}

// ---- HttpServerCore ----

std::uint16_t HttpServerCore::listen() {
  const auto& listen = config_->options.listen;
  const auto address = parse_listen_address(listen);
  if (!address) {
    throw std::invalid_argument("api listen address \"" + listen +
                                "\" is not IPv4:port or [IPv6]:port");
  }
  const tcp::endpoint endpoint(asio::ip::make_address(address->host), address->port);
  beast::error_code ec;
  auto check = [&](const char* what) {
    if (ec) {
      throw std::system_error(std::error_code(ec),
                              std::string("api cannot ") + what + " " + listen);
    }
  };
  acceptor_.open(endpoint.protocol(), ec);
  check("open a socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  check("set SO_REUSEADDR for");
  acceptor_.bind(endpoint, ec);
  check("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  check("listen on");
  return acceptor_.local_endpoint().port();
}

void HttpServerCore::accept_next() {
  acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void HttpServerCore::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped_) return;
  if (ec) {
    spdlog::debug("api: accept failed: {}", ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && !self->stopped_) self->accept_next();
    });
    return;
  }
  const auto max = config_->options.max_connections;
  const bool overloaded = serving_ >= max;
  if (overloaded && overloaded_ >= max) {
    // Even answering 503 costs a session; past twice the cap, just hang up.
    spdlog::debug("api: connection refused, {} connections open", serving_ + overloaded_);
  } else {
    auto session = std::make_shared<HttpSession>(std::move(socket), config_, gate_,
                                                 weak_from_this(), overloaded);
    sessions_.emplace(session.get(), session);
    ++(overloaded ? overloaded_ : serving_);
    session->start();
  }
  accept_next();
}

void HttpServerCore::remove(HttpSession* session) {
  auto entry = sessions_.find(session);
  if (entry == sessions_.end()) return;
  --(session->overloaded() ? overloaded_ : serving_);
  sessions_.erase(entry);
}

void HttpServerCore::close() {
  if (stopped_) return;
  stopped_ = true;
  close_gate();
  beast::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  auto sessions = std::move(sessions_);
  sessions_.clear();
  serving_ = 0;
  overloaded_ = 0;
  for (auto& [raw, session] : sessions) session->finish();
}

// ---- HttpServer ----

HttpServerOptions server_options(const ApiOptions& api) {
  HttpServerOptions options;
  options.listen = api.listen;
  // The config loader has range-checked these already; clamp anyway so a zero never turns
  // into "refuse everything" or an instant timeout.
  options.body_limit = static_cast<std::size_t>(std::max<std::int64_t>(api.max_body_bytes, 1));
  options.max_connections =
      static_cast<std::size_t>(std::max<std::int64_t>(api.max_connections, 1));
  options.read_timeout = std::chrono::seconds(std::max<std::int64_t>(api.read_timeout_s, 1));
  return options;
}

HttpServer::HttpServer(asio::io_context& io, Router router, HttpServerOptions options)
    : io_(io), core_(std::make_shared<HttpServerCore>(io, std::move(router), std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  if (stopped_) throw std::logic_error("HttpServer::start after stop");
  if (port_ != 0) return;
  port_ = core_->listen();
  spdlog::info("api listening on {} (port {})", core_->listen_address(), port_);
  core_->accept_next();
}

void HttpServer::stop() {
  // Closing the gate here, not on the io_context, means no reply is posted once stop()
  // returned, even if the io_context never runs again.
  stopped_ = true;
  core_->close_gate();
  asio::dispatch(io_, [core = core_] { core->close(); });
}

}  // namespace edgegw::api
