#include "gateway/uplink/mqtt_transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/fakes/transport_events.h"
#include "tests/temp_dir.h"
#include "tests/uplink/io_thread.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

// A loopback port nobody listens on: bound to learn a free number, then closed.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

CloudProfile local_profile() {
  CloudProfile profile;
  profile.provider = "generic";
  profile.host = "127.0.0.1";
  profile.port = closed_port();
  profile.client_id = "unit-test";
  profile.telemetry_topic = "t";
  profile.connect_timeout_s = 2;
  profile.reconnect_min_ms = 50;
  profile.reconnect_max_ms = 200;
  return profile;
}

/// Starts a transport on `profile` and returns why its first connection attempt failed.
std::string first_failure(const CloudProfile& profile) {
  IoThread io;
  SystemClock clock;
  TransportEvents events;
  MqttTransport transport(profile, io.io(), clock);
  transport.start(events.handlers());
  EXPECT_TRUE(wait_for([&] { return events.downs() >= 1; }));
  return events.last_reason();
}

TEST(MqttTransport, PublishReturnsFalseBeforeStart) {
  IoThread io;
  ManualClock clock;
  MqttTransport transport(local_profile(), io.io(), clock);
  EXPECT_FALSE(transport.connected());
  EXPECT_FALSE(transport.publish("t", "payload", 1));
}

TEST(MqttTransport, PublishReturnsFalseWhileTheBrokerRefusesAndRetriesWithBackoff) {
  IoThread io;
  SystemClock clock;
  TransportEvents events;
  MqttTransport transport(local_profile(), io.io(), clock);
  transport.start(events.handlers());
  // Two failures prove it retried by itself.
  ASSERT_TRUE(wait_for([&] { return events.downs() >= 2; }));
  EXPECT_FALSE(transport.publish("t", "payload", 1));
  EXPECT_FALSE(events.last_reason().empty());
  transport.stop();
}

TEST(MqttTransport, KeyFileReadableByOthersIsRefusedBeforeConnecting) {
  TempDir dir;
  for (auto name : {"ca.pem", "dev.pem", "dev.key"}) std::ofstream(dir.file(name)) << "x";
  ::chmod(dir.file("dev.key").c_str(), 0644);
  auto profile = local_profile();
  profile.use_tls = true;
  profile.tls.ca_file = dir.file("ca.pem");
  profile.tls.cert_file = dir.file("dev.pem");
  profile.tls.key_file = dir.file("dev.key");
  const auto reason = first_failure(profile);
  EXPECT_NE(reason.find(dir.file("dev.key")), std::string::npos) << reason;
  EXPECT_NE(reason.find("0644"), std::string::npos) << reason;
}

TEST(MqttTransport, PasswordFileMustBeOwnerOnlyToo) {
  TempDir dir;
  std::ofstream(dir.file("password")) << "secret";
  ::chmod(dir.file("password").c_str(), 0640);
  auto profile = local_profile();
  profile.username = "user";
  profile.password_file = dir.file("password");
  const auto reason = first_failure(profile);
  EXPECT_NE(reason.find("0640"), std::string::npos) << reason;
}

TEST(MqttTransport, NoHandlerRunsAfterStopReturns) {
  IoThread io;
  SystemClock clock;
  TransportEvents events;
  MqttTransport transport(local_profile(), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.downs() >= 1; }));
  transport.stop();
  auto seen = events.downs();
  // Retries run every 50-200 ms; a handful of periods later nothing new may have arrived.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(events.downs(), seen);
}

TEST(MqttTransport, StopFromInsideAHandlerDoesNotDeadlock) {
  IoThread io;
  SystemClock clock;
  auto transport = std::make_unique<MqttTransport>(local_profile(), io.io(), clock);
  std::atomic<bool> stopped{false};
  transport->start({.on_result = {}, .on_connection = [&](bool, const std::string&) {
                      transport->stop();
                      stopped = true;
                    }});
  ASSERT_TRUE(wait_for([&] { return stopped.load(); }));
  EXPECT_FALSE(transport->publish("t", "p", 1));
}

}  // namespace
}  // namespace edgegw
