// The whole gateway while its API is abused: slow clients, oversized bodies and headers,
// malformed JSON, wrong tokens, HTTP/1.0 and pipelining. It must answer each correctly and
// keep ingesting and publishing throughout.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <fstream>
#include <thread>

#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

/// Sends `request` raw and returns everything the server answers until it closes (or 10 s).
std::string raw_exchange(std::uint16_t port, const std::string& request) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code error;
  // The server may answer (413) and close before it has read all of an oversized request.
  asio::write(socket, asio::buffer(request), error);
  socket.shutdown(tcp::socket::shutdown_send, error);
  std::string answer;
  std::array<char, 4096> chunk{};
  error = {};
  for (;;) {
    std::size_t n = socket.read_some(asio::buffer(chunk), error);
    if (error) break;
    answer.append(chunk.data(), n);
  }
  return answer;
}

/// Clients that each send one byte of a request a second, never finishing it, all at once on
/// a thread of their own; each keeps what the server answered. One thread reads and writes
/// every socket, so no socket is used from two threads.
class DrippingClients {
 public:
  DrippingClients(std::uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      sockets_.emplace_back(io_).connect({asio::ip::make_address("127.0.0.1"), port});
    }
    answers_.resize(sockets_.size());
    closed_.assign(sockets_.size(), false);
    thread_ = std::thread([this] { drip(); });
  }
  ~DrippingClients() { join(); }

  /// Waits until the server has closed every connection (or the request ran out).
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<std::string>& answers() const { return answers_; }
  bool all_closed() const {
    return std::ranges::all_of(closed_, [](bool c) { return c; });
  }

 private:
  void drip() {
    const std::string request =
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(64, 's') + "\r\n\r\n";
    for (char byte : request) {
      for (std::size_t i = 0; i < sockets_.size(); ++i) {
        boost::system::error_code ignored;  // a refused write shows as a close when reading
        if (!closed_[i]) asio::write(sockets_[i], asio::buffer(&byte, 1), ignored);
      }
      collect_for(1s);
      if (all_closed()) return;
    }
  }

  /// Reads whatever the server sends during `period`, noting each connection it closes.
  void collect_for(std::chrono::milliseconds period) {
    const auto until = std::chrono::steady_clock::now() + period;
    for (auto now = std::chrono::steady_clock::now(); now < until && !all_closed();
         now = std::chrono::steady_clock::now()) {
      std::vector<pollfd> fds;
      std::vector<std::size_t> index;
      for (std::size_t i = 0; i < sockets_.size(); ++i) {
        if (closed_[i]) continue;
        fds.push_back({.fd = sockets_[i].native_handle(), .events = POLLIN, .revents = 0});
        index.push_back(i);
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
      if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) continue;
      for (std::size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        const auto i = index[k];
        std::array<char, 1024> chunk{};
        boost::system::error_code error;
        const auto n = sockets_[i].read_some(asio::buffer(chunk), error);
        answers_[i].append(chunk.data(), n);
        if (error) closed_[i] = true;
      }
    }
  }

  asio::io_context io_;
  std::vector<tcp::socket> sockets_;
  std::vector<std::string> answers_;
  std::vector<bool> closed_;
  std::thread thread_;
};

TEST(ApiUnderAbuse, AnswersBadRequestsCorrectlyWhileIngestAndUplinkGoOn) {
  TempDir dir;
  const auto token_file = dir.file("token");
  std::ofstream(token_file) << "s3cret-token\n";
  ::chmod(token_file.c_str(), 0600);
  GatewayConfig config = directory_uplink_config(dir, "gw-abuse");
  config.api.token_file = token_file;
  config.api.read_timeout_s = 2;
  config.adapters.push_back({.type = "simulator",
                             .name = "crane",
                             .values = {{"profile", std::string("crane")}, {"rate_scale", 20.0}}});
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  const auto port = gateway.api_port();
  ASSERT_TRUE(wait_for([&] { return gateway.status().bundles_acked >= 1; }));

  // Thirty clients that send one byte a second and never finish a request.
  DrippingClients slow(port, 30);
  const auto before = gateway.status();

  using boost::beast::http::verb;
  const std::string big(2 * 1024 * 1024, 'x');
  EXPECT_NE(raw_exchange(port,
                         "POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nAuthorization: "
                         "Bearer s3cret-token\r\nContent-Type: application/json\r\n"
                         "Content-Length: " +
                             std::to_string(big.size()) + "\r\n\r\n" + big)
                .find("HTTP/1.1 413"),
            std::string::npos);
  EXPECT_NE(raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                   std::string(64 * 1024, 'h') + "\r\n\r\n")
                .find("HTTP/1.1 431"),
            std::string::npos);
  const std::string post_head =
      "POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  const std::string malformed = "{\"readings\": [";
  EXPECT_NE(
      raw_exchange(port, post_head + "Authorization: Bearer s3cret-token\r\nContent-Length: " +
                             std::to_string(malformed.size()) + "\r\n\r\n" + malformed)
          .find("HTTP/1.1 400"),
      std::string::npos);
  EXPECT_NE(
      raw_exchange(port, post_head + "Authorization: Bearer wrong\r\nContent-Length: 2\r\n\r\n{}")
          .find("HTTP/1.1 403"),
      std::string::npos);
  EXPECT_NE(raw_exchange(port, post_head + "Content-Length: 2\r\n\r\n{}").find("HTTP/1.1 401"),
            std::string::npos);
  EXPECT_NE(raw_exchange(port, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").find("HTTP/1.1 404"),
            std::string::npos);
  const auto wrong_method = raw_exchange(port, "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(wrong_method.find("HTTP/1.1 405"), std::string::npos);
  EXPECT_NE(wrong_method.find("Allow: GET"), std::string::npos) << wrong_method;
  EXPECT_NE(raw_exchange(port, "GET /healthz HTTP/1.0\r\n\r\n").find("HTTP/1.0 200"),
            std::string::npos);
  const auto pipelined = raw_exchange(
      port,
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/status HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_NE(pipelined.find("\"status\":\"ok\""), std::string::npos);
  EXPECT_NE(pipelined.find("\"gateway_id\":\"gw-abuse\""), std::string::npos)
      << "the second pipelined request is answered after the first";

  // Meanwhile the pipeline went on: more readings accepted, more bundles out.
  ASSERT_TRUE(wait_for([&] {
    auto now = gateway.status();
    return now.readings_accepted > before.readings_accepted + 1000 &&
           now.bundles_acked > before.bundles_acked;
  })) << gateway.status_line();
  // And the slow clients are cut off by the read timeout, with a 408, rather than held forever.
  slow.join();
  EXPECT_TRUE(slow.all_closed());
  for (const auto& answer : slow.answers()) {
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 408")) << answer;
    EXPECT_NE(answer.find("request_timeout"), std::string::npos) << answer;
  }
  gateway.stop();
}

}  // namespace
}  // namespace edgegw
