#include "adapters/simulator/simulator_adapter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "tests/adapters/recording_sink.h"

namespace edgegw {
namespace {

using edgegw::testing::RecordingSink;

/// Polls `done` until it holds or a generous real-time deadline passes (no timing assertion:
/// the deadline only keeps a broken build from hanging).
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

SimulatorOptions crane_options() {
  SimulatorOptions options;
  options.profile = "crane";
  options.name = "crane";
  options.seed = 4;
  options.batch_max = 50;
  return options;
}

TEST(SimulatorAdapter, RetriesRefusedBatchesWithoutLosingOrDuplicatingReadings) {
  ManualClock clock;
  const std::int64_t start_ms = clock.wall_ms();
  const auto options = crane_options();
  SimulatorAdapter adapter(options, clock);
  RecordingSink sink(7);
  const std::vector<SeriesId> ids = {11, 12, 13, 14, 15, 16, 17, 18};
  adapter.start(sink, ids);
  clock.advance(std::chrono::seconds(10));

  SimulatorGenerator reference(options, start_ms, ids);
  std::vector<Reading> expected;
  reference.generate_until(start_ms + 10'000 - 3, expected);  // adapter lags by jitter_ms
  ASSERT_GT(expected.size(), 400u);

  EXPECT_TRUE(eventually([&] { return sink.taken().size() >= expected.size(); }));
  adapter.stop();
  EXPECT_EQ(sink.taken(), expected);
  EXPECT_EQ(adapter.refused_offers(), 7u);
  EXPECT_EQ(adapter.delivered_readings(), expected.size());
}

TEST(SimulatorAdapter, ProducesNothingUntilTheClockMoves) {
  ManualClock clock;
  SimulatorAdapter adapter(crane_options(), clock);
  RecordingSink sink(0);
  adapter.start(sink, {1, 2, 3, 4, 5, 6, 7, 8});
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(sink.offers(), 0);
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(eventually([&] { return sink.taken().size() >= 40; }));
  adapter.stop();
}

TEST(SimulatorAdapter, StopReturnsWhileTheSinkKeepsRefusing) {
  ManualClock clock;
  SimulatorAdapter adapter(crane_options(), clock);
  RecordingSink sink(1'000'000);
  adapter.start(sink, {1, 2, 3, 4, 5, 6, 7, 8});
  clock.advance(std::chrono::seconds(5));
  EXPECT_TRUE(eventually([&] { return adapter.refused_offers() >= 3; }));
  adapter.stop();
  const int offers_after_stop = sink.offers();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(sink.offers(), offers_after_stop) << "no call into the sink after stop()";
  EXPECT_EQ(adapter.delivered_readings(), 0u);
}

TEST(SimulatorAdapter, IsUpFromStartToStop) {
  ManualClock clock;
  SimulatorAdapter adapter(crane_options(), clock);
  EXPECT_FALSE(adapter.health().up) << "not started";
  RecordingSink sink(0);
  adapter.start(sink, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_TRUE(adapter.health().up);
  EXPECT_EQ(adapter.health().errors, 0u);
  adapter.stop();
  EXPECT_FALSE(adapter.health().up);
}

TEST(SimulatorAdapter, DescribesItsSeriesBeforeStarting) {
  ManualClock clock;
  SimulatorAdapter adapter(crane_options(), clock);
  EXPECT_EQ(adapter.name(), "crane");
  ASSERT_EQ(adapter.series().size(), 8u);
  EXPECT_EQ(adapter.series()[4].name, "crane.wind_speed_ms");
}

}  // namespace
}  // namespace edgegw
