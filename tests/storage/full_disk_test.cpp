#include <gtest/gtest.h>

#include "storage/sqlite_buffer.h"
#include "tests/storage/storage_test_support.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

using edgegw::testing::make_alarm;
using edgegw::testing::make_readings;
using edgegw::testing::query_int;

// A full disk is simulated with PRAGMA max_page_count (StorageOptions::max_page_count_for_tests):
// SQLite then fails page allocation with SQLITE_FULL exactly as it does when the disk is full.
class FullDiskTest : public testing::BufferTest {
 protected:
  FullDiskTest() {
    options_.max_page_count_for_tests = 64;  // 256 KiB with 4 KiB pages
  }
};

TEST_F(FullDiskTest, AppendsShedTheOldestUnsentTelemetryAndKeepGoing) {
  auto buffer = open();
  ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 500)), AppendStatus::accepted);
  auto first = buffer->read_unsent(100);
  const std::string payload(2000, 'z');
  const InflightBundle bundle{buffer->next_bundle_seq(), first.front().seq, first.back().seq,
                              payload};
  ASSERT_EQ(buffer->record_inflight(bundle, first.size()), RecordStatus::recorded);
  ASSERT_GT(buffer->add_alarm(make_alarm("theft")), 0);

  // 40k readings need far more than 64 pages.
  constexpr int kBatches = 200;
  for (int i = 1; i <= kBatches; ++i) {
    ASSERT_EQ(buffer->append_sync(make_readings(1, i * 1000, 200)), AppendStatus::accepted) << i;
  }
  const std::int64_t appended = 500 + 200 * kBatches;

  auto stats = buffer->stats();
  EXPECT_GT(stats.dropped.at("storage_full"), 0);
  EXPECT_EQ(stats.readings + stats.dropped.at("storage_full"), appended) << "every drop is counted";
  EXPECT_EQ(stats.alarms_pending, 1);
  EXPECT_EQ(query_int(options_.path, "SELECT count(*) FROM readings WHERE seq BETWEEN " +
                                         std::to_string(bundle.first_seq) + " AND " +
                                         std::to_string(bundle.last_seq)),
            100)
      << "previously accepted in-flight rows survive";
  EXPECT_EQ(buffer->inflight(), std::vector<InflightBundle>{bundle});
  auto unsent = buffer->read_unsent(static_cast<std::size_t>(appended));
  ASSERT_FALSE(unsent.empty());
  EXPECT_EQ(unsent.back().reading.ts_ms, kBatches * 1000 + 199) << "the newest batch is stored";
  EXPECT_EQ(unsent.back().seq - unsent.front().seq + 1, static_cast<std::int64_t>(unsent.size()))
      << "only the oldest were shed";

  buffer.reset();
  EXPECT_EQ(open()->stats().readings, stats.readings) << "survives a restart";
}

TEST_F(FullDiskTest, BatchIsStorageFullWhenOnlyInflightRowsAndAlarmsAreLeft) {
  auto buffer = open();
  ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 100)), AppendStatus::accepted);
  auto rows = buffer->read_unsent(100);
  ASSERT_EQ(buffer->record_inflight(
                {buffer->next_bundle_seq(), rows.front().seq, rows.back().seq, "b"}, rows.size()),
            RecordStatus::recorded);

  // Alarms are never shed for a full disk, so they fill it for good.
  std::vector<std::int64_t> alarm_ids;
  for (int i = 0; i < 10'000; ++i) {
    auto id = buffer->add_alarm(make_alarm("motion", 0, std::string(1000, 'a')));
    if (id == 0) break;
    alarm_ids.push_back(id);
  }
  ASSERT_LT(alarm_ids.size(), 10'000u) << "the database never filled up";

  EXPECT_EQ(buffer->append_sync(make_readings(1, 1000, 500)), AppendStatus::storage_full);
  auto stats = buffer->stats();
  EXPECT_EQ(stats.readings, 100) << "in-flight rows survive";
  EXPECT_EQ(stats.dropped.at("storage_full"), 0) << "there was nothing to shed";
  EXPECT_EQ(stats.alarms_pending, static_cast<std::int64_t>(alarm_ids.size()));

  // Once the cloud acknowledges something there is room again.
  for (std::size_t i = 0; i < alarm_ids.size() / 2; ++i)
    ASSERT_TRUE(buffer->ack_alarm(alarm_ids[i]));
  EXPECT_EQ(buffer->append_sync(make_readings(1, 2000, 500)), AppendStatus::accepted);
  EXPECT_EQ(buffer->stats().readings, 600);
}

TEST_F(FullDiskTest, RecordInflightRefusesWhenTheBundleCannotBeStored) {
  auto buffer = open();
  ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 100)), AppendStatus::accepted);
  auto rows = buffer->read_unsent(100);
  // A payload larger than the whole database can never be recorded; the bundle's own rows must
  // not be shed while trying.
  const InflightBundle huge{buffer->next_bundle_seq(), rows.front().seq, rows.back().seq,
                            std::string(400 * 1024, 'x')};
  EXPECT_EQ(buffer->record_inflight(huge, rows.size()), RecordStatus::storage_full);
  EXPECT_TRUE(buffer->inflight().empty());
  EXPECT_EQ(buffer->read_unsent(1000).size(), 100u);
  EXPECT_EQ(buffer->next_bundle_seq(), huge.bundle_seq)
      << "a bundle that was not recorded uses no seq";
  EXPECT_EQ(buffer->record_inflight({huge.bundle_seq, huge.first_seq, huge.last_seq, "small"},
                                    rows.size()),
            RecordStatus::recorded);
}

}  // namespace
}  // namespace edgegw
