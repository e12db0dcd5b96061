// Certificate renewal end to end: a gateway whose certificate runs out in ten days, a real
// mosquitto over mutual TLS whose ACL lets the thing use the renewal topics (as
// deploy/aws/thing-policy.json does on AWS), and the test cloud answering the AWS topic
// contract and signing the CSR through OpenSSL. The gateway renews over its running
// connection, reconnects with the new certificate and goes on publishing; a certificate that
// cannot connect leaves the old one in use. On Azure the same, with the certificate issued by
// a new registration through the DPS test service (tests/integration/cloud/dps_test_service.h)
// in front of the same mosquitto, which is the hub.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <fstream>

#include "gateway/cloud/identity_store.h"
#include "gateway/cloud/provisioning.h"
#include "gateway/durable_file.h"
#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/child_process.h"
#include "tests/integration/cloud/aws_test_cloud.h"
#include "tests/integration/cloud/dps_test_service.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace json = boost::json;
namespace http = boost::beast::http;

/// The device's key and certificate as stored before a renewal, to check that a renewal that
/// failed left them as they were, with no next pair behind.
struct StoredPair {
  explicit StoredPair(const cloud::IdentityStore& store)
      : key(read_text_file(store.key_file())),
        certificate(read_text_file(store.certificate_file())) {}
  void expect_still_in(const cloud::IdentityStore& store) const {
    EXPECT_EQ(read_text_file(store.key_file()), key);
    EXPECT_EQ(read_text_file(store.certificate_file()), certificate);
    EXPECT_FALSE(std::filesystem::exists(store.next_key_file()));
  }
  std::string key;
  std::string certificate;
};

constexpr const char* kThing = "edgegw-SN-0042";
constexpr std::int64_t kDayMs = 86'400'000;

/// The thing (its certificate's CN, the serial, is the user) may renew its certificate, as
/// deploy/aws/thing-policy.json allows.
MosquittoOptions broker_with_policies(const std::string& acl_file) {
  return aws_broker_options(acl_file,
                            "user SN-0042\n"
                            "topic readwrite $aws/certificates/create-from-csr/#\n"
                            "topic readwrite $aws/provisioning-templates/edgegw-fleet/provision/#");
}

class RenewalE2E : public ::testing::Test {
 protected:
  RenewalE2E() {
    // The device's own key and a certificate from its CSR that runs out in ten days.
    store_.ensure_key(cloud::KeyType::ec_p256);
    store_.write_csr("SN-0042");
    const std::string pem = dir_.file("short.pem");
    run_cert_script("sign-csr.sh '" + broker_.pki_dir() + "' '" + store_.csr_file().string() +
                        "' '" + pem + "'",
                    "DAYS=10");
    store_.install_certificate(read_text_file(pem), kThing, "claim", 0);
    std::ofstream(config_file_) << "[storage]\npath = \"" << dir_.file("buffer.db") << "\"\n"
                                << "[bundle]\nmax_latency_s = 1\n"
                                << "[identity]\ndir = \"" << store_.dir().string() << "\"\n"
                                << "renew_retry_s = 3600\n"
                                << "[api]\nlisten = \"127.0.0.1:0\"\n"
                                << "[uplink]\nprovider = \"aws\"\nhost = \"" << broker_.host()
                                << "\"\nport = " << broker_.port() << "\n"
                                << "[uplink.tls]\nca_file = \"" << broker_.ca_file() << "\"\n"
                                << "[provisioning]\ntemplate = \"edgegw-fleet\"\n"
                                << "claim_cert_file = \"" << claim_.cert_file << "\"\n"
                                << "claim_key_file = \"" << claim_.key_file << "\"\n"
                                << "serial = \"SN-0042\"\ntimeout_s = 10\n"
                                << "[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\n";
  }

  std::int64_t expires_at_ms() const {
    return cloud::read_certificate(read_text_file(store_.certificate_file())).not_after_ms;
  }
  json::value status(const Gateway& gateway) const {
    return json::parse(http_request(gateway.api_port(), http::verb::get, "/api/v1/status").body);
  }

  TempDir dir_;
  MosquittoBroker broker_{broker_with_policies(dir_.file("acl"))};
  DeviceCredentials claim_ = broker_.make_device("claim");
  AwsTestCloud cloud_{broker_};
  cloud::IdentityStore store_{dir_.path() / "identity"};
  std::string config_file_ = dir_.file("edgegw.toml");
  SystemClock clock_;
};

TEST_F(RenewalE2E, ACertificateInsideTheWindowIsRenewedAndTheGatewayGoesOnWithTheNewOne) {
  const std::string old_key = read_text_file(store_.key_file());
  const std::int64_t old_expiry = expires_at_ms();
  MqttTestSubscriber subscriber(broker_, "edgegw/#");
  Gateway gateway(load_config_file(config_file_), clock_);
  gateway.start();

  ASSERT_TRUE(wait_for([&] { return gateway.status().certificate->renewal->renewed == 1; },
                       std::chrono::seconds(60)))
      << broker_.log();
  // The new pair is the device's: a certificate for a new key, issued by the cloud for the
  // device's CSR and registered with the thing through the template.
  EXPECT_NE(read_text_file(store_.key_file()), old_key);
  EXPECT_GT(expires_at_ms(), clock_.wall_ms() + 800 * kDayMs);
  const auto things = cloud_.things();
  ASSERT_EQ(things.count(kThing), 1u);
  EXPECT_EQ(cloud_.certificate(things.at(kThing)), read_text_file(store_.certificate_file()));
  EXPECT_FALSE(std::filesystem::exists(store_.next_key_file()));
  // The key never left the box.
  const std::string key = read_text_file(store_.key_file());
  const std::string key_body = key.substr(key.find('\n') + 1, 40);
  for (const auto& seen : cloud_.messages()) {
    EXPECT_EQ(seen.payload.find("PRIVATE KEY"), std::string::npos) << seen.topic;
    EXPECT_EQ(seen.payload.find(key_body), std::string::npos) << seen.topic;
  }

  // Publishing goes on over the session with the new certificate.
  const std::size_t before = subscriber.messages().size();
  ASSERT_TRUE(subscriber.wait_for_count(before + 1, std::chrono::seconds(30)));
  EXPECT_EQ(subscriber.messages().back().topic, std::string("edgegw/") + kThing + "/telemetry");
  EXPECT_TRUE(gateway.status().uplink_connected);

  // Status and metrics show the new expiry and the renewal.
  const auto document = status(gateway);
  const auto& certificate = document.at("uplink").at("certificate");
  EXPECT_GT(certificate.at("expires_in_s").to_number<std::int64_t>(), 800 * 86'400);
  EXPECT_EQ(certificate.at("renewal").at("renewed").to_number<int>(), 1);
  EXPECT_EQ(certificate.at("renewal").at("state").as_string(), "idle");
  EXPECT_GT(certificate.at("renewal").at("renews_at_ms").to_number<std::int64_t>(), old_expiry);
  const std::string metrics = http_request(gateway.api_port(), http::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("edgegw_cert_renewals_total{outcome=\"renewed\"} 1"), std::string::npos)
      << metrics;
  const std::string sample = "\nedgegw_cert_expiry_seconds ";
  const auto expiry_at = metrics.find(sample);
  ASSERT_NE(expiry_at, std::string::npos) << metrics;
  EXPECT_GT(std::stoll(metrics.substr(expiry_at + sample.size())), 800LL * 86'400);
  gateway.stop();
}

TEST_F(RenewalE2E, ARenewedCertificateThatCannotConnectLeavesTheOldOneInUse) {
  // The cloud signs with a CA the broker does not trust: the new certificate is refused at
  // the handshake, and the gateway goes back to the one it has.
  cloud_.sign_with(broker_.foreign_pki_dir());
  const StoredPair old_pair(store_);
  MqttTestSubscriber subscriber(broker_, "edgegw/#");
  Gateway gateway(load_config_file(config_file_), clock_);
  gateway.start();

  ASSERT_TRUE(wait_for([&] { return gateway.status().certificate->renewal->failed == 1; },
                       std::chrono::seconds(60)))
      << broker_.log();
  const auto renewal = *gateway.status().certificate->renewal;
  EXPECT_NE(renewal.last_error.find("did not connect"), std::string::npos) << renewal.last_error;
  EXPECT_EQ(renewal.renewed, 0u);
  old_pair.expect_still_in(store_);

  // Back on the old certificate, publishing goes on.
  const std::size_t before = subscriber.messages().size();
  ASSERT_TRUE(subscriber.wait_for_count(before + 1, std::chrono::seconds(30))) << broker_.log();
  EXPECT_TRUE(gateway.status().uplink_connected);
  const auto document = status(gateway);
  EXPECT_NE(std::string(
                document.at("uplink").at("certificate").at("renewal").at("last_error").as_string())
                .find("did not connect"),
            std::string::npos);
  gateway.stop();
}

/// The hub checks every client certificate against its CA; DPS's front door hands admitted
/// connections on to the plain loopback listener.
MosquittoOptions hub_with_plain_listener(int port) {
  MosquittoOptions options;
  options.extra_config = dps_listener_config(port);
  return options;
}

class AzureRenewalE2E : public ::testing::Test {
 protected:
  /// DPS admits the device's own certificate (from the hub's CA, CN sn-x509, running out in ten
  /// days) and signs CSRs with the CA in `signing_pki_dir` ("": the hub's), or refuses them
  /// without `issues_certificates`. The device is registered once, as `edgegw run` does before
  /// the gateway starts.
  void register_device(const std::string& signing_pki_dir = {}, bool issues_certificates = true) {
    dps_.emplace(broker_, plain_port_,
                 DpsEnrollment{.id_scope = "0ne00000001",
                               .group_key = {},
                               .assigned_hub = "localhost",
                               .signing_pki_dir = signing_pki_dir,
                               .issues_certificates = issues_certificates});
    std::ofstream(config_file_) << "[storage]\npath = \"" << dir_.file("buffer.db") << "\"\n"
                                << "[bundle]\nmax_latency_s = 1\n"
                                << "[identity]\ndir = \"" << store_.dir().string() << "\"\n"
                                << "renew_retry_s = 3600\n"
                                << "[api]\nlisten = \"127.0.0.1:0\"\n"
                                << "[uplink]\nprovider = \"azure\"\nport = " << broker_.port()
                                << "\n[uplink.azure]\nauth = \"x509\"\n"
                                << "[uplink.tls]\nca_file = \"" << broker_.ca_file() << "\"\n"
                                << "[provisioning]\nid_scope = \"0ne00000001\"\n"
                                << "global_endpoint = \"" << dps_->endpoint() << "\"\n"
                                << "claim_cert_file = \"" << device_.cert_file << "\"\n"
                                << "claim_key_file = \"" << device_.key_file << "\"\n"
                                << "timeout_s = 5\n"
                                << "[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\n";
    cloud::provision_once(load_config_file(config_file_), clock_);
  }
  std::int64_t expires_at_ms() const {
    return cloud::read_certificate(read_text_file(store_.certificate_file())).not_after_ms;
  }

  TempDir dir_;
  int plain_port_ = testing::free_loopback_port();
  MosquittoBroker broker_{hub_with_plain_listener(plain_port_)};
  DeviceCredentials device_ = broker_.make_device("sn-x509", "DAYS=10");
  std::optional<DpsTestService> dps_;
  cloud::IdentityStore store_{dir_.path() / "identity"};
  std::string config_file_ = dir_.file("edgegw.toml");
  SystemClock clock_;
};

TEST_F(AzureRenewalE2E, ACertificateInsideTheWindowIsRenewedThroughDpsAndTheGatewayGoesOnWithIt) {
  register_device();
  ASSERT_EQ(read_text_file(store_.certificate_file()), read_text_file(device_.cert_file));
  const std::string old_key = read_text_file(store_.key_file());
  MqttTestSubscriber subscriber(broker_, "devices/#");
  Gateway gateway(load_config_file(config_file_), clock_);
  gateway.start();

  ASSERT_TRUE(wait_for([&] { return gateway.status().certificate->renewal->renewed == 1; },
                       std::chrono::seconds(60)))
      << gateway.status().certificate->renewal->last_error << "\n"
      << broker_.log();
  // A second registration with the onboarding certificate, carrying a CSR for a new key: DPS
  // issued the certificate the device now has (leaf first, then the CA's).
  EXPECT_EQ(dps_->connects(), (std::vector<std::string>{"admitted sn-x509", "admitted sn-x509"}));
  ASSERT_EQ(dps_->issued().size(), 1u);
  const std::string certificate = read_text_file(store_.certificate_file());
  EXPECT_TRUE(certificate.starts_with(dps_->issued()[0])) << certificate;
  EXPECT_EQ(cloud::read_certificate(certificate).common_name, "sn-x509");
  EXPECT_NE(read_text_file(store_.key_file()), old_key);
  EXPECT_GT(expires_at_ms(), clock_.wall_ms() + 800 * kDayMs);
  EXPECT_FALSE(std::filesystem::exists(store_.next_key_file()));
  EXPECT_EQ(store_.load()->thing_name, "sn-x509");

  // Telemetry goes on to the hub over the session with the new certificate.
  const std::size_t before = subscriber.messages().size();
  ASSERT_TRUE(subscriber.wait_for_count(before + 1, std::chrono::seconds(30)));
  EXPECT_TRUE(subscriber.messages().back().topic.starts_with("devices/sn-x509/messages/events/"))
      << subscriber.messages().back().topic;
  EXPECT_TRUE(gateway.status().uplink_connected);

  const auto document =
      json::parse(http_request(gateway.api_port(), http::verb::get, "/api/v1/status").body);
  const auto& status = document.at("uplink").at("certificate");
  EXPECT_GT(status.at("expires_in_s").to_number<std::int64_t>(), 800 * 86'400);
  EXPECT_EQ(status.at("renewal").at("renewed").to_number<int>(), 1);
  EXPECT_EQ(status.at("renewal").at("state").as_string(), "idle");
  const std::string metrics = http_request(gateway.api_port(), http::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("edgegw_cert_renewals_total{outcome=\"renewed\"} 1"), std::string::npos)
      << metrics;
  const std::string sample = "\nedgegw_cert_expiry_seconds ";
  const auto expiry_at = metrics.find(sample);
  ASSERT_NE(expiry_at, std::string::npos) << metrics;
  EXPECT_GT(std::stoll(metrics.substr(expiry_at + sample.size())), 800LL * 86'400);
  gateway.stop();
}

TEST_F(AzureRenewalE2E, ACertificateFromDpsThatTheHubRefusesLeavesTheOldOneInUse) {
  register_device(broker_.foreign_pki_dir());
  const StoredPair old_pair(store_);
  MqttTestSubscriber subscriber(broker_, "devices/#");
  Gateway gateway(load_config_file(config_file_), clock_);
  gateway.start();

  ASSERT_TRUE(wait_for([&] { return gateway.status().certificate->renewal->failed == 1; },
                       std::chrono::seconds(60)))
      << broker_.log();
  const auto renewal = *gateway.status().certificate->renewal;
  EXPECT_NE(renewal.last_error.find("did not connect"), std::string::npos) << renewal.last_error;
  EXPECT_EQ(renewal.renewed, 0u);
  EXPECT_EQ(dps_->issued().size(), 1u);
  old_pair.expect_still_in(store_);

  // Back on the old certificate, telemetry goes on.
  const std::size_t before = subscriber.messages().size();
  ASSERT_TRUE(subscriber.wait_for_count(before + 1, std::chrono::seconds(30))) << broker_.log();
  EXPECT_TRUE(gateway.status().uplink_connected);
  gateway.stop();
}

TEST_F(AzureRenewalE2E, ARegistrationDpsRefusesLeavesTheOldCertificateInUse) {
  register_device({}, /*issues_certificates=*/false);
  const StoredPair old_pair(store_);
  MqttTestSubscriber subscriber(broker_, "devices/#");
  Gateway gateway(load_config_file(config_file_), clock_);
  gateway.start();

  ASSERT_TRUE(wait_for([&] { return gateway.status().certificate->renewal->failed == 1; },
                       std::chrono::seconds(60)))
      << broker_.log();
  const auto renewal = *gateway.status().certificate->renewal;
  EXPECT_EQ(renewal.last_error,
            "DPS registration: DPS registration rejected: 400 400004: the enrollment has no "
            "certificate policy");
  EXPECT_EQ(renewal.state, "idle");
  EXPECT_TRUE(dps_->issued().empty());
  old_pair.expect_still_in(store_);

  const std::size_t before = subscriber.messages().size();
  ASSERT_TRUE(subscriber.wait_for_count(before + 1, std::chrono::seconds(30))) << broker_.log();
  EXPECT_TRUE(gateway.status().uplink_connected);
  const std::string metrics = http_request(gateway.api_port(), http::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("edgegw_cert_renewals_total{outcome=\"failed\"} 1"), std::string::npos)
      << metrics;
  gateway.stop();
}

TEST_F(AzureRenewalE2E, AGatewayStoppedWhileDpsIsAskedDoesNotWaitForTheRegistration) {
  register_device();
  // From now on DPS takes the connection and never answers: a listener nobody accepts on.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::string config = read_text_file(config_file_);
  config.replace(config.find(dps_->endpoint()), dps_->endpoint().size(),
                 "127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
  config.replace(config.find("timeout_s = 5"), 13, "timeout_s = 120");
  std::ofstream(config_file_) << config;

  auto gateway = std::make_unique<Gateway>(load_config_file(config_file_), clock_);
  gateway->start();
  ASSERT_TRUE(
      wait_for([&] { return gateway->status().certificate->renewal->state == "registering"; },
               std::chrono::seconds(30)));
  // The registration would wait two minutes for its connection; stopping ends it instead.
  const auto stopping = std::chrono::steady_clock::now();
  gateway.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(30));
  EXPECT_EQ(read_text_file(store_.certificate_file()), read_text_file(device_.cert_file));
}

}  // namespace
}  // namespace edgegw
