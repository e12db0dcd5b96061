#include "tests/integration/tcp_proxy.h"

#include <array>
#include <boost/asio.hpp>
#include <future>
#include <list>
#include <thread>

namespace edgegw {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// One client connection and its connection to the target, pumping both ways.
struct Pipe : std::enable_shared_from_this<Pipe> {
  Pipe(tcp::socket client, asio::io_context& io) : client(std::move(client)), target(io) {}

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
      auto pipe = std::make_shared<Pipe>(std::move(socket), io);
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

}  // namespace edgegw
