#include "gateway/api/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/api/api_routes.h"
#include "gateway/config/config.h"
#include "tests/fakes/fake_api_backend.h"
#include "tests/http_client.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"
#include "tests/wait_for.h"

namespace edgegw::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Response = http::response<http::string_body>;

constexpr auto kDeadline = kHttpTestDeadline;
using Client = HttpTestClient;

http::request<http::string_body> post_readings(std::string body) {
  http::request<http::string_body> request{http::verb::post, "/api/v1/readings", 11};
  request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  return request;
}

std::string error_code_of(const Response& response) {
  return std::string(boost::json::parse(response.body()).at("error").at("code").as_string());
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}, std::string listen = "127.0.0.1:0") {
    options.listen = std::move(listen);
    server_ = std::make_unique<HttpServer>(io_, make_api_router(backend_), options);
    server_->start();
    ASSERT_NE(server_->port(), 0);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  /// Stops the server and checks it left no work behind: the io_context runs out of work and
  /// its run() returns by itself.
  void stop_and_join() {
    if (!server_) return;
    server_->stop();
    EXPECT_TRUE(wait_for([this] { return io_.stopped(); }, kDeadline))
        << "the server kept work on the io_context after stop()";
    io_.stop();
    io_thread_.join();
    server_.reset();
  }

  void TearDown() override { stop_and_join(); }

  std::uint16_t port() const { return server_->port(); }

  asio::io_context io_;
  FakeApiBackend backend_;
  std::unique_ptr<HttpServer> server_;
  std::thread io_thread_;
};

TEST_F(HttpServerTest, HealthzAnswers200WithJson) {
  start();
  Client client(port());
  const auto response = client.get("/healthz");
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ((*response)[http::field::content_type], "application/json");
  EXPECT_EQ(boost::json::parse(response->body()), boost::json::parse(R"({"status":"ok"})"));
  EXPECT_TRUE(response->keep_alive());
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  GatewayStatus status;
  status.readings_accepted = 77;
  backend_.set_status(status);
  start();
  Client client(port());
  const auto first = client.get("/healthz");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result_int(), 200);
  const auto second = client.get("/metrics");
  ASSERT_TRUE(second) << client.last_error().message();
  EXPECT_EQ(second->result_int(), 200);
  EXPECT_EQ((*second)[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(second->body().find("\nedgegw_readings_accepted_total 77\n"), std::string::npos);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  Client client(port());
  client.send_raw(
      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto a = client.receive();
  const auto b = client.receive();
  const auto c = client.receive();
  ASSERT_TRUE(a && b && c) << client.last_error().message();
  EXPECT_EQ(a->result_int(), 404);
  EXPECT_EQ(b->result_int(), 200);
  EXPECT_EQ(c->result_int(), 405);
}

TEST_F(HttpServerTest, HeadSendsTheHeadersOfGetWithoutBody) {
  start();
  Client client(port());
  client.send({http::verb::head, "/healthz", 11});
  const auto head = client.receive(/*head=*/true);
  ASSERT_TRUE(head) << client.last_error().message();
  EXPECT_EQ(head->result_int(), 200);
  EXPECT_EQ((*head)[http::field::content_length], "15");  // {"status":"ok"}
  EXPECT_TRUE(head->body().empty());
  // Had a body been sent, it would now be read as the next response's start.
  const auto next = client.get("/healthz");
  ASSERT_TRUE(next) << client.last_error().message();
  EXPECT_EQ(next->body(), R"({"status":"ok"})");
}

TEST_F(HttpServerTest, PostReadingsAnswersOnceTheBackendReportsDurable) {
  start();
  Client client(port());
  client.send(post_readings(R"({"readings":[{"series":"s","ts_ms":1700000000000,"value":1.5}]})"));
  ASSERT_TRUE(wait_for([this] { return backend_.submit_count() == 1; }, kDeadline));
  EXPECT_EQ(backend_.submitted(0), (std::vector<NamedReading>{{"s", 1700000000000, 1.5}}));

  // Completed from this thread, as the storage thread would: the session must hop back.
  ASSERT_TRUE(backend_.complete_next(SubmitResult::accepted));
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(boost::json::parse(response->body()), boost::json::parse(R"({"accepted":1})"));

  const auto next = client.get("/healthz");
  ASSERT_TRUE(next) << "the connection stays usable after an asynchronous answer";
}

TEST_F(HttpServerTest, BusyBackendAnswers503WithRetryAfter) {
  start();
  Client client(port());
  client.send(post_readings(R"({"readings":[{"series":"s","ts_ms":1,"value":1}]})"));
  ASSERT_TRUE(wait_for([this] { return backend_.pending_count() == 1; }, kDeadline));
  ASSERT_TRUE(backend_.complete_next(SubmitResult::busy));
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 503);
  EXPECT_EQ((*response)[http::field::retry_after], "1");
  EXPECT_EQ(error_code_of(*response), "busy");
}

TEST_F(HttpServerTest, InvalidBatchAnswers400WithoutSubmitting) {
  start();
  Client client(port());
  client.send(post_readings(R"({"readings":[{"series":"s","ts_ms":1,"value":"x"}]})"));
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 400);
  EXPECT_EQ(error_code_of(*response), "invalid_readings");
  EXPECT_EQ(backend_.submit_count(), 0u);
}

TEST_F(HttpServerTest, UnknownRouteAnswers404AndWrongMethod405WithAllow) {
  start();
  Client client(port());
  const auto missing = client.get("/api/v1/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result_int(), 404);
  EXPECT_EQ(error_code_of(*missing), "not_found");

  const auto wrong = client.get("/api/v1/readings");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->result_int(), 405);
  EXPECT_EQ((*wrong)[http::field::allow], "POST");
}

TEST_F(HttpServerTest, BodyOverTheLimitAnswers413BeforeReadingIt) {
  HttpServerOptions options;
  options.body_limit = 1024;
  start(options);
  Client client(port());
  // Only the head: the limit is judged from Content-Length, so no body needs to arrive.
  client.send_raw(
      "POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1025\r\n\r\n");
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 413);
  EXPECT_EQ(error_code_of(*response), "payload_too_large");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(backend_.submit_count(), 0u);
}

TEST_F(HttpServerTest, BodyOverTheLimitAnswers413EvenWhenTheClientSentItAll) {
  HttpServerOptions options;
  options.body_limit = 1024;
  start(options);
  Client client(port());
  // The client pushes the whole body before it reads: the server answers while body bytes are
  // still arriving, and must neither wait for them nor leave the client without an answer.
  client.send(post_readings(std::string(2 * 1024 * 1024, ' ')));
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 413);
}

TEST_F(HttpServerTest, BodyOfExactlyTheLimitIsRead) {
  HttpServerOptions options;
  options.body_limit = 1024;
  start(options);
  Client client(port());
  std::string body = R"({"readings":[{"series":"s","ts_ms":1,"value":1}]})";
  body.resize(1024, ' ');
  client.send(post_readings(body));
  ASSERT_TRUE(wait_for([this] { return backend_.pending_count() == 1; }, kDeadline));
  ASSERT_TRUE(backend_.complete_next(SubmitResult::accepted));
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
}

TEST_F(HttpServerTest, HeadOverTheLimitAnswers431) {
  HttpServerOptions options;
  options.header_limit = 1024;
  start(options);
  Client client(port());
  http::request<http::string_body> request{http::verb::get, "/healthz", 11};
  request.set("X-Padding", std::string(2000, 'p'));
  client.send(request);
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 431);
  EXPECT_EQ(error_code_of(*response), "header_too_large");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, MalformedRequestAnswers400AndCloses) {
  start();
  Client client(port());
  client.send_raw("THIS IS NOT HTTP\r\n\r\n");
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 400);
  EXPECT_EQ(error_code_of(*response), "bad_request");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  start();
  Client client(port());
  http::request<http::string_body> request{http::verb::get, "/healthz", 11};
  request.keep_alive(false);
  client.send(request);
  const auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
  start();
  Client client(port());
  const std::string body = R"({"readings":[{"series":"s","ts_ms":1,"value":1}]})";
  client.send_raw(
      "POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_TRUE(client.receive_head_raw().starts_with("HTTP/1.1 100 Continue\r\n"));
  client.send_raw(body);
  ASSERT_TRUE(wait_for([this] { return backend_.pending_count() == 1; }, kDeadline));
  ASSERT_TRUE(backend_.complete_next(SubmitResult::accepted));
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
}

TEST_F(HttpServerTest, IdleConnectionIsClosedWithoutAnAnswerAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  start(options);
  Client unused(port());
  EXPECT_TRUE(unused.closed_by_server()) << "closed, and no 408 read before the close";

  Client kept_alive(port());
  const auto response = kept_alive.get("/healthz");
  ASSERT_TRUE(response) << kept_alive.last_error().message();
  EXPECT_TRUE(kept_alive.closed_by_server())
      << "an idle keep-alive connection is closed without an unasked-for response";
}

TEST_F(HttpServerTest, PartlySentRequestIsAnswered408AtTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  start(options);
  Client client(port());
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: tr");
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 408);
  EXPECT_EQ(error_code_of(*response), "request_timeout");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, BodyThatStopsHalfwayIsAnswered408) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  start(options);
  Client client(port());
  client.send_raw(
      "POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n{\"readings\":[");
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 408);
  EXPECT_EQ(backend_.pending_count(), 0u) << "nothing of a partial body is submitted";
}

TEST_F(HttpServerTest, EveryResponseIsCountedByRouteAndCodeInMetrics) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  start(options);
  {
    Client client(port());
    ASSERT_TRUE(client.get("/healthz"));
    ASSERT_TRUE(client.get("/healthz"));
    ASSERT_TRUE(client.get("/no/such/page"));
  }
  {
    Client cut_off(port());
    cut_off.send_raw("GET /healthz HTTP/1.1\r\nHo");
    ASSERT_TRUE(cut_off.receive());  // the 408
  }
  Client scraper(port());
  const auto metrics = scraper.get("/metrics");
  ASSERT_TRUE(metrics) << scraper.last_error().message();
  const auto& text = metrics->body();
  for (const char* line : {R"(edgegw_http_requests_total{route="/healthz",code="200"} 2)",
                           R"(edgegw_http_requests_total{route="none",code="404"} 1)",
                           R"(edgegw_http_requests_total{route="none",code="408"} 1)"}) {
    EXPECT_NE(text.find(std::string("\n") + line + "\n"), std::string::npos) << line << "\n"
                                                                             << text;
  }
}

TEST_F(HttpServerTest, ServesOnTheIpv6Loopback) {
  try {
    start({}, "[::1]:0");
  } catch (const std::system_error& error) {
    GTEST_SKIP() << "this machine has no IPv6 loopback: " << error.what();
  }
  Client client(tcp::endpoint(asio::ip::make_address("::1"), port()));
  ASSERT_TRUE(client.connected()) << client.last_error().message();
  const auto response = client.get("/healthz");
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_FALSE(Client(port()).connected()) << "[::1] is not 127.0.0.1";
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapAnswer503) {
  HttpServerOptions options;
  options.max_connections = 1;
  start(options);
  auto first = std::make_unique<Client>(port());
  ASSERT_TRUE(first->get("/healthz")) << "the first connection is being served";

  Client second(port());
  const auto refused = second.get("/healthz");
  ASSERT_TRUE(refused) << second.last_error().message();
  EXPECT_EQ(refused->result_int(), 503);
  EXPECT_EQ((*refused)[http::field::retry_after], "1");
  EXPECT_EQ(error_code_of(*refused), "overloaded");
  EXPECT_TRUE(second.closed_by_server());

  // Once the first connection is gone its slot is free again; when the server notices is up
  // to its io_context, so retry with fresh connections until it has.
  first.reset();
  EXPECT_TRUE(wait_for(
      [this] {
        Client next(port());
        const auto response = next.get("/healthz");
        return response && response->result_int() == 200;
      },
      kDeadline));
}

TEST_F(HttpServerTest, StopClosesConnectionsAndDropsLateReplies) {
  start();
  Client client(port());
  client.send(post_readings(R"({"readings":[{"series":"s","ts_ms":1,"value":1}]})"));
  ASSERT_TRUE(wait_for([this] { return backend_.pending_count() == 1; }, kDeadline));

  stop_and_join();
  EXPECT_TRUE(client.closed_by_server());
  // The storage thread may finish after the server and its io_context are gone.
  EXPECT_TRUE(backend_.complete_next(SubmitResult::accepted));
}

TEST_F(HttpServerTest, StartRejectsMalformedListenAddress) {
  HttpServerOptions options;
  options.listen = "localhost:8080";
  HttpServer server(io_, make_api_router(backend_), options);
  EXPECT_THROW(server.start(), std::invalid_argument);
}

TEST_F(HttpServerTest, StartReportsAPortInUse) {
  start();
  HttpServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(port());
  HttpServer second(io_, make_api_router(backend_), options);
  EXPECT_THROW(second.start(), std::system_error);
}

/// A client on a plain blocking socket for the misbehaving cases: it sends what it is told,
/// byte by byte if asked, and can tell when the server has hung up.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  /// Sends `bytes`; false once the server has closed the connection.
  bool send(std::string_view bytes) {
    beast::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }

  /// Waits up to `wait` for the server to close (EOF or reset); input before that is skipped.
  bool closed_within(std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      pollfd fd{.fd = socket_.native_handle(), .events = POLLIN, .revents = 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (::poll(&fd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0) {
        continue;
      }
      std::array<char, 1024> scratch;
      beast::error_code ec;
      socket_.read_some(asio::buffer(scratch), ec);
      if (ec) return true;
    }
    return false;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

TEST_F(HttpServerTest, Http10IsAnsweredInKindAndClosed) {
  start();
  Client client(port());
  client.send_raw("GET /healthz HTTP/1.0\r\n\r\n");
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(response->version(), 10);
  EXPECT_FALSE(response->keep_alive()) << "HTTP/1.0 closes unless keep-alive is asked for";
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, Http10KeepAliveIsHonoured) {
  start();
  Client client(port());
  client.send_raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const auto first = client.receive();
  ASSERT_TRUE(first) << client.last_error().message();
  EXPECT_TRUE(first->keep_alive());
  client.send_raw("GET /healthz HTTP/1.0\r\n\r\n");
  const auto second = client.receive();
  ASSERT_TRUE(second) << client.last_error().message();
  EXPECT_EQ(second->result_int(), 200);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, A64KiBHeaderAnswers431WithDefaultLimits) {
  start();
  Client client(port());
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(64 * 1024, 'p') +
                  "\r\n\r\n");
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 431);
  EXPECT_EQ(error_code_of(*response), "header_too_large");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, OneBytePerSecondClientIsCutOffWhileOthersAreServed) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::seconds(1);
  start(options);
  RawConnection slow(port());
  std::atomic<bool> cut_off = false;
  std::atomic<bool> first_byte_sent = false;
  std::thread dripper([&] {
    const std::string request =
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(64, 's') + "\r\n\r\n";
    for (char byte : request) {
      if (!slow.send(std::string_view(&byte, 1))) break;
      first_byte_sent = true;
      // One byte a second; the wait doubles as the check for the server hanging up.
      if (slow.closed_within(std::chrono::seconds(1))) {
        cut_off = true;
        return;
      }
    }
    cut_off = slow.closed_within(kDeadline);
  });
  ASSERT_TRUE(wait_for([&] { return first_byte_sent.load(); }, kDeadline));

  Client normal(port());
  const auto response = normal.get("/healthz");
  ASSERT_TRUE(response) << normal.last_error().message();
  EXPECT_EQ(response->result_int(), 200) << "a slow client must not hold up others";

  dripper.join();
  EXPECT_TRUE(cut_off) << "the read timeout ends a request that trickles in";
}

TEST_F(HttpServerTest, FortySlowClientsDoNotStopOtherRequests) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::seconds(1);
  start(options);  // max_connections 64: all forty are served, slowly
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(slow.back()->send("GET /healthz HTTP/1.1\r\nHo"));
  }
  Client normal(port());
  const auto response = normal.get("/healthz");
  ASSERT_TRUE(response) << normal.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
  for (auto& connection : slow) EXPECT_TRUE(connection->closed_within(kDeadline));
}

TEST_F(HttpServerTest, SlowClientsHoldingEverySlotGetOthers503UntilTheyAreCutOff) {
  HttpServerOptions options;
  options.max_connections = 4;
  options.read_timeout = std::chrono::seconds(3);
  start(options);
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(slow.back()->send("GET /healthz HTTP/1.1\r\nHo"));
  }
  // Accepted in order, so the four slow ones hold every slot when this one arrives.
  Client refused(port());
  const auto response = refused.get("/healthz");
  ASSERT_TRUE(response) << refused.last_error().message();
  EXPECT_EQ(response->result_int(), 503);
  EXPECT_EQ(error_code_of(*response), "overloaded");
  EXPECT_TRUE(refused.closed_by_server());

  // The read timeout frees the slots; then requests are served again.
  for (auto& connection : slow) EXPECT_TRUE(connection->closed_within(kDeadline));
  EXPECT_TRUE(wait_for(
      [this] {
        Client next(port());
        const auto answer = next.get("/healthz");
        return answer && answer->result_int() == 200;
      },
      kDeadline));
}

/// The server with [api.tls]: certificates from deploy/certs, made once for the suite.
class HttpsServerTest : public HttpServerTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    pki_ = new TestPki(dir_->file("pki"));
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  /// HTTPS with the suite's server certificate; clients need one from `client_ca_file` if set.
  void start_https(HttpServerOptions options = {}, std::string listen = "127.0.0.1:0",
                   std::string client_ca_file = "") {
    options.tls = ApiTlsOptions{.cert_file = pki_->server().cert_file,
                                .key_file = pki_->server().key_file,
                                .client_ca_file = std::move(client_ca_file)};
    start(std::move(options), std::move(listen));
  }

  /// A client context that trusts the test CA, with `client` as its certificate if given.
  static std::unique_ptr<asio::ssl::context> client_context(
      std::optional<CertificateFiles> client = std::nullopt) {
    auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    context->load_verify_file(pki_->ca_file());
    if (client) {
      context->use_certificate_chain_file(client->cert_file);
      context->use_private_key_file(client->key_file, asio::ssl::context::pem);
    }
    return context;
  }

  tcp::endpoint loopback() const { return {asio::ip::make_address("127.0.0.1"), port()}; }

  static TempDir* dir_;
  static TestPki* pki_;
};

TempDir* HttpsServerTest::dir_ = nullptr;
TestPki* HttpsServerTest::pki_ = nullptr;

TEST_F(HttpsServerTest, ServesTheApiWithTheConfiguredCertificateAndKeepsAlive) {
  start_https();
  auto context = client_context();
  HttpsTestClient client(loopback(), *context, "localhost");
  ASSERT_TRUE(client.connected()) << client.last_error().message();
  for (int i = 0; i < 2; ++i) {
    const auto response = client.get("/healthz");
    ASSERT_TRUE(response) << client.last_error().message();
    EXPECT_EQ(response->result_int(), 200);
    EXPECT_TRUE(response->keep_alive());
  }
}

TEST_F(HttpsServerTest, PlainHttpGetsNoAnswer) {
  start_https();
  Client plain(port());
  plain.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(plain.receive()) << "an HTTPS port must not serve the API in clear text";
}

TEST_F(HttpsServerTest, ConnectionCloseEndsWithCloseNotify) {
  start_https();
  auto context = client_context();
  HttpsTestClient client(loopback(), *context, "localhost");
  ASSERT_TRUE(client.connected()) << client.last_error().message();
  HttpsTestClient::Request request{http::verb::get, "/healthz", 11};
  request.keep_alive(false);
  client.send(request);
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(client.last_error(), asio::error::eof) << "a clean TLS close, not a truncation";
}

TEST_F(HttpsServerTest, PartlySentRequestIsAnswered408) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  start_https(options);
  auto context = client_context();
  HttpsTestClient client(loopback(), *context, "localhost");
  ASSERT_TRUE(client.connected()) << client.last_error().message();
  client.send_raw("GET /healthz HTTP/1.1\r\nHo");
  const auto response = client.receive();
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 408);
}

TEST_F(HttpsServerTest, ClientThatNeverShakesHandsIsCutOffAtTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  start_https(options);
  Client silent(port());
  EXPECT_TRUE(silent.closed_by_server());
}

TEST_F(HttpsServerTest, ClientCaRequiresACertificateFromIt) {
  start_https({}, "127.0.0.1:0", pki_->ca_file());

  auto with_cert = client_context(pki_->client("operator-laptop"));
  HttpsTestClient trusted(loopback(), *with_cert, "localhost");
  const auto response = trusted.get("/healthz");
  ASSERT_TRUE(response) << trusted.last_error().message();
  EXPECT_EQ(response->result_int(), 200);

  // With TLS 1.3 the client may finish its handshake before the server has checked it, so
  // the refusal can show on the first read rather than in the handshake.
  auto without_cert = client_context();
  HttpsTestClient anonymous(loopback(), *without_cert, "localhost");
  EXPECT_FALSE(anonymous.connected() && anonymous.get("/healthz"));

  TestPki other(dir_->file("other-pki"), "some other CA");
  auto foreign_cert = client_context(other.client("intruder"));
  HttpsTestClient foreign(loopback(), *foreign_cert, "localhost");
  EXPECT_FALSE(foreign.connected() && foreign.get("/healthz"));
}

TEST_F(HttpsServerTest, ServesOnTheIpv6LoopbackWithACertificateNamingIt) {
  try {
    start_https({}, "[::1]:0");
  } catch (const std::system_error& error) {
    GTEST_SKIP() << "this machine has no IPv6 loopback: " << error.what();
  }
  auto context = client_context();
  HttpsTestClient client(tcp::endpoint(asio::ip::make_address("::1"), port()), *context, "::1");
  ASSERT_TRUE(client.connected()) << client.last_error().message();
  const auto response = client.get("/healthz");
  ASSERT_TRUE(response) << client.last_error().message();
  EXPECT_EQ(response->result_int(), 200);
}

TEST_F(HttpsServerTest, FilesThatCannotBeUsedAreNamedBySetting) {
  const auto make_server = [this](ApiTlsOptions files) {
    HttpServerOptions options;
    options.tls = std::move(files);
    HttpServer server(io_, make_api_router(backend_), options);
  };
  const auto server = pki_->server();
  const auto message_of = [&](ApiTlsOptions files) -> std::string {
    try {
      make_server(std::move(files));
    } catch (const std::exception& error) {
      return error.what();
    }
    return "(no error)";
  };
  using ::testing::HasSubstr;
  EXPECT_THAT(message_of({.cert_file = dir_->file("missing.pem"),
                          .key_file = server.key_file,
                          .client_ca_file = ""}),
              HasSubstr("api.tls.cert_file"));
  EXPECT_THAT(message_of({.cert_file = server.key_file,  // a key is no certificate
                          .key_file = server.key_file,
                          .client_ca_file = ""}),
              HasSubstr("api.tls.cert_file"));
  const auto stranger = pki_->client("stranger");
  EXPECT_THAT(message_of({.cert_file = server.cert_file,
                          .key_file = stranger.key_file,  // another certificate's key
                          .client_ca_file = ""}),
              HasSubstr("api.tls.key_file"));
  EXPECT_THAT(message_of({.cert_file = server.cert_file,
                          .key_file = server.key_file,
                          .client_ca_file = dir_->file("missing-ca.pem")}),
              HasSubstr("api.tls.client_ca_file"));

  const auto readable_key = dir_->file("readable.key");
  std::filesystem::copy_file(server.key_file, readable_key,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(readable_key, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_THAT(
      message_of({.cert_file = server.cert_file, .key_file = readable_key, .client_ca_file = ""}),
      HasSubstr("api.tls.key_file"));
}

TEST(ServerOptionsTest, TakesTheLimitsFromApiOptions) {
  ApiOptions api;
  api.listen = "0.0.0.0:9000";
  api.max_body_bytes = 4096;
  api.max_connections = 8;
  api.read_timeout_s = 5;
  const auto options = server_options(api);
  EXPECT_EQ(options.listen, "0.0.0.0:9000");
  EXPECT_EQ(options.body_limit, 4096u);
  EXPECT_EQ(options.max_connections, 8u);
  EXPECT_EQ(options.read_timeout, std::chrono::seconds(5));
  EXPECT_EQ(options.header_limit, HttpServerOptions{}.header_limit);
  EXPECT_FALSE(options.tls.has_value());

  api.tls = ApiTlsOptions{.cert_file = "api.pem", .key_file = "api.key", .client_ca_file = ""};
  ASSERT_TRUE(server_options(api).tls.has_value());
  EXPECT_EQ(server_options(api).tls->cert_file, "api.pem");
}

}  // namespace
}  // namespace edgegw::api
