// The certificate renewal above the transport: when it starts, what it sends, what it stores at
// each step and how an answer, silence or a certificate that does not connect ends it. The
// certificates are real (signed by a test CA through deploy/certs/sign-csr.sh), so the store's
// key checks run as on a device. The exchange with mosquitto and the test cloud is
// tests/integration/renewal_e2e.
#include "gateway/cloud/certificate_renewal.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "gateway/durable_file.h"
#include "tests/fakes/fake_certificate_issuer.h"
#include "tests/fakes/fake_transport.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;

constexpr const char* kCsrTopic = "$aws/certificates/create-from-csr/json";
constexpr const char* kRegisterTopic = "$aws/provisioning-templates/edgegw-fleet/provision/json";
// The manual clock starts at 2023-11-14T22:13:20Z.
constexpr const char* kExpiresInTenDays = "NOT_BEFORE=20231001000000Z NOT_AFTER=20231124000000Z";
constexpr const char* kExpiresInAYear = "NOT_BEFORE=20231001000000Z NOT_AFTER=20241124000000Z";
constexpr const char* kRenewed = "NOT_BEFORE=20231114000000Z NOT_AFTER=20251114000000Z";

class CertificateRenewalTest : public ::testing::Test {
 protected:
  CertificateRenewalTest() { install(kExpiresInTenDays); }

  /// Gives the store a certificate for its key, valid as `validity` says.
  void install(const std::string& validity) {
    store_.ensure_key(KeyType::ec_p256);
    store_.write_csr("SN-0042");
    store_.install_certificate(sign(store_.csr_file().string(), validity), "edgegw-SN-0042",
                               "claim", clock_.wall_ms());
  }
  std::string sign(const std::string& csr_file, const std::string& validity) {
    const std::string out = dir_.file("signed-" + std::to_string(++signed_) + ".pem");
    run_cert_script("sign-csr.sh '" + pki_.directory() + "' '" + csr_file + "' '" + out + "'",
                    validity);
    return read_text_file(out);
  }
  CertificateRenewal& renewal() {
    if (!renewal_) {
      renewal_.emplace(
          CertificateRenewal::Settings{.renew_before = std::chrono::hours(24 * 30),
                                       .retry_after = std::chrono::hours(1),
                                       .timeout = std::chrono::seconds(30),
                                       .key_type = KeyType::ec_p256,
                                       .template_name = "edgegw-fleet",
                                       .parameters = {{"SerialNumber", "SN-0042"}}},
          store_, transport_,
          [this](const std::string& topic, const std::string& payload) {
            sent_.push_back({topic, payload});
          },
          clock_);
      renewal_->subscribe();
    }
    return *renewal_;
  }
  void connect() {
    renewal().connection_changed(true);
    renewal().poll();
  }
  json::object last_sent() const { return json::parse(sent_.back().second).as_object(); }
  /// Answers the CSR just sent with a certificate the test CA signed from it.
  void issue(const std::string& validity = kRenewed) {
    const std::string csr_file = dir_.file("request.csr");
    std::ofstream(csr_file) << last_sent().at("certificateSigningRequest").as_string().c_str();
    const json::object answer{{"certificateId", "c0ffee"},
                              {"certificatePem", sign(csr_file, validity)},
                              {"certificateOwnershipToken", "token-1"}};
    transport_.deliver(std::string(kCsrTopic) + "/accepted", json::serialize(answer));
  }
  void registered() {
    transport_.deliver(std::string(kRegisterTopic) + "/accepted",
                       R"({"thingName":"edgegw-SN-0042","deviceConfiguration":{}})");
  }

  TempDir dir_;
  TestPki pki_{dir_.file("pki")};
  IdentityStore store_{dir_.path() / "identity"};
  ManualClock clock_;
  FakeTransport transport_;
  std::vector<std::pair<std::string, std::string>> sent_;
  std::optional<CertificateRenewal> renewal_;
  int signed_ = 0;
};

TEST_F(CertificateRenewalTest, AsksNothingWhileTheCertificateIsOutsideTheWindow) {
  install(kExpiresInAYear);
  connect();
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(renewal().status().state, "idle");
  // 2024-11-24 less 30 days.
  EXPECT_EQ(renewal().status().renews_at_ms, 1'732'406'400'000 - 30LL * 86'400'000);
  // Looked at again within the hour, however far off the window is.
  EXPECT_LE(renewal().poll(), clock_.monotonic() + std::chrono::hours(1));
}

TEST_F(CertificateRenewalTest, WaitsForTheConnectionBeforeItAsks) {
  renewal().poll();
  EXPECT_TRUE(sent_.empty());
  connect();
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].first, kCsrTopic);
}

TEST_F(CertificateRenewalTest, RenewsWithANewKeyThatNeverLeavesAndKeepsItOnlyOnceItConnected) {
  const std::string old_key = read_text_file(store_.key_file());
  const std::string old_certificate = read_text_file(store_.certificate_file());
  connect();
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(renewal().status().state, "requesting");
  // A CSR for the certificate's CN, made with a new key kept beside the old one.
  const std::string csr(last_sent().at("certificateSigningRequest").as_string());
  EXPECT_NE(csr.find("BEGIN CERTIFICATE REQUEST"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(store_.next_key_file()));
  EXPECT_EQ(read_text_file(store_.key_file()), old_key);

  issue();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].first, kRegisterTopic);
  EXPECT_EQ(last_sent().at("certificateOwnershipToken").as_string(), "token-1");
  EXPECT_EQ(last_sent().at("parameters").at("SerialNumber").as_string(), "SN-0042");
  EXPECT_EQ(renewal().status().state, "registering");

  registered();
  // The new pair is tried while the old one stays where it is.
  ASSERT_EQ(transport_.tried().size(), 1u);
  EXPECT_EQ(transport_.tried()[0],
            (ClientCredentials{.cert_file = store_.next_certificate_file().string(),
                               .key_file = store_.next_key_file().string()}));
  EXPECT_EQ(renewal().status().state, "trying");
  EXPECT_EQ(read_text_file(store_.certificate_file()), old_certificate);

  transport_.finish_trial(true);
  EXPECT_NE(read_text_file(store_.key_file()), old_key);
  const auto renewed = read_certificate(read_text_file(store_.certificate_file()));
  EXPECT_EQ(renewed.not_after_ms, 1'763'078'400'000);  // 2025-11-14
  EXPECT_TRUE(certificate_matches_key(read_text_file(store_.certificate_file()),
                                      read_text_file(store_.key_file())));
  EXPECT_FALSE(std::filesystem::exists(store_.next_key_file()));
  EXPECT_FALSE(std::filesystem::exists(store_.next_certificate_file()));
  EXPECT_EQ(transport_.credentials(),
            (ClientCredentials{.cert_file = store_.certificate_file().string(),
                               .key_file = store_.key_file().string()}));
  const auto status = renewal().status();
  EXPECT_EQ(status.state, "idle");
  EXPECT_EQ(status.renewed, 1u);
  EXPECT_EQ(status.failed, 0u);
  EXPECT_EQ(status.last_renewed_at_ms, clock_.wall_ms());
  EXPECT_EQ(status.renews_at_ms, renewed.not_after_ms - 30LL * 86'400'000);
  // Renewed: nothing more is asked.
  renewal().poll();
  EXPECT_EQ(sent_.size(), 2u);
  // No request carried a private key.
  for (const auto& [topic, payload] : sent_) {
    EXPECT_EQ(payload.find("PRIVATE KEY"), std::string::npos) << topic;
  }
}

TEST_F(CertificateRenewalTest, ACertificateThatDoesNotConnectLeavesTheOldPairAndIsTriedAgainLater) {
  const std::string old_key = read_text_file(store_.key_file());
  connect();
  issue();
  registered();
  transport_.finish_trial(false, "TLS handshake failed: unknown CA");
  EXPECT_EQ(read_text_file(store_.key_file()), old_key);
  EXPECT_FALSE(std::filesystem::exists(store_.next_key_file()));
  EXPECT_FALSE(std::filesystem::exists(store_.next_certificate_file()));
  auto status = renewal().status();
  EXPECT_EQ(status.failed, 1u);
  EXPECT_NE(status.last_error.find("did not connect: TLS handshake failed"), std::string::npos)
      << status.last_error;

  // Not again before retry_after, then again from the start.
  clock_.advance(std::chrono::minutes(59));
  renewal().poll();
  EXPECT_EQ(sent_.size(), 2u);
  clock_.advance(std::chrono::minutes(1));
  renewal().poll();
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[2].first, kCsrTopic);
}

TEST_F(CertificateRenewalTest, ARejectedRequestAndAMissingAnswerFailWithTheReason) {
  connect();
  transport_.deliver(std::string(kCsrTopic) + "/rejected",
                     R"({"statusCode":400,"errorCode":"InvalidCsr","errorMessage":"bad CSR"})");
  EXPECT_EQ(renewal().status().last_error,
            "CreateCertificateFromCsr rejected: 400 InvalidCsr: bad CSR");
  EXPECT_FALSE(std::filesystem::exists(store_.next_key_file()));

  clock_.advance(std::chrono::hours(1));
  renewal().poll();
  issue();
  transport_.deliver(std::string(kRegisterTopic) + "/rejected",
                     R"({"statusCode":400,"errorCode":"InvalidToken","errorMessage":"expired"})");
  EXPECT_EQ(renewal().status().last_error,
            "RegisterThing (template edgegw-fleet) rejected: 400 InvalidToken: expired");
  EXPECT_TRUE(transport_.tried().empty());

  clock_.advance(std::chrono::hours(1));
  renewal().poll();
  clock_.advance(std::chrono::seconds(29));
  renewal().poll();
  EXPECT_EQ(renewal().status().failed, 2u);
  clock_.advance(std::chrono::seconds(1));
  renewal().poll();
  const auto status = renewal().status();
  EXPECT_EQ(status.failed, 3u);
  EXPECT_EQ(status.last_error,
            "no answer on " + std::string(kCsrTopic) + "/accepted or /rejected within 30 s");
  EXPECT_EQ(status.renewed, 0u);
}

TEST_F(CertificateRenewalTest, AConnectionLostBeforeTheAnswerAsksAgainOnceItIsBack) {
  connect();
  renewal().connection_changed(false);
  EXPECT_EQ(renewal().status().state, "idle");
  EXPECT_EQ(renewal().status().failed, 0u);
  // An answer to the lost request is ignored.
  issue();
  EXPECT_EQ(sent_.size(), 1u);
  connect();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].first, kCsrTopic);
}

TEST_F(CertificateRenewalTest, AnIssuedCertificateForAnotherKeyIsRefused) {
  connect();
  const json::object answer{
      {"certificateId", "c0ffee"},
      {"certificatePem", read_text_file(pki_.client("someone-else").cert_file)},
      {"certificateOwnershipToken", "token-1"}};
  transport_.deliver(std::string(kCsrTopic) + "/accepted", json::serialize(answer));
  EXPECT_NE(renewal().status().last_error.find("is not for"), std::string::npos)
      << renewal().status().last_error;
  EXPECT_EQ(sent_.size(), 1u) << "nothing is registered";
}

/// Azure: the certificate comes from an issuer (a DPS registration on its own connection).
class AzureCertificateRenewalTest : public CertificateRenewalTest {
 protected:
  AzureCertificateRenewalTest() {
    renewal_.emplace(CertificateRenewal::Settings{.renew_before = std::chrono::hours(24 * 30),
                                                  .retry_after = std::chrono::hours(1),
                                                  .timeout = std::chrono::seconds(30),
                                                  .key_type = KeyType::ec_p256,
                                                  .template_name = {},
                                                  .parameters = {}},
                     store_, transport_, issuer_, clock_);
    renewal_->subscribe();
  }
  ~AzureCertificateRenewalTest() override { renewal_.reset(); }

  /// Does what DPS and the issuer do with the latest CSR: the test CA signs it, the certificate
  /// is stored as the next one, and the issuer answers.
  void issue() {
    const std::string stem = dir_.file("dps-" + std::to_string(issuer_.csrs().size()));
    store_.save_next_certificate(sign_csr(pki_.directory(), issuer_.csrs().back(), stem, kRenewed));
    issuer_.answer("");
  }

  FakeCertificateIssuer issuer_;
};

TEST_F(AzureCertificateRenewalTest, TheIssuerGetsTheCsrAndNothingGoesOverTheCloudConnection) {
  const std::string old_key = read_text_file(store_.key_file());
  connect();
  ASSERT_EQ(issuer_.csrs().size(), 1u);
  EXPECT_NE(issuer_.csrs()[0].find("BEGIN CERTIFICATE REQUEST"), std::string::npos);
  EXPECT_EQ(renewal().status().state, "registering");
  EXPECT_TRUE(transport_.subscriptions().empty());
  EXPECT_EQ(transport_.publish_count(), 0u);
  EXPECT_EQ(read_text_file(store_.key_file()), old_key);

  issue();
  ASSERT_EQ(transport_.tried().size(), 1u);
  EXPECT_EQ(transport_.tried()[0].cert_file, store_.next_certificate_file().string());
  EXPECT_EQ(renewal().status().state, "trying");
  transport_.finish_trial(true);

  // The CSR was for the certificate's CN and the new key, which is now the device's.
  const std::string certificate = read_text_file(store_.certificate_file());
  EXPECT_EQ(read_certificate(certificate).common_name, "SN-0042");
  EXPECT_EQ(read_certificate(certificate).not_after_ms, 1'763'078'400'000);  // 2025-11-14
  EXPECT_NE(read_text_file(store_.key_file()), old_key);
  EXPECT_TRUE(certificate_matches_key(certificate, read_text_file(store_.key_file())));
  const auto status = renewal().status();
  EXPECT_EQ(status.state, "idle");
  EXPECT_EQ(status.renewed, 1u);
  EXPECT_EQ(status.failed, 0u);
  renewal().poll();
  EXPECT_EQ(issuer_.csrs().size(), 1u) << "renewed: nothing more is asked";
  EXPECT_EQ(issuer_.csrs()[0].find("PRIVATE KEY"), std::string::npos);
}

TEST_F(AzureCertificateRenewalTest, AFailedRegistrationLeavesTheOldPairAndIsAskedAgainLater) {
  const std::string old_key = read_text_file(store_.key_file());
  connect();
  issuer_.answer("DPS registration: DPS registration rejected: 401 401002: Unauthorized");
  auto status = renewal().status();
  EXPECT_EQ(status.state, "idle");
  EXPECT_EQ(status.failed, 1u);
  EXPECT_EQ(status.last_error,
            "DPS registration: DPS registration rejected: 401 401002: Unauthorized");
  EXPECT_EQ(read_text_file(store_.key_file()), old_key);
  EXPECT_FALSE(std::filesystem::exists(store_.next_key_file()));
  EXPECT_TRUE(transport_.tried().empty());

  clock_.advance(std::chrono::minutes(59));
  renewal().poll();
  EXPECT_EQ(issuer_.csrs().size(), 1u);
  clock_.advance(std::chrono::minutes(1));
  renewal().poll();
  EXPECT_EQ(issuer_.csrs().size(), 2u);
}

TEST_F(AzureCertificateRenewalTest, TheRegistrationGoesOnThroughALostHubConnection) {
  connect();
  renewal().connection_changed(false);
  EXPECT_EQ(renewal().status().state, "registering");
  // However long DPS takes, the renewal leaves the bound to the issuer.
  clock_.advance(std::chrono::minutes(5));
  renewal().poll();
  EXPECT_EQ(renewal().status().failed, 0u);
  // Issued while the connection is down: the new pair is tried once it is back.
  issue();
  EXPECT_EQ(renewal().status().state, "trying");
  EXPECT_TRUE(transport_.tried().empty());
  connect();
  EXPECT_EQ(issuer_.csrs().size(), 1u) << "asked once";
  ASSERT_EQ(transport_.tried().size(), 1u);
  transport_.finish_trial(true);
  EXPECT_EQ(renewal().status().renewed, 1u);
}

TEST(RenewalSettings, OnlyForAnAwsCertificateTheStoreHoldsWithATemplate) {
  GatewayConfig config;
  config.uplink.provider = "aws";
  config.identity.dir = "/var/lib/edgegw/identity";
  config.uplink.tls = TlsOptions{};
  config.uplink.tls->cert_file = "/var/lib/edgegw/identity/device.pem";
  config.identity.renew_template = "edgegw-fleet";
  const auto settings = renewal_settings(config);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->renew_before, std::chrono::hours(24 * 30));
  EXPECT_EQ(settings->template_name, "edgegw-fleet");

  auto other = config;
  other.identity.renew_before_days = 0;
  EXPECT_FALSE(renewal_settings(other));
  other = config;
  other.uplink.provider = "azure";
  EXPECT_FALSE(renewal_settings(other));
  other = config;
  other.uplink.tls->cert_file = "/etc/edgegw/device.pem";
  EXPECT_FALSE(renewal_settings(other)) << "a certificate the config names is the user's";
  other = config;
  other.identity.renew_template.clear();
  EXPECT_FALSE(renewal_settings(other));
}

TEST(RenewalSettings, OnAzureForAnX509CertificateTheStoreHoldsWithDps) {
  GatewayConfig config;
  config.uplink.provider = "azure";
  config.uplink.azure.auth = "x509";
  config.identity.dir = "/var/lib/edgegw/identity";
  config.uplink.tls = TlsOptions{};
  config.uplink.tls->cert_file = "/var/lib/edgegw/identity/device.pem";
  config.provisioning = ProvisioningOptions{};
  config.provisioning->id_scope = "0ne00000001";
  config.provisioning->timeout_s = 12;
  const auto settings = renewal_settings(config);
  ASSERT_TRUE(settings) << "no template needed";
  EXPECT_EQ(settings->timeout, std::chrono::seconds(12));

  auto other = config;
  other.uplink.azure.auth = "sas";
  EXPECT_FALSE(renewal_settings(other)) << "a symmetric key does not run out";
  other = config;
  other.provisioning.reset();
  EXPECT_FALSE(renewal_settings(other)) << "without DPS there is no one to ask";
  other = config;
  other.uplink.tls->cert_file = "/etc/edgegw/device.pem";
  EXPECT_FALSE(renewal_settings(other));
}

}  // namespace
}  // namespace edgegw::cloud
