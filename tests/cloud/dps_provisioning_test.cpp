// The DPS registration above the transport: what it asks, how it follows 202 and retry-after,
// what it stores. Against mosquitto and a DPS front door that checks the SAS token:
// tests/integration/dps_e2e_test.cpp.
#include "gateway/cloud/dps_provisioning.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "gateway/uplink/azure_sas.h"
#include "tests/fakes/fake_transport.h"
#include "tests/temp_dir.h"

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
                                               .id_scope = "0ne00000001"},
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

TEST(DpsKeys, TheGroupKeyDerivesTheDocumentedDeviceKey) {
  // The worked example of Azure's "Symmetric key attestation" page.
  EXPECT_EQ(derive_device_key("8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/"
                              "lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==",
                              "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"),
            "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=");
}

}  // namespace
}  // namespace edgegw::cloud
