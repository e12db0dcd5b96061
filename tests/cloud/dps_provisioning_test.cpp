// The DPS registration above the transport: what it asks, how it follows 202 and retry-after,
// what it stores. Against mosquitto and a DPS front door that checks the SAS token:
// tests/integration/dps_e2e_test.cpp.
#include "gateway/cloud/dps_provisioning.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

#include "gateway/durable_file.h"
#include "gateway/uplink/azure_sas.h"
#include "tests/fakes/fake_transport.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;
using Step = DpsProvisioning::Step;

constexpr const char* kAssigned =
    R"({"operationId":"op-1","status":"assigned","registrationState":{"registrationId":"sn-7",)"
    R"("assignedHub":"contoso.azure-devices.net","deviceId":"sn-7","status":"assigned"}})";

class DpsProvisioningTest : public ::testing::Test {
 protected:
  void start() {
    attempt_.emplace(DpsProvisioning::Settings{.registration_id = "sn-7",
                                               .symmetric_key = "a2V5LWJ5dGVzLWZvci10ZXN0",
                                               .certificate_pem = {},
                                               .private_key_pem = {},
                                               .payload = R"({"model":"pi4"})",
                                               .timeout = std::chrono::seconds(30),
                                               .id_scope = "0ne00000001",
                                               .csr_pem = {}},
                     store_, transport_, clock_);
    attempt_->start();
  }
  std::string last_topic() const { return transport_.published().back().topic; }

  TempDir dir_;
  IdentityStore store_{dir_.path() / "identity"};
  ManualClock clock_;
  FakeTransport transport_;
  std::optional<DpsProvisioning> attempt_;
};

TEST_F(DpsProvisioningTest, RegistersWithItsIdAndPayloadOnceConnected) {
  start();
  ASSERT_EQ(transport_.subscriptions().size(), 1u);
  EXPECT_EQ(transport_.subscriptions()[0].filter, "$dps/registrations/res/#");
  EXPECT_EQ(transport_.publish_count(), 0u);
  transport_.up();
  ASSERT_EQ(transport_.publish_count(), 1u);
  EXPECT_EQ(last_topic(), "$dps/registrations/PUT/iotdps-register/?$rid=1");
  const auto request = json::parse(transport_.published()[0].payload).as_object();
  EXPECT_EQ(request.at("registrationId").as_string(), "sn-7");
  EXPECT_EQ(request.at("payload").at("model").as_string(), "pi4");
}

TEST_F(DpsProvisioningTest, PollsAfterRetryAfterUntilAssignedThenStoresHubAndKey) {
  start();
  transport_.up();
  transport_.deliver("$dps/registrations/res/202/?$rid=1&retry-after=5",
                     R"({"operationId":"op-1","status":"assigning"})");
  EXPECT_EQ(attempt_->step(), Step::waiting);
  clock_.advance(std::chrono::seconds(4));
  attempt_->check_deadline();
  EXPECT_EQ(transport_.publish_count(), 1u) << "not before retry-after";
  clock_.advance(std::chrono::seconds(1));
  attempt_->check_deadline();
  ASSERT_EQ(transport_.publish_count(), 2u);
  EXPECT_EQ(last_topic(),
            "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=op-1");

  transport_.deliver("$dps/registrations/res/202/?$rid=2&retry-after=1",
                     R"({"operationId":"op-1","status":"assigning"})");
  clock_.advance(std::chrono::seconds(1));
  attempt_->check_deadline();
  ASSERT_EQ(transport_.publish_count(), 3u);
  transport_.deliver("$dps/registrations/res/200/?$rid=3", kAssigned);
  ASSERT_EQ(attempt_->step(), Step::succeeded) << attempt_->error();
  const auto identity = store_.load();
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->thing_name, "sn-7");
  EXPECT_EQ(identity->endpoint, "contoso.azure-devices.net");
  EXPECT_EQ(identity->provisioned_by, "dps");
  EXPECT_EQ(identity->credential, "sas");
  EXPECT_EQ(identity->provisioned_with, "DPS id scope 0ne00000001, registration sn-7");
}

TEST_F(DpsProvisioningTest, AnAnswerToAnOlderRequestIsIgnored) {
  start();
  transport_.up();
  transport_.deliver("$dps/registrations/res/200/?$rid=7", kAssigned);
  EXPECT_EQ(attempt_->step(), Step::registering);
}

TEST_F(DpsProvisioningTest, AnUnauthorisedRegistrationFailsWithDpsErrorCodeAndMessage) {
  start();
  transport_.up();
  transport_.deliver("$dps/registrations/res/401/?$rid=1",
                     R"({"errorCode":401002,"trackingId":"t","message":"Unauthorized"})");
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_EQ(attempt_->error(), "DPS registration rejected: 401 401002: Unauthorized");
}

TEST_F(DpsProvisioningTest, ThrottledItAsksAgainAfterRetryAfter) {
  start();
  transport_.up();
  transport_.deliver("$dps/registrations/res/429/?$rid=1&retry-after=2", "{}");
  EXPECT_EQ(attempt_->step(), Step::waiting);
  clock_.advance(std::chrono::seconds(2));
  attempt_->check_deadline();
  ASSERT_EQ(transport_.publish_count(), 2u);
  EXPECT_EQ(last_topic(), "$dps/registrations/PUT/iotdps-register/?$rid=2");
}

TEST_F(DpsProvisioningTest, AFailedAssignmentSaysWhy) {
  start();
  transport_.up();
  transport_.deliver(
      "$dps/registrations/res/200/?$rid=1",
      R"({"operationId":"op-1","status":"failed","registrationState":{"status":"failed",)"
      R"("errorCode":400209,"errorMessage":"Custom allocation failed"}})");
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_EQ(attempt_->error(),
            "DPS did not assign the device: status \"failed\", 400209: Custom allocation failed");
}

TEST_F(DpsProvisioningTest, SilenceFailsAtTheTimeout) {
  start();
  transport_.up();
  clock_.advance(std::chrono::seconds(30));
  attempt_->check_deadline();
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_EQ(attempt_->error(), "no answer from DPS on $dps/registrations/res/# within 30 s");
}

/// The base64 bodies of the PEM blocks in `pem`: base64 of each one's DER.
std::vector<std::string> pem_bodies(const std::string& pem) {
  std::vector<std::string> bodies;
  std::istringstream lines(pem);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("-----BEGIN")) {
      bodies.emplace_back();
    } else if (!line.starts_with("-----END")) {
      bodies.back() += line;
    }
  }
  return bodies;
}

/// A renewal's registration: the CSR of a new key (device.next.key) goes with it, and DPS
/// answers with the certificate it issued (certificate management, preview).
class DpsCertificateTest : public DpsProvisioningTest {
 protected:
  void start_with_csr() {
    csr_ = store_.make_next_key(KeyType::ec_p256, "sn-7");
    attempt_.emplace(DpsProvisioning::Settings{.registration_id = "sn-7",
                                               .symmetric_key = {},
                                               .certificate_pem = {},
                                               .private_key_pem = {},
                                               .payload = {},
                                               .timeout = std::chrono::seconds(30),
                                               .id_scope = "0ne00000001",
                                               .csr_pem = csr_},
                     store_, transport_, clock_);
    attempt_->start();
    transport_.up();
  }
  /// The 200 "assigned" answer with `chain` as registrationState.issuedCertificateChain.
  void assign(const json::array& chain) {
    auto answer = json::parse(kAssigned).as_object();
    answer["registrationState"].as_object()["issuedCertificateChain"] = chain;
    transport_.deliver("$dps/registrations/res/200/?$rid=1", json::serialize(answer));
  }
  /// [leaf, CA] as DPS sends them: the test CA's certificate for the CSR, base64 DER.
  json::array issued_chain() {
    json::array chain;
    for (const auto& body : pem_bodies(sign_csr(pki_.directory(), csr_, dir_.file("issued")) +
                                       read_text_file(pki_.ca_file()))) {
      chain.emplace_back(body);
    }
    return chain;
  }

  TestPki pki_{dir_.file("pki")};
  std::string csr_;
};

TEST_F(DpsCertificateTest, TheRequestCarriesTheCsrAsBase64OfItsDer) {
  start_with_csr();
  const auto request = json::parse(transport_.published().at(0).payload).as_object();
  EXPECT_EQ(request.at("registrationId").as_string(), "sn-7");
  EXPECT_EQ(request.at("csr").as_string(), pem_bodies(csr_).at(0));
  EXPECT_EQ(transport_.published()[0].payload.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(DpsCertificateTest, TheIssuedChainBecomesTheNextCertificateAndTheIdentityStaysAsStored) {
  start_with_csr();
  const auto chain = issued_chain();
  assign(chain);
  ASSERT_EQ(attempt_->step(), Step::succeeded) << attempt_->error();
  // The whole chain, leaf first, as PEM beside the new key.
  const std::string next = read_text_file(store_.next_certificate_file());
  const auto bodies = pem_bodies(next);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], chain[0].as_string());
  EXPECT_EQ(bodies[1], chain[1].as_string());
  EXPECT_EQ(read_certificate(next).common_name, "sn-7");
  EXPECT_TRUE(certificate_matches_key(next, read_text_file(store_.next_key_file())));
  // Where DPS put the device is told, not stored: the renewal keeps the identity it has.
  ASSERT_TRUE(attempt_->identity());
  EXPECT_EQ(attempt_->identity()->endpoint, "contoso.azure-devices.net");
  EXPECT_FALSE(store_.load());
  EXPECT_FALSE(std::filesystem::exists(store_.certificate_file()));
}

TEST_F(DpsCertificateTest, AnAssignmentWithoutAnIssuedChainFailsAndSaysWhy) {
  start_with_csr();
  transport_.deliver("$dps/registrations/res/200/?$rid=1", kAssigned);
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_NE(attempt_->error().find("issued no certificate for the CSR"), std::string::npos)
      << attempt_->error();
  EXPECT_FALSE(std::filesystem::exists(store_.next_certificate_file()));
}

TEST_F(DpsCertificateTest, AChainThatIsNotACertificateFails) {
  start_with_csr();
  assign(json::array{"bm90IGEgY2VydGlmaWNhdGU="});
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_NE(attempt_->error().find("cannot be used: not a DER certificate"), std::string::npos)
      << attempt_->error();
  EXPECT_FALSE(std::filesystem::exists(store_.next_certificate_file()));
}

TEST_F(DpsCertificateTest, ACertificateForAnotherKeyFails) {
  start_with_csr();
  json::array someone_else;
  someone_else.emplace_back(
      pem_bodies(read_text_file(pki_.client("someone-else").cert_file)).at(0));
  assign(someone_else);
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_NE(attempt_->error().find("is not for"), std::string::npos) << attempt_->error();
  EXPECT_FALSE(std::filesystem::exists(store_.next_certificate_file()));
}

TEST_F(DpsCertificateTest, TheUserNameNamesThePreviewApiVersionOnlyWhenACsrGoesWithIt) {
  const auto device = pki_.client("sn-7");
  GatewayConfig config;
  config.uplink.provider = "azure";
  config.uplink.azure.auth = "x509";
  config.uplink.tls = TlsOptions{};
  config.uplink.tls->ca_file = pki_.ca_file();
  config.provisioning = ProvisioningOptions{};
  config.provisioning->id_scope = "0ne00000001";
  config.provisioning->claim_cert_file = device.cert_file;
  config.provisioning->claim_key_file = device.key_file;

  const auto first = dps_setup(config, store_);
  EXPECT_EQ(first.profile.username, "0ne00000001/registrations/sn-7/api-version=2019-03-31");
  EXPECT_TRUE(first.settings.csr_pem.empty());
  const std::string csr = store_.make_next_key(KeyType::ec_p256, "sn-7");
  const auto renewal = dps_setup(config, store_, csr);
  EXPECT_EQ(renewal.profile.username,
            "0ne00000001/registrations/sn-7/api-version=2025-07-01-preview");
  EXPECT_EQ(renewal.settings.csr_pem, csr);
  // The onboarding credential, as at the first registration.
  EXPECT_EQ(renewal.profile.tls.cert_file, device.cert_file);
  EXPECT_EQ(renewal.profile.client_id, "sn-7");
}

TEST(DpsKeys, TheGroupKeyDerivesTheDocumentedDeviceKey) {
  // The worked example of Azure's "Symmetric key attestation" page.
  EXPECT_EQ(derive_device_key("8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/"
                              "lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==",
                              "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"),
            "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=");
}

}  // namespace
}  // namespace edgegw::cloud
