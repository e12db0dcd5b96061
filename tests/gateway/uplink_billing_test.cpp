#include "gateway/uplink_billing.h"

#include <gtest/gtest.h>

#include <string>

namespace edgegw {
namespace {

TEST(UplinkBilling, BundlesCountTheirReadingsOnceAndEveryPublishIsBilled) {
  billing::BillingTally tally(billing::MeteringModel::aws(), 60, "t/telemetry");
  auto hook = bill_publishes_to(tally);
  hook({.topic = "t/telemetry", .payload_bytes = 5000, .readings = 2300, .bundle = true});
  hook({.topic = "t/telemetry", .payload_bytes = 5000, .readings = 0, .bundle = true});  // resent
  hook({.topic = "t/alarms", .payload_bytes = 200, .readings = 0, .bundle = false});
  const auto totals = tally.totals();
  EXPECT_EQ(totals.publishes, 3);
  EXPECT_EQ(totals.readings, 2300);
  EXPECT_EQ(totals.payload_bytes, 10'200);
  EXPECT_EQ(totals.billable_units, 3) << "each publish is one 5 KB unit with its topic";
  EXPECT_EQ(totals.naive_units, 2300 + 1) << "a naive device sends the alarm too";
}

TEST(UplinkBilling, TheNaiveMessageIsSizedForTheLongestSeriesName) {
  SeriesCatalog catalog;
  catalog.insert({.id = 1, .spec = {.name = "load_g", .unit = "g", .resolution = 0.1}});
  catalog.insert(
      {.id = 2, .spec = {.name = "crane.boom_angle_deg", .unit = "deg", .resolution = 0.1}});
  EXPECT_EQ(naive_message_bytes(catalog, 1'700'000'000'000),
            billing::naive_json_size("crane.boom_angle_deg", 1'700'000'000'000, 1234.5));
}

}  // namespace
}  // namespace edgegw
