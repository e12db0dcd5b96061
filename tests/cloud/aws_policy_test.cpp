// The IoT policies shipped in deploy/aws against the topics the gateway really uses: the claim
// may do the provisioning exchange and nothing else, a thing only its own topics. The policy
// language's matching is modelled here (actions exact, "*" in a resource any characters,
// ${iot:Connection.Thing.ThingName} the thing's name), so a topic renamed in the code and not
// in the policy fails here rather than on a customer's fleet.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "gateway/cloud/certificate_renewal.h"
#include "gateway/cloud/claim_provisioning.h"
#include "gateway/cloud/state_sync.h"
#include "gateway/config/config.h"
#include "gateway/jobs/job_agent.h"
#include "gateway/uplink/cloud_profile.h"
#include "tests/fakes/fake_transport.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

namespace json = boost::json;

constexpr const char* kArn = "arn:aws:iot:REGION:ACCOUNT_ID:";

json::value read_json(const std::string& name) {
  std::ifstream in(std::string(EDGEGW_SOURCE_DIR) + "/deploy/aws/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

/// IoT policy resource matching: "*" matches any run of characters, "?" one.
bool glob(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (std::size_t skip = 0; skip <= text.size(); ++skip) {
      if (glob(pattern.substr(1), text.substr(skip))) return true;
    }
    return false;
  }
  return !text.empty() && (pattern[0] == '?' || pattern[0] == text[0]) &&
         glob(pattern.substr(1), text.substr(1));
}

std::vector<std::string> strings(const json::value& value) {
  if (value.is_string()) return {std::string(value.as_string())};
  std::vector<std::string> out;
  for (const auto& item : value.as_array()) out.emplace_back(item.as_string());
  return out;
}

/// Whether an Allow statement grants `action` on `resource` (the part after the ARN prefix),
/// for a connection of `thing`.
bool allows(const json::value& policy, const std::string& action, const std::string& resource,
            const std::string& thing = "") {
  for (const auto& statement : policy.at("Statement").as_array()) {
    if (statement.at("Effect").as_string() != "Allow") continue;
    const auto actions = strings(statement.at("Action"));
    if (std::find(actions.begin(), actions.end(), action) == actions.end()) continue;
    for (auto pattern : strings(statement.at("Resource"))) {
      const std::string variable = "${iot:Connection.Thing.ThingName}";
      for (auto at = pattern.find(variable); at != std::string::npos; at = pattern.find(variable)) {
        pattern.replace(at, variable.size(), thing);
      }
      if (glob(pattern, kArn + resource)) return true;
    }
  }
  return false;
}

/// Whether `policy` lets `thing` send each request of the provisioning API and receive its
/// answers, and make every subscription `transport` was asked for.
void expect_provisioning_exchange_allowed(const json::value& policy,
                                          const std::vector<std::string>& requests,
                                          const FakeTransport& transport,
                                          const std::string& thing = "") {
  for (const auto& request : requests) {
    EXPECT_TRUE(allows(policy, "iot:Publish", "topic/" + request, thing)) << request;
    for (const auto* answer : {"/accepted", "/rejected"}) {
      EXPECT_TRUE(allows(policy, "iot:Receive", "topic/" + request + answer, thing)) << request;
    }
  }
  for (const auto& subscription : transport.subscriptions()) {
    EXPECT_TRUE(allows(policy, "iot:Subscribe", "topicfilter/" + subscription.filter, thing))
        << subscription.filter;
  }
}

TEST(AwsPolicies, TheClaimMayProvisionAndNothingElse) {
  const auto policy = read_json("claim-policy.json");
  for (const bool device_makes_key : {true, false}) {
    TempDir dir;
    const cloud::IdentityStore store(dir.path());
    FakeTransport transport;
    ManualClock clock;
    cloud::ClaimProvisioning::Settings settings;
    settings.template_name = "edgegw-fleet";
    settings.device_makes_key = device_makes_key;
    cloud::ClaimProvisioning attempt(settings, store, transport, clock);
    attempt.start();
    expect_provisioning_exchange_allowed(policy, {attempt.create_topic(), attempt.register_topic()},
                                         transport);
  }
  EXPECT_TRUE(allows(policy, "iot:Connect", "client/SN-0042"));
  EXPECT_FALSE(allows(policy, "iot:Publish", "topic/edgegw/edgegw-SN-0042/telemetry"));
  EXPECT_FALSE(allows(policy, "iot:Subscribe", "topicfilter/#"));
  EXPECT_FALSE(allows(policy, "iot:Publish", "topic/$aws/things/edgegw-SN-0042/shadow/update"));
}

TEST(AwsPolicies, AThingMayUseItsOwnTopicsOnly) {
  const auto policy = read_json("thing-policy.json");
  GatewayConfig config;
  config.gateway.gateway_id = "edgegw-SN-0042";
  config.uplink.provider = "aws";
  config.uplink.host = "localhost";
  const auto profile = resolve_profile(config);
  const std::string thing = "edgegw-SN-0042";
  EXPECT_TRUE(allows(policy, "iot:Connect", "client/" + profile.client_id, thing));
  EXPECT_FALSE(allows(policy, "iot:Connect", "client/someone-else", thing));
  for (const auto& topic : {profile.telemetry_topic, profile.alarm_topic, profile.response_topic}) {
    EXPECT_TRUE(allows(policy, "iot:Publish", "topic/" + topic, thing)) << topic;
  }
  EXPECT_TRUE(allows(policy, "iot:Subscribe", "topicfilter/" + profile.command_filter, thing));
  EXPECT_TRUE(allows(policy, "iot:Receive", "topic/edgegw/" + thing + "/commands/status", thing));

  config.uplink.aws.basic_ingest_rule = "edgegw_ingest";
  const auto ingest = resolve_profile(config);
  EXPECT_TRUE(allows(policy, "iot:Publish", "topic/" + ingest.telemetry_topic, thing));

  EXPECT_FALSE(allows(policy, "iot:Publish", "topic/edgegw/someone-else/telemetry", thing));
  EXPECT_FALSE(allows(policy, "iot:Subscribe", "topicfilter/edgegw/#", thing));
}

TEST(AwsPolicies, AThingMayRenewItsCertificateThroughTheTemplate) {
  const auto policy = read_json("thing-policy.json");
  const std::string thing = "edgegw-SN-0042";
  TempDir dir;
  const cloud::IdentityStore store(dir.path());
  FakeTransport transport;
  ManualClock clock;
  cloud::CertificateRenewal::Settings settings;
  settings.template_name = "edgegw-fleet";
  cloud::CertificateRenewal renewal(settings, store, transport, {}, clock);
  renewal.subscribe();
  expect_provisioning_exchange_allowed(policy, {renewal.create_topic(), renewal.register_topic()},
                                       transport, thing);
  // Not CreateKeysAndCertificate: a renewed key is made on the device too.
  EXPECT_FALSE(allows(policy, "iot:Publish", "topic/$aws/certificates/create/json", thing));
}

TEST(AwsPolicies, AThingMayUseItsOwnShadowOnly) {
  const auto policy = read_json("thing-policy.json");
  const std::string thing = "edgegw-SN-0042";
  FakeTransport transport;
  ManualClock clock;
  cloud::StateSync sync({.dialect = cloud::StateDialect::aws_shadow, .thing_name = thing}, {}, {},
                        {}, clock);
  sync.subscribe(transport);
  for (const auto* request : {"/get", "/update"}) {
    EXPECT_TRUE(allows(policy, "iot:Publish", "topic/" + sync.shadow_prefix() + request, thing));
  }
  for (const auto& subscription : transport.subscriptions()) {
    EXPECT_TRUE(allows(policy, "iot:Subscribe", "topicfilter/" + subscription.filter, thing))
        << subscription.filter;
    // What arrives on each filter: the filter's topic itself.
    EXPECT_TRUE(allows(policy, "iot:Receive", "topic/" + subscription.filter, thing))
        << subscription.filter;
  }
  EXPECT_FALSE(
      allows(policy, "iot:Publish", "topic/$aws/things/someone-else/shadow/update", thing));
  EXPECT_FALSE(allows(policy, "iot:Subscribe",
                      "topicfilter/$aws/things/someone-else/shadow/update/delta", thing));
}

TEST(AwsPolicies, AThingMayTakeItsOwnJobsOnly) {
  const auto policy = read_json("thing-policy.json");
  const std::string thing = "edgegw-SN-0042";
  FakeTransport transport;
  ManualClock clock;
  JobAgent agent({.thing_name = thing, .pending_file = {}, .timeout = std::chrono::seconds(30)}, {},
                 {}, {}, clock);
  agent.subscribe(transport);
  for (const auto* request : {"/$next/get", "/job-42/update"}) {
    EXPECT_TRUE(allows(policy, "iot:Publish", "topic/" + agent.topic_prefix() + request, thing))
        << request;
  }
  for (const auto& subscription : transport.subscriptions()) {
    EXPECT_TRUE(allows(policy, "iot:Subscribe", "topicfilter/" + subscription.filter, thing))
        << subscription.filter;
  }
  for (const auto* answer : {"/notify-next", "/$next/get/accepted", "/job-42/update/rejected"}) {
    EXPECT_TRUE(allows(policy, "iot:Receive", "topic/" + agent.topic_prefix() + answer, thing))
        << answer;
  }
  EXPECT_FALSE(
      allows(policy, "iot:Publish", "topic/$aws/things/someone-else/jobs/job-42/update", thing));
  EXPECT_FALSE(allows(policy, "iot:Subscribe",
                      "topicfilter/$aws/things/someone-else/jobs/notify-next", thing));
}

TEST(AwsPolicies, TheTemplatesAttachTheThingPolicyAndNameTheThing) {
  for (const auto* name : {"fleet-provisioning-template.json", "jitp-template.json"}) {
    const auto resources = read_json(name).at("Resources").as_object();
    EXPECT_EQ(resources.at("policy").at("Properties").at("PolicyName").as_string(), "edgegw-thing")
        << name;
    EXPECT_EQ(
        resources.at("certificate").at("Properties").at("CertificateId").at("Ref").as_string(),
        "AWS::IoT::Certificate::Id")
        << name;
    EXPECT_TRUE(resources.at("thing").at("Properties").as_object().contains("ThingName")) << name;
  }
}

}  // namespace
}  // namespace edgegw
