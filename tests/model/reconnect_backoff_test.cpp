#include "gateway/model/reconnect_backoff.h"

#include <gtest/gtest.h>

#include <vector>

namespace edgegw {
namespace {

using std::chrono::milliseconds;

ReconnectBackoff::Settings settings(std::int64_t min_ms, std::int64_t max_ms,
                                    std::int64_t stable_ms = 30000) {
  ReconnectBackoff::Settings settings;
  settings.min = milliseconds(min_ms);
  settings.max = milliseconds(max_ms);
  settings.stable_after = milliseconds(stable_ms);
  return settings;
}

// Always picks the top of the range, so the delay equals the cap and edges are exact.
std::int64_t highest(std::int64_t upper) {
  return upper;
}

TEST(ReconnectBackoff, CapDoublesFromTheMinimumAndStopsAtTheMaximum) {
  ManualClock clock;
  ReconnectBackoff backoff(settings(1000, 60000), clock, highest);
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(backoff.next_delay().count());
  EXPECT_EQ(delays,
            (std::vector<std::int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000}));
}

TEST(ReconnectBackoff, CapReachesTheMaximumExactlyWhenItIsAPowerOfTwoOfTheMinimum) {
  ManualClock clock;
  // 125 * 2^3 = 1000: the fourth attempt is at the maximum, not one past it.
  ReconnectBackoff backoff(settings(125, 1000), clock, highest);
  EXPECT_EQ(backoff.next_delay(), milliseconds(125));
  EXPECT_EQ(backoff.next_delay(), milliseconds(250));
  EXPECT_EQ(backoff.next_delay(), milliseconds(500));
  EXPECT_EQ(backoff.current_cap(), milliseconds(1000));
  EXPECT_EQ(backoff.next_delay(), milliseconds(1000));
}

TEST(ReconnectBackoff, CapOneBelowAPowerOfTwoIsHonoured) {
  ManualClock clock;
  // With a maximum of 999 ms the cap that would be 1000 is clamped to 999.
  ReconnectBackoff backoff(settings(125, 999), clock, highest);
  for (int i = 0; i < 3; ++i) backoff.next_delay();
  EXPECT_EQ(backoff.current_cap(), milliseconds(999));
  EXPECT_EQ(backoff.next_delay(), milliseconds(999));
}

TEST(ReconnectBackoff, FullJitterAsksForTheWholeRangeFromZero) {
  ManualClock clock;
  std::vector<std::int64_t> asked;
  ReconnectBackoff backoff(settings(100, 1000), clock, [&](std::int64_t upper) {
    asked.push_back(upper);
    return std::int64_t{0};
  });
  EXPECT_EQ(backoff.next_delay(), milliseconds(0));
  EXPECT_EQ(backoff.next_delay(), milliseconds(0));
  EXPECT_EQ(asked, (std::vector<std::int64_t>{100, 200}));
}

TEST(ReconnectBackoff, ARandomSourceOutOfRangeIsClampedIntoIt) {
  ManualClock clock;
  ReconnectBackoff backoff(settings(100, 1000), clock,
                           [](std::int64_t upper) { return upper + 5; });
  EXPECT_EQ(backoff.next_delay(), milliseconds(100));
}

TEST(ReconnectBackoff, DefaultRandomSourceStaysWithinTheCap) {
  ManualClock clock;
  ReconnectBackoff backoff(settings(10, 40), clock);
  for (int i = 0; i < 200; ++i) {
    auto cap = backoff.current_cap();
    auto delay = backoff.next_delay();
    EXPECT_GE(delay.count(), 0);
    EXPECT_LE(delay, cap);
  }
}

TEST(ReconnectBackoff, ConnectionShorterThanStablePeriodKeepsGrowing) {
  ManualClock clock;
  ReconnectBackoff backoff(settings(1000, 60000, 1000), clock, highest);
  backoff.next_delay();
  backoff.next_delay();
  backoff.connected();
  clock.advance(milliseconds(999));
  backoff.disconnected();
  EXPECT_EQ(backoff.next_delay(), milliseconds(4000));
}

TEST(ReconnectBackoff, ConnectionUpForTheStablePeriodResetsTheSchedule) {
  ManualClock clock;
  ReconnectBackoff backoff(settings(1000, 60000, 1000), clock, highest);
  backoff.next_delay();
  backoff.next_delay();
  backoff.connected();
  clock.advance(milliseconds(1000));
  backoff.disconnected();
  EXPECT_EQ(backoff.attempts(), 0);
  EXPECT_EQ(backoff.next_delay(), milliseconds(1000));
}

TEST(ReconnectBackoff, DisconnectWithoutConnectDoesNotReset) {
  ManualClock clock;
  ReconnectBackoff backoff(settings(1000, 60000), clock, highest);
  backoff.next_delay();
  clock.advance(std::chrono::hours(1));
  backoff.disconnected();
  EXPECT_EQ(backoff.next_delay(), milliseconds(2000));
}

TEST(ReconnectBackoff, LongOutageDoesNotOverflow) {
  ManualClock clock;
  ReconnectBackoff backoff(settings(1, 60000), clock, highest);
  for (int i = 0; i < 10000; ++i) backoff.next_delay();
  EXPECT_EQ(backoff.next_delay(), milliseconds(60000));
}

}  // namespace
}  // namespace edgegw
