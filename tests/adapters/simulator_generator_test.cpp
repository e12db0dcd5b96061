#include "adapters/simulator/simulator_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace edgegw {
namespace {

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::int64_t kHourMs = 3'600'000;

SimulatorOptions options_for(std::string profile, std::int64_t seed = 7) {
  SimulatorOptions options;
  options.profile = profile;
  options.name = profile;
  options.seed = seed;
  return options;
}

std::vector<Reading> run(const SimulatorOptions& options, std::int64_t span_ms) {
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + span_ms, out);
  return out;
}

std::size_t index_of(const SimulatorGenerator& generator, const std::string& name) {
  const auto& series = generator.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].name == name) return i;
  }
  ADD_FAILURE() << "no series " << name;
  return 0;
}

std::vector<double> values_of(const std::vector<Reading>& readings, SeriesId id) {
  std::vector<double> values;
  for (const auto& r : readings) {
    if (r.series == id) values.push_back(r.value);
  }
  return values;
}

TEST(SimulatorGenerator, NamesSeriesAfterTheAdapterWithUnitsAndResolutions) {
  auto chocolate = simulator_series(options_for("chocolate"));
  ASSERT_EQ(chocolate.size(), 2u);
  EXPECT_EQ(chocolate[0], (SeriesSpec{"chocolate.load_g", "g", 0.1}));
  EXPECT_EQ(chocolate[1].name, "chocolate.motion");

  auto crane_options = options_for("crane");
  crane_options.name = "crane-3";
  auto crane = simulator_series(crane_options);
  ASSERT_EQ(crane.size(), 8u);
  EXPECT_EQ(crane[0], (SeriesSpec{"crane-3.load_kg", "kg", 1.0}));
  EXPECT_EQ(crane[3], (SeriesSpec{"crane-3.hoist_height_m", "m", 0.01}));

  crane_options.name.clear();
  EXPECT_EQ(simulator_series(crane_options)[0].name, "crane.load_kg") << "unnamed: the profile";
}

TEST(SimulatorGenerator, SameSeedGivesTheSameStreamWhateverTheBatching) {
  for (const char* profile : {"chocolate", "crane"}) {
    auto options = options_for(profile);
    auto whole = run(options, 600'000);

    SimulatorGenerator generator(options, kStartMs);
    std::vector<Reading> pieces;
    for (std::int64_t t = kStartMs; t < kStartMs + 600'000; t += 777) {
      while (generator.generate_until(t, pieces, 13) == 13) {
      }
    }
    generator.generate_until(kStartMs + 600'000, pieces);
    EXPECT_EQ(whole, pieces) << profile;
    EXPECT_GT(whole.size(), 5000u) << profile;
  }
}

TEST(SimulatorGenerator, DifferentSeedsGiveDifferentStreams) {
  for (const char* profile : {"chocolate", "crane"}) {
    EXPECT_NE(run(options_for(profile, 1), 60'000), run(options_for(profile, 2), 60'000))
        << profile;
  }
}

TEST(SimulatorGenerator, CraneChannelsRunAtTheirRatesOverAnHour) {
  auto options = options_for("crane");
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + kHourMs, out);
  std::map<SeriesId, std::int64_t> counts;
  for (const auto& r : out) ++counts[r.series];
  const std::map<std::string, std::int64_t> expected = {
      {"crane.load_kg", 36000},       {"crane.boom_angle_deg", 18000},
      {"crane.radius_m", 18000},      {"crane.hoist_height_m", 36000},
      {"crane.wind_speed_ms", 7200},  {"crane.slew_angle_deg", 18000},
      {"crane.hydraulic_bar", 36000}, {"crane.motor_temp_c", 3600}};
  for (const auto& [name, count] : expected) {
    EXPECT_EQ(counts[static_cast<SeriesId>(index_of(generator, name))], count) << name;
  }
  EXPECT_EQ(generator.sampled_readings_per_s(), 48.0);
}

TEST(SimulatorGenerator, TimestampsFollowTheScheduleWithBoundedLateness) {
  auto options = options_for("crane");
  options.jitter_ms = 3;
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + 60'000, out);
  const auto load = static_cast<SeriesId>(index_of(generator, "crane.load_kg"));
  std::int64_t k = 0;
  bool some_late = false;
  for (const auto& r : out) {
    if (r.series != load) continue;
    const std::int64_t nominal = kStartMs + k * 100;
    EXPECT_GE(r.ts_ms, nominal);
    EXPECT_LE(r.ts_ms, nominal + 3);
    some_late = some_late || r.ts_ms != nominal;
    ++k;
  }
  EXPECT_EQ(k, 600);
  EXPECT_TRUE(some_late) << "timestamps should jitter";
}

TEST(SimulatorGenerator, TimestampsIncreasePerSeriesEvenAtHighRate) {
  auto options = options_for("crane");
  options.rate_scale = 3000;
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate(200'000, out);
  std::map<SeriesId, std::int64_t> last;
  for (const auto& r : out) {
    auto [it, fresh] = last.emplace(r.series, r.ts_ms);
    if (!fresh) {
      ASSERT_GE(r.ts_ms, it->second);
      it->second = r.ts_ms;
    }
  }
}

bool is_multiple(double value, double resolution) {
  const double steps = value / resolution;
  return std::abs(steps - std::round(steps)) < 1e-6;
}

TEST(SimulatorGenerator, CraneValuesArePlausibleAndOnTheResolutionGrid) {
  auto options = options_for("crane", 11);
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + 2 * kHourMs, out);
  struct Range {
    double min, max;
  };
  const std::map<std::string, Range> plausible = {
      {"crane.load_kg", {0, 9000}},      {"crane.boom_angle_deg", {20, 80}},
      {"crane.radius_m", {5, 40}},       {"crane.hoist_height_m", {0, 45}},
      {"crane.wind_speed_ms", {0, 30}},  {"crane.slew_angle_deg", {0, 359.95}},
      {"crane.hydraulic_bar", {0, 350}}, {"crane.motor_temp_c", {15, 95}}};
  for (const auto& [name, range] : plausible) {
    const std::size_t i = index_of(generator, name);
    const auto values = values_of(out, static_cast<SeriesId>(i));
    ASSERT_FALSE(values.empty()) << name;
    for (double v : values) {
      ASSERT_GE(v, range.min) << name;
      ASSERT_LE(v, range.max) << name;
      ASSERT_TRUE(is_multiple(v, generator.series()[i].resolution)) << name << " " << v;
    }
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    EXPECT_GT(*hi - *lo, 10 * generator.series()[i].resolution) << name << " never moves";
  }
  // Lift cycles: the hook carries real loads part of the time and nothing at other times.
  const auto load = values_of(out, static_cast<SeriesId>(index_of(generator, "crane.load_kg")));
  const auto loaded = std::count_if(load.begin(), load.end(), [](double v) { return v > 200; });
  EXPECT_GT(loaded, static_cast<std::ptrdiff_t>(load.size() / 10));
  EXPECT_LT(loaded, static_cast<std::ptrdiff_t>(load.size() * 9 / 10));
}

TEST(SimulatorGenerator, CraneChannelsMoveSmoothly) {
  auto options = options_for("crane", 5);
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + kHourMs, out);
  // At 10 Hz the hook moves at most ~1.2 m/s, so consecutive samples differ by centimetres.
  const auto height =
      values_of(out, static_cast<SeriesId>(index_of(generator, "crane.hoist_height_m")));
  for (std::size_t i = 1; i < height.size(); ++i) {
    ASSERT_LT(std::abs(height[i] - height[i - 1]), 0.5) << "sample " << i;
  }
}

TEST(SimulatorGenerator, ChocolateWeighsABoxAndReportsMotionOnlyOnChangeOrHeartbeat) {
  auto options = options_for("chocolate", 3);
  options.theft_interval_s = 0;
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + 2 * kHourMs, out);

  const auto load = values_of(out, 0);
  EXPECT_EQ(load.size(), 72'000u);
  for (double v : load) {
    ASSERT_GE(v, 50.0);
    ASSERT_LE(v, 530.0);
    ASSERT_TRUE(is_multiple(v, 0.1)) << v;
  }
  EXPECT_GT(load.front(), 470.0);
  EXPECT_LT(load.back(), load.front() - 5.0) << "someone should have eaten a piece in 2 h";

  std::vector<Reading> motion;
  for (const auto& r : out) {
    if (r.series == 1) motion.push_back(r);
  }
  ASSERT_GE(motion.size(), 4u);
  bool saw_motion = false;
  for (std::size_t i = 0; i < motion.size(); ++i) {
    ASSERT_TRUE(motion[i].value == 0.0 || motion[i].value == 1.0);
    saw_motion = saw_motion || motion[i].value == 1.0;
    if (i > 0) {
      const bool changed = motion[i].value != motion[i - 1].value;
      const bool heartbeat = motion[i].ts_ms - motion[i - 1].ts_ms >= 60'000 - 5;
      EXPECT_TRUE(changed || heartbeat) << "motion report " << i;
      EXPECT_LE(motion[i].ts_ms - motion[i - 1].ts_ms, 60'000 + 5) << "heartbeat missing";
    }
  }
  EXPECT_TRUE(saw_motion);
}

TEST(SimulatorGenerator, TheftShowsAsASuddenDropToNearZero) {
  auto options = options_for("chocolate", 9);
  options.theft_interval_s = 300;
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + kHourMs, out);
  const auto load = values_of(out, 0);
  std::size_t drops = 0;
  for (std::size_t i = 1; i < load.size(); ++i) {
    if (load[i - 1] > 300.0 && load[i] < 5.0) ++drops;
  }
  EXPECT_GE(drops, 1u);
}

TEST(SimulatorGenerator, EachTheftIsMotionFollowedWithinSecondsByTheBoxLeavingTheScale) {
  // What the theft rules (weight drop + motion) see; the simulator itself raises nothing.
  auto options = options_for("chocolate", 9);
  options.theft_interval_s = 300;
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> out;
  generator.generate_until(kStartMs + kHourMs, out);
  std::vector<std::int64_t> motion_at;
  for (const auto& r : out) {
    if (r.series == 1 && r.value == 1.0) motion_at.push_back(r.ts_ms);
  }
  std::size_t thefts = 0;
  double previous = 0.0;
  for (const auto& r : out) {
    if (r.series != 0) continue;
    if (previous > 300.0 && r.value < 5.0) {
      ++thefts;
      const bool moved = std::any_of(motion_at.begin(), motion_at.end(), [&](std::int64_t t) {
        return t <= r.ts_ms && t > r.ts_ms - 10'000;
      });
      EXPECT_TRUE(moved) << "no motion in the 10 s before the drop at " << r.ts_ms;
    }
    previous = r.value;
  }
  EXPECT_GE(thefts, 1u);
}

TEST(SimulatorGenerator, NoTheftWhenTheftIntervalIsZero) {
  auto options = options_for("chocolate", 9);
  options.theft_interval_s = 0;
  const auto load = values_of(run(options, 4 * kHourMs), 0);
  EXPECT_GT(*std::min_element(load.begin(), load.end()), 50.0);
}

TEST(SimulatorGenerator, HighRateProducesOver100kReadingsPerSimulatedSecond) {
  auto options = options_for("crane");
  options.rate_scale = 2500;
  EXPECT_GE(run(options, 1000).size(), 100'000u);
}

TEST(MixedSimulatorStream, MergesSourcesInTimeOrderWithDistinctIds) {
  MixedSimulatorStream stream(kStartMs);
  stream.add(options_for("chocolate"));
  stream.add(options_for("crane"));
  ASSERT_EQ(stream.series().size(), 10u);
  EXPECT_EQ(stream.series()[0].id, 1u);
  EXPECT_EQ(stream.series()[0].spec.name, "chocolate.load_g");
  EXPECT_EQ(stream.series()[2].id, 3u);
  EXPECT_EQ(stream.series()[2].spec.name, "crane.load_kg");

  std::vector<Reading> out;
  stream.generate(10'000, out);
  ASSERT_EQ(out.size(), 10'000u);
  std::map<SeriesId, int> counts;
  for (std::size_t i = 0; i < out.size(); ++i) {
    ++counts[out[i].series];
    if (i > 0) {
      ASSERT_GE(out[i].ts_ms, out[i - 1].ts_ms - 3) << i;
    }
  }
  EXPECT_GT(counts[1], 1000);  // chocolate load at 10 Hz
  EXPECT_GT(counts[3], 1000);  // crane load at 10 Hz
  EXPECT_EQ(counts.count(0), 0u);
}

TEST(SimulatorGenerator, ANewRateScaleHoldsFromTheNextSampleOn) {
  auto options = options_for("crane");
  options.jitter_ms = 0;
  SimulatorGenerator generator(options, kStartMs);
  std::vector<Reading> before;
  generator.generate_until(kStartMs + 10'000, before);
  generator.set_rate_scale(2.0, 0.0);
  std::vector<Reading> after;
  generator.generate_until(kStartMs + 20'000, after);
  // Twice the samples in the second ten seconds, with every timestamp still in order per
  // series and none before the change.
  EXPECT_NEAR(static_cast<double>(after.size()), 2.0 * static_cast<double>(before.size()),
              0.02 * static_cast<double>(before.size()) + generator.series().size());
  std::map<SeriesId, std::int64_t> last;
  for (const auto& reading : before) last[reading.series] = reading.ts_ms;
  for (const auto& reading : after) {
    EXPECT_GT(reading.ts_ms, last[reading.series]);
    last[reading.series] = reading.ts_ms;
  }
}

}  // namespace
}  // namespace edgegw
