#include "tests/integration/broker/tcp_proxy.h"

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <future>
#include <list>
#include <thread>
#include <utility>

namespace edgegw {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// Follows the TLS records of one direction of a stream (a 5-byte header: type, version,
/// length) to spot the first application-data record (type 23).
class TlsRecordScanner {
 public:
  /// Whether `data`, the next bytes of the stream, starts an application-data record.
  bool application_data(const char* data, std::size_t size) {
    for (std::size_t i = 0; i < size;) {
      if (skip_ > 0) {
        const std::size_t n = std::min(skip_, size - i);
        skip_ -= n;
        i += n;
        continue;
      }
      header_[have_++] = static_cast<unsigned char>(data[i++]);
      if (have_ < header_.size()) continue;
      have_ = 0;
      if (header_[0] == kApplicationData) return true;
      skip_ = static_cast<std::size_t>(header_[3]) << 8 | header_[4];
    }
    return false;
  }

 private:
  static constexpr unsigned char kApplicationData = 23;
  std::array<unsigned char, 5> header_{};
  std::size_t have_ = 0;
  std::size_t skip_ = 0;
};

/// One client connection and its connection to the target, pumping both ways.
struct Pipe : std::enable_shared_from_this<Pipe> {
  Pipe(tcp::socket client, asio::io_context& io, bool drop_session)
      : client(std::move(client)), target(io), drop_session(drop_session) {}

  void start(std::uint16_t target_port) {
    target.async_connect({asio::ip::make_address("127.0.0.1"), target_port},
                         [self = shared_from_this()](boost::system::error_code error) {
                           if (error) return self->close();
                           self->pump(self->client, self->target, self->up);
                           self->pump(self->target, self->client, self->down);
                         });
  }

  void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buffer) {
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                   boost::system::error_code error, std::size_t n) {
      if (error) return self->close();
      if (self->drop_session && &from == &self->client &&
          self->client_records.application_data(buffer.data(), n)) {
        return self->close();
      }
      asio::async_write(to, asio::buffer(buffer.data(), n),
                        [self, &from, &to, &buffer](boost::system::error_code error, std::size_t) {
                          if (error) return self->close();
                          self->pump(from, to, buffer);
                        });
    });
  }

  void close() {
    boost::system::error_code ignored;
    client.close(ignored);
    target.close(ignored);
  }

  tcp::socket client;
  tcp::socket target;
  bool drop_session = false;
  TlsRecordScanner client_records;
  std::array<char, 16384> up{};
  std::array<char, 16384> down{};
};

}  // namespace

struct TcpProxy::State {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::uint16_t target_port = 0;
  std::list<std::weak_ptr<Pipe>> pipes;
  bool drop_next = false;
  std::thread thread;

  void open() {
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    accept();
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) return;  // closed by cut()
      auto pipe = std::make_shared<Pipe>(std::move(socket), io, std::exchange(drop_next, false));
      pipes.push_back(pipe);
      pipe->start(target_port);
      accept();
    });
  }

  /// Runs `work` on the proxy's thread and waits for it.
  template <class Work>
  void run(Work work) {
    std::promise<void> done;
    asio::post(io, [&] {
      work();
      done.set_value();
    });
    done.get_future().get();
  }
};

TcpProxy::TcpProxy(std::uint16_t target_port) : state_(std::make_unique<State>()) {
  state_->target_port = target_port;
  state_->open();
  state_->thread = std::thread([state = state_.get()] { state->io.run(); });
}

TcpProxy::~TcpProxy() {
  cut();
  state_->work.reset();
  state_->io.stop();
  state_->thread.join();
}

std::uint16_t TcpProxy::port() const {
  return state_->port;
}

void TcpProxy::cut() {
  state_->run([state = state_.get()] {
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
    for (auto& weak : state->pipes) {
      if (auto pipe = weak.lock()) pipe->close();
    }
    state->pipes.clear();
  });
}

void TcpProxy::restore() {
  state_->run([state = state_.get()] {
    if (!state->acceptor.is_open()) state->open();
  });
}

void TcpProxy::drop_next_session() {
  state_->run([state = state_.get()] { state->drop_next = true; });
}

}  // namespace edgegw
