// Every rule at exactly its thresholds, windows and hold times. Time is the readings' own
// timestamps and the tick's `now`: no clock, no sleeps.
#include "gateway/rules/rules_engine.h"

#include <gtest/gtest.h>

namespace edgegw::rules {
namespace {

constexpr SeriesId kLoad = 1;
constexpr SeriesId kMotion = 2;

struct Harness {
  explicit Harness(std::vector<RuleOptions> rules)
      : engine(
            rules,
            [](SeriesId id) -> std::optional<std::string> {
              if (id == kLoad) return "crane.load_kg";
              if (id == kMotion) return "box.motion";
              return std::nullopt;
            },
            [this](Alarm alarm) {
              alarm.id = static_cast<std::int64_t>(alarms.size()) + 1;
              alarms.push_back(alarm);
              return alarm.id;
            }) {}

  void read(SeriesId series, std::int64_t ts_ms, double value) {
    const Reading reading{.series = series, .ts_ms = ts_ms, .value = value};
    engine.on_readings(std::span(&reading, 1));
  }
  void tick(std::int64_t now_ms, bool adapter_up = true) {
    engine.on_tick(now_ms, [adapter_up](const std::string&) { return adapter_up; });
  }

  std::vector<Alarm> alarms;
  RulesEngine engine;
};

RuleOptions overload() {
  RuleOptions rule;
  rule.name = "overload";
  rule.series = "crane.load_kg";
  rule.above = 5000;
  rule.clear_below = 4800;
  rule.severity = "critical";
  return rule;
}

TEST(ThresholdRule, RaisesJustAboveTheThresholdOnceAndClearsJustBelowTheHysteresis) {
  Harness h({overload()});
  h.read(kLoad, 1000, 5000);
  EXPECT_TRUE(h.alarms.empty()) << "at the threshold is not above it";
  h.read(kLoad, 2000, 5000.5);
  ASSERT_EQ(h.alarms.size(), 1u);
  const Alarm raised = h.alarms[0];
  EXPECT_EQ(raised.kind, "overload");
  EXPECT_EQ(raised.state, AlarmState::raised);
  EXPECT_EQ(raised.severity, Severity::critical);
  EXPECT_EQ(raised.series, "crane.load_kg");
  EXPECT_EQ(raised.threshold, 5000);
  EXPECT_EQ(raised.value, 5000.5);
  EXPECT_EQ(raised.ts_ms, 2000);
  EXPECT_EQ(raised.message, "crane.load_kg 5000.5 above 5000");

  for (int i = 0; i < 50; ++i) h.read(kLoad, 3000 + i, 5100 - i * 6);  // down to 4806
  h.read(kLoad, 4000, 4800);
  EXPECT_EQ(h.alarms.size(), 1u) << "one excursion, one alarm; 4800 is not below 4800";
  h.read(kLoad, 5000, 4799.5);
  ASSERT_EQ(h.alarms.size(), 2u);
  const Alarm cleared = h.alarms[1];
  EXPECT_EQ(cleared.state, AlarmState::cleared);
  EXPECT_EQ(cleared.alarm_id, raised.id) << "the clear names the excursion it ends";
  EXPECT_EQ(cleared.first_ts_ms, 2000);
  EXPECT_EQ(cleared.last_ts_ms, 5000);
  EXPECT_EQ(cleared.threshold, 4800);

  h.read(kLoad, 6000, 5001);
  EXPECT_EQ(h.alarms.size(), 3u) << "a new excursion raises again";
}

TEST(ThresholdRule, WithoutClearBelowItClearsBelowTheThresholdItself) {
  auto rule = overload();
  rule.clear_below = kUnset;
  Harness h({rule});
  h.read(kLoad, 0, 5001);
  h.read(kLoad, 1, 5000);
  EXPECT_EQ(h.alarms.size(), 1u);
  h.read(kLoad, 2, 4999.99);
  EXPECT_EQ(h.alarms.size(), 2u);
}

TEST(ThresholdRule, RaisesOnlyOnceTheExcursionHasLastedItsHoldTime) {
  auto rule = overload();
  rule.for_s = 5;
  Harness h({rule});
  h.read(kLoad, 10'000, 6000);
  h.read(kLoad, 14'999, 6000);
  EXPECT_TRUE(h.alarms.empty()) << "one millisecond short of five seconds";
  h.read(kLoad, 15'000, 6000);
  ASSERT_EQ(h.alarms.size(), 1u);
  EXPECT_EQ(h.alarms[0].ts_ms, 15'000);
}

TEST(ThresholdRule, ADipBelowTheThresholdStartsTheHoldTimeAgain) {
  auto rule = overload();
  rule.for_s = 5;
  Harness h({rule});
  h.read(kLoad, 0, 6000);
  h.read(kLoad, 4000, 4000);
  h.read(kLoad, 5000, 6000);
  h.read(kLoad, 9999, 6000);
  EXPECT_TRUE(h.alarms.empty());
  h.read(kLoad, 10'000, 6000);
  EXPECT_EQ(h.alarms.size(), 1u);
}

TEST(ThresholdRule, BelowRaisesUnderTheLevelAndClearsAboveClearAbove) {
  RuleOptions rule;
  rule.name = "low_pressure";
  rule.series = "crane.load_kg";
  rule.below = 10;
  rule.clear_above = 12;
  Harness h({rule});
  h.read(kLoad, 0, 10);
  EXPECT_TRUE(h.alarms.empty());
  h.read(kLoad, 1, 9.9);
  EXPECT_EQ(h.alarms.size(), 1u);
  h.read(kLoad, 2, 12);
  EXPECT_EQ(h.alarms.size(), 1u);
  h.read(kLoad, 3, 12.1);
  EXPECT_EQ(h.alarms.size(), 2u);
}

RuleOptions weight_drop() {
  RuleOptions rule;
  rule.name = "weight_drop";
  rule.series = "crane.load_kg";
  rule.drop = 100;
  rule.within_s = 10;
  return rule;
}

TEST(ChangeRule, RaisesWhenTheFallWithinTheWindowReachesTheAmount) {
  Harness h({weight_drop()});
  h.read(kLoad, 0, 500);
  h.read(kLoad, 5000, 401);
  EXPECT_TRUE(h.alarms.empty()) << "a fall of 99";
  h.read(kLoad, 6000, 400);
  ASSERT_EQ(h.alarms.size(), 1u) << "a fall of exactly 100";
  EXPECT_EQ(h.alarms[0].threshold, 400);
}

TEST(ChangeRule, AFallSpreadOverMoreThanTheWindowDoesNotCount) {
  Harness h({weight_drop()});
  h.read(kLoad, 0, 500);
  h.read(kLoad, 10'001, 400);  // the 500 is 10.001 s old: out of the window
  EXPECT_TRUE(h.alarms.empty());
  Harness edge({weight_drop()});
  edge.read(kLoad, 0, 500);
  edge.read(kLoad, 10'000, 400);  // exactly at the window's edge: still in it
  EXPECT_EQ(edge.alarms.size(), 1u);
}

TEST(ChangeRule, ClearsOnceTheWindowNoLongerHoldsTheFall) {
  Harness h({weight_drop()});
  h.read(kLoad, 0, 500);
  h.read(kLoad, 1000, 0);
  ASSERT_EQ(h.alarms.size(), 1u);
  for (std::int64_t t = 2000; t <= 10'000; t += 1000) h.read(kLoad, t, 0);
  EXPECT_EQ(h.alarms.size(), 1u) << "the 500 is still within 10 s";
  h.read(kLoad, 10'001, 0);
  ASSERT_EQ(h.alarms.size(), 2u);
  EXPECT_EQ(h.alarms[1].state, AlarmState::cleared);
}

TEST(ChangeRule, RiseIsTheMirrorOfDrop) {
  auto rule = weight_drop();
  rule.drop = kUnset;
  rule.rise = 50;
  Harness h({rule});
  h.read(kLoad, 0, 100);
  h.read(kLoad, 1, 149);
  EXPECT_TRUE(h.alarms.empty());
  h.read(kLoad, 2, 150);
  EXPECT_EQ(h.alarms.size(), 1u);
}

TEST(StaleRule, RaisesJustAfterTheSeriesHasBeenSilentForItsTimeAndClearsOnTheNextReading) {
  RuleOptions rule;
  rule.name = "sensor_stale";
  rule.series = "crane.load_kg";
  rule.stale_after_s = 30;
  Harness h({rule});
  h.read(kLoad, 100'000, 1);
  h.tick(130'000);
  EXPECT_TRUE(h.alarms.empty()) << "silent for exactly 30 s";
  h.tick(130'001);
  ASSERT_EQ(h.alarms.size(), 1u);
  EXPECT_EQ(h.alarms[0].kind, "sensor_stale");
  h.tick(200'000);
  EXPECT_EQ(h.alarms.size(), 1u);
  h.read(kLoad, 200'500, 2);
  ASSERT_EQ(h.alarms.size(), 2u);
  EXPECT_EQ(h.alarms[1].state, AlarmState::cleared);
}

TEST(StaleRule, ASeriesNeverSeenIsCountedFromTheFirstTick) {
  RuleOptions rule;
  rule.name = "sensor_stale";
  rule.series = "crane.load_kg";
  rule.stale_after_s = 30;
  Harness h({rule});
  h.tick(1'000'000);
  h.tick(1'030'000);
  EXPECT_TRUE(h.alarms.empty());
  h.tick(1'030'001);
  EXPECT_EQ(h.alarms.size(), 1u);
}

TEST(OfflineRule, RaisesWhenTheAdapterHasBeenDownForItsTimeAndClearsWhenItIsUp) {
  RuleOptions rule;
  rule.name = "crane_offline";
  rule.adapter = "crane";
  rule.offline_after_s = 10;
  Harness h({rule});
  h.tick(0, true);
  h.tick(1000, false);
  h.tick(10'999, false);
  EXPECT_TRUE(h.alarms.empty());
  h.tick(11'000, false);
  ASSERT_EQ(h.alarms.size(), 1u);
  EXPECT_EQ(h.alarms[0].series, "crane");
  h.tick(12'000, true);
  ASSERT_EQ(h.alarms.size(), 2u);
  EXPECT_EQ(h.alarms[1].state, AlarmState::cleared);
}

std::vector<RuleOptions> theft_rules(double within_s) {
  auto drop = weight_drop();
  drop.publish = false;
  RuleOptions motion;
  motion.name = "motion";
  motion.series = "box.motion";
  motion.above = 0.5;
  motion.publish = false;
  RuleOptions theft;
  theft.name = "theft";
  theft.all_of = "weight_drop, motion";
  theft.within_s = within_s;
  theft.severity = "critical";
  return {drop, motion, theft};
}

TEST(AllOfRule, RaisesWhenEveryPartRaisedWithinTheWindowAndClearsWhenNoneIsRaised) {
  Harness h(theft_rules(30));
  h.read(kMotion, 0, 1);
  h.read(kLoad, 0, 500);
  h.read(kMotion, 2000, 0);
  h.read(kLoad, 25'000, 500);
  EXPECT_TRUE(h.alarms.empty()) << "silent parts publish nothing, motion alone is no theft";
  h.read(kLoad, 30'000, 300);  // the drop raises exactly 30 s after the motion
  ASSERT_EQ(h.alarms.size(), 1u);
  EXPECT_EQ(h.alarms[0].kind, "theft");
  EXPECT_EQ(h.alarms[0].state, AlarmState::raised);
  EXPECT_EQ(h.alarms[0].severity, Severity::critical);
  EXPECT_EQ(h.alarms[0].ts_ms, 30'000);
  h.read(kLoad, 40'001, 300);  // the drop leaves its window: every part is clear
  ASSERT_EQ(h.alarms.size(), 2u);
  EXPECT_EQ(h.alarms[1].state, AlarmState::cleared);
  EXPECT_EQ(h.alarms[1].alarm_id, h.alarms[0].id);
}

TEST(AllOfRule, APartRaisingAgainAfterTheClearNeedsTheOthersAnewToRaiseAgain) {
  Harness h(theft_rules(30));
  h.read(kMotion, 0, 1);
  h.read(kLoad, 25'000, 500);
  h.read(kLoad, 30'000, 300);  // theft
  h.read(kMotion, 31'000, 0);
  h.read(kLoad, 40'001, 300);  // both parts clear: the theft clears
  ASSERT_EQ(h.alarms.size(), 2u);
  h.read(kMotion, 45'000, 1);  // someone passes by, 15 s after the drop
  EXPECT_EQ(h.alarms.size(), 2u) << "the old drop is not evidence of a new theft";
  h.read(kMotion, 46'000, 0);
  h.read(kLoad, 50'000, 300);
  h.read(kMotion, 51'000, 1);
  h.read(kLoad, 52'000, 100);  // a new drop of 200 with new motion: a new theft
  ASSERT_EQ(h.alarms.size(), 3u);
  EXPECT_EQ(h.alarms[2].state, AlarmState::raised);
}

TEST(AllOfRule, PartsFurtherApartThanTheWindowRaiseNothing) {
  Harness h(theft_rules(30));
  h.read(kMotion, 0, 1);
  h.read(kLoad, 25'000, 500);
  h.read(kLoad, 30'001, 300);  // the drop raises 30.001 s after the motion
  EXPECT_TRUE(h.alarms.empty());
}

TEST(RulesEngine, OnlyRulesOnSomethingAbsentNeedTheClockToTick) {
  EXPECT_FALSE(Harness({}).engine.watches_time()) << "no rules, nothing to tick";
  EXPECT_FALSE(Harness(theft_rules(5)).engine.watches_time())
      << "thresholds, changes and combinations are decided by readings alone";
  RuleOptions stale;
  stale.name = "sensor_stale";
  stale.series = "crane.load_kg";
  stale.stale_after_s = 30;
  EXPECT_TRUE(Harness({overload(), stale}).engine.watches_time());
  RuleOptions offline;
  offline.name = "crane_offline";
  offline.adapter = "crane";
  offline.offline_after_s = 10;
  EXPECT_TRUE(Harness({offline}).engine.watches_time());
}

TEST(RulesEngine, AlarmLevelsAreTheThresholdRulesLowestHighAndHighestLow) {
  auto low_load = overload();
  low_load.name = "slack";
  low_load.above = kUnset;
  low_load.clear_below = kUnset;
  low_load.below = 100;
  auto early = overload();
  early.name = "early";
  early.above = 4500;
  auto scale_drop = weight_drop();
  scale_drop.series = "scale.weight_g";
  Harness h({overload(), early, low_load, weight_drop(), scale_drop});
  const auto levels = h.engine.alarm_levels("crane.load_kg");
  ASSERT_TRUE(levels.has_value());
  EXPECT_EQ(levels->high, 4500);
  EXPECT_EQ(levels->low, 100);
  EXPECT_TRUE(levels->reached_by(4500));
  EXPECT_TRUE(levels->reached_by(100));
  EXPECT_FALSE(levels->reached_by(4499.9));
  EXPECT_FALSE(h.engine.alarm_levels("scale.weight_g").has_value())
      << "a change rule has no level: only its history says whether it raises";
  EXPECT_FALSE(h.engine.alarm_levels("box.motion").has_value()) << "no rule watches it";
}

TEST(ArmedRules, CountOnlyWhileArmedAndDisarmingClearsThem) {
  auto rule = overload();
  rule.armed_only = true;
  Harness h({rule});
  h.engine.set_armed(false, 0);
  h.read(kLoad, 1, 9000);
  EXPECT_TRUE(h.alarms.empty());
  h.engine.set_armed(true, 2);
  h.read(kLoad, 3, 9000);
  ASSERT_EQ(h.alarms.size(), 1u);
  h.engine.set_armed(false, 4);
  ASSERT_EQ(h.alarms.size(), 2u);
  EXPECT_EQ(h.alarms[1].state, AlarmState::cleared);
  EXPECT_EQ(h.alarms[1].ts_ms, 4);
}

TEST(RuleOptions, EachRuleNeedsExactlyOneKindAndWhatThatKindNeeds) {
  RuleOptions rule;
  rule.name = "x";
  EXPECT_NE(rule_shape(rule).error.find("needs exactly one of"), std::string::npos);
  rule.above = 1;
  EXPECT_EQ(rule_shape(rule).error, "needs series");
  rule.series = "s";
  EXPECT_EQ(rule_shape(rule).error, "");
  rule.drop = 1;
  EXPECT_NE(rule_shape(rule).error.find("has above, drop"), std::string::npos);
  rule.above = kUnset;
  EXPECT_EQ(rule_shape(rule).error, "needs within_s > 0");
  rule.drop = kUnset;
  rule.above = 10;
  rule.clear_below = 11;
  EXPECT_EQ(rule_shape(rule).error, "clear_below is above the threshold");

  auto rules = theft_rules(30);
  rules[2].all_of = "weight_drop, nothing, theft";
  const auto problems = check_rules(rules);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].second.find("\"nothing\", which is no rule"), std::string::npos);
  EXPECT_NE(problems[1].second.find("the rule itself"), std::string::npos);
}

TEST(RetunedRule, ANewThresholdJudgesFromTheNextReadingAndAnExcursionUnderTheOldOneClears) {
  Harness h({overload()});
  h.read(kLoad, 1000, 5100);
  ASSERT_EQ(h.alarms.size(), 1u);
  RuleOptions higher = overload();
  higher.above = 6000;
  higher.clear_below = 5800;
  ASSERT_TRUE(h.engine.retune(higher, 1500));
  ASSERT_EQ(h.alarms.size(), 2u);
  EXPECT_EQ(h.alarms[1].state, AlarmState::cleared);
  EXPECT_EQ(h.alarms[1].message, "thresholds changed");
  h.read(kLoad, 2000, 5999);
  EXPECT_EQ(h.alarms.size(), 2u) << "below the new threshold";
  h.read(kLoad, 3000, 6001);
  ASSERT_EQ(h.alarms.size(), 3u);
  EXPECT_EQ(h.alarms[2].state, AlarmState::raised);
  EXPECT_EQ(h.engine.alarm_levels("crane.load_kg")->high, 6000);
  RuleOptions unknown = overload();
  unknown.name = "nobody";
  EXPECT_FALSE(h.engine.retune(unknown, 4000));
}

}  // namespace
}  // namespace edgegw::rules
