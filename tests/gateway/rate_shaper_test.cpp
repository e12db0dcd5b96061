#include "gateway/uplink/rate_shaper.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

using namespace std::chrono_literals;
using TimePoint = RateShaper::TimePoint;

TEST(RateShaper, ZeroMeansNoLimit) {
  TimePoint t0{};
  RateShaper shaper(0, 0, t0);
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_EQ(shaper.delay(5120, t0), 0ns);
    shaper.take(5120, t0);
  }
}

TEST(RateShaper, PublishesPerSecondAllowAOneSecondBurstThenTheRate) {
  TimePoint t0{};
  RateShaper shaper(100, 0, t0);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(shaper.delay(1, t0), 0ns) << i;
    shaper.take(1, t0);
  }
  EXPECT_GT(shaper.delay(1, t0), 9ms);
  EXPECT_GT(shaper.delay(1, t0 + 9'999us), 0ns);
  EXPECT_EQ(shaper.delay(1, t0 + 10ms + 1us), 0ns);
}

TEST(RateShaper, BytesPerSecondLimitLargePublishes) {
  TimePoint t0{};
  RateShaper shaper(0, 10'000, t0);
  shaper.take(10'000, t0);
  EXPECT_EQ(shaper.delay(5'000, t0 + 500ms), 0ns);
  EXPECT_GT(shaper.delay(5'001, t0 + 500ms), 0ns);
}

TEST(RateShaper, AMessageLargerThanOneSecondsBudgetStillGoesOnceTheBucketIsFull) {
  TimePoint t0{};
  RateShaper shaper(0, 1'000, t0);
  EXPECT_EQ(shaper.delay(50'000, t0), 0ns);
  shaper.take(50'000, t0);
  EXPECT_GT(shaper.delay(50'000, t0 + 999ms), 0ns);
  EXPECT_EQ(shaper.delay(50'000, t0 + 1000ms), 0ns);
}

}  // namespace
}  // namespace edgegw
