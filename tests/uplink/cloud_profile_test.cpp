#include "gateway/uplink/cloud_profile.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

GatewayConfig base_config(const std::string& provider) {
  GatewayConfig config;
  config.gateway.gateway_id = "gw-01";
  config.uplink.provider = provider;
  return config;
}

TlsOptions device_tls() {
  TlsOptions tls;
  tls.ca_file = "ca.pem";
  tls.cert_file = "dev.pem";
  tls.key_file = "dev.key";
  return tls;
}

std::string error_of(const GatewayConfig& config) {
  try {
    resolve_profile(config);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(CloudProfile, GenericUsesTheConfiguredBrokerTopicsAndUnit) {
  auto config = base_config("generic");
  config.uplink.host = "broker.local";
  config.uplink.port = 1883;
  config.bundle.unit_bytes = 4000;
  auto profile = resolve_profile(config);
  EXPECT_EQ(profile.server_uri(), "tcp://broker.local:1883");
  EXPECT_EQ(profile.client_id, "gw-01");
  EXPECT_EQ(profile.telemetry_topic, "edgegw/gw-01/telemetry");
  EXPECT_EQ(profile.alarm_topic, "edgegw/gw-01/alarms");
  EXPECT_EQ(profile.metering.provider(), billing::Provider::generic);
  EXPECT_EQ(profile.metering.unit_bytes(), 4000);
  EXPECT_EQ(profile.max_publishes_per_s, 0);
  EXPECT_EQ(profile.max_bytes_per_s, 0);
  EXPECT_EQ(profile.metering.metered(10, {.topic = "abc"}).total(), 13);
  EXPECT_EQ(profile.payload_budget_bytes(), 4000u - profile.telemetry_topic.size());
}

TEST(CloudProfile, TlsSectionTurnsOnSsl) {
  auto config = base_config("generic");
  config.uplink.port = 8883;
  config.uplink.tls = device_tls();
  auto profile = resolve_profile(config);
  EXPECT_EQ(profile.server_uri(), "ssl://127.0.0.1:8883");
  EXPECT_EQ(profile.tls.key_file, "dev.key");
}

TEST(CloudProfile, ShapingMinusOneIsTheProviderDefaultZeroUnlimitedElseTheValue) {
  auto config = base_config("aws");
  config.uplink.tls = device_tls();
  auto profile = resolve_profile(config);
  EXPECT_EQ(profile.max_publishes_per_s, 100);
  EXPECT_EQ(profile.max_bytes_per_s, 512 * 1024);
  config.uplink.max_publishes_per_s = 0;
  config.uplink.max_bytes_per_s = 2000;
  profile = resolve_profile(config);
  EXPECT_EQ(profile.max_publishes_per_s, 0);
  EXPECT_EQ(profile.max_bytes_per_s, 2000);
}

TEST(CloudProfile, AwsDerivesTheAtsEndpointPort8883AndThingNameClientId) {
  auto config = base_config("aws");
  config.uplink.tls = device_tls();
  config.uplink.aws.endpoint_prefix = "a1b2c3";
  config.uplink.aws.region = "eu-west-1";
  config.uplink.aws.thing_name = "crane-07";
  auto profile = resolve_profile(config);
  EXPECT_EQ(profile.host, "a1b2c3-ats.iot.eu-west-1.amazonaws.com");
  EXPECT_EQ(profile.server_uri(), "ssl://a1b2c3-ats.iot.eu-west-1.amazonaws.com:8883");
  EXPECT_EQ(profile.client_id, "crane-07");
  EXPECT_EQ(profile.metering.provider(), billing::Provider::aws);
  EXPECT_EQ(profile.metering.unit_bytes(), 5120);
  EXPECT_EQ(profile.max_payload_bytes, 128u * 1024);
  EXPECT_EQ(profile.telemetry_topic, "edgegw/gw-01/telemetry");
}

TEST(CloudProfile, AwsKeepsAnExplicitHostAndFallsBackToGatewayId) {
  auto config = base_config("aws");
  config.uplink.tls = device_tls();
  config.uplink.host = "localhost";
  config.uplink.port = 18883;
  config.uplink.aws.endpoint_prefix = "a1b2c3";
  config.uplink.aws.region = "eu-west-1";
  auto profile = resolve_profile(config);
  EXPECT_EQ(profile.server_uri(), "ssl://localhost:18883");
  EXPECT_EQ(profile.client_id, "gw-01");
}

TEST(CloudProfile, AwsBasicIngestPrefixesBothTopicsAndCountsThePrefix) {
  auto config = base_config("aws");
  config.uplink.tls = device_tls();
  config.uplink.aws.basic_ingest_rule = "edgegw_ingest";
  auto profile = resolve_profile(config);
  EXPECT_EQ(profile.telemetry_topic, "$aws/rules/edgegw_ingest/edgegw/gw-01/telemetry");
  EXPECT_EQ(profile.alarm_topic, "$aws/rules/edgegw_ingest/edgegw/gw-01/alarms");
  EXPECT_EQ(profile.payload_budget_bytes(), 5120u - profile.telemetry_topic.size());
}

TEST(CloudProfile, AwsRefusesHalfAnEndpointABadRuleAndAMissingClientCertificate) {
  auto config = base_config("aws");
  config.uplink.tls = device_tls();
  config.uplink.aws.endpoint_prefix = "a1b2c3";
  EXPECT_NE(error_of(config).find("uplink.aws.region"), std::string::npos);

  config.uplink.aws.region = "eu-west-1";
  config.uplink.tls.reset();
  EXPECT_NE(error_of(config).find("X.509 client certificate"), std::string::npos);

  config.uplink.tls = device_tls();
  config.uplink.aws.basic_ingest_rule = "bad-rule/name";
  EXPECT_NE(error_of(config).find("basic_ingest_rule"), std::string::npos);
}

TEST(CloudProfile, AzureX509UsesTheHubDeviceUsernameAndEventsTopic) {
  auto config = base_config("azure");
  config.uplink.tls = device_tls();
  config.uplink.azure.hub = "myhub";
  config.uplink.azure.device_id = "crane-07";
  auto profile = resolve_profile(config);
  EXPECT_EQ(profile.server_uri(), "ssl://myhub.azure-devices.net:8883");
  EXPECT_EQ(profile.client_id, "crane-07");
  EXPECT_EQ(profile.username, "myhub.azure-devices.net/crane-07/?api-version=2021-04-12");
  EXPECT_FALSE(profile.sas.has_value());
  EXPECT_EQ(profile.telemetry_topic,
            "devices/crane-07/messages/events/$.ct=application%2Fx-protobuf");
  EXPECT_EQ(profile.alarm_topic,
            "devices/crane-07/messages/events/$.ct=application%2Fx-protobuf&edgegw-kind=alarm");
  EXPECT_EQ(profile.metering.provider(), billing::Provider::azure);
  EXPECT_EQ(profile.metering.unit_bytes(), 4096);
  // The topic is not metered, but what the property bag in it carries is, and so is what the
  // hub stamps: "application/x-protobuf" (22), the device id (8) and the allowance (160).
  const auto metered = profile.metering.metered(0, {.topic = profile.telemetry_topic});
  EXPECT_EQ(metered.topic, 0);
  EXPECT_EQ(metered.properties, 22);
  EXPECT_EQ(metered.allowance, 8 + 160);
  EXPECT_EQ(profile.payload_budget_bytes(), 4096u - 22 - 8 - 160);
  EXPECT_EQ(profile.max_publishes_per_s, 100);
}

TEST(CloudProfile, AzureSasTurnsOnTlsWithTheSystemTrustStoreAndSignsTheDeviceUri) {
  auto config = base_config("azure");
  config.uplink.azure.hub = "myhub";
  config.uplink.azure.auth = "sas";
  config.uplink.azure.device_key_file = "device.key";
  config.uplink.azure.sas_ttl_s = 600;
  config.uplink.azure.tier = "S3";
  config.bundle.encoding = "proto+zstd";
  auto profile = resolve_profile(config);
  EXPECT_TRUE(profile.use_tls);
  EXPECT_TRUE(profile.tls.ca_file.empty());
  ASSERT_TRUE(profile.sas.has_value());
  EXPECT_EQ(profile.sas->resource_uri, "myhub.azure-devices.net/devices/gw-01");
  EXPECT_EQ(profile.sas->ttl_s, 600);
  EXPECT_EQ(profile.client_id, "gw-01");
  EXPECT_NE(profile.telemetry_topic.find("&$.ce=zstd"), std::string::npos);
  EXPECT_EQ(profile.max_publishes_per_s, 6000);
}

TEST(CloudProfile, AzureRefusesInconsistentSettings) {
  auto config = base_config("azure");
  config.uplink.tls = device_tls();
  EXPECT_NE(error_of(config).find("uplink.azure.hub"), std::string::npos);

  config.uplink.azure.hub = "myhub";
  config.uplink.tls.reset();
  EXPECT_NE(error_of(config).find("auth = \"x509\" needs [uplink.tls]"), std::string::npos);

  config.uplink.azure.auth = "sas";
  EXPECT_NE(error_of(config).find("device_key_file"), std::string::npos);

  config.uplink.azure.device_key_file = "device.key";
  config.uplink.client_id = "someone-else";
  EXPECT_NE(error_of(config).find("client id to be the device id"), std::string::npos);
}

TEST(CloudProfile, AzureTierThrottles) {
  EXPECT_EQ(azure_tier_publishes_per_second("S1"), 100);
  EXPECT_EQ(azure_tier_publishes_per_second("B1"), 100);
  EXPECT_EQ(azure_tier_publishes_per_second("S2"), 120);
  EXPECT_EQ(azure_tier_publishes_per_second("S3"), 6000);
}

TEST(CloudProfile, UnknownProviderIsAConfigError) {
  auto config = base_config("gcp");
  EXPECT_NE(error_of(config).find("not one of aws, azure, generic"), std::string::npos);
}

TEST(CloudProfile, Ipv6HostIsBracketedInTheUri) {
  auto config = base_config("generic");
  config.uplink.host = "::1";
  EXPECT_EQ(resolve_profile(config).server_uri(), "tcp://[::1]:1883");
}

}  // namespace
}  // namespace edgegw
