#include "adapters/simulator/simulator_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "adapters/adapter_runner.h"
#include "tests/fakes/recording_sink.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using edgegw::testing::RecordingSink;

SimulatorOptions crane_options() {
  SimulatorOptions options;
  options.profile = "crane";
  options.name = "crane";
  options.seed = 4;
  options.batch_max = 50;
  return options;
}

TEST(SimulatorSource, RetriesRefusedBatchesWithoutLosingOrDuplicatingReadings) {
  ManualClock clock;
  const std::int64_t start_ms = clock.wall_ms();
  const auto options = crane_options();
  AdapterRunner adapter(std::make_unique<SimulatorSource>(options, clock), clock);
  RecordingSink sink(7);
  const std::vector<SeriesId> ids = {11, 12, 13, 14, 15, 16, 17, 18};
  adapter.start(sink, ids);
  clock.advance(std::chrono::seconds(10));

  SimulatorGenerator reference(options, start_ms, ids);
  std::vector<Reading> expected;
  reference.generate_until(start_ms + 10'000 - 3, expected);  // adapter lags by jitter_ms
  ASSERT_GT(expected.size(), 400u);

  EXPECT_TRUE(wait_for([&] { return sink.taken().size() >= expected.size(); }));
  adapter.stop();
  EXPECT_EQ(sink.taken(), expected);
  EXPECT_EQ(adapter.refused_offers(), 7u);
  EXPECT_EQ(adapter.delivered_readings(), expected.size());
}

TEST(SimulatorSource, ProducesNothingUntilTheClockMoves) {
  ManualClock clock;
  AdapterRunner adapter(std::make_unique<SimulatorSource>(crane_options(), clock), clock);
  RecordingSink sink(0);
  adapter.start(sink, {1, 2, 3, 4, 5, 6, 7, 8});
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(sink.offers(), 0);
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(wait_for([&] { return sink.taken().size() >= 40; }));
  adapter.stop();
}

TEST(SimulatorSource, StopReturnsWhileTheSinkKeepsRefusing) {
  ManualClock clock;
  AdapterRunner adapter(std::make_unique<SimulatorSource>(crane_options(), clock), clock);
  RecordingSink sink(1'000'000);
  adapter.start(sink, {1, 2, 3, 4, 5, 6, 7, 8});
  clock.advance(std::chrono::seconds(5));
  EXPECT_TRUE(wait_for([&] { return adapter.refused_offers() >= 3; }));
  adapter.stop();
  const int offers_after_stop = sink.offers();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(sink.offers(), offers_after_stop) << "no call into the sink after stop()";
  EXPECT_EQ(adapter.delivered_readings(), 0u);
}

TEST(SimulatorSource, IsUpFromStartToStop) {
  ManualClock clock;
  AdapterRunner adapter(std::make_unique<SimulatorSource>(crane_options(), clock), clock);
  EXPECT_FALSE(adapter.health().up) << "not started";
  RecordingSink sink(0);
  adapter.start(sink, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_TRUE(wait_for([&] { return adapter.health().up; }));
  EXPECT_EQ(adapter.health().errors, 0u);
  adapter.stop();
  EXPECT_FALSE(adapter.health().up);
}

TEST(SimulatorSource, DescribesItsSeriesBeforeStarting) {
  ManualClock clock;
  AdapterRunner adapter(std::make_unique<SimulatorSource>(crane_options(), clock), clock);
  EXPECT_EQ(adapter.name(), "crane");
  ASSERT_EQ(adapter.series().size(), 8u);
  EXPECT_EQ(adapter.series()[4].name, "crane.wind_speed_ms");
}

}  // namespace
}  // namespace edgegw
