#include "gateway/model/log_throttle.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

TEST(LogThrottle, LetsTheFirstThroughThenOnePerIntervalWithTheCountHeldBack) {
  LogThrottle throttle(30s);
  const steady_clock::time_point start{1000s};
  std::uint64_t held_back = 99;
  ASSERT_TRUE(throttle.should_log(start, held_back));
  EXPECT_EQ(held_back, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(throttle.should_log(start + 100ms * i, held_back));
  EXPECT_FALSE(throttle.should_log(start + 29'999ms, held_back)) << "one millisecond early";
  ASSERT_TRUE(throttle.should_log(start + 30s, held_back)) << "exactly one interval later";
  EXPECT_EQ(held_back, 6u);
  ASSERT_TRUE(throttle.should_log(start + 90s, held_back));
  EXPECT_EQ(held_back, 0u) << "the count starts again after each report";
}

}  // namespace
}  // namespace edgegw
