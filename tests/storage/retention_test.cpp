#include <gtest/gtest.h>

#include "storage/sqlite_buffer.h"
#include "tests/storage/storage_test_support.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

using edgegw::testing::make_alarm;
using edgegw::testing::make_readings;
using edgegw::testing::query_int;

class RetentionTest : public testing::BufferTest {
 protected:
  std::int64_t count(const std::string& where) {
    return query_int(options_.path, "SELECT count(*) FROM readings WHERE " + where);
  }
};

TEST_F(RetentionTest, MaxAgeDropsReadingsOlderThanTheCutoffAndCountsThem) {
  options_.max_age_s = 3600;
  auto buffer = open();
  const std::int64_t start = clock_.wall_ms();
  ASSERT_EQ(buffer->append_sync(make_readings(1, start, 5)), AppendStatus::accepted);
  clock_.advance(std::chrono::minutes(30));
  ASSERT_EQ(buffer->append_sync(make_readings(1, clock_.wall_ms(), 5)), AppendStatus::accepted);
  ASSERT_TRUE(buffer->add_alarm(make_alarm("theft", start)) > 0);

  // At the edge: the first reading (ts = start) is exactly max_age old and stays.
  clock_.advance(std::chrono::minutes(30));
  buffer->run_retention_now();
  EXPECT_EQ(buffer->stats().readings, 10);
  EXPECT_EQ(buffer->stats().dropped.at("max_age"), 0);

  // 1 ms later it is older than max_age; the next two still are not.
  clock_.advance(std::chrono::milliseconds(2));
  buffer->run_retention_now();
  auto unsent = buffer->read_unsent(100);
  ASSERT_EQ(unsent.size(), 8u);
  EXPECT_EQ(unsent.front().reading.ts_ms, start + 2);
  auto stats = buffer->stats();
  EXPECT_EQ(stats.dropped.at("max_age"), 2);
  EXPECT_EQ(stats.oldest_ts_ms, start + 2);

  clock_.advance(std::chrono::minutes(45));
  buffer->run_retention_now();
  stats = buffer->stats();
  EXPECT_EQ(stats.readings, 0);
  EXPECT_EQ(stats.oldest_ts_ms, 0);
  EXPECT_EQ(stats.dropped.at("max_age"), 10);
  EXPECT_EQ(stats.alarms_pending, 1) << "alarms are not aged out";

  buffer.reset();
  EXPECT_EQ(open()->stats().dropped.at("max_age"), 10) << "drop counts are persisted";
}

TEST_F(RetentionTest, MaxAgeNeverTouchesInflightRows) {
  options_.max_age_s = 60;
  auto buffer = open();
  ASSERT_EQ(buffer->append_sync(make_readings(1, clock_.wall_ms(), 20)), AppendStatus::accepted);
  auto unsent = buffer->read_unsent(10);
  ASSERT_EQ(
      buffer->record_inflight(
          {buffer->next_bundle_seq(), unsent.front().seq, unsent.back().seq, "b"}, unsent.size()),
      RecordStatus::recorded);
  clock_.advance(std::chrono::hours(1));
  buffer->run_retention_now();
  EXPECT_EQ(buffer->stats().readings, 10);
  EXPECT_EQ(buffer->stats().dropped.at("max_age"), 10);
  EXPECT_EQ(count("seq BETWEEN " + std::to_string(unsent.front().seq) + " AND " +
                  std::to_string(unsent.back().seq)),
            10);
  EXPECT_TRUE(buffer->read_unsent(10).empty());
}

TEST_F(RetentionTest, MaxBytesDropsOldestUnsentTelemetryAndKeepsInflightRowsAndAlarms) {
  options_.max_bytes = 200 * 1024;
  auto buffer = open();
  ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 1000)), AppendStatus::accepted);
  auto first = buffer->read_unsent(100);
  const std::string payload(1000, 'p');
  ASSERT_EQ(
      buffer->record_inflight(
          {buffer->next_bundle_seq(), first.front().seq, first.back().seq, payload}, first.size()),
      RecordStatus::recorded);
  for (int i = 0; i < 3; ++i) ASSERT_GT(buffer->add_alarm(make_alarm("overload", i)), 0);

  constexpr int kBatches = 30;
  for (int i = 1; i <= kBatches; ++i) {
    ASSERT_EQ(buffer->append_sync(make_readings(1, i * 1000, 1000)), AppendStatus::accepted);
  }
  const std::int64_t appended = 1000 * (kBatches + 1);

  auto stats = buffer->stats();
  EXPECT_LE(stats.bytes, options_.max_bytes);
  EXPECT_GT(stats.dropped.at("max_bytes"), 0);
  EXPECT_EQ(stats.readings + stats.dropped.at("max_bytes"), appended) << "every drop is counted";
  EXPECT_EQ(stats.alarms_pending, 3) << "alarms go last";
  EXPECT_EQ(stats.alarms_dropped.at("max_bytes"), 0);
  EXPECT_EQ(count("seq BETWEEN " + std::to_string(first.front().seq) + " AND " +
                  std::to_string(first.back().seq)),
            100)
      << "in-flight rows are never dropped";
  EXPECT_EQ(buffer->inflight().front().payload, payload);

  // What is left is the newest telemetry, contiguous up to the last reading appended.
  auto unsent = buffer->read_unsent(static_cast<std::size_t>(appended));
  ASSERT_FALSE(unsent.empty());
  EXPECT_EQ(unsent.back().reading.ts_ms, kBatches * 1000 + 999);
  EXPECT_EQ(unsent.back().seq - unsent.front().seq + 1, static_cast<std::int64_t>(unsent.size()));
  EXPECT_EQ(static_cast<std::int64_t>(unsent.size()) + 100, stats.readings);
}

TEST_F(RetentionTest, MaxBytesDropsOldestAlarmsOnlyWhenNoUnsentTelemetryIsLeft) {
  options_.max_bytes = 128 * 1024;
  auto buffer = open();
  ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 200)), AppendStatus::accepted);
  auto first = buffer->read_unsent(100);
  ASSERT_EQ(
      buffer->record_inflight({buffer->next_bundle_seq(), first.front().seq, first.back().seq, "b"},
                              first.size()),
      RecordStatus::recorded);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 600; ++i) {
    ids.push_back(buffer->add_alarm(make_alarm("motion", i, std::string(300, 'm'))));
    ASSERT_GT(ids.back(), 0);
  }
  ASSERT_GT(buffer->stats().bytes, options_.max_bytes);

  buffer->run_retention_now();
  auto stats = buffer->stats();
  EXPECT_LE(stats.bytes, options_.max_bytes);
  EXPECT_EQ(stats.dropped.at("max_bytes"), 100) << "all unsent telemetry went first";
  EXPECT_TRUE(buffer->read_unsent(1000).empty());
  EXPECT_EQ(stats.readings, 100) << "in-flight rows stay";
  EXPECT_GT(stats.alarms_dropped.at("max_bytes"), 0);
  EXPECT_EQ(stats.alarms_pending + stats.alarms_dropped.at("max_bytes"), 600);
  auto pending = buffer->pending_alarms(1000);
  ASSERT_FALSE(pending.empty());
  EXPECT_EQ(pending.back().id, ids.back()) << "the newest alarms are kept";
  EXPECT_EQ(pending.front().id, ids[static_cast<std::size_t>(600 - stats.alarms_pending)]);
}

}  // namespace
}  // namespace edgegw
