#include "gateway/uplink/connection_probe.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "tests/uplink/io_thread.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

TEST(DescribeTlsError, NamesTheCommonCausesAndKeepsOpensslsText) {
  auto verify = describe_tls_error("certificate verify failed (SSL routines)");
  EXPECT_NE(verify.find("TLS handshake failure: certificate verify failed"), std::string::npos);
  EXPECT_NE(verify.find("[certificate verify failed (SSL routines)]"), std::string::npos);
  EXPECT_NE(describe_tls_error("tlsv1 alert unknown ca").find("(unknown CA)"), std::string::npos);
  EXPECT_NE(describe_tls_error("sslv3 alert certificate expired").find("(expired)"),
            std::string::npos);
  EXPECT_NE(describe_tls_error("tlsv13 alert certificate required").find("requires a client"),
            std::string::npos);
  EXPECT_NE(describe_tls_error("wrong version number").find("does not speak TLS"),
            std::string::npos);
  EXPECT_EQ(describe_tls_error("something new").rfind("TLS handshake failure [something new]", 0),
            0u);
}

// A listening socket that never accepts: connects complete (backlog) but nothing answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 4);
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct Finding {
  std::mutex mutex;
  std::string text;
  std::atomic<bool> done{false};
  std::function<void(const ProbeFinding&)> callback() {
    return [this](const ProbeFinding& finding) {
      std::lock_guard lock(mutex);
      text = finding.text;
      done = true;
    };
  }
};

TEST(ConnectionProbe, ClosedPortIsReportedAsRefused) {
  int port;
  {
    SilentListener listener;
    port = listener.port();
  }
  CloudProfile profile;
  profile.host = "127.0.0.1";
  profile.port = port;
  IoThread io;
  Finding finding;
  probe_connection(io.io(), profile, std::chrono::seconds(5), finding.callback());
  ASSERT_TRUE(wait_for([&] { return finding.done.load(); }));
  std::lock_guard lock(finding.mutex);
  EXPECT_NE(finding.text.find("Connection refused"), std::string::npos) << finding.text;
}

TEST(ConnectionProbe, SilentTlsPeerEndsAtTheDeadline) {
  SilentListener listener;
  CloudProfile profile;
  profile.host = "127.0.0.1";
  profile.port = listener.port();
  profile.use_tls = true;
  IoThread io;
  Finding finding;
  probe_connection(io.io(), profile, std::chrono::milliseconds(200), finding.callback());
  ASSERT_TRUE(wait_for([&] { return finding.done.load(); }));
  std::lock_guard lock(finding.mutex);
  EXPECT_NE(finding.text.find("no answer"), std::string::npos) << finding.text;
}

TEST(ConnectionProbe, UnreadableCaFileIsNamed) {
  CloudProfile profile;
  profile.host = "127.0.0.1";
  profile.port = 1;
  profile.use_tls = true;
  profile.tls.ca_file = "/nonexistent/ca.pem";
  IoThread io;
  Finding finding;
  probe_connection(io.io(), profile, std::chrono::seconds(5), finding.callback());
  ASSERT_TRUE(wait_for([&] { return finding.done.load(); }));
  std::lock_guard lock(finding.mutex);
  EXPECT_NE(finding.text.find("uplink.tls.ca_file"), std::string::npos) << finding.text;
}

}  // namespace
}  // namespace edgegw
