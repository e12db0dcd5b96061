#include <gtest/gtest.h>

#include <mutex>

#include "adapters/adapter_runner.h"
#include "adapters/pir/motion_debouncer.h"
#include "adapters/pir/pir_source.h"
#include "adapters/registry.h"
#include "tests/fakes/fake_gpio.h"
#include "tests/fakes/recording_sink.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using edgegw::testing::RecordingSink;

using namespace std::chrono_literals;
using pir::MotionDebouncer;
using pir::MotionReport;
using pir::TimePoint;

const TimePoint t0 = TimePoint(1000s);

gpio::EdgeEvent at(std::chrono::milliseconds offset, int level) {
  return {.level = level, .when = t0 + offset};
}

TEST(MotionDebouncer, TheLevelAtStartIsReportedAtOnce) {
  MotionDebouncer debouncer(20ms, 0ms, false);
  EXPECT_EQ(debouncer.begin(1, t0), (MotionReport{.motion = true, .at = t0, .heartbeat = false}));
  MotionDebouncer inverted(20ms, 0ms, true);
  EXPECT_EQ(inverted.begin(1, t0).motion, false);
}

TEST(MotionDebouncer, AChangeIsTakenWhenItHasHeldForTheDebounceTimeAndStampedWithItsEdge) {
  MotionDebouncer debouncer(20ms, 0ms, false);
  debouncer.begin(0, t0);
  debouncer.edge(at(100ms, 1));
  EXPECT_EQ(debouncer.next_deadline(), t0 + 120ms);
  EXPECT_TRUE(debouncer.advance(t0 + 119ms).empty()) << "1 ms short of the debounce time";
  EXPECT_EQ(debouncer.advance(t0 + 120ms),
            (std::vector<MotionReport>{{.motion = true, .at = t0 + 100ms, .heartbeat = false}}));
  EXPECT_TRUE(debouncer.advance(t0 + 500ms).empty()) << "reported once";
  EXPECT_EQ(debouncer.next_deadline(), std::nullopt);
}

TEST(MotionDebouncer, BouncingEdgesGiveOneChangeFromTheLastEdge) {
  MotionDebouncer debouncer(20ms, 0ms, false);
  debouncer.begin(0, t0);
  // Contact bounce: 1 0 1 0 1 within 9 ms, then the line stays high.
  for (auto [ms, level] : {std::pair{100, 1}, {102, 0}, {105, 1}, {107, 0}, {109, 1}}) {
    debouncer.edge(at(std::chrono::milliseconds(ms), level));
    EXPECT_TRUE(debouncer.advance(t0 + std::chrono::milliseconds(ms)).empty());
  }
  EXPECT_TRUE(debouncer.advance(t0 + 128ms).empty());
  EXPECT_EQ(debouncer.advance(t0 + 129ms),
            (std::vector<MotionReport>{{.motion = true, .at = t0 + 109ms, .heartbeat = false}}));
}

TEST(MotionDebouncer, ABlipShorterThanTheDebounceTimeIsNoChange) {
  MotionDebouncer debouncer(20ms, 0ms, false);
  debouncer.begin(0, t0);
  debouncer.edge(at(100ms, 1));
  debouncer.edge(at(119ms, 0));
  EXPECT_TRUE(debouncer.advance(t0 + 200ms).empty());
  EXPECT_FALSE(debouncer.reported_motion());
}

TEST(MotionDebouncer, ARepeatedEdgeRestartsTheDebounceTime) {
  // Two rising edges in a row: the falling one between them was lost in a bounce.
  MotionDebouncer debouncer(20ms, 0ms, false);
  debouncer.begin(0, t0);
  debouncer.edge(at(100ms, 1));
  debouncer.edge(at(110ms, 1));
  EXPECT_TRUE(debouncer.advance(t0 + 125ms).empty());
  EXPECT_EQ(debouncer.advance(t0 + 130ms).size(), 1u);
}

TEST(MotionDebouncer, ActiveLowInvertsEveryEdge) {
  MotionDebouncer debouncer(10ms, 0ms, true);
  EXPECT_FALSE(debouncer.begin(1, t0).motion);
  debouncer.edge(at(50ms, 0));
  const auto due = debouncer.advance(t0 + 60ms);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].motion);
}

TEST(MotionDebouncer, ALevelTheEdgesMissedCountsFromWhenItWasSeen) {
  MotionDebouncer debouncer(20ms, 0ms, false);
  debouncer.begin(0, t0);
  debouncer.confirm(1, t0 + 300ms);  // high, yet no edge arrived
  EXPECT_TRUE(debouncer.advance(t0 + 319ms).empty());
  EXPECT_EQ(debouncer.advance(t0 + 320ms),
            (std::vector<MotionReport>{{.motion = true, .at = t0 + 300ms, .heartbeat = false}}));
  debouncer.confirm(1, t0 + 400ms);
  EXPECT_EQ(debouncer.next_deadline(), std::nullopt) << "an agreeing level changes nothing";
}

TEST(MotionDebouncer, AHeartbeatRepeatsTheStateAfterTheLastReport) {
  MotionDebouncer debouncer(20ms, 60s, false);
  debouncer.begin(0, t0);
  EXPECT_EQ(debouncer.next_deadline(), t0 + 60s);
  EXPECT_TRUE(debouncer.advance(t0 + 59999ms).empty());
  EXPECT_EQ(debouncer.advance(t0 + 60s),
            (std::vector<MotionReport>{{.motion = false, .at = t0 + 60s, .heartbeat = true}}));
  // A change moves the next heartbeat to 60 s after it was reported.
  debouncer.edge({.level = 1, .when = t0 + 90s});
  EXPECT_EQ(debouncer.advance(t0 + 90s + 20ms).size(), 1u);
  EXPECT_EQ(debouncer.next_deadline(), t0 + 150s + 20ms);
  EXPECT_TRUE(debouncer.advance(t0 + 120s).empty()) << "no heartbeat 60 s after the last one";
  const auto beat = debouncer.advance(t0 + 150s + 20ms);
  ASSERT_EQ(beat.size(), 1u);
  EXPECT_TRUE(beat[0].motion);
  EXPECT_TRUE(beat[0].heartbeat);
}

TEST(MotionDebouncer, WithoutHeartbeatAndNothingPendingThereIsNoDeadline) {
  MotionDebouncer debouncer(20ms, 0ms, false);
  debouncer.begin(1, t0);
  EXPECT_EQ(debouncer.next_deadline(), std::nullopt);
  EXPECT_TRUE(debouncer.advance(t0 + 24h).empty());
}

TEST(PirOptions, KeysAndErrors) {
  PirOptions options;
  EXPECT_TRUE(parse_pir_options({{"name", std::string("pir")},
                                 {"line", std::int64_t{17}},
                                 {"active_low", true},
                                 {"bias", std::string("pull-up")},
                                 {"debounce_ms", std::int64_t{30}},
                                 {"heartbeat_s", std::int64_t{10}}},
                                options)
                  .empty());
  EXPECT_EQ(parse_bias(options.bias), gpio::Bias::pull_up);
  EXPECT_TRUE(options.active_low);
  auto check = check_adapter("gpio_pir", {{"name", std::string("pir")}});
  ASSERT_EQ(check.errors.size(), 1u);
  EXPECT_EQ(check.errors[0].first, "line");
  check = check_adapter(
      "gpio_pir",
      {{"name", std::string("pir")}, {"line", std::int64_t{17}}, {"bias", std::string("up")}});
  ASSERT_EQ(check.errors.size(), 1u);
  EXPECT_EQ(check.errors[0].first, "bias");
}

TEST(PirSource, EdgesOnTheEventFdBecomeMotionReadingsAndStopWakesThePoll) {
  SystemClock clock;
  gpio::FakeInputLine line;
  auto lines = std::make_unique<gpio::FakeLineOpener>();
  lines->provide(17, line);
  auto* opener = lines.get();
  PirOptions options;
  options.name = "pir";
  options.line = 17;
  options.debounce_ms = 5;
  options.heartbeat_s = 3600;  // no deadline to wake for but the debounce
  options.bias = "pull-down";
  AdapterRunner adapter(std::make_unique<PirSource>(options, clock, std::move(lines)), clock);
  EXPECT_EQ(adapter.series()[0].name, "pir.motion");
  RecordingSink sink;
  adapter.start(sink, {3});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() == 1; }));
  EXPECT_EQ(sink.taken()[0].value, 0);
  EXPECT_TRUE(wait_for([&] { return adapter.health().up; }));
  ASSERT_EQ(opener->input_requests().size(), 1u);
  EXPECT_TRUE(opener->input_requests()[0].edges);
  EXPECT_EQ(opener->input_requests()[0].bias, gpio::Bias::pull_down);

  const auto edge_time = clock.monotonic() - 30ms;  // the kernel saw it a while ago
  const auto wall_then = clock.wall_ms() - 30;
  line.edge(1, edge_time);
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() == 2; }));
  const auto motion = sink.taken()[1];
  EXPECT_EQ(motion.series, 3u);
  EXPECT_EQ(motion.value, 1);
  EXPECT_NEAR(static_cast<double>(motion.ts_ms), static_cast<double>(wall_then), 5.0)
      << "stamped with the edge's kernel time, not the time it was read";

  const auto asked = std::chrono::steady_clock::now();
  adapter.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 500ms) << "stop waited out a poll timeout";
  EXPECT_FALSE(adapter.health().up);
}

TEST(PirSource, ALineThatCannotBeRequestedIsCountedInHealth) {
  SystemClock clock;
  auto lines = std::make_unique<gpio::FakeLineOpener>();
  lines->refuse_requests = 100;
  PirOptions options;
  options.name = "pir";
  options.line = 17;
  AdapterRunner adapter(std::make_unique<PirSource>(options, clock, std::move(lines)), clock);
  RecordingSink sink;
  adapter.start(sink, {3});
  ASSERT_TRUE(wait_for([&] { return adapter.health().errors >= 1; }));
  EXPECT_NE(adapter.health().last_error.find("busy"), std::string::npos);
  EXPECT_FALSE(adapter.health().up);
  adapter.stop();
  EXPECT_TRUE(sink.taken().empty());
}

}  // namespace
}  // namespace edgegw
