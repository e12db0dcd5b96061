// Azure DPS end to end: the edgegw binary registers through a DPS front door that checks its
// SAS token or certificate as DPS does (recomputing the derived key and the signature with the
// openssl command line), is assigned a hub (the same real mosquitto) and publishes there as
// the device DPS named.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gateway/cloud/identity_store.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/child_process.h"
#include "tests/integration/cloud/dps_test_service.h"
#include "tests/integration/edgegw_process.h"
#include "tests/read_file.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

// Any 64 random bytes; this is the group key of Azure's symmetric-key attestation example.
constexpr const char* kGroupKey =
    "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";

MosquittoOptions with_plain_listener(int port) {
  MosquittoOptions options;
  // SAS devices present no certificate; the hub is this broker too.
  options.require_certificate = false;
  options.extra_config = dps_listener_config(port);
  return options;
}

class DpsE2E : public ::testing::Test {
 protected:
  void write_config(const std::string& auth, const std::string& provisioning) {
    std::ofstream(config_) << "[storage]\npath = \"" << dir_.file("buffer.db") << "\"\n"
                           << "[bundle]\nmax_latency_s = 1\n"
                           << "[identity]\ndir = \"" << store_.dir().string() << "\"\n"
                           << "[api]\nlisten = \"127.0.0.1:0\"\n"
                           << "[uplink]\nprovider = \"azure\"\nport = " << broker_.port() << "\n"
                           << "[uplink.azure]\nauth = \"" << auth << "\"\n"
                           << "[uplink.tls]\nca_file = \"" << broker_.ca_file() << "\"\n"
                           << "[provisioning]\nid_scope = \"0ne00000001\"\n"
                           << "global_endpoint = \"" << dps_->endpoint() << "\"\n"
                           << "timeout_s = 5\nretry_min_s = 1\nretry_max_s = 1\n"
                           << provisioning
                           << "[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\n";
  }
  void start_dps(const std::string& group_key) {
    dps_.emplace(
        broker_, plain_port_,
        DpsEnrollment{
            .id_scope = "0ne00000001", .group_key = group_key, .assigned_hub = "localhost"});
  }
  std::string log() const { return read_file(log_); }

  TempDir dir_;
  int plain_port_ = testing::free_loopback_port();
  MosquittoBroker broker_{with_plain_listener(plain_port_)};
  std::optional<DpsTestService> dps_;
  cloud::IdentityStore store_{dir_.path() / "identity"};
  std::filesystem::path config_ = dir_.path() / "edgegw.toml";
  std::filesystem::path log_ = dir_.path() / "edgegw.log";
};

TEST_F(DpsE2E, AGroupEnrollmentDeviceRegistersWithItsDerivedKeyAndPublishesToItsHub) {
  start_dps(kGroupKey);
  const std::string key_file = dir_.file("group.key");
  std::ofstream(key_file) << kGroupKey << "\n";
  std::filesystem::permissions(
      key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  write_config("sas", "group_key_file = \"" + key_file + "\"\nserial = \"SN-7\"\n");

  MqttTestSubscriber subscriber(broker_, "devices/#");
  Daemon daemon(config_, log_);
  ASSERT_TRUE(subscriber.wait_for_count(1, std::chrono::seconds(60))) << log() << "\n--- broker:\n"
                                                                      << broker_.log();
  EXPECT_TRUE(subscriber.messages().at(0).topic.starts_with("devices/sn-7/messages/events/"))
      << subscriber.messages().at(0).topic;
  EXPECT_EQ(dps_->connects(), std::vector<std::string>{"admitted sn-7"});
  EXPECT_EQ(dps_->assigned(), std::vector<std::string>{"sn-7"});
  EXPECT_GE(dps_->polls(), 1u);

  const auto identity = store_.load();
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->thing_name, "sn-7");
  EXPECT_EQ(identity->endpoint, "localhost");
  EXPECT_EQ(identity->credential, "sas");
  // The device keeps its own key, derived from the group key, and never the group key itself.
  const auto derived = run_command(
      "printf '%s' sn-7 | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf '%s' '" +
      std::string(kGroupKey) + "' | base64 -d | od -An -v -tx1 | tr -d ' \\n') -binary | base64");
  EXPECT_EQ(read_file(store_.symmetric_key_file()), derived.output);
  const auto grep =
      run_command("grep -rlF '" + std::string(kGroupKey) + "' " + store_.dir().string());
  EXPECT_EQ(grep.output, "") << "the group key was copied into the identity store";
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(DpsE2E, AnX509DeviceRegistersAsItsCertificatesCommonName) {
  start_dps("");
  const auto device = broker_.make_device("sn-x509");
  write_config("x509", "claim_cert_file = \"" + device.cert_file + "\"\nclaim_key_file = \"" +
                           device.key_file + "\"\n");
  MqttTestSubscriber subscriber(broker_, "devices/#");
  Daemon daemon(config_, log_);
  ASSERT_TRUE(subscriber.wait_for_count(1, std::chrono::seconds(60))) << log();
  EXPECT_TRUE(subscriber.messages().at(0).topic.starts_with("devices/sn-x509/messages/events/"));
  EXPECT_EQ(dps_->connects(), std::vector<std::string>{"admitted sn-x509"});
  EXPECT_EQ(read_file(store_.certificate_file()), read_file(device.cert_file));
  EXPECT_EQ(store_.load()->credential, "x509");
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(DpsE2E, AKeyThatDpsDoesNotAcceptIsAClearError) {
  start_dps(kGroupKey);
  const std::string key_file = dir_.file("wrong.key");
  std::ofstream(key_file) << "d3JvbmcgZ3JvdXAga2V5IGZvciB0aGlzIGVucm9sbG1lbnQ=\n";
  std::filesystem::permissions(
      key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  write_config("sas", "group_key_file = \"" + key_file + "\"\nserial = \"SN-7\"\n");
  const auto result = run_edgegw({"provision", "--config", config_.string()});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("could not connect to DPS within 5 s: connection refused: not "
                               "authorised"),
            std::string::npos)
      << result.output;
  ASSERT_FALSE(dps_->connects().empty());
  EXPECT_EQ(dps_->connects()[0], "refused: signature does not match");
  EXPECT_FALSE(store_.load());
}

}  // namespace
}  // namespace edgegw
