#include "gateway/billing/metering.h"

#include <gtest/gtest.h>

#include <array>

namespace edgegw::billing {
namespace {

TEST(AwsMetering, CountsPayloadPlusTopicInWhole5120ByteUnits) {
  const auto aws = MeteringModel::aws();
  const std::string topic(20, 't');
  EXPECT_EQ(aws.units(5120, {}), 1);
  EXPECT_EQ(aws.units(5121, {}), 2);
  EXPECT_EQ(aws.units(5100, {.topic = topic}), 1) << "payload + topic = 5120";
  EXPECT_EQ(aws.units(5101, {.topic = topic}), 2) << "the topic is billed too";
  EXPECT_EQ(aws.units(10240, {}), 2);
  EXPECT_EQ(aws.units(10241, {}), 3);
  EXPECT_EQ(aws.units(0, {}), 1) << "an empty publish still costs a unit";
  EXPECT_EQ(aws.payload_budget({.topic = topic}), 5100);
}

TEST(AwsMetering, CountsTheMqtt5PropertiesAwsMeters) {
  const auto aws = MeteringModel::aws();
  const std::array<UserProperty, 2> user = {{{"kind", "alarm"}, {"v", "1"}}};
  const Envelope envelope{.topic = "edgegw/gw/telemetry",
                          .user_properties = user,
                          .content_type = "application/x-protobuf",
                          .response_topic = "reply/here",
                          .correlation_data = "abcd"};
  const MeteredSize size = aws.metered(100, envelope);
  EXPECT_EQ(size.topic, 19);
  EXPECT_EQ(size.properties, 4 + 5 + 1 + 1 + 22 + 10 + 4);
  EXPECT_EQ(size.allowance, 0);
  EXPECT_EQ(size.total(), 100 + 19 + 47);
  EXPECT_EQ(aws.payload_budget(envelope), 5120 - 19 - 47);
}

TEST(AzureMetering, CountsBodyPropertyValuesApplicationPropertyNamesAndTheStamps) {
  const auto azure = MeteringModel::azure("crane-07", 160);
  const MeteredSize size = azure.metered(
      1000, {.topic = "devices/crane-07/messages/events/$.ct=application%2Fx-protobuf&$.ce=zstd"
                      "&edgegw-kind=alarm"});
  EXPECT_EQ(size.payload, 1000);
  EXPECT_EQ(size.topic, 0) << "IoT Hub does not meter the MQTT topic itself";
  EXPECT_EQ(size.properties, 22 + 4 + 11 + 5)
      << "system properties: decoded values; application properties: names and values";
  EXPECT_EQ(size.allowance, 8 + 160) << "the device id plus what the hub stamps besides";
}

TEST(AzureMetering, AFullMessageIsOneBlockAndOneByteMoreIsTwo) {
  const auto azure = MeteringModel::azure("d1", 160);
  const Envelope envelope{.topic = "devices/d1/messages/events/$.ct=application%2Fx-protobuf"};
  const std::int64_t budget = azure.payload_budget(envelope);
  EXPECT_EQ(budget, 4096 - 22 - 2 - 160);
  EXPECT_EQ(azure.units(budget, envelope), 1);
  EXPECT_EQ(azure.units(budget + 1, envelope), 2);
}

TEST(AzureMetering, OneMoreByteInThePropertyBagShrinksTheBudgetByOne) {
  const auto azure = MeteringModel::azure("d1", 160);
  const std::int64_t base = azure.payload_budget({.topic = "devices/d1/messages/events/k=v"});
  EXPECT_EQ(azure.payload_budget({.topic = "devices/d1/messages/events/k=vv"}), base - 1);
  EXPECT_EQ(azure.payload_budget({.topic = "devices/d1/messages/events/kk=v"}), base - 1);
  EXPECT_EQ(azure.payload_budget({.topic = "devices/d1/messages/events/k=v%2F"}), base - 1)
      << "an encoded byte counts once, as the hub decodes it";
}

TEST(AzureMetering, TheStampAllowanceIsConfigurableByteForByte) {
  const Envelope envelope{.topic = "devices/d1/messages/events/"};
  EXPECT_EQ(MeteringModel::azure("d1", 130).payload_budget(envelope),
            MeteringModel::azure("d1", 131).payload_budget(envelope) + 1);
  EXPECT_EQ(MeteringModel::azure("d1", 0).payload_budget(envelope), 4096 - 2);
}

TEST(AzureMetering, TwinAndMethodTopicsCarryNoMessagePropertiesOrStamps) {
  const auto azure = MeteringModel::azure("d1", 160);
  const MeteredSize twin =
      azure.metered(300, {.topic = "$iothub/twin/PATCH/properties/reported/?$rid=7"});
  EXPECT_EQ(twin.total(), 300);
  EXPECT_EQ(azure.metered(0, {.topic = "$iothub/methods/res/200/?$rid=1"}).total(), 0);
}

TEST(AzurePropertyBag, SplitsTheEventsTopicAndDecodesPairs) {
  EXPECT_FALSE(azure_property_bag("edgegw/gw/telemetry").is_events);
  const auto bag = azure_property_bag("devices/d/messages/events/a=1&b=22");
  EXPECT_TRUE(bag.is_events);
  EXPECT_EQ(bag.bag, "a=1&b=22");
  EXPECT_EQ(azure_property_bytes("a=1&b=22"), 2 + 3);
  EXPECT_EQ(azure_property_bytes("$.mid=abc&$.cid=x"), 3 + 1);
  EXPECT_EQ(azure_property_bytes("name%20x=%41"), 6 + 1);
  EXPECT_EQ(azure_property_bytes("&&flag&"), 4) << "empty pairs skipped; a bare name counts";
  EXPECT_EQ(azure_property_bytes("v=%4"), 1 + 2) << "a broken escape counts as it stands";
}

TEST(GenericMetering, UsesTheConfiguredUnitAndCountsTheTopic) {
  const auto generic = MeteringModel::generic(1000);
  EXPECT_EQ(generic.units(970, {.topic = std::string(30, 't')}), 1);
  EXPECT_EQ(generic.units(971, {.topic = std::string(30, 't')}), 2);
  EXPECT_EQ(generic.payload_budget({.topic = "abc"}), 997);
}

TEST(Metering, EachRuleIsDescribedWithItsUnit) {
  EXPECT_NE(MeteringModel::aws().describe().find("5120"), std::string::npos);
  EXPECT_NE(MeteringModel::azure("dev", 160).describe().find("163 bytes stamped"),
            std::string::npos);
  EXPECT_NE(MeteringModel::generic(777).describe().find("777"), std::string::npos);
}

}  // namespace
}  // namespace edgegw::billing
