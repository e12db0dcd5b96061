#include "gateway/uplink/connection_probe.h"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

namespace edgegw {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Probe : public std::enable_shared_from_this<Probe> {
 public:
  Probe(asio::io_context& io, const CloudProfile& profile,
        std::function<void(const ProbeFinding&)> done)
      : profile_(profile),
        resolver_(io),
        timer_(io),
        context_(asio::ssl::context::tls_client),
        done_(std::move(done)) {}

  void run(std::chrono::milliseconds deadline) {
    timer_.expires_after(deadline);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (!error) self->on_deadline();
    });
    std::string problem = profile_.use_tls ? configure_context() : "";
    // The stream copies the context's settings when it is made, so it comes second.
    stream_.emplace(timer_.get_executor(), context_);
    if (problem.empty() && profile_.use_tls) problem = configure_stream();
    if (!problem.empty()) return finish(problem);
    resolver_.async_resolve(profile_.host, std::to_string(profile_.port),
                            [self = shared_from_this()](boost::system::error_code error,
                                                        tcp::resolver::results_type endpoints) {
                              self->on_resolved(error, endpoints);
                            });
  }

 private:
  std::string configure_context() {
    boost::system::error_code error;
    const auto& tls = profile_.tls;
    context_.set_verify_mode(asio::ssl::verify_peer, error);
    if (tls.ca_file.empty()) {
      context_.set_default_verify_paths(error);
    } else if (context_.load_verify_file(tls.ca_file, error); error) {
      return "cannot load uplink.tls.ca_file \"" + tls.ca_file + "\": " + error.message();
    }
    if (!tls.cert_file.empty()) {
      if (context_.use_certificate_chain_file(tls.cert_file, error); error) {
        return "cannot load uplink.tls.cert_file \"" + tls.cert_file + "\": " + error.message();
      }
      if (context_.use_private_key_file(tls.key_file, asio::ssl::context::pem, error); error) {
        return "cannot load uplink.tls.key_file \"" + tls.key_file +
               "\" (or it does not match the certificate): " + error.message();
      }
    }
    return {};
  }

  std::string configure_stream() {
    boost::system::error_code error;
    boost::system::error_code not_an_address;
    asio::ip::make_address(profile_.host, not_an_address);
    if (not_an_address) {
      SSL_set_tlsext_host_name(stream_->native_handle(), profile_.host.c_str());
    }
    if (profile_.tls.verify_hostname) {
      stream_->set_verify_callback(asio::ssl::host_name_verification(profile_.host), error);
    }
    return {};
  }

  void on_resolved(boost::system::error_code error, const tcp::resolver::results_type& endpoints) {
    if (error) return finish("cannot resolve " + profile_.host + ": " + error.message());
    asio::async_connect(
        stream_->lowest_layer(), endpoints,
        [self = shared_from_this()](boost::system::error_code error, const tcp::endpoint&) {
          self->on_connected(error);
        });
  }

  void on_connected(boost::system::error_code error) {
    if (error) {
      return finish("cannot connect to " + profile_.host + ":" + std::to_string(profile_.port) +
                    ": " + error.message());
    }
    if (!profile_.use_tls) {
      return finish(
          "the broker accepts TCP connections but refused or dropped the MQTT "
          "session");
    }
    stream_->async_handshake(asio::ssl::stream_base::client,
                             [self = shared_from_this()](boost::system::error_code error) {
                               self->on_handshake(error);
                             });
  }

  void on_handshake(boost::system::error_code error) {
    if (error) return finish(describe_tls_error(error.message()));
    handshake_done_ = true;
    // Under TLS 1.3 the broker checks the client certificate after the client's handshake is
    // done and answers with an alert; waiting for one read shows it.
    stream_->async_read_some(asio::buffer(byte_),
                             [self = shared_from_this()](boost::system::error_code error,
                                                         std::size_t) { self->on_read(error); });
  }

  void on_read(boost::system::error_code error) {
    if (error && error != asio::error::operation_aborted) {
      return finish(describe_tls_error(error.message()));
    }
    finish(std::string(kSessionDroppedFinding), true);
  }

  void on_deadline() {
    if (finished_) return;
    // The broker kept the TLS session open without complaint: the certificate is accepted.
    if (handshake_done_) return finish(std::string(kSessionDroppedFinding), true);
    finish("no answer from " + profile_.host + ":" + std::to_string(profile_.port) + " in time");
  }

  void finish(const std::string& text, bool session_dropped = false) {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    if (stream_) stream_->lowest_layer().close(ignored);
    // Always from the event loop, never from inside probe_connection().
    asio::post(timer_.get_executor(),
               [done = std::move(done_), finding = ProbeFinding{text, session_dropped}] {
                 done(finding);
               });
  }

  CloudProfile profile_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  asio::ssl::context context_;
  std::optional<asio::ssl::stream<tcp::socket>> stream_;
  std::function<void(const ProbeFinding&)> done_;
  std::array<char, 1> byte_{};
  bool handshake_done_ = false;
  bool finished_ = false;
};

}  // namespace

std::string describe_tls_error(const std::string& openssl_text) {
  auto has = [&](const char* needle) { return openssl_text.find(needle) != std::string::npos; };
  std::string what;
  if (has("certificate verify failed")) {
    what =
        "TLS handshake failure: certificate verify failed (the broker's certificate is not "
        "signed by uplink.tls.ca_file, has expired, or does not name the host)";
  } else if (has("unknown ca")) {
    what = "TLS handshake failure: the broker rejected the client certificate (unknown CA)";
  } else if (has("certificate expired")) {
    what = "TLS handshake failure: the broker rejected the client certificate (expired)";
  } else if (has("certificate required")) {
    what = "TLS handshake failure: the broker requires a client certificate";
  } else if (has("bad certificate") || has("unsupported certificate") ||
             has("certificate revoked")) {
    what = "TLS handshake failure: the broker rejected the client certificate";
  } else if (has("wrong version number") || has("packet length too long")) {
    what = "TLS handshake failure: the port does not speak TLS";
  } else {
    what = "TLS handshake failure";
  }
  return what + " [" + openssl_text + "]";
}

void probe_connection(boost::asio::io_context& io, const CloudProfile& profile,
                      std::chrono::milliseconds deadline,
                      std::function<void(const ProbeFinding&)> done) {
  std::make_shared<Probe>(io, profile, std::move(done))->run(deadline);
}

}  // namespace edgegw
