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
    options.adapter_flush_interval_ms = 20;  // adapters' batches: committed soon after offered
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

TEST_F(IngestTest, AlarmsAreStoredAndCountedByKindAndTheUplinkHearsOfEach) {
  int heard = 0;
  ingest_->set_alarm_listener([&] { ++heard; });
  const auto alarm = [&](std::string kind) {
    return Alarm{.kind = std::move(kind), .ts_ms = clock_.wall_ms(), .message = "test"};
  };
  ingest_->raise_alarm(alarm("theft"));
  ingest_->raise_alarm(alarm("theft"));
  ingest_->raise_alarm(alarm("high_wind"));

  EXPECT_EQ(ingest_->alarms_raised(), 3u);
  const std::map<std::string, std::uint64_t> expected = {{"high_wind", 1}, {"theft", 2}};
  EXPECT_EQ(ingest_->alarms_raised_by_kind(), expected);
  EXPECT_EQ(buffer_->stats().alarms_pending, 3);
  EXPECT_EQ(heard, 3) << "the uplink hears of every stored alarm";
}

rules::RuleOptions high_wind() {
  rules::RuleOptions rule;
  rule.name = "high_wind";
  rule.series = "wind_speed_ms";
  rule.above = 20;
  rule.clear_below = 15;
  rule.armed_only = true;
  return rule;
}

TEST_F(IngestTest, RulesSeeOnlyAcceptedReadingsAndRaiseOneAlarmPerExcursion) {
  ingest_ = std::make_unique<Ingest>(*buffer_, clock_, 300'000, 86'400'000,
                                     std::vector<rules::RuleOptions>{high_wind()});
  ingest_->set_limits(wind_, {.min = 0, .max = 80});
  std::vector<Reading> refused = {wind(95)};  // out of range: rejected, so no alarm
  ASSERT_TRUE(ingest_->offer(refused));
  std::vector<Reading> gusts;
  for (int i = 0; i < 20; ++i) gusts.push_back(wind(25 + i % 3, i));
  ASSERT_TRUE(ingest_->offer(gusts));
  ASSERT_TRUE(wait_for([&] { return ingest_->accepted() == 20; }));
  buffer_->wait_for_queued_appends();
  const auto alarms = buffer_->pending_alarms(10);
  ASSERT_EQ(alarms.size(), 1u) << "twenty readings above, one excursion";
  EXPECT_EQ(alarms[0].kind, "high_wind");
  EXPECT_EQ(alarms[0].state, AlarmState::raised);
  EXPECT_EQ(alarms[0].threshold, 20);
  ASSERT_EQ(ingest_->recent().latest().size(), 1u);
  EXPECT_EQ(ingest_->recent().latest().front().value, 25 + 19 % 3) << "only accepted readings";

  std::vector<Reading> calm = {wind(10, 100)};
  ASSERT_TRUE(ingest_->offer(calm));
  ASSERT_TRUE(wait_for([&] { return buffer_->stats().alarms_pending == 2; }));
  const auto both = buffer_->pending_alarms(10);
  EXPECT_EQ(both[1].state, AlarmState::cleared);
  EXPECT_EQ(both[1].alarm_id, both[0].id);
  const auto board = ingest_->alarm_board().entries();
  ASSERT_EQ(board.size(), 1u) << "the board shows the excursion once";
  EXPECT_EQ(board[0].alarm.state, AlarmState::cleared);
}

TEST_F(IngestTest, AReadingAtARulesLevelIsCommittedAtOnceAndTakesTheQueuedOnesAlong) {
  // Adapters' batches may wait 60 s for company here; one that may raise an alarm may not.
  ingest_.reset();
  buffer_.reset();
  StorageOptions options;
  options.path = (dir_.path() / "buffer.db").string();
  options.adapter_flush_interval_ms = 60'000;
  buffer_ = SqliteBuffer::open(options, clock_);
  ingest_ = std::make_unique<Ingest>(*buffer_, clock_, 300'000, 86'400'000,
                                     std::vector<rules::RuleOptions>{high_wind()});
  ingest_->watch_alarm_levels(wind_, "wind_speed_ms");

  std::vector<Reading> calm = {wind(5), wind(6, 10)};
  ASSERT_TRUE(ingest_->offer(calm));
  const auto before = buffer_->stats().append_commits;
  std::vector<Reading> gust = {wind(7, 20), wind(20, 30)};  // at the level of `above = 20`
  ASSERT_TRUE(ingest_->offer(gust));
  ASSERT_TRUE(wait_for([&] { return ingest_->accepted() == 4; }, std::chrono::seconds(10)))
      << "committed long before the adapters' 60 s";
  EXPECT_EQ(buffer_->stats().append_commits - before, 1u) << "the calm batch went with it";

  std::vector<Reading> calm_again = {wind(5, 40)};
  ASSERT_TRUE(ingest_->offer(calm_again));
  EXPECT_FALSE(wait_for([&] { return ingest_->accepted() == 5; }, std::chrono::milliseconds(300)))
      << "below every level: it waits for company";
}

TEST_F(IngestTest, DisarmedRulesCountNothingAndArmedSurvivesARestart) {
  ingest_ = std::make_unique<Ingest>(*buffer_, clock_, 300'000, 86'400'000,
                                     std::vector<rules::RuleOptions>{high_wind()});
  ingest_->set_armed(false);
  std::vector<Reading> gusts = {wind(30)};
  ASSERT_TRUE(ingest_->offer(gusts));
  ASSERT_TRUE(wait_for([&] { return ingest_->accepted() == 1; }));
  buffer_->wait_for_queued_appends();
  EXPECT_EQ(buffer_->stats().alarms_pending, 0) << "the owner is at the box";

  ingest_.reset();
  buffer_.reset();
  StorageOptions options;
  options.path = (dir_.path() / "buffer.db").string();
  buffer_ = SqliteBuffer::open(options, clock_);
  ingest_ = std::make_unique<Ingest>(*buffer_, clock_, 300'000, 86'400'000,
                                     std::vector<rules::RuleOptions>{high_wind()});
  EXPECT_FALSE(ingest_->armed()) << "disarmed before the restart, disarmed after";
  ingest_->set_armed(true);
  std::vector<Reading> more = {wind(31, 1)};
  ASSERT_TRUE(ingest_->offer(more));
  ASSERT_TRUE(wait_for([&] { return buffer_->stats().alarms_pending == 1; }));
}

TEST_F(IngestTest, RejectReasonsHaveStableMetricLabels) {
  EXPECT_EQ(reject_reason_name(RejectReason::not_finite), "not_finite");
  EXPECT_EQ(reject_reason_name(RejectReason::storage_full), "storage_full");
}

}  // namespace
}  // namespace edgegw
