#include "gateway/config/config_warnings.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

GatewayConfig crane_with_rules() {
  GatewayConfig config;
  config.adapters.push_back(
      {.type = "simulator", .name = "crane", .values = {{"profile", std::string("crane")}}});
  SeriesOptions posted_series;
  posted_series.name = "posted.temperature_c";
  config.series.push_back(posted_series);
  rules::RuleOptions overload;
  overload.name = "overload";
  overload.series = "crane.load_kg";
  overload.above = 5000;
  rules::RuleOptions posted;
  posted.name = "hot";
  posted.series = "posted.temperature_c";
  posted.above = 80;
  rules::RuleOptions offline;
  offline.name = "crane_offline";
  offline.adapter = "crane";
  offline.offline_after_s = 30;
  config.rules = {overload, posted, offline};
  return config;
}

TEST(ConfigWarnings, RulesOnProducedOrDeclaredSeriesAndKnownAdaptersAreFine) {
  EXPECT_TRUE(config_warnings(crane_with_rules()).empty());
}

TEST(ConfigWarnings, ARuleThatCanNeverFireIsNamed) {
  auto config = crane_with_rules();
  config.rules[0].series = "crane.load_kgs";  // a typo
  config.rules[2].adapter = "tower";
  EXPECT_EQ(config_warnings(config),
            (std::vector<std::string>{
                "rule overload: no adapter produces series \"crane.load_kgs\" and no [[series]] "
                "declares it, so the rule never fires",
                "rule crane_offline: there is no adapter \"tower\", so the rule never fires"}));
}

TEST(ConfigWarnings, ABundleLatencyShorterThanTheAdaptersCommitIntervalIsNamed) {
  auto config = crane_with_rules();
  config.bundle.max_latency_s = 2;
  config.storage.adapter_flush_interval_ms = 3000;
  ASSERT_EQ(config_warnings(config).size(), 1u);
  EXPECT_NE(config_warnings(config)[0].find("bundle.max_latency_s = 2 is shorter than "
                                            "storage.adapter_flush_interval_ms = 3000"),
            std::string::npos);
  config.bundle.max_latency_s = 3;
  EXPECT_TRUE(config_warnings(config).empty()) << "equal is fine";
  config.bundle.max_latency_s = 1;
  config.adapters.clear();
  config.rules.clear();
  EXPECT_TRUE(config_warnings(config).empty()) << "without adapters the interval never applies";
}

}  // namespace
}  // namespace edgegw
