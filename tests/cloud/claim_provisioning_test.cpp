// The fleet-provisioning attempt above the transport: what it sends, in which order, what it
// stores at each step and how each answer, silence or lost connection ends it. The real
// exchange with mosquitto and a cloud that signs the CSR is tests/integration/provisioning_e2e.
#include "gateway/cloud/claim_provisioning.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>

#include "tests/fakes/fake_transport.h"
#include "tests/temp_dir.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;
using Step = ClaimProvisioning::Step;

constexpr const char* kCsrTopic = "$aws/certificates/create-from-csr/json";
constexpr const char* kRegisterTopic = "$aws/provisioning-templates/edgegw-fleet/provision/json";
constexpr const char* kIssued =
    R"({"certificateId":"c0ffee","certificatePem":"-----BEGIN CERTIFICATE-----\nissued\n-----END CERTIFICATE-----\n","certificateOwnershipToken":"token-1"})";

class ClaimProvisioningTest : public ::testing::Test {
 protected:
  ClaimProvisioning::Settings settings(bool device_makes_key = true) const {
    return {.template_name = "edgegw-fleet",
            .device_makes_key = device_makes_key,
            .key_type = KeyType::ec_p256,
            .serial = "SN-0042",
            .parameters = {{"SerialNumber", "SN-0042"}, {"Model", "pi4"}},
            .endpoint = "iot.example",
            .timeout = std::chrono::seconds(30)};
  }
  ClaimProvisioning& start(bool device_makes_key = true) {
    attempt_.emplace(settings(device_makes_key), store_, transport_, clock_);
    attempt_->start();
    return *attempt_;
  }
  json::object last_request() const {
    return json::parse(transport_.published().back().payload).as_object();
  }

  TempDir dir_;
  IdentityStore store_{dir_.path() / "identity"};
  ManualClock clock_;
  FakeTransport transport_;
  std::optional<ClaimProvisioning> attempt_;
};

TEST_F(ClaimProvisioningTest, SubscribesToEveryAnswerBeforeItAsksAnything) {
  start();
  std::vector<std::string> filters;
  for (const auto& subscription : transport_.subscriptions())
    filters.push_back(subscription.filter);
  EXPECT_EQ(filters, (std::vector<std::string>{std::string(kCsrTopic) + "/accepted",
                                               std::string(kCsrTopic) + "/rejected",
                                               std::string(kRegisterTopic) + "/accepted",
                                               std::string(kRegisterTopic) + "/rejected"}));
  EXPECT_EQ(transport_.publish_count(), 0u) << "nothing is asked before the connection is up";
  EXPECT_EQ(attempt_->step(), Step::connecting);
}

TEST_F(ClaimProvisioningTest, SendsACsrForTheDeviceKeyWhichStaysOnTheDevice) {
  start();
  transport_.up();
  ASSERT_EQ(transport_.publish_count(), 1u);
  EXPECT_EQ(transport_.published()[0].topic, kCsrTopic);
  const std::string csr(last_request().at("certificateSigningRequest").as_string());
  EXPECT_TRUE(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----")) << csr;
  EXPECT_EQ(transport_.published()[0].payload.find("PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(store_.key_file()));
  EXPECT_EQ(attempt_->step(), Step::creating_certificate);
}

TEST_F(ClaimProvisioningTest, RegistersTheThingWithTheTokenThenStoresTheIdentity) {
  start();
  transport_.up();
  transport_.deliver(std::string(kCsrTopic) + "/accepted", kIssued);
  ASSERT_EQ(attempt_->step(), Step::registering_thing);
  const auto pending = store_.load_pending();
  ASSERT_TRUE(pending) << "the certificate is kept before RegisterThing";
  EXPECT_EQ(pending->ownership_token, "token-1");

  ASSERT_EQ(transport_.publish_count(), 2u);
  EXPECT_EQ(transport_.published()[1].topic, kRegisterTopic);
  const auto request = last_request();
  EXPECT_EQ(request.at("certificateOwnershipToken").as_string(), "token-1");
  EXPECT_EQ(request.at("parameters").as_object().at("SerialNumber").as_string(), "SN-0042");
  EXPECT_EQ(request.at("parameters").as_object().at("Model").as_string(), "pi4");

  transport_.deliver(std::string(kRegisterTopic) + "/accepted",
                     R"({"deviceConfiguration":{},"thingName":"edgegw-SN-0042"})");
  ASSERT_EQ(attempt_->step(), Step::succeeded) << attempt_->error();
  const auto identity = store_.load();
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->thing_name, "edgegw-SN-0042");
  EXPECT_EQ(identity->endpoint, "iot.example");
  EXPECT_EQ(identity->provisioned_by, "claim");
  EXPECT_EQ(identity->provisioned_with, "template edgegw-fleet");
  EXPECT_EQ(*attempt_->identity(), *identity);
  EXPECT_FALSE(store_.load_pending()) << "nothing is left half done";
}

TEST_F(ClaimProvisioningTest, AStoredCertificateResumesWithRegisterThingWhileItsTokenIsUsable) {
  store_.save_pending({.certificate_id = "c0ffee",
                       .certificate_pem = "pem",
                       .ownership_token = "token-1",
                       .template_name = "edgegw-fleet",
                       .issued_at_ms = clock_.wall_ms() - 50 * 60 * 1000});
  start();
  transport_.up();
  ASSERT_EQ(transport_.publish_count(), 1u);
  EXPECT_EQ(transport_.published()[0].topic, kRegisterTopic);
  EXPECT_EQ(last_request().at("certificateOwnershipToken").as_string(), "token-1");
}

TEST_F(ClaimProvisioningTest, AStoredTokenNearItsHourIsDroppedAndANewCertificateAskedFor) {
  store_.save_pending({.certificate_id = "c0ffee",
                       .certificate_pem = "pem",
                       .ownership_token = "token-1",
                       .template_name = "edgegw-fleet",
                       .issued_at_ms = clock_.wall_ms() - kOwnershipTokenUsableMs});
  start();
  transport_.up();
  ASSERT_EQ(transport_.publish_count(), 1u);
  EXPECT_EQ(transport_.published()[0].topic, kCsrTopic);
  EXPECT_FALSE(store_.load_pending());
}

TEST_F(ClaimProvisioningTest, ARejectedCertificateRequestFailsWithTheCloudsCodeAndMessage) {
  start();
  transport_.up();
  transport_.deliver(std::string(kCsrTopic) + "/rejected",
                     R"({"statusCode":400,"errorCode":"InvalidCsr","errorMessage":"bad CSR"})");
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_EQ(attempt_->error(), "CreateCertificateFromCsr rejected: 400 InvalidCsr: bad CSR");
}

TEST_F(ClaimProvisioningTest, ARejectedRegistrationDropsTheCertificateSoTheNextAttemptStartsOver) {
  start();
  transport_.up();
  transport_.deliver(std::string(kCsrTopic) + "/accepted", kIssued);
  transport_.deliver(std::string(kRegisterTopic) + "/rejected",
                     R"({"statusCode":400,"errorCode":"InvalidCertificateOwnershipToken",)"
                     R"("errorMessage":"Certificate ownership token is invalid or expired."})");
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_NE(attempt_->error().find("RegisterThing (template edgegw-fleet) rejected: 400 "
                                   "InvalidCertificateOwnershipToken"),
            std::string::npos)
      << attempt_->error();
  EXPECT_FALSE(store_.load_pending());
  EXPECT_FALSE(store_.load());
}

TEST_F(ClaimProvisioningTest, AnAnswerThatNeverComesFailsAtTheTimeoutNamingTheTopic) {
  start();
  transport_.up();
  attempt_->check_deadline();
  EXPECT_EQ(attempt_->step(), Step::creating_certificate) << "not before the timeout";
  clock_.advance(std::chrono::seconds(30));
  attempt_->check_deadline();
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_EQ(attempt_->error(),
            std::string("no answer on ") + kCsrTopic + "/accepted or /rejected within 30 s");
}

TEST_F(ClaimProvisioningTest, ARegistrationWithoutAnswerKeepsTheCertificateForTheNextAttempt) {
  start();
  transport_.up();
  transport_.deliver(std::string(kCsrTopic) + "/accepted", kIssued);
  clock_.advance(std::chrono::seconds(30));
  attempt_->check_deadline();
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_TRUE(store_.load_pending());
}

TEST_F(ClaimProvisioningTest, NoConnectionWithinTheTimeoutFailsWithTheLastReason) {
  start();
  transport_.down();  // the fake reports "test" as the reason
  clock_.advance(std::chrono::seconds(30));
  attempt_->check_deadline();
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_EQ(attempt_->error(), "could not connect with the claim certificate within 30 s: test");
}

TEST_F(ClaimProvisioningTest, AConnectionLostWhileWaitingAsksAgainOnceItIsBack) {
  start();
  transport_.up();
  transport_.deliver(std::string(kCsrTopic) + "/accepted", kIssued);
  transport_.down();
  EXPECT_EQ(attempt_->step(), Step::connecting);
  transport_.up();
  ASSERT_EQ(transport_.publish_count(), 3u);
  EXPECT_EQ(transport_.published()[2].topic, kRegisterTopic)
      << "the certificate is not asked twice";
  EXPECT_EQ(last_request().at("certificateOwnershipToken").as_string(), "token-1");
}

TEST_F(ClaimProvisioningTest, ARefusedPublishFailsPointingAtTheClaimPolicy) {
  start();
  transport_.up();
  transport_.refuse(transport_.published()[0].token);
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_NE(attempt_->error().find("the broker refused the request on " + std::string(kCsrTopic)),
            std::string::npos)
      << attempt_->error();
  EXPECT_NE(attempt_->error().find("claim-policy.json"), std::string::npos);
}

TEST_F(ClaimProvisioningTest, AMalformedAnswerFailsTheAttempt) {
  start();
  transport_.up();
  transport_.deliver(std::string(kCsrTopic) + "/accepted", R"({"certificateId":"x"})");
  ASSERT_EQ(attempt_->step(), Step::failed);
  EXPECT_NE(attempt_->error().find("malformed answer"), std::string::npos) << attempt_->error();
}

TEST_F(ClaimProvisioningTest, WithoutAKeyGeneratorTheCloudsKeyIsStoredAsTheDeviceKey) {
  start(/*device_makes_key=*/false);
  transport_.up();
  ASSERT_EQ(transport_.publish_count(), 1u);
  EXPECT_EQ(transport_.published()[0].topic, "$aws/certificates/create/json");
  EXPECT_EQ(transport_.published()[0].payload, "");
  transport_.deliver(
      "$aws/certificates/create/json/accepted",
      R"({"certificateId":"c0ffee","certificatePem":"pem","certificateOwnershipToken":"t",)"
      R"("privateKey":"-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n"})");
  ASSERT_EQ(attempt_->step(), Step::registering_thing) << attempt_->error();
  struct stat info {};
  ASSERT_EQ(::stat(store_.key_file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(ClaimProvisioningTest, AnAnswerForAnotherStepIsIgnored) {
  start();
  transport_.up();
  transport_.deliver(std::string(kRegisterTopic) + "/accepted", R"({"thingName":"intruder"})");
  transport_.deliver(std::string(kRegisterTopic) + "/rejected", R"({"statusCode":400})");
  EXPECT_EQ(attempt_->step(), Step::creating_certificate);
  EXPECT_FALSE(store_.load());
}

}  // namespace
}  // namespace edgegw::cloud
