// MqttTransport against a real mosquitto with mutual TLS: certificates from deploy/certs,
// refusals for each kind of bad credential, and the broker stopped, restarted and frozen.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>
#include <optional>
#include <vector>

#include "gateway/uplink/cloud_profile.h"
#include "gateway/uplink/connection_probe.h"
#include "gateway/uplink/mqtt_transport.h"
#include "gateway/uplink/tcp_nodelay.h"
#include "tests/fakes/transport_events.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/broker/tcp_proxy.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"
#include "tests/uplink/io_thread.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

CloudProfile profile_for(const MosquittoBroker& broker, std::optional<TlsOptions> tls = {}) {
  auto config = broker.gateway_config("gw-tls");
  if (tls) config.uplink.tls = *tls;
  // Short retries keep the reconnect tests quick; the schedule itself is unit-tested.
  config.uplink.reconnect_min_ms = 50;
  config.uplink.reconnect_max_ms = 400;
  config.uplink.keepalive_s = 30;
  return resolve_profile(config);
}

TlsOptions with_client_cert(const MosquittoBroker& broker, const DeviceCredentials& device) {
  auto tls = broker.device_tls();
  tls.cert_file = device.cert_file;
  tls.key_file = device.key_file;
  return tls;
}

// A binary payload with a zero byte, so truncation at a NUL would show.
const std::string kPayload("bundle\0\x01\xff-payload", 18);

class MqttTls : public ::testing::Test {
 protected:
  MosquittoBroker broker;
  IoThread io;
  SystemClock clock;
  TransportEvents events;

  // Starts a transport with `tls` and waits for its first refusal; returns the reason.
  std::string first_refusal(const TlsOptions& tls) {
    MqttTransport transport(profile_for(broker, tls), io.io(), clock);
    transport.start(events.handlers());
    EXPECT_TRUE(wait_for([&] { return events.downs() >= 1; })) << events.history();
    transport.stop();
    EXPECT_EQ(events.ups(), 0u) << events.history();
    return events.last_reason();
  }
};

TEST_F(MqttTls, DeviceCertConnectsAndAPublishIsAckedAndDeliveredExactly) {
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
  EXPECT_EQ(events.ups(), 1u);

  ASSERT_TRUE(transport.publish("edgegw/gw-tls/telemetry", kPayload, 42));
  ASSERT_TRUE(wait_for([&] { return events.was_acked(42); })) << events.history();
  ASSERT_TRUE(subscriber.wait_for_count(1));
  auto received = subscriber.messages().at(0);
  EXPECT_EQ(received.topic, "edgegw/gw-tls/telemetry");
  EXPECT_EQ(received.payload, kPayload);
  transport.stop();
}

TEST_F(MqttTls, TheConnectionToTheBrokerSendsWithoutWaitingForNagle) {
  ASSERT_TRUE(tcp_sockets_towards(broker.port()).empty()) << "no connection to the broker yet";
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
  // Only Paho's own socket is connected to the broker in this process.
  const auto sockets = tcp_sockets_towards(broker.port());
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_TRUE(nagle_disabled(sockets.front())) << "a TCP socket starts with Nagle on";
  transport.stop();
}

TEST_F(MqttTls, ManyPublishesAreEachAckedOnceWithTheirOwnToken) {
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
  for (std::uint64_t token = 1; token <= 50; ++token) {
    ASSERT_TRUE(transport.publish("edgegw/t", kPayload, token));
  }
  ASSERT_TRUE(wait_for([&] { return events.acked().size() >= 50; }));
  auto acked = events.acked();
  std::sort(acked.begin(), acked.end());
  std::vector<std::uint64_t> expected(50);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(acked, expected);
}

TEST_F(MqttTls, SubscribedMessagesReachTheirHandlerAgainAfterTheBrokerRestarts) {
  MqttTransport listener(profile_for(broker), io.io(), clock);
  std::mutex mutex;
  std::vector<InboundMessage> commands;
  std::size_t others = 0;
  listener.subscribe("edgegw/gw-tls/commands/+", [&](const InboundMessage& message) {
    std::lock_guard lock(mutex);
    commands.push_back(message);
  });
  listener.subscribe("edgegw/gw-tls/other", [&](const InboundMessage&) {
    std::lock_guard lock(mutex);
    ++others;
  });
  listener.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return listener.connected(); })) << events.history();

  // Another client of the broker sends the commands (a cloud service would).
  auto sender_config = broker.gateway_config("cloud-side");
  sender_config.uplink.tls = with_client_cert(broker, broker.make_device("cloud-side"));
  sender_config.uplink.reconnect_min_ms = 50;
  sender_config.uplink.reconnect_max_ms = 400;
  TransportEvents sender_events;
  MqttTransport sender(resolve_profile(sender_config), io.io(), clock);
  sender.start(sender_events.handlers());
  ASSERT_TRUE(wait_for([&] { return sender.connected(); })) << sender_events.history();
  const auto count = [&] {
    std::lock_guard lock(mutex);
    return commands.size();
  };
  // The SUBACK may still be on its way: send until one arrives.
  ASSERT_TRUE(wait_for([&] {
    sender.publish("edgegw/gw-tls/commands/ping", R"({"id":"1"})", 1);
    return wait_for([&] { return count() >= 1; }, milliseconds(200));
  }));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(commands[0].topic, "edgegw/gw-tls/commands/ping");
    EXPECT_EQ(commands[0].payload, R"({"id":"1"})");
    EXPECT_EQ(others, 0u) << "only the handler whose filter matches";
    EXPECT_EQ(commands[0].session, 1u) << "the first connection";
  }

  broker.stop();
  broker.start();
  ASSERT_TRUE(wait_for([&] { return listener.connected() && sender.connected(); }))
      << events.history();
  const auto before = count();
  ASSERT_TRUE(wait_for([&] {
    sender.publish("edgegw/gw-tls/commands/status", R"({"id":"2"})", 2);
    return wait_for([&] { return count() > before; }, milliseconds(200));
  })) << "subscribed again on the new connection, with no help";
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(commands.back().session, 2u) << "delivered on the second connection";
  }
  sender.stop();
  listener.stop();
}

/// mosquitto's dynamic-security plugin, which (unlike an acl_file, whose "read" rules only
/// filter delivery) can refuse a subscription; part of Debian's mosquitto package.
std::string dynamic_security_plugin() {
  for (const auto& dir : std::filesystem::directory_iterator("/usr/lib")) {
    auto plugin = dir.path() / "mosquitto_dynamic_security.so";
    if (std::filesystem::exists(plugin)) return plugin.string();
  }
  return {};
}

TEST(MqttSubscriptions, ARefusedSubscriptionIsShownWithTheBrokersReasonAndTheOthersGranted) {
  const std::string plugin = dynamic_security_plugin();
  ASSERT_FALSE(plugin.empty()) << "mosquitto_dynamic_security.so is not installed";
  TempDir dir;
  const std::string dynsec = dir.file("dynamic-security.json");
  // The device may do anything but subscribe to its commands.
  std::ofstream(dynsec) << R"({"defaultACLAccess": {"publishClientSend": true,
    "publishClientReceive": true, "subscribe": true, "unsubscribe": true},
    "clients": [{"username": "test-thing", "roles": [{"rolename": "device"}]}],
    "groups": [],
    "roles": [{"rolename": "device", "acls": [{"acltype": "subscribePattern",
      "topic": "edgegw/gw-tls/commands/#", "priority": 0, "allow": false}]}]})";
  MosquittoBroker broker(MosquittoOptions{
      .use_identity_as_username = true,
      .extra_config = "plugin " + plugin + "\nplugin_opt_config_file " + dynsec + "\n"});
  IoThread io;
  SystemClock clock;
  TransportEvents events;
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.subscribe("edgegw/gw-tls/commands/+", [](const InboundMessage&) {});
  transport.subscribe("edgegw/gw-tls/other", [](const InboundMessage&) {});
  using State = SubscriptionState::State;
  EXPECT_EQ(transport.subscriptions().at(0).state, State::pending) << "before any connection";
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.ups() == 1; })) << events.history();

  const auto subscriptions = transport.subscriptions();
  ASSERT_EQ(subscriptions.size(), 2u);
  EXPECT_EQ(subscriptions[0].filter, "edgegw/gw-tls/commands/+");
  EXPECT_EQ(subscriptions[0].state, State::refused);
  EXPECT_NE(subscriptions[0].reason.find("135"), std::string::npos)
      << "not authorised: " << subscriptions[0].reason;
  EXPECT_EQ(subscriptions[1].state, State::granted);
  EXPECT_TRUE(subscriptions[1].reason.empty());

  broker.stop();
  ASSERT_TRUE(wait_for([&] { return !transport.connected(); }));
  for (const auto& subscription : transport.subscriptions()) {
    EXPECT_EQ(subscription.state, State::pending)
        << "no connection, no answer: " << subscription.filter;
  }
  transport.stop();
}

TEST_F(MqttTls, AMessageSentTheMomentTheConnectionIsReportedUpArrives) {
  auto sender_config = broker.gateway_config("cloud-side");
  sender_config.uplink.tls = with_client_cert(broker, broker.make_device("cloud-side"));
  TransportEvents sender_events;
  MqttTransport sender(resolve_profile(sender_config), io.io(), clock);
  sender.start(sender_events.handlers());
  ASSERT_TRUE(wait_for([&] { return sender.connected(); })) << sender_events.history();

  MqttTransport listener(profile_for(broker), io.io(), clock);
  std::atomic<int> received{0};
  listener.subscribe("edgegw/gw-tls/commands/+", [&](const InboundMessage&) { ++received; });
  listener.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.ups() == 1; })) << events.history();
  // Once, no retry: up means the broker holds the subscription.
  sender.publish("edgegw/gw-tls/commands/status", R"({"id":"1"})", 1);
  EXPECT_TRUE(wait_for([&] { return received.load() == 1; }, std::chrono::seconds(5)));
  sender.stop();
  listener.stop();
}

TEST_F(MqttTls, DeviceCertFromAnotherCaIsRefused) {
  auto foreign = broker.make_foreign_device("intruder");
  auto reason = first_refusal(with_client_cert(broker, foreign));
  EXPECT_NE(reason.find("TLS"), std::string::npos) << reason;
  EXPECT_NE(reason.find("unknown ca"), std::string::npos) << reason;
}

TEST_F(MqttTls, ExpiredDeviceCertIsRefused) {
  auto expired = broker.make_expired_device("expired-thing");
  auto reason = first_refusal(with_client_cert(broker, expired));
  EXPECT_NE(reason.find("expired"), std::string::npos) << reason;
}

TEST_F(MqttTls, BrokerNotTrustedByTheCaFileIsRefused) {
  auto tls = broker.device_tls();
  tls.ca_file = broker.foreign_ca_file();
  auto reason = first_refusal(tls);
  EXPECT_NE(reason.find("certificate verify failed"), std::string::npos) << reason;
}

TEST_F(MqttTls, MissingKeyFileIsRefusedNamingIt) {
  auto tls = broker.device_tls();
  tls.key_file = broker.directory() + "/no-such.key";
  auto reason = first_refusal(tls);
  EXPECT_NE(reason.find("no-such.key"), std::string::npos) << reason;
  EXPECT_NE(reason.find("No such file"), std::string::npos) << reason;
}

TEST_F(MqttTls, KeyFileWithMode0644IsRefusedNamingItAndItsMode) {
  auto tls = broker.device_tls();
  ASSERT_EQ(::chmod(tls.key_file.c_str(), 0644), 0);
  auto reason = first_refusal(tls);
  EXPECT_NE(reason.find(tls.key_file), std::string::npos) << reason;
  EXPECT_NE(reason.find("0644"), std::string::npos) << reason;
}

TEST_F(MqttTls, BrokerRestartIsReportedAndTheTransportReconnectsByItself) {
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();

  broker.stop();
  ASSERT_TRUE(wait_for([&] { return events.downs() >= 1; })) << events.history();
  EXPECT_FALSE(transport.connected());
  EXPECT_FALSE(transport.publish("edgegw/t", kPayload, 1));
  // Refused attempts while the broker is down: the backoff keeps trying.
  ASSERT_TRUE(wait_for([&] { return events.downs() >= 3; })) << events.history();

  broker.start();
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
  EXPECT_EQ(events.ups(), 2u);
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  ASSERT_TRUE(transport.publish("edgegw/t", kPayload, 2));
  ASSERT_TRUE(wait_for([&] { return events.was_acked(2); })) << events.history();
  ASSERT_TRUE(subscriber.wait_for_count(1));
  EXPECT_FALSE(events.was_acked(1));
}

// A frozen broker keeps its socket open: publishes leave the gateway but no PUBACK comes.
// Within the keep-alive, Paho keeps the connection and the PUBACKs arrive after SIGCONT.
TEST_F(MqttTls, PausedBrokerAcksNothingUntilItResumes) {
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();

  broker.pause();
  ASSERT_TRUE(transport.publish("edgegw/t", kPayload, 7));
  // Nothing can ack while the broker is stopped; a short look is enough to catch a bogus ack.
  EXPECT_FALSE(wait_for([&] { return events.was_acked(7); }, milliseconds(500)));
  broker.resume();
  ASSERT_TRUE(wait_for([&] { return events.was_acked(7); })) << events.history();
  ASSERT_TRUE(subscriber.wait_for_count(1));
  EXPECT_EQ(events.downs(), 0u) << events.history();
}

// Frozen for longer than the keep-alive: Paho's PINGREQ goes unanswered, the connection is
// declared lost, the pending publish is dropped unacked, and after resume the transport
// reconnects so the publish can be sent again.
TEST_F(MqttTls, BrokerPausedPastTheKeepAliveLosesTheConnectionAndThePendingPublish) {
  auto profile = profile_for(broker);
  profile.keepalive_s = 1;
  MqttTransport transport(profile, io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();

  broker.pause();
  ASSERT_TRUE(transport.publish("edgegw/t", kPayload, 8));
  ASSERT_TRUE(wait_for([&] { return events.downs() >= 1; }, seconds(30))) << events.history();
  broker.resume();
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
  EXPECT_FALSE(events.was_acked(8)) << "a publish lost with its connection must not be acked";
  ASSERT_TRUE(transport.publish("edgegw/t", kPayload, 9));
  ASSERT_TRUE(wait_for([&] { return events.was_acked(9); })) << events.history();
}

TEST_F(MqttTls, StopDisconnectsCleanly) {
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
  transport.stop();
  EXPECT_FALSE(transport.connected());
  EXPECT_FALSE(transport.publish("edgegw/t", kPayload, 1));
  ASSERT_TRUE(wait_for([&] {
    return broker.log().find("Client gw-tls disconnected.") != std::string::npos;
  })) << broker.log();
}

// Paho is asked for TLS 1.2 as the floor; a broker that allows only 1.3 must still work.
TEST(MqttTlsVersions, ConnectsToABrokerThatOnlySpeaksTls13) {
  MosquittoOptions options;
  options.tls_version = "tlsv1.3";
  MosquittoBroker broker(options);
  IoThread io;
  SystemClock clock;
  TransportEvents events;
  MqttTransport transport(profile_for(broker), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
}

TEST_F(MqttTls, HostNameIsVerifiedAgainstTheServerCertificate) {
  auto config = broker.gateway_config("gw-tls");
  config.uplink.host = "localhost";  // in the server certificate's SAN, sent as SNI
  MqttTransport transport(resolve_profile(config), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return transport.connected(); })) << events.history();
}

// The SAS token is the MQTT password; mosquitto does not check it, but the transport's
// renewal (a clean reconnect with a new token at 80% of its lifetime) is visible here.
TEST_F(MqttTls, SasTokenIsRenewedByReconnectingBeforeItExpires) {
  std::string key_file = broker.directory() + "/device-key";
  { std::ofstream(key_file) << "AAECAwQFBgcICQoLDA0ODw==\n"; }
  ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);
  auto profile = profile_for(broker);
  profile.username = "hub.azure-devices.net/gw-tls/?api-version=2021-04-12";
  profile.sas = SasCredentials{.resource_uri = "hub.azure-devices.net/devices/gw-tls",
                               .key_file = key_file,
                               .ttl_s = 2,
                               .renew_at_fraction = 0.8,
                               .key_name = {}};
  MqttTransport transport(profile, io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.ups() >= 2; })) << events.history();
  EXPECT_NE(events.history().find("down: renewing the SAS token"), std::string::npos)
      << events.history();
}

}  // namespace
}  // namespace edgegw

namespace edgegw {
namespace {

/// A profile through `proxy`, which drops the first connection as AWS IoT does while it
/// registers a new certificate just in time (JITP, JITR).
CloudProfile behind_registering_proxy(const MosquittoBroker& broker, TcpProxy& proxy,
                                      bool jit_registration) {
  auto config = broker.gateway_config("gw-jit");
  config.uplink.provider = "aws";
  config.uplink.port = proxy.port();
  config.uplink.aws.jit_registration = jit_registration;
  config.uplink.reconnect_min_ms = 50;
  config.uplink.reconnect_max_ms = 400;
  proxy.drop_next_session();
  return resolve_profile(config);
}

TEST_F(MqttTls, UnderJustInTimeRegistrationTheFirstDroppedConnectionIsExpectedAndRetried) {
  TcpProxy proxy(static_cast<std::uint16_t>(broker.port()));
  MqttTransport transport(behind_registering_proxy(broker, proxy, true), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.ups() >= 1; })) << events.history();
  EXPECT_EQ(events.history(),
            "down: first connection dropped while AWS registers the certificate (just-in-time "
            "registration); connecting again\nup: connected to " +
                transport.profile().server_uri() + "\n");
  transport.stop();
}

TEST_F(MqttTls, WithoutJustInTimeRegistrationTheSameDropIsAFailedConnect) {
  TcpProxy proxy(static_cast<std::uint16_t>(broker.port()));
  MqttTransport transport(behind_registering_proxy(broker, proxy, false), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.ups() >= 1; })) << events.history();
  EXPECT_TRUE(events.history().starts_with("down: " + std::string(kSessionDroppedFinding)))
      << events.history();
  transport.stop();
}

}  // namespace
}  // namespace edgegw

namespace edgegw {
namespace {

/// The provider rotates its root CA: the broker comes back presenting a certificate from a new
/// CA. A gateway whose CA file holds both roots reconnects; one that holds only the old root
/// is cut off (TLS verify failure) until its CA file is updated.
class CaRotation : public ::testing::Test {
 protected:
  CaRotation() { std::ofstream(bundle_) << read(broker.ca_file()) << read(new_root.ca_file()); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  CloudProfile profile_with_ca(const std::string& ca_file) {
    auto tls = broker.device_tls();
    tls.ca_file = ca_file;
    return profile_for(broker, tls);
  }

  MosquittoBroker broker;
  TempDir dir;
  TestPki new_root{dir.file("new-root"), "edgegw test CA 2"};
  std::string bundle_ = dir.file("roots.pem");
  IoThread io;
  SystemClock clock;
};

TEST_F(CaRotation, ACaFileWithBothRootsKeepsTheGatewayConnectedThroughTheRotation) {
  TransportEvents events;
  MqttTransport transport(profile_with_ca(bundle_), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.ups() >= 1; })) << events.history();

  broker.restart_with_server_certificate(new_root.server());
  ASSERT_TRUE(wait_for([&] { return events.ups() >= 2; }, seconds(30))) << events.history();
  ASSERT_TRUE(transport.publish("edgegw/gw-tls/telemetry", kPayload, 5));
  ASSERT_TRUE(wait_for([&] { return events.was_acked(5); })) << events.history();
  transport.stop();
}

TEST_F(CaRotation, ACaFileWithOnlyTheOldRootIsCutOffWithAVerifyFailure) {
  TransportEvents events;
  MqttTransport transport(profile_with_ca(broker.ca_file()), io.io(), clock);
  transport.start(events.handlers());
  ASSERT_TRUE(wait_for([&] { return events.ups() >= 1; })) << events.history();

  broker.restart_with_server_certificate(new_root.server());
  ASSERT_TRUE(wait_for(
      [&] { return events.last_reason().find("certificate verify failed") != std::string::npos; },
      seconds(30)))
      << events.history();
  EXPECT_EQ(events.ups(), 1u);
  transport.stop();
}

}  // namespace
}  // namespace edgegw
