#include "gateway/api/http_server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "gateway/api/listen_address.h"
#include "gateway/uplink/secret_file.h"

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
  std::shared_ptr<asio::ssl::context> tls;  ///< null: plain HTTP
};

/// The server side of [api.tls]: TLS 1.2 or newer, the certificate chain and key, and client
/// certificates when a client CA is set. Throws with the setting's name on a file it cannot use.
std::shared_ptr<asio::ssl::context> make_tls_context(const ApiTlsOptions& files) {
  check_readable_file(files.cert_file, "api.tls.cert_file");
  check_secret_file(files.key_file, "api.tls.key_file");
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds |
                       asio::ssl::context::no_compression);
  beast::error_code ec;
  auto check = [&](const std::string& setting, const std::string& path, const char* what) {
    if (ec) {
      throw std::runtime_error(setting + " " + path + ": " + what + " (" + ec.message() + ")");
    }
  };
  context->use_certificate_chain_file(files.cert_file, ec);
  check("api.tls.cert_file", files.cert_file, "not a PEM certificate chain");
  // OpenSSL also checks here that the key belongs to the certificate.
  context->use_private_key_file(files.key_file, asio::ssl::context::pem, ec);
  check("api.tls.key_file", files.key_file, "not the PEM private key of api.tls.cert_file");
  if (!files.client_ca_file.empty()) {
    check_readable_file(files.client_ca_file, "api.tls.client_ca_file");
    context->load_verify_file(files.client_ca_file, ec);
    check("api.tls.client_ca_file", files.client_ca_file, "not a PEM CA bundle");
    context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    // Tells clients which CAs are accepted, so one holding several certificates picks right.
    SSL_CTX_set_client_CA_list(context->native_handle(),
                               SSL_load_client_CA_file(files.client_ca_file.c_str()));
  }
  return context;
}

std::shared_ptr<const SessionConfig> make_session_config(Router router, HttpServerOptions options) {
  auto tls = options.tls ? make_tls_context(*options.tls) : nullptr;
  return std::make_shared<const SessionConfig>(SessionConfig{
      .router = std::move(router), .options = std::move(options), .tls = std::move(tls)});
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

/// A connection as the server core sees it, whatever its stream.
class Session {
 public:
  explicit Session(bool overloaded) : overloaded_(overloaded) {}
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  virtual void start() = 0;
  /// Closes the connection; pending operations complete with an error and end the session.
  virtual void finish() = 0;
  /// Accepted beyond max_connections, only to be answered 503.
  bool overloaded() const { return overloaded_; }

 private:
  const bool overloaded_;
};

}  // namespace

/// The server's state, owned jointly by the HttpServer handle and its pending operations so
/// that handlers still queued on the io_context never see it destroyed. Touched only on the
/// io_context thread once start() returned.
class HttpServerCore : public std::enable_shared_from_this<HttpServerCore> {
 public:
  HttpServerCore(asio::io_context& io, Router router, HttpServerOptions options)
      : config_(make_session_config(std::move(router), std::move(options))),
        gate_(std::make_shared<ReplyGate>()),
        acceptor_(io),
        retry_timer_(io) {}

  std::uint16_t listen();
  const std::string& listen_address() const { return config_->options.listen; }
  bool tls() const { return config_->tls != nullptr; }
  void accept_next();
  /// Drops replies from now on; callable from any thread.
  void close_gate() {
    std::lock_guard lock(gate_->mutex);
    gate_->closed = true;
  }
  void close();
  void remove(Session* session);

 private:
  void on_accept(beast::error_code ec, tcp::socket socket);

  std::shared_ptr<const SessionConfig> config_;
  std::shared_ptr<ReplyGate> gate_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  // The registry owns idle sessions waiting for a reply, which have no operation pending.
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;
  std::size_t serving_ = 0;     // sessions counted against max_connections
  std::size_t overloaded_ = 0;  // sessions only there to answer 503
  bool stopped_ = false;
};

namespace {

/// One connection: reads a request, lets the router answer it, writes the answer, repeats.
/// Only one request is in progress at a time, so pipelined requests wait in buffer_ and are
/// answered in order. `Stream` is beast::tcp_stream, or an ssl_stream over one for HTTPS.
template <class Stream>
class HttpSession : public Session, public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  HttpSession(tcp::socket socket, std::shared_ptr<const SessionConfig> config,
              std::shared_ptr<ReplyGate> gate, std::weak_ptr<HttpServerCore> core, bool overloaded)
      : Session(overloaded),
        stream_(make_stream(std::move(socket), *config)),
        read_deadline_(stream_.get_executor()),
        config_(std::move(config)),
        gate_(std::move(gate)),
        core_(std::move(core)) {}

  void start() override {
    if constexpr (kTls) {
      handshake();
    } else {
      serve();
    }
  }
  void finish() override;

 private:
  using std::enable_shared_from_this<HttpSession>::shared_from_this;
  using std::enable_shared_from_this<HttpSession>::weak_from_this;

  static Stream make_stream(tcp::socket socket, const SessionConfig& config) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *config.tls);
    } else {
      return Stream(std::move(socket));
    }
  }
  const HttpServerOptions& options() const { return config_->options; }
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void handshake();
  void serve();
  void read_request();
  void arm_read_deadline();
  void on_header(beast::error_code ec);
  void read_body();
  void on_read(beast::error_code ec);
  void on_read_error(beast::error_code ec);
  void on_read_timeout();
  Reply make_reply();
  void write(HttpResponse response);
  void on_write(beast::error_code ec);
  void respond_and_close(HttpResponse response);
  void refuse_overloaded();
  void linger();
  void drain();

  Stream stream_;
  // The read timeout runs on its own timer rather than tcp_stream's, which would close the
  // socket before a 408 could be sent.
  asio::steady_timer read_deadline_;
  beast::flat_buffer buffer_;
  std::shared_ptr<const SessionConfig> config_;
  std::shared_ptr<ReplyGate> gate_;
  std::weak_ptr<HttpServerCore> core_;

  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  std::array<char, 4096> discard_{};
  std::size_t discarded_ = 0;
  std::string_view route_;  // the template of the request being answered, owned by the router
  std::uint64_t read_number_ = 0;  // which read the deadline belongs to
  bool reading_ = false;
  bool read_timed_out_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool finished_ = false;
};

}  // namespace

// ---- HttpSession ----

template <class Stream>
void HttpSession<Stream>::finish() {
  if (finished_) return;
  finished_ = true;
  read_deadline_.cancel();
  tcp_layer().close();
  if (auto core = core_.lock()) core->remove(this);
}

template <class Stream>
void HttpSession<Stream>::handshake() {
  tcp_layer().expires_after(options().read_timeout);
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](beast::error_code ec) {
                            if (self->finished_) return;
                            if (ec) {
                              spdlog::debug("api: TLS handshake failed: {}", ec.message());
                              self->finish();
                              return;
                            }
                            self->tcp_layer().expires_never();
                            self->serve();
                          });
}

template <class Stream>
void HttpSession<Stream>::serve() {
  if (overloaded()) {
    refuse_overloaded();
  } else {
    read_request();
  }
}

template <class Stream>
void HttpSession<Stream>::read_request() {
  parser_.emplace();
  parser_->body_limit(options().body_limit);
  parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
  version_ = 11;
  keep_alive_ = false;
  head_ = false;
  route_ = {};
  tcp_layer().expires_never();
  arm_read_deadline();
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

template <class Stream>
void HttpSession<Stream>::arm_read_deadline() {
  reading_ = true;
  read_timed_out_ = false;
  // A deadline that expired just as its read completed may still run; the number tells it
  // that the read it was meant for is over.
  const auto number = ++read_number_;
  read_deadline_.expires_after(options().read_timeout);
  read_deadline_.async_wait([self = shared_from_this(), number](beast::error_code ec) {
    if (ec || self->finished_ || !self->reading_ || number != self->read_number_) return;
    self->read_timed_out_ = true;
    self->tcp_layer().cancel();  // the read ends with operation_aborted; on_read_error answers
  });
}

template <class Stream>
void HttpSession<Stream>::on_header(beast::error_code ec) {
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

template <class Stream>
void HttpSession<Stream>::read_body() {
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

template <class Stream>
void HttpSession<Stream>::on_read_error(beast::error_code ec) {
  reading_ = false;
  read_deadline_.cancel();
  if (read_timed_out_) {
    on_read_timeout();
    return;
  }
  // A TLS client that closes without close_notify is just a client closing.
  if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) {
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

template <class Stream>
void HttpSession<Stream>::on_read_timeout() {
  // Nothing of a next request arrived: an idle keep-alive connection (or one never used) is
  // closed without a word, so a client reusing it cannot mistake a 408 for its answer.
  if (!parser_->got_some() && buffer_.size() == 0) {
    spdlog::debug("api: closing a connection idle for over {} ms", options().read_timeout.count());
    finish();
    return;
  }
  spdlog::debug("api: a request did not arrive whole within {} ms", options().read_timeout.count());
  respond_and_close(json_error(408, "request_timeout",
                               "the request did not arrive whole within " +
                                   std::to_string(options().read_timeout.count()) + " ms"));
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec) {
  if (finished_) return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  reading_ = false;
  read_deadline_.cancel();
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
  route_ = config_->router.dispatch(request, make_reply());
}

template <class Stream>
Reply HttpSession<Stream>::make_reply() {
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

template <class Stream>
void HttpSession<Stream>::write(HttpResponse response) {
  if (finished_) return;
  // Handlers never send interim or bodiless statuses; refusing them here keeps Beast from
  // throwing on the io_context thread over a handler's mistake.
  if (response.status < 200 || response.status > 599 || response.status == 204 ||
      response.status == 304) {
    spdlog::warn("api: a handler answered with status {}; sending 500", response.status);
    response = json_error(500, "internal_error", "the request could not be handled");
  }
  config_->router.request_counter()->count(route_, response.status);
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
  tcp_layer().expires_after(options().write_timeout);
  auto on_written = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_write(ec);
  };
  if (head_) {
    http::async_write_header(stream_, *serializer_, std::move(on_written));
  } else {
    http::async_write(stream_, *serializer_, std::move(on_written));
  }
}

template <class Stream>
void HttpSession<Stream>::on_write(beast::error_code ec) {
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

template <class Stream>
void HttpSession<Stream>::respond_and_close(HttpResponse response) {
  keep_alive_ = false;
  head_ = false;
  write(std::move(response));
}

template <class Stream>
void HttpSession<Stream>::refuse_overloaded() {
  // Answered before the request is read: a client that sends slowly (or not at all) must not
  // hold an overflow slot for the whole read timeout, only for the short linger.
  auto response = json_error(503, "overloaded", "too many connections; retry shortly");
  response.headers.emplace_back("Retry-After", "1");
  respond_and_close(std::move(response));
}

template <class Stream>
void HttpSession<Stream>::linger() {
  tcp_layer().expires_after(options().linger_timeout);
  if constexpr (kTls) {
    // close_notify tells the client the response is complete; then wait (up to the linger
    // timeout) for the client's own close.
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->finish(); });
  } else {
    // Closing with unread input makes the kernel send a reset, which can destroy the response
    // before the client reads it; so stop sending, then read until the client closes too.
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      finish();
      return;
    }
    drain();
  }
}

template <class Stream>
void HttpSession<Stream>::drain() {
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
    std::shared_ptr<Session> session;
    if (config_->tls) {
      session = std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(
          std::move(socket), config_, gate_, weak_from_this(), overloaded);
    } else {
      session = std::make_shared<HttpSession<beast::tcp_stream>>(std::move(socket), config_, gate_,
                                                                 weak_from_this(), overloaded);
    }
    sessions_.emplace(session.get(), session);
    ++(overloaded ? overloaded_ : serving_);
    session->start();
  }
  accept_next();
}

void HttpServerCore::remove(Session* session) {
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
  options.tls = api.tls;
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
  spdlog::info("api listening on {} (port {}, {})", core_->listen_address(), port_,
               core_->tls() ? "HTTPS" : "HTTP");
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
