// Provisioning end to end, by claim and just in time. By claim, as a factory-fresh gateway does it:
// the edgegw binary with only the batch's claim certificate, a real mosquitto over mutual TLS whose
// ACL gives the claim only the provisioning topics (as deploy/aws/claim-policy.json does on AWS),
// and a test cloud that answers the AWS topic contract and signs the device's CSR with the
// broker's CA, so the certificate it issues really connects.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "gateway/cloud/identity_store.h"
#include "proto/bundle_decoder.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/broker/tcp_proxy.h"
#include "tests/integration/cloud/aws_test_cloud.h"
#include "tests/integration/edgegw_process.h"
#include "tests/read_file.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

constexpr const char* kCsrTopic = "$aws/certificates/create-from-csr/json";
constexpr const char* kRegisterTopic = "$aws/provisioning-templates/edgegw-fleet/provision/json";
constexpr const char* kThing = "edgegw-SN-0042";

/// The claim may only provision, a thing only its own topics, as the policies in deploy/aws.
MosquittoOptions broker_with_policies(const std::string& acl_file) {
  return aws_broker_options(acl_file,
                            "user claim\n"
                            "topic readwrite $aws/certificates/create-from-csr/#\n"
                            "topic readwrite $aws/certificates/create/#\n"
                            "topic readwrite $aws/provisioning-templates/+/provision/#");
}

class ProvisioningE2E : public ::testing::Test {
 protected:
  ProvisioningE2E() { write_config(); }

  void write_config(const std::string& template_name = "edgegw-fleet",
                    const std::string& extra = "") {
    // A short max_latency_s: the first bundle goes out within a second.
    std::ofstream(config_) << "[storage]\npath = \"" << dir_.file("buffer.db") << "\"\n"
                           << "[bundle]\nmax_latency_s = 1\n"
                           << "[identity]\ndir = \"" << store_.dir().string() << "\"\n"
                           << "[api]\nlisten = \"127.0.0.1:0\"\n"
                           << "[uplink]\nprovider = \"aws\"\nhost = \"" << broker_.host()
                           << "\"\nport = " << broker_.port() << "\n"
                           << "[uplink.tls]\nca_file = \"" << broker_.ca_file() << "\"\n"
                           << "[provisioning]\ntemplate = \"" << template_name << "\"\n"
                           << "claim_cert_file = \"" << claim_.cert_file << "\"\n"
                           << "claim_key_file = \"" << claim_.key_file << "\"\n"
                           << "serial = \"SN-0042\"\nmodel = \"pi4\"\n"
                           << "timeout_s = 3\nretry_min_s = 1\nretry_max_s = 1\n"
                           << extra << "[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\n";
  }
  std::string log() const { return read_file(log_); }
  /// The client certificate's CN of each connection mosquitto logged, in order.
  std::vector<std::string> connected_users() const {
    static const std::regex kConnected(
        R"(New client connected from \S+ as (\S+) \(.*u'([^']*)'\))");
    std::vector<std::string> users;
    const std::string text = broker_.log();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kConnected);
         it != std::sregex_iterator(); ++it) {
      users.push_back((*it)[2].str() + " as " + (*it)[1].str());
    }
    return users;
  }

  TempDir dir_;
  MosquittoBroker broker_{broker_with_policies(dir_.file("acl"))};
  DeviceCredentials claim_ = broker_.make_device("claim");
  AwsTestCloud cloud_{broker_};
  cloud::IdentityStore store_{dir_.path() / "identity"};
  std::filesystem::path config_ = dir_.path() / "edgegw.toml";
  std::filesystem::path log_ = dir_.path() / "edgegw.log";
};

TEST_F(ProvisioningE2E, AFreshGatewayProvisionsByClaimThenPublishesUnderItsOwnCertificate) {
  MqttTestSubscriber subscriber(broker_, "edgegw/#");
  Daemon daemon(config_, log_);
  ASSERT_TRUE(subscriber.wait_for_count(1, std::chrono::seconds(60))) << log() << "\n--- broker:\n"
                                                                      << broker_.log();
  const auto message = subscriber.messages().at(0);
  EXPECT_EQ(message.topic, std::string("edgegw/") + kThing + "/telemetry");
  EXPECT_EQ(decode_bundle(message.payload).gateway_id, kThing);

  // The identity is the thing the cloud registered, with the certificate it issued for it.
  const auto identity = store_.load();
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->thing_name, kThing);
  EXPECT_EQ(identity->provisioned_by, "claim");
  const auto things = cloud_.things();
  ASSERT_EQ(things.count(kThing), 1u);
  EXPECT_EQ(read_file(store_.certificate_file()), cloud_.certificate(things.at(kThing)));
  EXPECT_FALSE(std::filesystem::exists(store_.pending_file()));

  // The claim connected once, as the serial, and the thing then with its own certificate
  // (CN from the device's CSR); the claim was not used again.
  const auto users = connected_users();
  ASSERT_GE(users.size(), 2u) << broker_.log();
  EXPECT_EQ(std::count(users.begin(), users.end(), "claim as SN-0042"), 1) << broker_.log();
  const auto thing_at = std::find(users.begin(), users.end(), std::string("SN-0042 as ") + kThing);
  ASSERT_NE(thing_at, users.end()) << broker_.log();
  EXPECT_EQ(std::find(thing_at, users.end(), "claim as SN-0042"), users.end());

  // The private key never left the device: no message carried it, and the certificate is
  // for the key on the device.
  const std::string key = read_file(store_.key_file());
  const std::string key_body = key.substr(key.find('\n') + 1, 40);
  for (const auto& seen : cloud_.messages()) {
    EXPECT_EQ(seen.payload.find("PRIVATE KEY"), std::string::npos) << seen.topic;
    EXPECT_EQ(seen.payload.find(key_body), std::string::npos) << seen.topic;
  }
  const auto cert_key =
      run_command("openssl x509 -noout -pubkey -in " + store_.certificate_file().string());
  const auto device_key = run_command("openssl pkey -pubout -in " + store_.key_file().string());
  EXPECT_EQ(cert_key.output, device_key.output);
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(ProvisioningE2E, ACrashBetweenTheTwoStepsResumesWithTheIssuedCertificate) {
  cloud_.answer_registrations(false);
  {
    Daemon daemon(config_, log_);
    ASSERT_TRUE(cloud_.wait_for_requests(kRegisterTopic, 1)) << log();
    daemon.kill_hard();
  }
  ASSERT_TRUE(std::filesystem::exists(store_.pending_file()));
  cloud_.answer_registrations(true);
  MqttTestSubscriber subscriber(broker_, "edgegw/#");
  Daemon daemon(config_, log_);
  ASSERT_TRUE(subscriber.wait_for_count(1, std::chrono::seconds(60))) << log();
  EXPECT_EQ(cloud_.requests_on(kCsrTopic), 1u) << "the certificate was not asked for twice";
  EXPECT_EQ(cloud_.requests_on(kRegisterTopic), 2u);
  EXPECT_NE(log().find("provisioning: resuming with certificate"), std::string::npos) << log();
  EXPECT_EQ(store_.load()->thing_name, kThing);
}

TEST_F(ProvisioningE2E, AnUnknownTemplateIsAClearErrorWithTheCloudsAnswer) {
  write_config("no-such-template");
  const auto result = run_edgegw({"provision", "--config", config_.string()});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("RegisterThing (template no-such-template) rejected: 404 "
                               "ResourceNotFound: Template no-such-template does not exist"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(store_.load());
}

TEST_F(ProvisioningE2E, AnExpiredOwnershipTokenIsRejectedAndTheNextAttemptAsksAgain) {
  // A first run got its certificate, then stopped before RegisterThing was answered.
  cloud_.answer_registrations(false);
  auto first = run_edgegw({"provision", "--config", config_.string()});
  ASSERT_EQ(first.exit_code, 1) << first.output;
  EXPECT_NE(first.output.find(std::string("no answer on ") + kRegisterTopic +
                              "/accepted or /rejected within 3 s"),
            std::string::npos)
      << first.output;
  ASSERT_TRUE(std::filesystem::exists(store_.pending_file()));

  cloud_.expire_tokens();
  cloud_.answer_registrations(true);
  const auto result = run_edgegw({"provision", "--config", config_.string(), "--attempts", "2"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("rejected: 400 InvalidCertificateOwnershipToken"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("trying again in"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(std::string("provisioned as thing ") + kThing), std::string::npos);
  EXPECT_EQ(cloud_.requests_on(kCsrTopic), 2u);
  EXPECT_EQ(store_.load()->thing_name, kThing);
}

TEST_F(ProvisioningE2E, ACloudThatNeverAnswersIsRetriedPerPolicyUntilItDoes) {
  cloud_.answer_certificates(false);
  Daemon daemon(config_, log_);
  ASSERT_TRUE(wait_for([&] { return log().find("(attempt 2)") != std::string::npos; },
                       std::chrono::seconds(60)))
      << log();
  EXPECT_NE(log().find(std::string("provisioning failed (attempt 1): no answer on ") + kCsrTopic +
                       "/accepted or /rejected within 3 s; trying again in"),
            std::string::npos)
      << log();
  cloud_.answer_certificates(true);
  ASSERT_TRUE(wait_for([&] { return store_.load().has_value(); }, std::chrono::seconds(60)))
      << log();
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(ProvisioningE2E, WithoutAKeyGeneratorTheCloudMakesTheKeyAndTheDeviceKeepsIt0600) {
  write_config("edgegw-fleet", "certificate = \"create\"\n");
  const auto result = run_edgegw({"provision", "--config", config_.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(cloud_.requests_on("$aws/certificates/create/json"), 1u);
  struct stat info {};
  ASSERT_EQ(::stat(store_.key_file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const auto cert_key =
      run_command("openssl x509 -noout -pubkey -in " + store_.certificate_file().string());
  const auto device_key = run_command("openssl pkey -pubout -in " + store_.key_file().string());
  EXPECT_EQ(cert_key.output, device_key.output);
  // A second run finds the identity and does nothing.
  const auto again = run_edgegw({"provision", "--config", config_.string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.output.find(std::string("already provisioned as ") + kThing), std::string::npos)
      << again.output;
}

TEST_F(ProvisioningE2E, CheckConfigAcceptsAFactoryConfigWithoutGatewayId) {
  const auto result = run_edgegw({"check-config", config_.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("not provisioned yet"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace edgegw

namespace edgegw {
namespace {

// Just-in-time provisioning as a factory does it: the device makes its key and CSR, the
// factory's CA (registered with AWS for auto-registration) signs it, the certificate is
// installed, and the first connection is dropped while AWS registers it; here a proxy drops it.
TEST_F(ProvisioningE2E, AJitpCertificateConnectsAfterTheExpectedFirstDrop) {
  const auto jitp_config = dir_.path() / "jitp.toml";
  TcpProxy proxy(static_cast<std::uint16_t>(broker_.port()));
  std::ofstream(jitp_config) << "[storage]\npath = \"" << dir_.file("jitp.db") << "\"\n"
                             << "[bundle]\nmax_latency_s = 1\n"
                             << "[identity]\ndir = \"" << store_.dir().string() << "\"\n"
                             << "[api]\nlisten = \"127.0.0.1:0\"\n"
                             << "[uplink]\nprovider = \"aws\"\nhost = \"" << broker_.host()
                             << "\"\nport = " << proxy.port() << "\n"
                             << "[uplink.tls]\nca_file = \"" << broker_.ca_file() << "\"\n"
                             << "[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\n";
  const auto keygen = run_edgegw({"keygen", "--config", jitp_config.string(), "--name", "SN-7"});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.output;
  const std::string certificate = dir_.file("SN-7.pem");
  run_cert_script("sign-csr.sh '" + broker_.pki_dir() + "' '" + store_.csr_file().string() + "' '" +
                  certificate + "'");
  const auto install =
      run_edgegw({"install-certificate", "--config", jitp_config.string(), certificate, "--jitp"});
  ASSERT_EQ(install.exit_code, 0) << install.output;
  EXPECT_NE(install.output.find("installed: thing SN-7"), std::string::npos) << install.output;

  proxy.drop_next_session();
  MqttTestSubscriber subscriber(broker_, "edgegw/#");
  Daemon daemon(jitp_config, log_);
  ASSERT_TRUE(subscriber.wait_for_count(1, std::chrono::seconds(60))) << log();
  EXPECT_EQ(subscriber.messages().at(0).topic, "edgegw/SN-7/telemetry");
  EXPECT_NE(log().find("as AWS IoT does while it registers a certificate just in time"),
            std::string::npos)
      << log();
  EXPECT_EQ(log().find("cannot connect"), std::string::npos) << log();
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(ProvisioningE2E, ACertificateForAnotherKeyIsNotInstalled) {
  const auto keygen = run_edgegw({"keygen", "--config", config_.string()});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.output;
  const auto other = broker_.make_device("someone-else");
  const auto install =
      run_edgegw({"install-certificate", "--config", config_.string(), other.cert_file});
  EXPECT_EQ(install.exit_code, 1);
  EXPECT_NE(install.output.find("the certificate is not for the device key"), std::string::npos)
      << install.output;
  EXPECT_FALSE(store_.load());
}

}  // namespace
}  // namespace edgegw
