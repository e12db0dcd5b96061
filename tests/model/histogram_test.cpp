#include "gateway/model/histogram.h"

#include <gtest/gtest.h>

#include <array>

namespace edgegw {
namespace {

constexpr std::array<double, 3> kBounds = {1.0, 2.0, 5.0};

TEST(Histogram, CountsEachValueInTheFirstBucketThatHoldsItCumulatively) {
  Histogram histogram(kBounds);
  for (double value : {0.5, 1.0, 1.5, 4.0, 9.0}) histogram.observe(value);
  EXPECT_EQ(histogram.cumulative(0), 2u) << "le=1 holds 0.5 and 1.0 (bounds are inclusive)";
  EXPECT_EQ(histogram.cumulative(1), 3u);
  EXPECT_EQ(histogram.cumulative(2), 4u);
  EXPECT_EQ(histogram.cumulative(3), 5u) << "+Inf holds everything";
  EXPECT_EQ(histogram.count(), 5u);
  EXPECT_DOUBLE_EQ(histogram.sum(), 16.0);
}

TEST(Histogram, EmptyHistogramHasZeroEverywhere) {
  Histogram histogram(kBounds);
  for (std::size_t i = 0; i <= kBounds.size(); ++i) EXPECT_EQ(histogram.cumulative(i), 0u);
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.sum(), 0.0);
}

}  // namespace
}  // namespace edgegw
