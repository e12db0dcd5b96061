#include "gateway/ingest/ingest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StorageOptions options;
    options.path = (dir_.path() / "buffer.db").string();
    buffer_ = SqliteBuffer::open(options, clock_);
    wind_ = buffer_->register_series({.name = "wind_speed_ms", .unit = "m/s", .resolution = 0.1});
    ingest_ = std::make_unique<Ingest>(*buffer_, clock_, 300'000, 86'400'000);
    ingest_->set_limits(wind_, {.min = 0, .max = 80});
  }

  Reading wind(double value, std::int64_t offset_ms = 0) {
    return {.series = wind_, .ts_ms = clock_.wall_ms() + offset_ms, .value = value};
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<SqliteBuffer> buffer_;
  SeriesId wind_ = 0;
  std::unique_ptr<Ingest> ingest_;
};

TEST_F(IngestTest, ValidReadingsAreAcceptedOnceCommitted) {
  std::vector<Reading> batch = {wind(3.2), wind(4.1, 100), wind(0, -1000)};
  ASSERT_TRUE(ingest_->offer(batch));
  ASSERT_TRUE(wait_for([&] { return ingest_->accepted() == 3; }));
  EXPECT_EQ(buffer_->stats().readings, 3);
}

TEST_F(IngestTest, EachInvalidReadingIsCountedByReasonAndNotStored) {
  std::vector<Reading> batch = {
      wind(std::numeric_limits<double>::quiet_NaN()),
      wind(std::numeric_limits<double>::infinity()),
      wind(81),
      wind(-0.5),
      wind(5, 300'001),
      wind(5, -86'400'001),
      {.series = 999, .ts_ms = clock_.wall_ms(), .value = 1},
      wind(5, 300'000),
  };
  ASSERT_TRUE(ingest_->offer(batch));
  ASSERT_TRUE(wait_for([&] { return ingest_->accepted() == 1; }));
  EXPECT_EQ(ingest_->rejected(RejectReason::not_finite), 2u);
  EXPECT_EQ(ingest_->rejected(RejectReason::out_of_range), 2u);
  EXPECT_EQ(ingest_->rejected(RejectReason::future_timestamp), 1u);
  EXPECT_EQ(ingest_->rejected(RejectReason::stale_timestamp), 1u);
  EXPECT_EQ(ingest_->rejected(RejectReason::unknown_series), 1u);
  EXPECT_EQ(buffer_->stats().readings, 1);
}

TEST_F(IngestTest, AlarmsAreStoredAndCountedByKindUnlessDisarmed) {
  int heard = 0;
  ingest_->set_alarm_listener([&] { ++heard; });
  const auto alarm = [&](std::string kind) {
    return Alarm{.id = 0,
                 .kind = std::move(kind),
                 .series = "",
                 .ts_ms = clock_.wall_ms(),
                 .value = 0,
                 .message = "test"};
  };
  ingest_->raise_alarm(alarm("theft"));
  ingest_->raise_alarm(alarm("theft"));
  ingest_->raise_alarm(alarm("high_wind"));
  ingest_->set_armed(false);
  ingest_->raise_alarm(alarm("theft"));  // the owner is at the box

  EXPECT_EQ(ingest_->alarms_raised(), 3u);
  const std::map<std::string, std::uint64_t> expected = {{"high_wind", 1}, {"theft", 2}};
  EXPECT_EQ(ingest_->alarms_raised_by_kind(), expected);
  EXPECT_EQ(ingest_->alarms_suppressed(), 1u);
  EXPECT_EQ(buffer_->stats().alarms_pending, 3);
  EXPECT_EQ(heard, 3) << "the uplink hears of every stored alarm";
}

TEST_F(IngestTest, RejectReasonsHaveStableMetricLabels) {
  EXPECT_EQ(reject_reason_name(RejectReason::not_finite), "not_finite");
  EXPECT_EQ(reject_reason_name(RejectReason::storage_full), "storage_full");
}

}  // namespace
}  // namespace edgegw
