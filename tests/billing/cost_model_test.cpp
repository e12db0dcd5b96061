#include "gateway/billing/cost_model.h"

#include <gtest/gtest.h>

#include <vector>

namespace edgegw::billing {
namespace {

TEST(AwsUnits, BasicIngestCostsNoMessagingCharge) {
  EXPECT_TRUE(is_basic_ingest_topic("$aws/rules/telemetry/edgegw/gw-01"));
  EXPECT_FALSE(is_basic_ingest_topic("edgegw/gw-01/telemetry"));
  EXPECT_DOUBLE_EQ(aws_cost_usd(2'000'000), 2.0);
  EXPECT_DOUBLE_EQ(aws_cost_usd(2'000'000, {.usd_per_million_units = 0.8}), 1.6);
  EXPECT_DOUBLE_EQ(aws_cost_usd(2'000'000, {.basic_ingest = true}), 0.0);
}

TEST(AzureTiers, UnitsNeededFollowTheDailyQuota) {
  EXPECT_EQ(azure_units_needed(0, AzureTier::s1), 1);
  EXPECT_EQ(azure_units_needed(400'000, AzureTier::s1), 1);
  EXPECT_EQ(azure_units_needed(400'001, AzureTier::s1), 2);
  EXPECT_EQ(azure_units_needed(400'001, AzureTier::b1), 2);
  EXPECT_EQ(azure_units_needed(6'000'000, AzureTier::s2), 1);
  EXPECT_EQ(azure_units_needed(6'000'001, AzureTier::b2), 2);
  EXPECT_EQ(azure_units_needed(300'000'001, AzureTier::s3), 2);
  EXPECT_DOUBLE_EQ(azure_monthly_cost_usd(800'000, AzureTier::s1), 50.0);
  EXPECT_DOUBLE_EQ(azure_monthly_cost_usd(1, AzureTier::s3), 2500.0);
}

TEST(AzureTiers, CheapestTierSwitchesWhenUnitsOfTheSmallerTierCostMore) {
  EXPECT_EQ(cheapest_azure_tier(100'000, true), AzureTier::s1);
  // 11 S1 units ($275) cost more than one S2 ($250).
  EXPECT_EQ(cheapest_azure_tier(4'147'200, true), AzureTier::s2);
  EXPECT_EQ(cheapest_azure_tier(100'000, false), AzureTier::b1);
  EXPECT_EQ(parse_azure_tier("s2"), AzureTier::s2);
  EXPECT_EQ(parse_azure_tier("B3"), AzureTier::b3);
  EXPECT_EQ(parse_azure_tier("S4"), std::nullopt);
}

TEST(NaiveJson, FormatsOneReadingPerMessage) {
  EXPECT_EQ(naive_json_message("crane.load_kg", 1'700'000'000'000, 1234.5),
            R"({"series":"crane.load_kg","ts_ms":1700000000000,"value":1234.5})");
  EXPECT_EQ(naive_json_size("crane.load_kg", 1'700'000'000'000, 1234.5), 63);
  EXPECT_EQ(naive_json_message("a\"b", 1, 0.1), R"({"series":"a\"b","ts_ms":1,"value":0.1})");
  EXPECT_EQ(naive_json_message("a\nb", 1, 2), R"({"series":"a\u000ab","ts_ms":1,"value":2})");
  EXPECT_EQ(naive_json_message("x", 1, 497.3), R"({"series":"x","ts_ms":1,"value":497.3})");
}

TEST(NaiveJson, ArraySizeAndCapacity) {
  const std::vector<std::int64_t> sizes = {10, 20, 30};
  EXPECT_EQ(json_array_size(sizes), 2 + 60 + 2);
  EXPECT_EQ(json_array_size({}), 2);
  EXPECT_EQ(json_array_capacity(64, 4096), 63) << "63 * 65 + 1 = 4096";
  EXPECT_EQ(json_array_capacity(64, 4095), 62);
  EXPECT_EQ(json_array_capacity(64, 65), 0);
  EXPECT_EQ(json_array_capacity(64, 66), 1);
}

constexpr std::string_view kAzureTopic = "devices/dev/messages/events/$.ct=application%2Fjson";

StreamScenario crane_example() {
  StreamScenario s;
  s.readings_per_s = 48;
  s.aws.topic = std::string(25, 't');
  s.aws.bundle = {.readings_per_bundle = 500, .bundle_bytes = 5000};
  // Azure meters 16 bytes of "application/json", 3 of the device id and 77 stamped.
  s.azure.metering = MeteringModel::azure("dev", 77);
  s.azure.topic = kAzureTopic;
  s.azure.bundle = {.readings_per_bundle = 400, .bundle_bytes = 4000};
  s.naive_message_bytes = 64;
  return s;
}

TEST(StreamCost, BundlingBeatsNaiveJsonOnAKnownExample) {
  const auto costs = compare_stream_cost(crane_example());
  ASSERT_EQ(costs.size(), 6u);
  const auto& aws_bundled = costs[0];
  const auto& aws_array = costs[1];
  const auto& aws_naive = costs[2];
  EXPECT_EQ(aws_bundled.method, "bundled");
  EXPECT_EQ(aws_bundled.units_per_message, 1);
  EXPECT_EQ(aws_bundled.metered.total(), 5025) << "payload + topic";
  EXPECT_DOUBLE_EQ(aws_bundled.messages_per_day, 8294.4);
  EXPECT_DOUBLE_EQ(aws_bundled.units_per_month, 248'832);
  EXPECT_NEAR(aws_bundled.usd_per_month, 0.248832, 1e-9);
  EXPECT_DOUBLE_EQ(aws_naive.messages_per_day, 4'147'200);
  EXPECT_NEAR(aws_naive.usd_per_month, 124.416, 1e-9);
  EXPECT_EQ(aws_array.readings_per_message, 78) << "(5120 - 25 - 1) / 65";

  const auto& azure_bundled = costs[3];
  const auto& azure_array = costs[4];
  const auto& azure_naive = costs[5];
  EXPECT_EQ(azure_bundled.provider, "Azure IoT Hub");
  EXPECT_EQ(azure_bundled.units_per_message, 1) << "packed for Azure's own 4096 B block";
  EXPECT_EQ(azure_bundled.metered.total(), 4096) << "body + properties + stamps";
  EXPECT_EQ(azure_bundled.metered.properties, 16);
  EXPECT_EQ(azure_bundled.metered.allowance, 80);
  EXPECT_DOUBLE_EQ(azure_bundled.units_per_day, 10'368);
  EXPECT_EQ(azure_bundled.plan, "S1 x 1");
  EXPECT_DOUBLE_EQ(azure_bundled.usd_per_month, 25);
  EXPECT_EQ(azure_array.readings_per_message, 61) << "(4096 - 96 - 1) / 65";
  EXPECT_EQ(azure_array.metered.total(), 61 * 65 + 1 + 96);
  EXPECT_EQ(azure_array.units_per_message, 1);
  EXPECT_EQ(azure_naive.plan, "S2 x 1");
  EXPECT_DOUBLE_EQ(azure_naive.usd_per_month, 250);
}

TEST(StreamCost, AFixedAzureTierIsScaledOut) {
  auto scenario = crane_example();
  scenario.azure_tier = AzureTier::s1;
  const auto costs = compare_stream_cost(scenario);
  EXPECT_EQ(costs[5].plan, "S1 x 11");
  EXPECT_DOUBLE_EQ(costs[5].usd_per_month, 275);
}

TEST(StreamCost, TableShowsTheNumbers) {
  const auto scenario = crane_example();
  const std::string table = render_cost_table(scenario, compare_stream_cost(scenario));
  for (const char* expected :
       {"48.0 readings/s", "4,147,200/day", "AWS IoT Core", "Azure IoT Hub", "bundled",
        "naive JSON", "JSON array", "8,294", "248,832", "124,416,000", "$0.25", "$124.42", "S2 x 1",
        "$250.00", "$25.00", "500.0x fewer units"}) {
    EXPECT_NE(table.find(expected), std::string::npos) << expected << "\n" << table;
  }
}

TEST(BillingTally, CountsBillableAndNaiveUnitsForAws) {
  const std::string topic(22, 't');
  BillingTally tally(MeteringModel::aws(), 64, topic);
  tally.add_bundle(5000, {.topic = topic}, 400);  // 1 unit
  tally.add_bundle(5100, {.topic = topic}, 410);  // 5122 B: 2 units
  const auto t = tally.totals();
  EXPECT_EQ(t.publishes, 2);
  EXPECT_EQ(t.readings, 810);
  EXPECT_EQ(t.payload_bytes, 10'100);
  EXPECT_EQ(t.billable_units, 3);
  EXPECT_EQ(t.naive_units, 810);
  EXPECT_DOUBLE_EQ(tally.savings_factor(), 270.0);
}

TEST(BillingTally, NaiveMessagesLargerThanAUnitCostMore) {
  const std::string topic = "devices/d/messages/events/";
  BillingTally tally(MeteringModel::azure("d", 0), 5000, topic);
  tally.add_bundle(4000, {.topic = topic}, 3);
  EXPECT_EQ(tally.totals().billable_units, 1);
  EXPECT_EQ(tally.totals().naive_units, 6);
}

TEST(BillingTally, AzureBillsWhatThePropertiesAndStampsPushOverABlock) {
  const std::string topic = "devices/d/messages/events/$.ct=application%2Fx-protobuf";
  BillingTally tally(MeteringModel::azure("d", 160), 64, topic);
  tally.add_bundle(4096 - 22 - 1 - 160, {.topic = topic}, 100);
  EXPECT_EQ(tally.totals().billable_units, 1);
  tally.add_bundle(4096 - 22 - 1 - 160 + 1, {.topic = topic}, 100);
  EXPECT_EQ(tally.totals().billable_units, 3) << "one byte over the block is a second one";
}

TEST(BillingTally, AlarmsAreBilledAndCountedForTheNaiveDeviceToo) {
  BillingTally tally(MeteringModel::aws(), 64, "edgegw/gw/telemetry");
  tally.add_message(200, {.topic = "edgegw/gw/alarms"});
  const auto t = tally.totals();
  EXPECT_EQ(t.publishes, 1);
  EXPECT_EQ(t.readings, 0);
  EXPECT_EQ(t.billable_units, 1);
  EXPECT_EQ(t.naive_units, 1);
}

TEST(BillingTally, GenericBrokerUsesTheConfiguredUnit) {
  const std::string topic(30, 't');
  BillingTally tally(MeteringModel::generic(1000), 64, topic);
  EXPECT_DOUBLE_EQ(tally.savings_factor(), 0.0);
  tally.add_bundle(2500, {.topic = topic}, 100);
  EXPECT_EQ(tally.totals().billable_units, 3);
  EXPECT_EQ(tally.totals().naive_units, 100);
}

}  // namespace
}  // namespace edgegw::billing
